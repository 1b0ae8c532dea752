//! The hooks through which `tidepool_core`'s macros and handles reach the
//! world running on the calling thread.
//!
//! Installed once per process, when the first world starts ([`install`]);
//! they are plain functions and keep nothing of a run: the world stays in the
//! thread-local of [`sim`](crate::sim).

use tidepool_core::hooks::Hooks;

use crate::{assertions, buggify, runner, sim};

static HOOKS: Hooks = Hooks {
    in_simulation: sim::in_simulation,
    record_assertion: assertions::run::record_assertion,
    buggify: buggify::decide,
    first_branch,
    state_read: runner::state_slots::read,
    state_write: runner::state_slots::write,
    state_take: runner::state_slots::take,
};

/// Installs the hooks; called by every world before it runs user code.
pub(crate) fn install() {
    tidepool_core::hooks::install(&HOOKS);
}

/// The first branch of a select: a draw from the world's RNG, or `None` when no
/// world can be reached (none runs, or it is borrowed).
fn first_branch(branches: usize) -> Option<usize> {
    sim::try_with_world(|world| world.random_below(branches as u64) as usize)
}
