//! Recording one seed for its timeline.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::model::{Recorded, Timeline};
use super::{hook, logs};
use crate::runner::Plan;

/// Runs `seed` (branched at `branches`, if any) once more with the trace,
/// the hooks and the log capture (at `log_filter`) on, into its timeline.
pub(crate) fn record(
    plan: &Arc<Plan>,
    seed: u64,
    branches: &[crate::runner::Branch],
    log_filter: &str,
) -> Timeline {
    let branches: Arc<[crate::runner::Branch]> = branches.into();
    let heartbeat = AtomicU64::new(0);
    hook::start();
    let (result, lines, dropped) = logs::capture(log_filter, || {
        crate::runner::run_iteration(plan, 0, seed, &branches, true, &heartbeat)
    });
    let seen = hook::finish();
    Timeline::build(Recorded {
        simulation: &plan.name,
        seed,
        end_ns: result.sim_time.since_origin().as_nanos() as u64,
        events: result.events.as_deref().unwrap_or(&[]),
        seen,
        logs: lines,
        logs_dropped: dropped,
        failure: result.failure.as_ref(),
    })
}
