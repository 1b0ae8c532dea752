//! One iteration's assertion counts, kept in the running world, and how the
//! runner reads them.

use std::cell::Cell;

use serde::{Deserialize, Serialize};

use tidepool_core::assertions::{AssertionSite, Detail, sites};

use super::registry::site_id;
use super::violation::Violation;
use crate::sim::try_with_world;

/// How often one site evaluated true and false.
///
/// `assert_reachable!` and `assert_unreachable!` count each time they are
/// reached as `true`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteCounts {
    /// Evaluations with a true condition (or times reached).
    pub true_count: u64,
    /// Evaluations with a false condition.
    pub false_count: u64,
}

impl SiteCounts {
    /// Adds `other`'s counts, saturating.
    pub fn add(&mut self, other: SiteCounts) {
        self.true_count = self.true_count.saturating_add(other.true_count);
        self.false_count = self.false_count.saturating_add(other.false_count);
    }

    /// Whether the site was evaluated at all.
    pub fn evaluated(self) -> bool {
        self.true_count > 0 || self.false_count > 0
    }
}

/// The assertions of one iteration: per-site counts and the first violation.
///
/// Taken from the running world with [`take_run_results`]; merged across seeds
/// with [`AssertionTable::add_run`](super::AssertionTable::add_run).
#[derive(Clone, Debug, Default)]
pub struct RunAssertions {
    /// Per site id (index in [`sites`]); shorter than `sites()` when no site past
    /// its end was reached.
    counts: Vec<SiteCounts>,
    /// Per site id: the step (from 1) in which the site was first true; 0
    /// for never. Exploration branches a run at such a step.
    first_true: Vec<u64>,
    first_violation: Option<Violation>,
    violation_count: u64,
}

impl RunAssertions {
    /// The first violated `assert_always!` or reached `assert_unreachable!` of
    /// the iteration, if any.
    pub fn first_violation(&self) -> Option<&Violation> {
        self.first_violation.as_ref()
    }

    /// How many evaluations violated an `always` or `unreachable` site.
    pub fn violation_count(&self) -> u64 {
        self.violation_count
    }

    /// The counts of `site` in this iteration.
    pub fn counts(&self, site: &'static AssertionSite) -> SiteCounts {
        self.counts.get(site_id(site)).copied().unwrap_or_default()
    }

    /// Every site evaluated in this iteration, with its counts, in link order.
    pub fn evaluated(&self) -> impl Iterator<Item = (&'static AssertionSite, SiteCounts)> + '_ {
        self.counts
            .iter()
            .zip(sites())
            .filter(|(counts, _)| counts.evaluated())
            .map(|(counts, site)| (site, *counts))
    }

    /// Every site true at least once in this iteration, with its id (its
    /// index in [`sites`]) and the step (from 1) in which it first was.
    pub(crate) fn first_true(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.first_true
            .iter()
            .enumerate()
            .filter(|(_, step)| **step > 0)
            .map(|(id, step)| (id, *step))
    }

    fn record(&mut self, site: &'static AssertionSite, condition: bool, step: u64) {
        let id = site_id(site);
        if self.counts.len() <= id {
            self.counts.resize(sites().len(), SiteCounts::default());
            self.first_true.resize(sites().len(), 0);
        }
        let counts = &mut self.counts[id];
        if condition {
            if counts.true_count == 0 {
                self.first_true[id] = step;
            }
            counts.true_count = counts.true_count.saturating_add(1);
        } else {
            counts.false_count = counts.false_count.saturating_add(1);
        }
    }
}

thread_local! {
    /// Set when this thread's world holds a violation, so [`first_violation`]
    /// answers the common case (none) without borrowing the world. It may stay
    /// set after its world is gone; the world then answers, and it is cleared.
    static VIOLATION_PENDING: Cell<bool> = const { Cell::new(false) };
}

/// Counts one evaluation of `site` in the world running on this thread: the
/// assertion hook, called by `tidepool_core`'s macros inside a simulation.
///
/// `details` runs only for the first violation of an iteration, and outside
/// the world's borrow, so a detail's `Debug` may itself use the simulation.
pub(crate) fn record_assertion(
    site: &'static AssertionSite,
    condition: bool,
    details: &mut dyn FnMut() -> Vec<Detail>,
) {
    let first = try_with_world(|world| {
        let (now, step) = (world.now(), world.steps);
        let run = world.extension::<RunAssertions>();
        run.record(site, condition, step);
        if !site.kind.is_violation(condition) {
            return false;
        }
        run.violation_count = run.violation_count.saturating_add(1);
        if run.first_violation.is_some() {
            return false;
        }
        run.first_violation = Some(Violation {
            kind: site.kind,
            message: site.message.to_owned(),
            site: site.location(),
            time: now,
            details: Vec::new(),
        });
        true
    });
    if first != Some(true) {
        return;
    }
    VIOLATION_PENDING.with(|pending| pending.set(true));
    let details = details();
    try_with_world(|world| {
        if let Some(violation) = &mut world.extension::<RunAssertions>().first_violation {
            violation.details = details;
        }
    });
}

/// The first violation of the iteration running on this thread, if any.
///
/// Cheap enough to call after every step: when nothing was violated it reads
/// one thread-local flag and does not touch the world. Returns `None` outside a
/// simulation.
///
/// # Examples
///
/// ```
/// use tidepool::{assertions, sim::Sim};
///
/// let run = Sim::new(7).run(async {
///     assert!(assertions::first_violation().is_none());
///     tidepool::assert_always!(1 + 1 == 3, "arithmetic holds", left = 1 + 1);
///     assertions::first_violation()
/// });
/// let violation = run.outcome.unwrap().unwrap();
/// assert_eq!(violation.message, "arithmetic holds");
/// assert_eq!(violation.details[0].value, "2");
/// ```
pub fn first_violation() -> Option<Violation> {
    if !VIOLATION_PENDING.with(Cell::get) {
        return None;
    }
    let found = try_with_world(|world| world.extension::<RunAssertions>().first_violation.clone());
    if let Some(None) = found {
        VIOLATION_PENDING.with(|pending| pending.set(false));
    }
    found.flatten()
}

/// Takes the assertion counts and violations of the iteration running on this
/// thread, leaving the world's counts empty.
///
/// Call it inside the running world, at the end of an iteration; the world's
/// counts are dropped with the world otherwise. Outside a simulation it returns
/// empty results.
///
/// # Examples
///
/// ```
/// use tidepool::{assertions, sim::Sim};
///
/// let run = Sim::new(1).run(async {
///     for n in 0..4 {
///         tidepool::assert_sometimes!(n % 2 == 0, "even numbers happen");
///     }
///     assertions::take_run_results()
/// });
/// let results = run.outcome.unwrap();
/// let (site, counts) = results.evaluated().next().unwrap();
/// assert_eq!(site.message, "even numbers happen");
/// assert_eq!((counts.true_count, counts.false_count), (2, 2));
/// assert!(results.first_violation().is_none());
/// ```
pub fn take_run_results() -> RunAssertions {
    VIOLATION_PENDING.with(|pending| pending.set(false));
    try_with_world(|world| std::mem::take(world.extension::<RunAssertions>())).unwrap_or_default()
}
