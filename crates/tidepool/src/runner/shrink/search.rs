//! The search: edits tried one at a time on the failing seed, each kept only
//! while the same failure still happens.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::edits::{AppliedFault, Edits};
use crate::runner::attrition::FaultCounts;
use crate::runner::builder::{NetworkChoice, Plan};
use crate::runner::failure::{Failure, FailureKind};
use crate::runner::iteration::run_iteration;

/// Runs of the seed a shrink tries, at most.
pub const SHRINK_RUNS_MAX: u32 = 400;

/// Halvings of the chaos window tried, at most.
const WINDOW_HALVINGS_MAX: u32 = 16;

/// What one run of the seed held: the measures a shrink makes smaller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Every fault, counted as in the report (network and disk faults included).
    pub fault_counts: FaultCounts,
    /// The discrete faults applied (reboots, swizzles, injectors' faults).
    pub faults: Vec<AppliedFault>,
    /// Workload operations, when the workload counts them.
    pub operations: Option<u64>,
    /// Simulated time at the end, in nanoseconds.
    pub sim_time_ns: u64,
    /// Trace events.
    pub events: u64,
    /// The run's trace hash (equal for two runs of the same seed and edits).
    pub trace_hash: u64,
}

impl RunSummary {
    /// Every fault of the run, summed.
    pub fn fault_total(&self) -> u64 {
        self.fault_counts.total()
    }
}

/// The failure a shrink keeps: same kind, same origin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureIdentity {
    /// Its kind.
    pub kind: FailureKind,
    /// Its origin: the assertion site, invariant, or `host/task`.
    pub origin: String,
}

impl FailureIdentity {
    fn of(failure: &Failure) -> FailureIdentity {
        FailureIdentity {
            kind: failure.kind,
            origin: failure.origin.clone(),
        }
    }

    fn matches(&self, failure: Option<&Failure>) -> bool {
        failure.is_some_and(|failure| failure.kind == self.kind && failure.origin == self.origin)
    }
}

/// A shrunk run: the seed, its edits, and what it holds beside the original.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shrunk {
    /// The seed.
    pub seed: u64,
    /// The failure kept.
    pub identity: FailureIdentity,
    /// The shrunk run's failure, in words.
    pub reason: String,
    /// The edits that shrink it.
    pub edits: Edits,
    /// The seed's own run.
    pub original: RunSummary,
    /// The shrunk run.
    pub shrunk: RunSummary,
    /// Runs tried.
    pub runs: u32,
    /// The replay file written, when one was.
    pub file: Option<std::path::PathBuf>,
    /// The command that replays the file, when one was written.
    pub replay: Option<String>,
}

/// Why a seed cannot be shrunk.
#[derive(Debug, thiserror::Error)]
pub enum ShrinkError {
    /// The seed passes: there is nothing to shrink.
    #[error("seed {seed:#018x} passes; shrinking needs a failing seed")]
    Passes {
        /// The seed.
        seed: u64,
    },
}

/// `plan` with `edits` in force (those the iteration reads, and the
/// network's fault probabilities scaled).
pub(crate) fn edited_plan(plan: &Plan, edits: &Edits) -> Plan {
    let mut network = plan.network.clone();
    if let (Some(percent), NetworkChoice::Fixed(config)) =
        (edits.network_fault_percent, &mut network)
    {
        let scale = f64::from(percent) / 100.0;
        for probability in [
            &mut config.partial_read_probability,
            &mut config.partial_write_probability,
            &mut config.reset_probability,
            &mut config.connect_failure_probability,
            &mut config.clog_probability,
            &mut config.partition_probability,
            &mut config.datagram_loss_probability,
            &mut config.datagram_duplicate_probability,
        ] {
            *probability *= scale;
        }
    }
    Plan {
        edits: Arc::new(edits.clone()),
        network,
        ..plan.clone()
    }
}

/// One run of `seed` under `edits`.
pub(crate) fn run_edited(plan: &Plan, seed: u64, edits: &Edits) -> (Option<Failure>, RunSummary) {
    let plan = Arc::new(edited_plan(plan, edits));
    let heartbeat = AtomicU64::new(0);
    let result = run_iteration(&plan, 0, seed, &Arc::default(), false, &heartbeat);
    let summary = RunSummary {
        fault_counts: result.faults,
        faults: result.applied_faults,
        operations: result.operations,
        sim_time_ns: result.sim_time.since_origin().as_nanos() as u64,
        events: result.trace_len,
        trace_hash: result.trace_hash,
    };
    (result.failure, summary)
}

struct Search<'a> {
    plan: &'a Plan,
    seed: u64,
    identity: FailureIdentity,
    edits: Edits,
    summary: RunSummary,
    reason: String,
    runs: u32,
}

