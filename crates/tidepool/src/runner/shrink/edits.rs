//! `Edits`: what a shrunk run changes of its seed's run, and the discrete
//! faults a run applies, each numbered in the order it is drawn.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sim;
use crate::time::Instant;

/// Changes to one seed's run that keep it deterministic: the same seed with
/// the same edits runs the same way, every time.
///
/// A discrete fault (a reboot or swizzle of the chaos, a partition, clog,
/// kill, power loss, wipe or reboot by a fault injector) is numbered in the
/// order it is drawn; a dropped one is drawn as before and not applied.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edits {
    /// The chaos window, in nanoseconds of simulated time, in place of the
    /// simulation's own; `None` keeps it.
    pub chaos_window_ns: Option<u64>,
    /// The network's own faults (partial I/O, resets, refused connects,
    /// partitions and clogs drawn by the network model) are off.
    pub network_faults_off: bool,
    /// The network's own fault probabilities scaled to this percentage
    /// (fewer partial reads and writes, resets, clogs, partitions), for a
    /// failure that needs some of them; `None` keeps them.
    #[serde(default)]
    pub network_fault_percent: Option<u8>,
    /// The disks' own faults are off.
    pub storage_faults_off: bool,
    /// Attrition does not run.
    pub attrition_off: bool,
    /// Swizzles do not run.
    pub swizzle_off: bool,
    /// The fault injectors, by name, that do not run.
    pub injectors_off: BTreeSet<String>,
    /// The discrete faults, by number, drawn but not applied.
    pub dropped_faults: BTreeSet<u64>,
    /// Workload operations allowed in the whole run (see
    /// [`WorkloadContext::take_operation`](crate::WorkloadContext::take_operation)); `None`: no cap.
    pub operations_max: Option<u64>,
}

impl Edits {
    /// Whether these edits change nothing.
    pub fn is_empty(&self) -> bool {
        *self == Edits::default()
    }
}

/// A discrete fault a run applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedFault {
    /// Its number, in the order faults are drawn (dropped ones included).
    pub number: u64,
    /// What it was: `graceful reboot`, `crash reboot`, `power loss reboot`,
    /// `wipe reboot`, `swizzle`, `partition`, `one-way partition`,
    /// `isolation`, `clog`, `kill`, `power loss`, `wipe`.
    pub kind: String,
    /// When it was applied.
    #[serde(with = "crate::core_serde::InstantDef")]
    pub time: Instant,
    /// The processes it hit, by name.
    pub target: String,
}

/// What a run's discrete faults and operations were, kept in its world.
#[derive(Default)]
pub(crate) struct RunEdits {
    pub(crate) edits: Arc<Edits>,
    next_fault: u64,
    pub(crate) applied: Vec<AppliedFault>,
    pub(crate) operations: u64,
    /// Whether any workload counted its operations.
    pub(crate) operations_counted: bool,
}

/// Faults listed per run, at most (the count goes on past it).
const APPLIED_LISTED_MAX: usize = 10_000;

/// Puts `edits` in force for the run that starts on this world, and turns
/// the network's and disks' own faults off when they say so.
pub(crate) fn install(edits: &Arc<Edits>) {
    sim::with_world("shrink edits", |world| {
        *world.extension::<RunEdits>() = RunEdits {
            edits: edits.clone(),
            ..RunEdits::default()
        };
    });
    if edits.network_faults_off {
        sim::net::set_faults_active(false);
    }
    if edits.storage_faults_off {
        sim::disk::set_faults_active(false);
    }
}

/// Numbers a discrete fault of `kind` on `target`; whether to apply it (it
/// was not dropped), in which case it is listed as applied now.
pub(crate) fn admit(kind: &str, target: impl FnOnce() -> String) -> bool {
    let (number, dropped) = sim::with_world("shrink admit", |world| {
        let run = world.extension::<RunEdits>();
        let number = run.next_fault;
        run.next_fault += 1;
        (number, run.edits.dropped_faults.contains(&number))
    });
    if dropped {
        tracing::debug!("fault #{number} ({kind}) dropped by the replay's edits");
        return false;
    }
    let target = target();
    sim::with_world("shrink admit", |world| {
        let time = world.now();
        let run = world.extension::<RunEdits>();
        if run.applied.len() < APPLIED_LISTED_MAX {
            run.applied.push(AppliedFault {
                number,
                kind: kind.to_string(),
                time,
                target,
            });
        }
    });
    true
}

/// Counts one workload operation; whether it may run (under the cap).
pub(crate) fn take_operation() -> bool {
    sim::with_world("take operation", |world| {
        let run = world.extension::<RunEdits>();
        run.operations_counted = true;
        if run
            .edits
            .operations_max
            .is_some_and(|max| run.operations >= max)
        {
            return false;
        }
        run.operations += 1;
        true
    })
}

/// The chaos window with the edits: theirs, or the simulation's.
pub(crate) fn chaos_window(edits: &Edits, own: Option<Duration>) -> Option<Duration> {
    edits.chaos_window_ns.map(Duration::from_nanos).or(own)
}

/// The applied faults, operations counted (`None` when no workload counts)
/// of the run ending on this world.
pub(crate) fn take_run() -> (Vec<AppliedFault>, Option<u64>) {
    sim::with_world("shrink results", |world| {
        let run = std::mem::take(world.extension::<RunEdits>());
        (
            run.applied,
            run.operations_counted.then_some(run.operations),
        )
    })
}
