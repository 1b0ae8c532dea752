//! The thread-local slot that holds the running world.
//!
//! One thread runs at most one world. Provider calls reach it through
//! [`with_world`]; wakers reach the ready queue through [`wake_task`] without
//! touching the world, so a waker may fire while the world is borrowed.

use std::cell::{Cell, RefCell};

use super::world::World;

/// The ready queue and per-slot wake state, apart from the world so that wakers
/// never need the world's borrow.
pub(crate) struct Sched {
    /// Tag of the world running on this thread; wakers of other worlds are ignored.
    pub(crate) tag: u16,
    /// Task slots ready to be polled, in wake order (the executor picks among them at random).
    pub(crate) ready: Vec<u32>,
    /// Per task slot: generation (low 16 bits) and whether it sits in `ready`.
    pub(crate) slots: Vec<SlotWake>,
}

#[derive(Clone, Copy, Default)]
pub(crate) struct SlotWake {
    pub(crate) generation: u16,
    pub(crate) queued: bool,
}

struct ThreadContext {
    world: RefCell<Option<Box<World>>>,
    sched: RefCell<Sched>,
    in_sim: Cell<bool>,
}

thread_local! {
    static CONTEXT: ThreadContext = const {
        ThreadContext {
            world: RefCell::new(None),
            sched: RefCell::new(Sched { tag: 0, ready: Vec::new(), slots: Vec::new() }),
            in_sim: Cell::new(false),
        }
    };
}

/// Runs `f` with the world of this thread.
///
/// # Panics
///
/// When no simulation runs on this thread, with a message naming `operation`.
#[inline]
pub(crate) fn with_world<R>(operation: &str, f: impl FnOnce(&mut World) -> R) -> R {
    CONTEXT.with(|context| {
        let Ok(mut slot) = context.world.try_borrow_mut() else {
            panic!("tidepool: `{operation}` re-entered the simulated world; this is a tidepool bug")
        };
        match slot.as_deref_mut() {
            Some(world) => f(world),
            None => panic!(
                "tidepool: `{operation}` needs a running simulation, but none runs on this thread; \
                 call it from code driven by `Sim::run` or `SimulationBuilder::run`, or use the tokio providers"
            ),
        }
    })
}

/// Runs `f` with the world when one runs on this thread and is not borrowed.
#[inline]
pub(crate) fn try_with_world<R>(f: impl FnOnce(&mut World) -> R) -> Option<R> {
    CONTEXT.with(|context| {
        let mut slot = context.world.try_borrow_mut().ok()?;
        slot.as_deref_mut().map(f)
    })
}

/// Whether a simulation runs on this thread.
pub fn in_simulation() -> bool {
    CONTEXT.with(|context| context.in_sim.get())
}

#[inline]
pub(crate) fn with_sched<R>(f: impl FnOnce(&mut Sched) -> R) -> R {
    CONTEXT.with(|context| f(&mut context.sched.borrow_mut()))
}

/// Installs `world` as this thread's world.
///
/// # Panics
///
/// When a simulation already runs on this thread.
pub(crate) fn install(world: Box<World>, tag: u16) {
    CONTEXT.with(|context| {
        let mut slot = context.world.borrow_mut();
        assert!(
            slot.is_none() && !context.in_sim.get(),
            "tidepool: a simulation is already running on this thread; \
             a simulation cannot start inside another (run it on another thread, or after the first returns)"
        );
        *slot = Some(world);
        context.in_sim.set(true);
        let mut sched = context.sched.borrow_mut();
        sched.tag = tag;
        sched.ready.clear();
        sched.slots.clear();
    });
}

/// Removes this thread's world.
pub(crate) fn uninstall() -> Option<Box<World>> {
    CONTEXT.with(|context| {
        context.in_sim.set(false);
        let mut sched = context.sched.borrow_mut();
        sched.tag = 0;
        sched.ready.clear();
        sched.slots.clear();
        context.world.borrow_mut().take()
    })
}

/// Marks the task in `slot` ready, when the waker's world and generation still hold.
#[inline]
pub(crate) fn wake_task(tag: u16, generation: u16, slot: u32) {
    CONTEXT.with(|context| {
        let Ok(mut sched) = context.sched.try_borrow_mut() else {
            return;
        };
        if sched.tag != tag {
            return;
        }
        let Some(state) = sched.slots.get_mut(slot as usize) else {
            return;
        };
        if state.generation != generation || state.queued {
            return;
        }
        state.queued = true;
        sched.ready.push(slot);
    })
}
