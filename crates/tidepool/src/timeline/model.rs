//! `Timeline`: a recorded run as lanes, incarnations, messages, faults, logs
//! and the failure, ready to draw.

use std::collections::BTreeMap;

use serde::Serialize;

use super::hook::Seen;
use super::logs::LogLine;
use crate::runner::Failure;
use crate::sim::{TraceEvent, TraceKind};

/// Messages a page draws at most; past it every k-th is kept, and the page says so.
pub const MESSAGES_DRAWN_MAX: usize = 20_000;
/// Log lines a page holds at most; past it every k-th is kept, and the page says so.
pub const LOG_LINES_DRAWN_MAX: usize = 20_000;

/// One recorded run of one seed, as the timeline draws it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Timeline {
    /// The simulation's name.
    pub simulation: String,
    /// The seed replayed.
    pub seed: u64,
    /// Simulated time at the end of the run, in nanoseconds.
    pub end_ns: u64,
    /// Trace events of the run.
    pub events: u64,
    /// One lane per host, in the order they were added.
    pub hosts: Vec<Lane>,
    /// Messages drawn: writes from one host to another, send to delivery.
    pub messages: Vec<Message>,
    /// Faults, as marks (`end_ns` none) or bands.
    pub faults: Vec<FaultMark>,
    /// Log lines, with their host's lane.
    pub logs: Vec<Log>,
    /// How the run failed, if it did.
    pub failure: Option<FailureMark>,
    /// What was left out to keep the page drawable, in words (empty: nothing).
    pub thinned: Vec<String>,
}

/// A host's lane: its name and its incarnations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lane {
    /// The host's name (`server-1`, `kv-0`, `chaos`...).
    pub name: String,
    /// Each incarnation: `[start_ns, end_ns, number]`; the host is down between them.
    pub incarnations: Vec<[u64; 3]>,
}

/// A write from one host to another: `[source lane, target lane, sent_ns,
/// delivered_ns, bytes]`; `delivered_ns` is `u64::MAX` for bytes never delivered.
pub type Message = [u64; 5];

/// A fault on a host's lane.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FaultMark {
    /// The lane.
    pub host: usize,
    /// When it began, in nanoseconds.
    pub time_ns: u64,
    /// When it ended, for a band (a partition until healed, a process down).
    pub end_ns: Option<u64>,
    /// What it was: `partition`, `clog`, `reset`, `refused connect`, `kill`,
    /// `power loss`, `wipe`, `disk read error`...
    pub kind: String,
}

/// A log line: `[lane, time_ns]`, level and text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Log {
    /// The lane (`None` when its host is not one of the lanes).
    pub host: Option<usize>,
    /// Simulated time, in nanoseconds.
    pub time_ns: u64,
    /// `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`.
    pub level: String,
    /// The line.
    pub text: String,
}

/// The failure, where it shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureMark {
    /// Simulated time, in nanoseconds.
    pub time_ns: u64,
    /// Its kind's label (`assertion`, `panic`...).
    pub kind: String,
    /// Where it came from (an assertion site, `host/task`...).
    pub origin: String,
    /// What went wrong.
    pub reason: String,
    /// The lane it happened on, when its origin names a host.
    pub host: Option<usize>,
}

/// What a trace's fault code means (the simulator's codes: network 1-8, disk 16-23).
fn fault_name(code: u64) -> &'static str {
    match code {
        1 => "clog",
        2 => "partition",
        3 => "heal",
        4 => "reset",
        5 => "refused connect",
        6 => "datagram lost",
        7 => "datagram duplicated",
        8 => "clock step",
        16 => "disk read error",
        17 => "disk write error",
        18 => "sync failure",
        19 => "disk full",
        20 => "corrupt read",
        21 => "slow disk call",
        22 => "power loss",
        23 => "wipe",
        _ => "fault",
    }
}

/// The code of a heal, which closes partition bands.
const HEAL: u64 = 3;
/// The code of a partition.
const PARTITION: u64 = 2;

/// Everything a recorded run left, for [`Timeline::build`].
pub(crate) struct Recorded<'a> {
    pub(crate) simulation: &'a str,
    pub(crate) seed: u64,
    pub(crate) end_ns: u64,
    pub(crate) events: &'a [TraceEvent],
    pub(crate) seen: Seen,
    pub(crate) logs: Vec<LogLine>,
    pub(crate) logs_dropped: u64,
    pub(crate) failure: Option<&'a Failure>,
}

impl Timeline {
    pub(crate) fn build(recorded: Recorded<'_>) -> Timeline {
        let mut timeline = Timeline {
            simulation: recorded.simulation.to_string(),
            seed: recorded.seed,
            end_ns: recorded.end_ns,
            events: recorded.events.len() as u64,
            hosts: lanes(&recorded.seen.hosts, recorded.events, recorded.end_ns),
            messages: Vec::new(),
            faults: faults(recorded.events, &recorded.seen.hosts, recorded.end_ns),
            logs: Vec::new(),
            failure: None,
            thinned: Vec::new(),
        };
        timeline.set_messages(&recorded.seen);
        timeline.set_logs(recorded.logs, recorded.logs_dropped);
        timeline.failure = recorded
            .failure
            .map(|failure| timeline.failure_mark(failure));
        timeline
    }

