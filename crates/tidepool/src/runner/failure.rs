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
    /// The seed held more memory than its budget (`--max-memory-per-seed`).
    MemoryBudget,
    /// The seed took more wall-clock time than its budget (`--max-wall-per-seed`).
    WallBudget,
    /// Two runs of the same seed parted (`--check-determinism`).
    Nondeterminism,
    /// Simulated code read the real clock, drew OS randomness or started a
    /// thread, and the sanitizer denies it ([`crate::sanitizer`]).
    DeterminismLeak,
    /// An `eventually` property did not hold within its bound once the
    /// faults had healed ([`SimulationBuilder::eventually`](crate::SimulationBuilder::eventually)).
    Liveness,
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
            FailureKind::MemoryBudget => "memory budget",
            FailureKind::WallBudget => "wall budget",
            FailureKind::Nondeterminism => "nondeterminism",
            FailureKind::DeterminismLeak => "determinism leak",
            FailureKind::Liveness => "liveness",
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
    /// Where the run branched from its seed's run, when exploration found it
    /// (`--explore`); empty for a plain seed. The replay passes it as `--branch`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branch: Vec<super::explore::Branch>,
}

/// What stopped a run, before it is tied to a seed: named fields, since an
/// origin and a reason are both text and a tuple lets them swap unnoticed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cause {
    /// What kind of failure.
    pub(crate) kind: FailureKind,
    /// Where it came from: `host/task`, an assertion site, `invariant NAME`.
    pub(crate) origin: String,
    /// What went wrong, in words.
    pub(crate) reason: String,
}

/// A cause and the simulated time it was caught at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Caught {
    pub(crate) cause: Cause,
    pub(crate) time: Instant,
}

impl Caught {
    /// The failure of iteration `iteration` (seed `seed`, branched at
    /// `branches`) this caught, replayed by `command` with the seed and
    /// branch points.
    pub(crate) fn into_failure(
        self,
        iteration: u64,
        seed: u64,
        branches: &[super::explore::Branch],
        command: &str,
    ) -> Failure {
        Failure {
            iteration,
            seed,
            kind: self.cause.kind,
            reason: self.cause.reason,
            origin: self.cause.origin,
            time: self.time,
            replay: super::explore::replay_command(command, seed, branches),
            replayed: None,
            branch: branches.to_vec(),
        }
    }
}

/// Failures recorded during a run, kept in the world until the step hook sees them.
#[derive(Default)]
pub(crate) struct Failures {
    pub(crate) first: Option<Caught>,
}

/// Records a failure of the running iteration (only the first counts).
pub(crate) fn record(cause: Cause) {
    crate::sim::with_world("record failure", |world| {
        let time = world.now();
        let failures = world.extension::<Failures>();
        if failures.first.is_none() {
            failures.first = Some(Caught { cause, time });
        }
    });
    super::iteration::request_step_check();
}
