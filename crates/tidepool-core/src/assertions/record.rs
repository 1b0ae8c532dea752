//! What an assertion macro does when it runs: nothing in production, one call
//! into the simulator inside a simulation.

use super::detail::Detail;
use super::site::AssertionSite;
use crate::hooks;

/// Counts one evaluation of `site` in the simulation running on this thread.
/// Called by the assertion macros.
///
/// Without the `simulation` feature the body is empty, decided when this
/// crate is compiled: the macro costs the evaluation of its condition and
/// nothing else (its details are never rendered). With it, outside a
/// simulation, it costs one check of the installed hooks.
///
/// `details` runs only for a violation the simulator keeps (the first of an
/// iteration), and outside any borrow of the world, so a detail's `Debug` may
/// itself use the simulation.
#[doc(hidden)]
#[inline(always)]
pub fn record_assertion(
    site: &'static AssertionSite,
    condition: bool,
    details: impl FnOnce() -> Vec<Detail>,
) {
    if cfg!(feature = "simulation") && hooks::in_simulation() {
        let mut details = Some(details);
        record_in_simulation(site, condition, &mut || {
            details.take().map_or_else(Vec::new, |render| render())
        });
    }
}

#[inline(never)]
fn record_in_simulation(
    site: &'static AssertionSite,
    condition: bool,
    details: &mut dyn FnMut() -> Vec<Detail>,
) {
    if let Some(hooks) = hooks::installed() {
        (hooks.record_assertion)(site, condition, details);
    }
}
