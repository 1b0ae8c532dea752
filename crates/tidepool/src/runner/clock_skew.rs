//! Clock skew: each process host's wall clock off by its own offset and
//! drift, and stepped now and then during the chaos window.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::chaos::{between, count, process_hosts};
use super::processes::Processes;
use crate::sim::{self, HostId};

/// Skewed wall clocks ([`SimulationBuilder::clock_skew`](crate::SimulationBuilder::clock_skew)).
///
/// At boot, each process host's wall clock
/// ([`TimeProvider::system_time`](crate::providers::TimeProvider::system_time))
/// gets an offset within `±max_offset` and a drift within `±max_drift_ppm`,
/// drawn from the seed; during the chaos window, every `step_every` one
/// process host's clock steps by up to `±max_step` (as NTP steps a clock,
/// backwards included). Simulated time, timers and
/// [`TimeProvider::now`](crate::providers::TimeProvider::now) are never skewed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockSkew {
    /// The largest offset of a clock from simulated time, either way. Default: 2 s.
    pub max_offset: Duration,
    /// The largest drift, either way, in parts per million (100 ppm: 0.1 ms
    /// gained or lost per second). Default: 100.
    pub max_drift_ppm: u32,
    /// The pause (min, max) between two steps during chaos; `None`: no steps.
    /// Default: 1–5 s.
    pub step_every: Option<(Duration, Duration)>,
    /// The largest step, either way. Default: 1 s.
    pub max_step: Duration,
}

impl Default for ClockSkew {
    fn default() -> ClockSkew {
        ClockSkew {
            max_offset: Duration::from_secs(2),
            max_drift_ppm: 100,
            step_every: Some((Duration::from_secs(1), Duration::from_secs(5))),
            max_step: Duration::from_secs(1),
        }
    }
}

/// A signed draw within `±max` nanoseconds.
fn signed_within(max: u64) -> i64 {
    let max = i64::try_from(max).unwrap_or(i64::MAX / 2);
    let span = (max as u64).saturating_mul(2).saturating_add(1);
    sim::random_below(span) as i64 - max
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// Gives `host`'s clock its offset and drift.
pub(crate) fn skew_at_boot(host: HostId, skew: &ClockSkew) {
    let offset = signed_within(nanos(skew.max_offset));
    let drift_ppb = signed_within(u64::from(skew.max_drift_ppm) * 1_000);
    sim::skew_clock(host, offset, drift_ppb);
}

/// Steps one process host's clock every `step_every`, until the chaos window ends.
pub(crate) async fn step_clocks(processes: Processes, skew: ClockSkew) {
    let Some(every) = skew.step_every else {
        return;
    };
    loop {
        sim::sleep(between(every)).await;
        let hosts = process_hosts(&processes);
        if hosts.is_empty() {
            continue;
        }
        let host = hosts[sim::random_below(hosts.len() as u64) as usize];
        let step = signed_within(nanos(skew.max_step));
        tracing::debug!(
            "clock of {} steps by {:+.3}s",
            sim::host_name(host),
            step as f64 / 1e9
        );
        sim::step_clock(host, step);
        count(|faults| faults.clock_steps += 1);
    }
}
