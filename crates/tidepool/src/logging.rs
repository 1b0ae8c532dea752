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

/// Checks a log filter in `tracing` `Targets` syntax (`debug`,
/// `kv=trace,tidepool=info`): comma-separated directives, each a level, a
/// target, or `target=level`. Stricter than `Targets` itself, which reads an
/// empty target or level (`=,=`) as a filter that shows nothing.
///
/// # Errors
///
/// The directive that is not one, in words.
///
/// # Examples
///
/// ```
/// use tidepool::logging::check_filter;
/// assert!(check_filter("kv=trace,tidepool=info").is_ok());
/// assert!(check_filter("=,=").is_err());
/// ```
pub fn check_filter(filter: &str) -> Result<String, String> {
    let invalid = |why: String| {
        Err(format!(
            "invalid log filter '{filter}': {why}; give LEVEL or TARGET=LEVEL, comma-separated, \
             e.g. debug or kv=trace,tidepool=info (levels: off, error, warn, info, debug, trace)"
        ))
    };
    for directive in filter.split(',') {
        let directive = directive.trim();
        if directive.is_empty() {
            return invalid("an empty directive".to_string());
        }
        if let Some((target, level)) = directive.split_once('=') {
            if target.trim().is_empty() {
                return invalid(format!("'{directive}' has no target before '='"));
            }
            if level
                .trim()
                .parse::<tracing_subscriber::filter::LevelFilter>()
                .is_err()
            {
                return invalid(format!("'{level}' in '{directive}' is not a level"));
            }
        }
    }
    match filter.parse::<Targets>() {
        Ok(_) => Ok(filter.to_string()),
        Err(error) => invalid(error.to_string()),
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
