//! `buggify!()`: fault injection written into the code under test.
//!
//! A `buggify!()` call site is a place where the code may misbehave on purpose
//! (a short read, a dropped cache entry, a slow path) to explore paths a calm
//! run never takes:
//!
//! ```
//! fn flush_batch(batch: &mut Vec<u32>) -> usize {
//!     // Sometimes flush only part of the batch, as a full disk would.
//!     let count = if tidepool_core::buggify!() { batch.len() / 2 } else { batch.len() };
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
//! Outside a simulation `buggify!()` is `false`. In a build without the
//! `simulation` feature it is the constant `false`, decided when this crate is
//! compiled, so the optimizer removes the branch it guards; with the feature,
//! outside a simulation, it costs one check of the installed hooks.

use linkme::distributed_slice;

use crate::hooks;

/// The probability that a site is active for a run, drawn on its first reach.
pub const BUGGIFY_ACTIVATION_PROBABILITY: f64 = 0.25;

/// The probability that an active `buggify!()` site fires on one call.
pub const BUGGIFY_FIRE_PROBABILITY_DEFAULT: f64 = 0.25;

/// True, rarely, in a simulation: at an active site, with probability
/// [`BUGGIFY_FIRE_PROBABILITY_DEFAULT`] per call. Always `false` outside a
/// simulation, and the constant `false` in a build without the `simulation`
/// feature.
///
/// See the [module documentation](mod@crate::buggify).
///
/// # Examples
///
/// ```
/// let delay_ms = if tidepool_core::buggify!() { 500 } else { 5 };
/// assert_eq!(delay_ms, 5); // outside a simulation
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! __buggify {
    () => {
        $crate::buggify_with_prob!($crate::buggify::BUGGIFY_FIRE_PROBABILITY_DEFAULT)
    };
}

/// As [`buggify!`](crate::buggify!), but an active site fires with
/// `probability` per call (clamped to `0.0..=1.0`; `NaN` never fires). Site
/// activation still uses [`BUGGIFY_ACTIVATION_PROBABILITY`].
///
/// # Examples
///
/// ```
/// // Outside a simulation even a certain site never fires.
/// let calls: Vec<bool> = (0..10).map(|_| tidepool_core::buggify_with_prob!(1.0)).collect();
/// assert!(calls.iter().all(|&fired| !fired));
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
///
/// # Examples
///
/// ```
/// fn maybe_slow() -> bool {
///     tidepool_core::buggify!()
/// }
/// assert!(!maybe_slow());
/// assert!(tidepool_core::buggify::sites().iter().any(|site| site.file.ends_with(".rs")));
/// ```
pub fn sites() -> &'static [BuggifySite] {
    &BUGGIFY_SITES
}

/// Decides one call of `site`. Called by the buggify macros.
///
/// Without the `simulation` feature this is `false`, decided when this crate
/// is compiled; inlined, the call and the branch it guards disappear.
#[doc(hidden)]
#[inline(always)]
pub fn buggify_at(site: &'static BuggifySite, probability: f64) -> bool {
    cfg!(feature = "simulation") && hooks::in_simulation() && decide(site, probability)
}

#[inline(never)]
fn decide(site: &'static BuggifySite, probability: f64) -> bool {
    hooks::installed().is_some_and(|hooks| (hooks.buggify)(site, probability))
}
