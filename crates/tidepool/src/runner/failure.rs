//! `Failure`: why an iteration failed, with the seed and the command that replays it.

use serde::{Deserialize, Serialize};

use crate::time::Instant;

/// The kind of an iteration's failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// A task of a process or workload panicked.
    Panic,
    /// A workload's setup, run or check returned an error.
    Workload,
    /// A process's `run` returned an error.
    Process,
    /// An `assert_always!` was false, or an `assert_unreachable!` was reached.
    Assertion,
    /// An invariant returned an error or panicked.
    Invariant,
    /// Nothing could run, nothing was scheduled, and the workloads were unfinished.
    Deadlock,
    /// The simulated clock passed the iteration's time budget.
    TimeBudget,
    /// Tasks kept running without the clock moving.
    Livelock,
    /// The iteration made no progress in wall-clock time (a task that never yields).
    Watchdog,
    /// Two runs of the same seed parted (`--check-determinism`).
    Nondeterminism,
}

impl FailureKind {
    /// A short lowercase label, as in the report.
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::Panic => "panic",
            FailureKind::Workload => "workload error",
            FailureKind::Process => "process error",
            FailureKind::Assertion => "assertion",
            FailureKind::Invariant => "invariant",
            FailureKind::Deadlock => "deadlock",
            FailureKind::TimeBudget => "time budget",
            FailureKind::Livelock => "livelock",
            FailureKind::Watchdog => "watchdog",
            FailureKind::Nondeterminism => "nondeterminism",
        }
    }
}

/// One failed iteration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The iteration's position in the campaign, from 0.
    pub iteration: u64,
    /// The iteration's seed.
    pub seed: u64,
    /// What kind of failure.
    pub kind: FailureKind,
    /// What went wrong, in words.
    pub reason: String,
    /// Where it came from: a task (`host/task`), an assertion site, an invariant's name.
    pub origin: String,
    /// Simulated time of the failure.
    #[serde(with = "crate::core_serde::InstantDef")]
    pub time: Instant,
    /// The exact command that replays this seed.
    pub replay: String,
    /// Whether a second run of the seed, on a fresh thread after the campaign,
    /// failed the same way at the same time: `true`; `false` for a failure
    /// that did not (then reported as [`FailureKind::Nondeterminism`]);
    /// `None` when not checked (past the campaign's first failures, a
    /// watchdog or determinism failure, or a `--seed` replay).
    #[serde(default)]
    pub replayed: Option<bool>,
}

/// Failures recorded during a run, kept in the world until the step hook sees them.
#[derive(Default)]
pub(crate) struct Failures {
    pub(crate) first: Option<(FailureKind, String, String, Instant)>,
}

/// Records a failure of the running iteration (only the first counts).
pub(crate) fn record(kind: FailureKind, origin: String, reason: String) {
    crate::sim::with_world("record failure", |world| {
        let now = world.now();
        let failures = world.extension::<Failures>();
        if failures.first.is_none() {
            failures.first = Some((kind, origin, reason, now));
        }
    });
    super::iteration::request_step_check();
}
