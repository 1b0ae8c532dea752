//! `buggify!()`: fault injection written into the code under test.
//!
//! A `buggify!()` call site is a place where the code may misbehave on purpose
//! (a short read, a dropped cache entry, a slow path) to explore paths a calm
//! run never takes:
//!
//! ```
//! fn flush_batch(batch: &mut Vec<u32>) -> usize {
//!     // Sometimes flush only part of the batch, as a full disk would.
//!     let count = if tidepool::buggify!() { batch.len() / 2 } else { batch.len() };
//!     batch.drain(..count).count()
//! }
//! assert_eq!(flush_batch(&mut vec![1, 2, 3, 4]), 4); // outside a simulation: never fires
//! ```
//!
//! In a simulation, the first time a site is reached in a run (one seed) it is
//! activated with probability [`BUGGIFY_ACTIVATION_PROBABILITY`], drawn from the
//! world's RNG; an active site then fires on each call with its own probability
//! ([`BUGGIFY_FIRE_PROBABILITY_DEFAULT`] for `buggify!()`). So one seed stresses
//! a few sites hard and leaves the others alone, and the same seed makes the
//! same decisions.
//!
//! Outside a simulation `buggify!()` is `false`, and costs one thread-local
//! flag check: it can stay in production code.

use linkme::distributed_slice;

use crate::sim::{in_simulation, try_with_world};

/// The probability that a site is active for a run, drawn on its first reach.
pub const BUGGIFY_ACTIVATION_PROBABILITY: f64 = 0.25;

/// The probability that an active `buggify!()` site fires on one call.
pub const BUGGIFY_FIRE_PROBABILITY_DEFAULT: f64 = 0.25;

/// True, rarely, in a simulation: at an active site, with probability
/// [`BUGGIFY_FIRE_PROBABILITY_DEFAULT`] per call. Always `false` outside a
/// simulation.
///
/// See the [module documentation](mod@crate::buggify).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let delay_ms = if tidepool::buggify!() { 500 } else { 5 };
/// assert_eq!(delay_ms, 5); // outside a simulation
/// ```
#[macro_export]
macro_rules! buggify {
    () => {
        $crate::buggify_with_prob!($crate::buggify::BUGGIFY_FIRE_PROBABILITY_DEFAULT)
    };
}

/// As [`buggify!`], but an active site fires with `probability` per call
/// (clamped to `0.0..=1.0`; `NaN` never fires). Site activation still uses
/// [`BUGGIFY_ACTIVATION_PROBABILITY`].
///
/// # Examples
///
/// ```
/// use tidepool::sim::Sim;
///
/// // With a fire probability of 1, an active site fires on every call.
/// let run = Sim::new(3).run(async {
///     let calls: Vec<bool> = (0..10).map(|_| tidepool::buggify_with_prob!(1.0)).collect();
///     calls
/// });
/// let calls = run.outcome.unwrap();
/// assert!(calls.iter().all(|&fired| fired) || calls.iter().all(|&fired| !fired));
/// ```
#[macro_export]
macro_rules! buggify_with_prob {
    ($probability:expr) => {{
        #[$crate::__private::linkme::distributed_slice($crate::__private::BUGGIFY_SITES)]
        #[linkme(crate = $crate::__private::linkme)]
        static SITE: $crate::buggify::BuggifySite = $crate::buggify::BuggifySite {
            file: ::core::file!(),
            line: ::core::line!(),
            column: ::core::column!(),
        };
        $crate::__private::buggify_at(&SITE, $probability)
    }};
}

/// One `buggify!()` call in the source, registered when the program starts.
///
/// The macros build these as statics; a program never needs to.
#[derive(Debug)]
pub struct BuggifySite {
    /// The source file, as `file!()` gives it.
    pub file: &'static str,
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1.
    pub column: u32,
}

/// Every `buggify!()` call linked into the program, in link order.
#[doc(hidden)]
#[distributed_slice]
pub static BUGGIFY_SITES: [BuggifySite];

/// Every `buggify!()` site linked into the program, reached or not, in link order.
pub fn sites() -> &'static [BuggifySite] {
    &BUGGIFY_SITES
}

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

/// Decides one call of `site`. Called by the buggify macros.
#[doc(hidden)]
#[inline(always)]
pub fn buggify_at(site: &'static BuggifySite, probability: f64) -> bool {
    if !in_simulation() {
        return false;
    }
    decide(site, probability)
}

#[inline(never)]
fn decide(site: &'static BuggifySite, probability: f64) -> bool {
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