    fn lane_of(&self, host: &str) -> Option<usize> {
        self.hosts.iter().position(|lane| lane.name == host)
    }

    fn failure_mark(&self, failure: &Failure) -> FailureMark {
        // An origin `host/task` names its host; an assertion site names none.
        let host = failure
            .origin
            .split_once('/')
            .and_then(|(host, _)| self.lane_of(host));
        FailureMark {
            time_ns: failure.time.since_origin().as_nanos() as u64,
            kind: failure.kind.label().to_string(),
            origin: failure.origin.clone(),
            reason: failure.reason.clone(),
            host,
        }
    }

    fn set_messages(&mut self, seen: &Seen) {
        let mut messages = messages(seen);
        if seen.sent_dropped > 0 {
            self.thinned.push(format!(
                "{} writes past the first {} were not recorded",
                seen.sent_dropped,
                seen.sent.len()
            ));
        }
        let total = messages.len();
        if total > MESSAGES_DRAWN_MAX {
            let step = total.div_ceil(MESSAGES_DRAWN_MAX);
            messages = messages.into_iter().step_by(step).collect();
            self.thinned.push(format!(
                "messages thinned: {} of {total} drawn (every {step}th)",
                messages.len()
            ));
        }
        self.messages = messages;
    }

    fn set_logs(&mut self, lines: Vec<LogLine>, dropped: u64) {
        let total = lines.len();
        let step = total.div_ceil(LOG_LINES_DRAWN_MAX).max(1);
        let mut logs = Vec::with_capacity(total.min(LOG_LINES_DRAWN_MAX));
        // Errors and warnings are always kept; the rest thinned evenly.
        for (index, line) in lines.into_iter().enumerate() {
            let loud = matches!(line.level, "ERROR" | "WARN");
            if index % step == 0 || loud {
                logs.push(Log {
                    host: self.lane_of(&line.host),
                    time_ns: line.time,
                    level: line.level.to_string(),
                    text: line.text,
                });
            }
        }
        if step > 1 || dropped > 0 {
            self.thinned.push(format!(
                "log lines thinned: {} of {} kept (every {step}th, errors and warnings all)",
                logs.len(),
                total as u64 + dropped
            ));
        }
        self.logs = logs;
    }
}

/// Each host's incarnations, from its boots and kills.
fn lanes(names: &[String], events: &[TraceEvent], end_ns: u64) -> Vec<Lane> {
    let mut lanes: Vec<Lane> = names
        .iter()
        .map(|name| Lane {
            name: name.clone(),
            incarnations: Vec::new(),
        })
        .collect();
    let mut open: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
    for event in events {
        let host = event.subject as usize;
        let time = event.time.since_origin().as_nanos() as u64;
        match event.kind {
            TraceKind::Boot => {
                if let Some((start, number)) = open.insert(host, (time, event.detail)) {
                    push_incarnation(&mut lanes, host, [start, time, number]);
                }
            }
            TraceKind::Kill => {
                if let Some((start, number)) = open.remove(&host) {
                    push_incarnation(&mut lanes, host, [start, time, number]);
                }
            }
            _ => {}
        }
    }
    for (host, (start, number)) in open {
        push_incarnation(&mut lanes, host, [start, end_ns, number]);
    }
    // The root host boots before any event is recorded.
    if let Some(root) = lanes
        .first_mut()
        .filter(|lane| lane.incarnations.is_empty())
    {
        root.incarnations.push([0, end_ns, 1]);
    }
    lanes
}

fn push_incarnation(lanes: &mut [Lane], host: usize, incarnation: [u64; 3]) {
    if let Some(lane) = lanes.get_mut(host) {
        lane.incarnations.push(incarnation);
    }
}

/// Faults from the trace: partitions as bands until healed, the rest as marks.
fn faults(events: &[TraceEvent], hosts: &[String], end_ns: u64) -> Vec<FaultMark> {
    let host_count = hosts.len();
    let mut marks = Vec::new();
    let mut partitioned: BTreeMap<usize, usize> = BTreeMap::new();
    for event in events {
        let host = event.subject as usize;
        let time = event.time.since_origin().as_nanos() as u64;
        match (event.kind, event.detail) {
            (TraceKind::Fault, PARTITION)
                if !partitioned.contains_key(&host) && host < host_count =>
            {
                partitioned.insert(host, marks.len());
                marks.push(mark(host, time, Some(end_ns), "partition"));
            }
            (TraceKind::Fault, PARTITION) => {}
            (TraceKind::Fault, HEAL) => {
                // A heal of host 0 is a heal of every link.
                let healed: Vec<usize> = if host == 0 {
                    partitioned.keys().copied().collect()
                } else {
                    vec![host]
                };
                for healed in healed {
                    if let Some(index) = partitioned.remove(&healed) {
                        marks[index].end_ns = Some(time);
                    }
                }
            }
            (TraceKind::Fault, code) if host < host_count => {
                marks.push(mark(host, time, None, fault_name(code)));
            }
            // The chaos host is killed when the chaos window ends: no fault.
            (TraceKind::Kill, _) if host < host_count && hosts[host] == "chaos" => {
                marks.push(mark(host, time, None, "chaos window ends"));
            }
            (TraceKind::Kill, _) if host < host_count => {
                marks.push(mark(host, time, None, "kill"));
            }
            _ => {}
        }
    }
    marks
}

