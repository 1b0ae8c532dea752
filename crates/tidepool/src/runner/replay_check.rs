//! Every failure proves it replays: after a campaign, each failing seed (up
//! to [`REPLAY_CHECKS_MAX`]) runs again on a fresh thread, and must fail the
//! same way at the same simulated time. One that does not is no bug of the
//! system under test but a determinism leak, and is reported as one.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc;
use std::time::Duration;

use super::builder::Plan;
use super::failure::{Failure, FailureKind};
use super::iteration::run_iteration;

/// Failures of a campaign replayed to check them, at most: the first ones, in
/// seed order.
pub const REPLAY_CHECKS_MAX: usize = 20;

/// What a replay of a failing seed gave.
enum Replayed {
    Same,
    Differs(Option<Failure>),
    Hung,
    /// The OS refused a thread to replay on.
    NoThread,
}

/// Replays the first [`REPLAY_CHECKS_MAX`] failures that can be replayed, each
/// on a thread of its own, and marks each as replayed or as a determinism
/// leak. `watchdog` bounds each replay's wall-clock time.
pub(crate) fn verify(plan: &Arc<Plan>, failures: &mut [Failure], watchdog: Duration) {
    let checkable = failures
        .iter_mut()
        .filter(|failure| {
            // Wall-clock and memory measures vary from run to run: the
            // budgets' failures do not replay to the byte or the poll.
            !matches!(
                failure.kind,
                FailureKind::Nondeterminism
                    | FailureKind::Watchdog
                    | FailureKind::MemoryBudget
                    | FailureKind::WallBudget
            )
        })
        .take(REPLAY_CHECKS_MAX);
    for failure in checkable {
        match replay(plan, failure, watchdog) {
            Replayed::Same => failure.replayed = Some(true),
            // No thread to replay on: left unchecked (`replayed` stays `None`).
            Replayed::NoThread => {}
            other => {
                failure.replayed = Some(false);
                *failure = leak(failure, &other);
            }
        }
    }
}

fn replay(plan: &Arc<Plan>, failure: &Failure, watchdog: Duration) -> Replayed {
    let (plan, index, seed) = (plan.clone(), failure.iteration, failure.seed);
    let branches: Arc<[super::explore::Branch]> = failure.branch.as_slice().into();
    let (sender, receiver) = mpsc::channel();
    // A fresh thread: state left in thread-locals by the campaign's runs must
    // not make the replay agree with them.
    let spawned = std::thread::Builder::new()
        .name(format!("tidepool-replay-{seed:#x}"))
        .spawn(move || {
            let heartbeat = AtomicU64::new(0);
            let result = run_iteration(&plan, index, seed, &branches, false, &heartbeat);
            let _ = sender.send(result.failure);
        });
    if let Err(error) = spawned {
        tracing::warn!("no thread to replay seed {seed:#x} on: {error}");
        return Replayed::NoThread;
    }
    match receiver.recv_timeout(watchdog) {
        Ok(Some(again)) if again.reason == failure.reason && again.time == failure.time => {
            Replayed::Same
        }
        Ok(again) => Replayed::Differs(again),
        Err(_) => Replayed::Hung,
    }
}

fn leak(original: &Failure, replayed: &Replayed) -> Failure {
    let again = match replayed {
        Replayed::Same | Replayed::NoThread => {
            unreachable!("a failure that replays, or was not replayed, is no leak")
        }
        Replayed::Differs(None) => "passed".to_string(),
        Replayed::Differs(Some(again)) => {
            format!(
                "failed otherwise ({}: {} at {})",
                again.kind.label(),
                again.reason,
                again.time
            )
        }
        Replayed::Hung => "made no progress within the watchdog".to_string(),
    };
    Failure {
        kind: FailureKind::Nondeterminism,
        reason: format!(
            "a determinism leak: this seed failed ({}: {} at {}), but its replay on a fresh \
             thread {again}; state that outlives an iteration (a `static`, a global cache) or a \
             source outside the world (the real clock, OS randomness, a thread) made the runs \
             differ; --check-determinism names the first event where two runs of the seed part",
            original.kind.label(),
            original.reason,
            original.time
        ),
        origin: "replay check".into(),
        replayed: Some(false),
        replay: format!("{} --check-determinism", original.replay),
        ..original.clone()
    }
}
