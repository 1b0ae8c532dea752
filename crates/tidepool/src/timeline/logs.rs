//! Log lines of a recorded run, each with its simulated time and host, for
//! the timeline's hover text.

use std::cell::RefCell;
use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::Context;
use tracing_subscriber::prelude::*;

/// Log lines kept per run, at most; past it they are counted only.
pub(crate) const LOG_LINES_MAX: usize = 200_000;

/// One log line: simulated time in nanoseconds, host, level, text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LogLine {
    pub(crate) time: u64,
    pub(crate) host: String,
    pub(crate) level: &'static str,
    pub(crate) text: String,
}

#[derive(Default)]
struct Captured {
    lines: Vec<LogLine>,
    dropped: u64,
}

thread_local! {
    static CAPTURED: RefCell<Captured> = RefCell::new(Captured::default());
}

/// A `tracing` layer that keeps each event logged inside a simulation.
struct Capture;

/// Writes an event's fields as `message key=value ...`.
struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            self.0.push_str(value);
        } else {
            self.record_debug(field, &value);
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let Some((time, host)) = crate::sim::log_stamp() else {
            return;
        };
        let mut text = Text(String::new());
        event.record(&mut text);
        CAPTURED.with(|captured| {
            let mut captured = captured.borrow_mut();
            if captured.lines.len() >= LOG_LINES_MAX {
                captured.dropped += 1;
                return;
            }
            captured.lines.push(LogLine {
                time: time.since_origin().as_nanos() as u64,
                host,
                level: event.metadata().level().as_str(),
                text: text.0,
            });
        });
    }
}

/// Runs `run` with every log event at `filter` (tracing `Targets` syntax)
/// kept, on this thread only; returns its output, the lines, and how many
/// were past [`LOG_LINES_MAX`].
pub(crate) fn capture<R>(filter: &str, run: impl FnOnce() -> R) -> (R, Vec<LogLine>, u64) {
    let targets: tracing_subscriber::filter::Targets = filter
        .parse()
        .unwrap_or_else(|_| "debug".parse().expect("a valid filter"));
    let subscriber = tracing_subscriber::registry().with(Capture.with_filter(targets));
    CAPTURED.with(|captured| *captured.borrow_mut() = Captured::default());
    let output = tracing::subscriber::with_default(subscriber, run);
    let captured = CAPTURED.with(|captured| std::mem::take(&mut *captured.borrow_mut()));
    (output, captured.lines, captured.dropped)
}