fn mark(host: usize, time_ns: u64, end_ns: Option<u64>, kind: &str) -> FaultMark {
    FaultMark {
        host,
        time_ns,
        end_ns,
        kind: kind.to_string(),
    }
}

/// Each write with new bytes, as a message to its delivery (or none).
fn messages(seen: &Seen) -> Vec<Message> {
    let mut deliveries: BTreeMap<(u32, u8), Vec<(u64, u64)>> = BTreeMap::new();
    for delivered in &seen.delivered {
        deliveries
            .entry((delivered.serial, delivered.end))
            .or_default()
            .push((delivered.upto, delivered.time));
    }
    let mut written: BTreeMap<(u32, u8), u64> = BTreeMap::new();
    let mut messages = Vec::with_capacity(seen.sent.len());
    for sent in &seen.sent {
        let key = (sent.serial, sent.end);
        let before = written.insert(key, sent.upto).unwrap_or(0);
        if sent.upto <= before {
            continue; // A FIN or an empty write: no bytes to draw.
        }
        let delivered = deliveries
            .get(&key)
            .and_then(|list| {
                // Deliveries of a direction come in order of time and bytes.
                let at = list.partition_point(|(upto, _)| *upto < sent.upto);
                list.get(at)
            })
            .map_or(u64::MAX, |(_, time)| *time);
        messages.push([
            u64::from(sent.source),
            u64::from(sent.target),
            sent.time,
            delivered,
            sent.upto - before,
        ]);
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::super::hook::{Delivered, Sent};
    use super::*;
    use crate::time::Instant;

    fn event(kind: TraceKind, time: u64, subject: u32, detail: u64) -> TraceEvent {
        TraceEvent {
            index: 0,
            time: Instant::from_nanos(time),
            kind,
            subject,
            detail,
        }
    }

    #[test]
    fn boots_and_kills_make_incarnations_and_partitions_bands_until_healed() {
        let names: Vec<String> = ["main", "server-1", "server-2"].map(String::from).to_vec();
        let events = [
            event(TraceKind::Boot, 0, 1, 1),
            event(TraceKind::Boot, 0, 2, 1),
            event(TraceKind::Fault, 5, 2, PARTITION),
            event(TraceKind::Kill, 10, 1, 0),
            event(TraceKind::Boot, 20, 1, 2),
            event(TraceKind::Fault, 30, 0, HEAL),
            event(TraceKind::Fault, 35, 1, 1),
        ];
        let lanes = lanes(&names, &events, 100);
        assert_eq!(lanes[1].incarnations, vec![[0, 10, 1], [20, 100, 2]]);
        assert_eq!(lanes[2].incarnations, vec![[0, 100, 1]]);
        assert_eq!(
            lanes[0].incarnations,
            vec![[0, 100, 1]],
            "the root lives throughout"
        );
        let faults = faults(&events, &names, 100);
        let kinds: Vec<(&str, usize, u64, Option<u64>)> = faults
            .iter()
            .map(|f| (f.kind.as_str(), f.host, f.time_ns, f.end_ns))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("partition", 2, 5, Some(30)),
                ("kill", 1, 10, None),
                ("clog", 1, 35, None)
            ]
        );
    }

    #[test]
    fn a_write_is_a_message_to_the_delivery_that_carries_its_last_byte() {
        let sent = |upto, time| Sent {
            serial: 7,
            end: 0,
            source: 1,
            target: 2,
            time,
            upto,
        };
        let seen = Seen {
            sent: vec![sent(10, 100), sent(10, 105), sent(25, 110), sent(40, 120)],
            delivered: vec![
                Delivered {
                    serial: 7,
                    end: 0,
                    time: 150,
                    upto: 10,
                },
                Delivered {
                    serial: 7,
                    end: 0,
                    time: 170,
                    upto: 25,
                },
            ],
            hosts: Vec::new(),
            sent_dropped: 0,
        };
        assert_eq!(
            messages(&seen),
            vec![
                [1, 2, 100, 150, 10],
                [1, 2, 110, 170, 15],
                [1, 2, 120, u64::MAX, 15]
            ],
            "the empty write (a FIN) is no message; the last never arrived"
        );
    }
}
