//! `buggify!()`: fault injection written into the code under test.
//!
//! The macros, their sites and probabilities are `tidepool_core`'s (re-exported
//! here), so production code uses them without this crate, where `buggify!()`
//! is `false`. This module decides the sites inside a simulation and counts
//! what they did:
//!
//! ```
//! use tidepool::sim::Sim;
//!
//! // With a fire probability of 1, an active site fires on every call.
//! let run = Sim::new(3).run(async {
//!     let calls: Vec<bool> = (0..10).map(|_| tidepool::buggify_with_prob!(1.0)).collect();
//!     calls
//! });
//! let calls = run.outcome.unwrap();
//! assert!(calls.iter().all(|&fired| fired) || calls.iter().all(|&fired| !fired));
//! ```
//!
//! In a simulation, the first time a site is reached in a run (one seed) it is
//! activated with probability [`BUGGIFY_ACTIVATION_PROBABILITY`], drawn from the
//! world's RNG; an active site then fires on each call with its own probability
//! ([`BUGGIFY_FIRE_PROBABILITY_DEFAULT`] for `buggify!()`). So one seed stresses
//! a few sites hard and leaves the others alone, and the same seed makes the
//! same decisions.

pub use tidepool_core::buggify::{
    BUGGIFY_ACTIVATION_PROBABILITY, BUGGIFY_FIRE_PROBABILITY_DEFAULT, BuggifySite, sites,
};

use crate::sim::try_with_world;

fn site_id(site: &'static BuggifySite) -> usize {
    let all = sites();
    let offset = site as *const BuggifySite as usize - all.as_ptr() as usize;
    let id = offset / size_of::<BuggifySite>();
    debug_assert!(id < all.len(), "a buggify site outside the registry");
    debug_assert!(std::ptr::eq(&all[id], site));
    id
}

/// What one `buggify!()` site did in one run.
#[derive(Clone, Copy, Debug)]
pub struct BuggifyCounts {
    /// The site.
    pub site: &'static BuggifySite,
    /// Whether the site was activated for the run.
    pub active: bool,
    /// How many times it was called.
    pub calls: u64,
    /// How many calls returned `true`.
    pub fires: u64,
}

#[derive(Clone, Copy, Default)]
struct SiteRun {
    active: Option<bool>,
    calls: u64,
    fires: u64,
}

/// The buggify state of one world, per site id.
#[derive(Default)]
struct RunBuggify {
    sites: Vec<SiteRun>,
}

/// Decides one call of `site` in the world running on this thread: the
/// buggify hook, called by `tidepool_core`'s macros inside a simulation.
pub(crate) fn decide(site: &'static BuggifySite, probability: f64) -> bool {
    let id = site_id(site);
    try_with_world(|world| {
        let state = world.extension::<RunBuggify>();
        if state.sites.len() <= id {
            state.sites.resize(sites().len(), SiteRun::default());
        }
        let known = state.sites[id].active;
        let active = known.unwrap_or_else(|| world.random_bool(BUGGIFY_ACTIVATION_PROBABILITY));
        let fired = active && world.random_bool(probability);
        let run = &mut world.extension::<RunBuggify>().sites[id];
        run.active = Some(active);
        run.calls = run.calls.saturating_add(1);
        run.fires = run.fires.saturating_add(u64::from(fired));
        fired
    })
    .unwrap_or(false)
}

/// Takes what each `buggify!()` site did in the run on this thread: the sites
/// reached, in link order, with their activation and counts. The next call of a
/// site draws its activation anew.
///
/// Call it inside the running world; outside a simulation it returns nothing.
///
/// # Examples
///
/// ```
/// use tidepool::{buggify, sim::Sim};
///
/// let run = Sim::new(9).run(async {
///     for _ in 0..100 {
///         let _ = tidepool::buggify!();
///     }
///     buggify::take_run_counts()
/// });
/// let counts = run.outcome.unwrap();
/// assert_eq!(counts.len(), 1);
/// assert_eq!(counts[0].calls, 100);
/// assert!(counts[0].active || counts[0].fires == 0);
/// ```
pub fn take_run_counts() -> Vec<BuggifyCounts> {
    let taken = try_with_world(|world| std::mem::take(world.extension::<RunBuggify>()));
    let Some(taken) = taken else {
        return Vec::new();
    };
    taken
        .sites
        .iter()
        .zip(sites())
        .filter_map(|(run, site)| {
            Some(BuggifyCounts {
                site,
                active: run.active?,
                calls: run.calls,
                fires: run.fires,
            })
        })
        .collect()
}