impl Search<'_> {
    /// Tries `edits`: kept when the same failure happens.
    fn attempt(&mut self, edits: Edits) -> bool {
        if self.runs >= SHRINK_RUNS_MAX || edits == self.edits {
            return false;
        }
        self.runs += 1;
        let (failure, summary) = run_edited(self.plan, self.seed, &edits);
        if !self.identity.matches(failure.as_ref()) {
            return false;
        }
        // An edit that fails the same way with more faults or operations is no shrink.
        let more_operations = matches!(
            (summary.operations, self.summary.operations),
            (Some(after), Some(before)) if after > before
        );
        if summary.fault_total() > self.summary.fault_total() || more_operations {
            return false;
        }
        self.reason = failure.map(|failure| failure.reason).unwrap_or_default();
        self.edits = edits;
        self.summary = summary;
        true
    }

    fn with(&self, change: impl FnOnce(&mut Edits)) -> Edits {
        let mut edits = self.edits.clone();
        change(&mut edits);
        edits
    }

    fn families(&mut self) {
        let plan = self.plan;
        self.attempt(self.with(|e| e.network_faults_off = true));
        self.attempt(self.with(|e| e.storage_faults_off = true));
        if plan.attrition.is_some() {
            self.attempt(self.with(|e| e.attrition_off = true));
        }
        if plan.swizzle.is_some() {
            self.attempt(self.with(|e| e.swizzle_off = true));
        }
        for (name, _) in &plan.injectors {
            self.attempt(self.with(|e| {
                e.injectors_off.insert(name.clone());
            }));
        }
    }

    /// Scales the network's own faults down while the failure holds.
    fn network_rates(&mut self) {
        if self.edits.network_faults_off {
            return;
        }
        for percent in [50, 25, 12, 6, 3, 1] {
            if !self.attempt(self.with(|e| e.network_fault_percent = Some(percent))) {
                break;
            }
        }
    }

    /// Halves the chaos window while the failure holds.
    fn window(&mut self) {
        let own = super::edits::chaos_window(&self.edits, self.plan.chaos_duration);
        let mut window = own.unwrap_or(Duration::from_nanos(self.summary.sim_time_ns));
        for _ in 0..WINDOW_HALVINGS_MAX {
            window /= 2;
            let nanos = window.as_nanos() as u64;
            if nanos == 0 || !self.attempt(self.with(|e| e.chaos_window_ns = Some(nanos))) {
                break;
            }
        }
    }

    /// The fewest operations that still fail, by bisection (when counted).
    fn operations(&mut self) {
        let Some(mut failing) = self.summary.operations else {
            return;
        };
        let mut passing = 0;
        while failing > passing + 1 && self.runs < SHRINK_RUNS_MAX {
            let middle = passing + (failing - passing) / 2;
            if self.attempt(self.with(|e| e.operations_max = Some(middle))) {
                failing = self.summary.operations.unwrap_or(middle).min(middle);
            } else {
                passing = middle;
            }
        }
    }

    /// Drops discrete faults: all at once, then halves, quarters... down to one at a time.
    fn faults(&mut self) {
        let mut chunk = self.summary.faults.len().max(1);
        loop {
            let numbers: Vec<u64> = self.summary.faults.iter().map(|f| f.number).collect();
            if numbers.is_empty() {
                return;
            }
            chunk = chunk.min(numbers.len());
            let mut dropped_any = false;
            for group in numbers.chunks(chunk) {
                let edits = self.with(|e| e.dropped_faults.extend(group.iter().copied()));
                dropped_any |= self.attempt(edits);
            }
            if self.runs >= SHRINK_RUNS_MAX || (chunk == 1 && !dropped_any) {
                return;
            }
            if !dropped_any {
                chunk = chunk.div_ceil(2);
            }
        }
    }
}

/// Shrinks `seed`'s failure: returns the smallest run found that fails the
/// same way (same kind and origin), with its edits and both runs' measures.
///
/// # Errors
///
/// [`ShrinkError::Passes`] when the seed does not fail.
pub(crate) fn shrink(plan: &Plan, seed: u64) -> Result<Shrunk, ShrinkError> {
    let (failure, original) = run_edited(plan, seed, &Edits::default());
    let failure = failure.ok_or(ShrinkError::Passes { seed })?;
    let mut search = Search {
        plan,
        seed,
        identity: FailureIdentity::of(&failure),
        edits: Edits::default(),
        summary: original.clone(),
        reason: failure.reason,
        runs: 1,
    };
    search.families();
    for _ in 0..2 {
        let before = search.edits.clone();
        search.network_rates();
        search.window();
        search.operations();
        search.faults();
        if search.edits == before {
            break;
        }
    }
    Ok(Shrunk {
        seed,
        identity: search.identity,
        reason: search.reason,
        edits: search.edits,
        original,
        shrunk: search.summary,
        runs: search.runs,
        file: None,
        replay: None,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::runner::FaultHandle;
    use crate::{SimulationBuilder, Workload, WorkloadContext};

    struct Idle;

    impl Workload for Idle {
        async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), crate::BoxError> {
            ctx.sleep(Duration::from_secs(1)).await;
            Ok(())
        }
    }

    fn plan() -> Plan {
        let mut builder = SimulationBuilder::new("drops");
        for name in ["a", "b", "c"] {
            builder = builder.process(name, |ctx| async move {
                ctx.shutdown().requested().await;
                Ok(())
            });
        }
        let builder = builder.workload(|_| Idle).fault_injector(
            "rebooter",
            |faults: FaultHandle| async move {
                let all = faults.processes();
                for _ in 0..10 {
                    faults.sleep(Duration::from_millis(50)).await;
                    let victim = faults.pick(&all).expect("a process");
                    faults.reboot(victim, false, Duration::ZERO).await;
                }
            },
        );
        let (plan, _) = builder.into_plan().expect("a valid plan");
        (*plan).clone()
    }

    #[test]
    fn a_dropped_fault_is_drawn_and_not_applied_and_the_others_do_not_move() {
        let plan = plan();
        let (_, all) = run_edited(&plan, 7, &Edits::default());
        assert_eq!(all.faults.len(), 10, "{:?}", all.faults);
        let edits = Edits {
            dropped_faults: [4].into(),
            ..Edits::default()
        };
        let (_, dropped) = run_edited(&plan, 7, &edits);
        let expected: Vec<AppliedFault> = all
            .faults
            .iter()
            .filter(|f| f.number != 4)
            .cloned()
            .collect();
        assert_eq!(dropped.faults, expected);
        assert_eq!(dropped.fault_counts.reboots_crash, 9);
        // The same edits, the same run.
        assert_eq!(run_edited(&plan, 7, &edits).1, dropped);
    }
}
