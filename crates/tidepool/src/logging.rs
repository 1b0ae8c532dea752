//! Logs stamped with simulated time and host.
//!
//! Inside a simulation every log line carries the simulated time and the host
//! of the task that logged it, so a replayed seed reads as a timeline.

use std::fmt;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::prelude::*;

/// Stamps each line with `simulated time host`, or `-` outside a simulation.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimTimer;

impl FormatTime for SimTimer {
    fn format_time(&self, writer: &mut Writer<'_>) -> fmt::Result {
        match crate::sim::log_stamp() {
            Some((time, host)) => write!(writer, "{time} {host:>12}"),
            None => write!(writer, "{:>10} {:>12}", "-", "-"),
        }
    }
}

/// Installs a global subscriber writing to standard error, filtered by
/// `filter` (tracing `Targets` syntax, e.g. `debug` or `kv=trace,tidepool=info`);
/// the default is `debug` when replaying one seed and `off` otherwise (a
/// campaign's failures are in its report; logging every seed would cost more
/// than simulating it).
/// Does nothing when a subscriber is already installed.
pub fn install(filter: Option<&str>, replay: bool) {
    let default = if replay { "debug" } else { "off" };
    let targets: Targets = filter.unwrap_or(default).parse().unwrap_or_else(|error| {
        eprintln!("warning: ignoring log filter {filter:?}: {error}; using '{default}'");
        default.parse().expect("a valid default filter")
    });
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_timer(SimTimer)
        .with_target(false);
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(targets))
        .try_init();
}
