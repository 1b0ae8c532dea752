//! How a simulator reaches its world from this crate's macros and handles.
//!
//! Not a public API: the `tidepool` crate installs [`Hooks`] once per process,
//! when it starts its first simulation, and builds simulated
//! [`JoinHandle`](crate::providers::JoinHandle)s from [`SimulatedTask`]s.
//! Names here may change in any release.
//!
//! The hooks are plain function pointers and hold no state of a run: each one
//! finds the world running on the calling thread, which the simulator keeps in
//! its own thread-local. Without the `simulation` feature nothing is ever
//! consulted, and every caller takes its production path at compile time.

use std::any::Any;
use std::fmt;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use crate::assertions::{AssertionSite, Detail};
use crate::buggify::BuggifySite;
use crate::providers::JoinError;

/// The functions through which this crate reaches the world running on the
/// calling thread.
///
/// The assertion and buggify hooks are called only while
/// [`in_simulation`](Hooks::in_simulation) holds; the shared-state hooks are
/// called whenever `SharedState` is used, and panic, naming the operation, when
/// no simulation runs on the thread.
#[derive(Debug)]
pub struct Hooks {
    /// Whether a simulation runs on this thread.
    pub in_simulation: fn() -> bool,
    /// Records one evaluation of an assertion site; the closure renders its
    /// details, and is called at most once, outside any borrow of the world.
    pub record_assertion: fn(&'static AssertionSite, bool, &mut dyn FnMut() -> Vec<Detail>),
    /// Decides one call of a buggify site with the given fire probability.
    pub buggify: fn(&'static BuggifySite, f64) -> bool,
    /// Draws the first branch to poll among this many, or `None` when no world
    /// can be reached.
    pub first_branch: fn(usize) -> Option<usize>,
    /// Calls the visitor with the shared-state slot of a key (`None` when
    /// empty). Arguments: the operation for panic messages, the key, the visitor.
    pub state_read: fn(&'static str, &str, &mut StateVisitor<'_>),
    /// Stores a value in the slot of a key, replacing what was there.
    pub state_write: fn(&'static str, &str, Box<dyn Any>),
    /// Takes the value out of the slot of a key.
    pub state_take: fn(&'static str, &str) -> Option<Box<dyn Any>>,
}

/// What [`Hooks::state_read`] calls with a slot's value (`None` when empty).
pub type StateVisitor<'a> = dyn FnMut(Option<&dyn Any>) + 'a;

static INSTALLED: OnceLock<&'static Hooks> = OnceLock::new();

/// Installs `hooks` for the rest of the process. Installing the same hooks
/// again does nothing.
///
/// # Panics
///
/// When other hooks were installed before: two simulators (two versions of
/// `tidepool`) in one program.
pub fn install(hooks: &'static Hooks) {
    let installed = INSTALLED.get_or_init(|| hooks);
    assert!(
        std::ptr::eq(*installed, hooks),
        "tidepool: two simulators installed their hooks in one program; link one version of tidepool"
    );
}

/// The installed hooks; always `None` without the `simulation` feature.
#[inline(always)]
pub(crate) fn installed() -> Option<&'static Hooks> {
    if cfg!(feature = "simulation") {
        INSTALLED.get().copied()
    } else {
        None
    }
}

/// Whether a simulation runs on this thread; always `false` without the
/// `simulation` feature.
#[inline(always)]
pub fn in_simulation() -> bool {
    installed().is_some_and(|hooks| (hooks.in_simulation)())
}

/// The installed hooks, for an operation that needs a running simulation.
///
/// # Panics
///
/// When none are installed, with the message the simulator gives when no
/// simulation runs on the thread.
pub(crate) fn require(operation: &str) -> &'static Hooks {
    match installed() {
        Some(hooks) => hooks,
        None => no_simulation(operation),
    }
}

#[cold]
#[inline(never)]
fn no_simulation(operation: &str) -> ! {
    panic!(
        "tidepool: `{operation}` needs a running simulation, but none runs on this thread; \
         call it from code driven by `Sim::run` or `SimulationBuilder::run`, or use the tokio providers"
    )
}

/// A task of a simulation, as a [`JoinHandle`](crate::providers::JoinHandle)
/// holds it: the simulator implements it for its own handle.
pub trait SimulatedTask<T>: Send + Sync + fmt::Debug {
    /// Polls for the task's output; as `Future::poll`.
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>>;

    /// Stops the task (see [`JoinHandle::abort`](crate::providers::JoinHandle::abort)).
    fn abort(&self);
}
