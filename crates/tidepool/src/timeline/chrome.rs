//! The timeline in the Chrome trace-event format (Perfetto, `chrome://tracing`).

use std::io;

use serde_json::{Value, json};

use super::model::Timeline;

impl Timeline {
    /// Writes the timeline as a Chrome trace-event JSON object: one
    /// process per host (named by a metadata event), each incarnation a
    /// complete event (`X`), each fault an instant event (`i`) or, for a
    /// band, a complete event, each message a flow (`s` at the sender,
    /// `f` at the receiver) on a short slice, each log line an instant event
    /// with its text, and the failure a global instant event. Times are in
    /// microseconds of simulated time.
    ///
    /// # Errors
    ///
    /// When writing fails.
    pub fn write_chrome_trace(&self, writer: impl io::Write) -> io::Result<()> {
        let mut events: Vec<Value> = Vec::new();
        for (pid, lane) in self.hosts.iter().enumerate() {
            events.push(
                json!({"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
                "args": {"name": lane.name}}),
            );
            for [start, end, number] in &lane.incarnations {
                events.push(json!({"ph": "X", "name": format!("incarnation #{number}"),
                    "cat": "incarnation", "pid": pid, "tid": 0, "ts": us(*start),
                    "dur": us(end.saturating_sub(*start))}));
            }
        }
        for fault in &self.faults {
            events.push(match fault.end_ns {
                Some(end) => json!({"ph": "X", "name": fault.kind, "cat": "fault",
                    "pid": fault.host, "tid": 1, "ts": us(fault.time_ns),
                    "dur": us(end.saturating_sub(fault.time_ns))}),
                None => json!({"ph": "i", "s": "t", "name": fault.kind, "cat": "fault",
                    "pid": fault.host, "tid": 1, "ts": us(fault.time_ns)}),
            });
        }
        self.push_messages(&mut events);
        for log in &self.logs {
            events.push(json!({"ph": "i", "s": "t", "name": log.text, "cat": "log",
                "pid": log.host.unwrap_or(0), "tid": 3, "ts": us(log.time_ns),
                "args": {"level": log.level}}));
        }
        if let Some(failure) = &self.failure {
            events.push(
                json!({"ph": "i", "s": "g", "name": format!("FAILED: {}", failure.kind),
                "cat": "failure", "pid": failure.host.unwrap_or(0), "tid": 0,
                "ts": us(failure.time_ns),
                "args": {"origin": failure.origin, "reason": failure.reason}}),
            );
        }
        let trace = json!({
            "traceEvents": events,
            "displayTimeUnit": "ms",
            "otherData": {"simulation": self.simulation, "seed": format!("{:#018x}", self.seed),
                "thinned": self.thinned},
        });
        serde_json::to_writer(writer, &trace).map_err(io::Error::other)
    }

    fn push_messages(&self, events: &mut Vec<Value>) {
        for (id, [source, target, sent, delivered, bytes]) in self.messages.iter().enumerate() {
            let name = format!("{bytes} bytes");
            events.push(
                json!({"ph": "X", "name": "send", "cat": "message", "pid": source,
                "tid": 2, "ts": us(*sent), "dur": 0.001, "args": {"bytes": bytes}}),
            );
            events.push(json!({"ph": "s", "name": name, "cat": "message", "id": id,
                "pid": source, "tid": 2, "ts": us(*sent)}));
            if *delivered == u64::MAX {
                continue;
            }
            events.push(
                json!({"ph": "X", "name": "deliver", "cat": "message", "pid": target,
                "tid": 2, "ts": us(*delivered), "dur": 0.001, "args": {"bytes": bytes}}),
            );
            events.push(
                json!({"ph": "f", "bp": "e", "name": name, "cat": "message", "id": id,
                "pid": target, "tid": 2, "ts": us(*delivered)}),
            );
        }
    }
}

fn us(nanos: u64) -> f64 {
    nanos as f64 / 1000.0
}
