//! The thread-local slot that holds the running world.
//!
//! One thread runs at most one world. Provider calls reach it through
//! [`with_world`]; wakers reach the ready queue through [`wake_task`] without
//! touching the world, so a waker may fire while the world is borrowed.

use std::cell::Cell;

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

/// The thread's simulation state. Only `Cell`s of plain values: the thread-local
/// then needs neither lazy initialisation nor a destructor, and every access is
/// one load from the thread's segment (the executor makes several per poll).
struct ThreadContext {
    /// The installed world, owned by `install`/`uninstall` (a leaked `Box`).
    world: Cell<*mut World>,
    /// Whether a `with_world` closure holds the world right now.
    world_borrowed: Cell<bool>,
    /// The ready queue, owned like the world.
    sched: Cell<*mut Sched>,
    sched_borrowed: Cell<bool>,
    in_sim: Cell<bool>,
}

thread_local! {
    static CONTEXT: ThreadContext = const {
        ThreadContext {
            world: Cell::new(std::ptr::null_mut()),
            world_borrowed: Cell::new(false),
            sched: Cell::new(std::ptr::null_mut()),
            sched_borrowed: Cell::new(false),
            in_sim: Cell::new(false),
        }
    };
}

/// Clears a borrow flag when its borrow ends, by return or by unwinding.
struct Release<'a>(&'a Cell<bool>);

impl Drop for Release<'_> {
    #[inline]
    fn drop(&mut self) {
        self.0.set(false);
    }
}

/// Runs `f` with the world of this thread.
///
/// # Panics
///
/// When no simulation runs on this thread, with a message naming `operation`.
#[inline]
pub(crate) fn with_world<R>(operation: &str, f: impl FnOnce(&mut World) -> R) -> R {
    // Two small thread-local accesses around `f` rather than `f` inside one:
    // the compiler then inlines both at every call site, whatever `f` holds
    // (one `LocalKey::with` around a large `f` was left as a call).
    let world = CONTEXT.with(|context| {
        let world = context.world.get();
        if world.is_null() {
            no_world(operation);
        }
        if context.world_borrowed.replace(true) {
            re_entered(operation);
        }
        world
    });
    let _release = ReleaseWorld;
    // SAFETY: the pointer comes from the `Box` that `install` leaked and
    // `uninstall` reclaims; the flag makes this the only reference to it.
    f(unsafe { &mut *world })
}

/// Clears the world's borrow flag when a `with_world` ends, by return or by
/// unwinding.
struct ReleaseWorld;

impl Drop for ReleaseWorld {
    #[inline]
    fn drop(&mut self) {
        CONTEXT.with(|context| context.world_borrowed.set(false));
    }
}

#[cold]
#[inline(never)]
fn no_world(operation: &str) -> ! {
    panic!(
        "tidepool: `{operation}` needs a running simulation, but none runs on this thread; \
         call it from code driven by `Sim::run` or `SimulationBuilder::run`, or use the tokio providers"
    )
}

#[cold]
#[inline(never)]
fn re_entered(operation: &str) -> ! {
    panic!("tidepool: `{operation}` re-entered the simulated world; this is a tidepool bug")
}

/// Runs `f` with the world when one runs on this thread and is not borrowed.
#[inline]
pub(crate) fn try_with_world<R>(f: impl FnOnce(&mut World) -> R) -> Option<R> {
    CONTEXT.with(|context| {
        let world = context.world.get();
        if world.is_null() || context.world_borrowed.replace(true) {
            return None;
        }
        let _release = Release(&context.world_borrowed);
        // SAFETY: as in `with_world`.
        Some(f(unsafe { &mut *world }))
    })
}

/// Whether a simulation runs on this thread.
pub fn in_simulation() -> bool {
    CONTEXT.with(|context| context.in_sim.get())
}

/// Runs `f` with the ready queue.
///
/// # Panics
///
/// Outside a simulation, or when `f` re-enters it (a tidepool bug).
#[inline]
pub(crate) fn with_sched<R>(f: impl FnOnce(&mut Sched) -> R) -> R {
    CONTEXT.with(|context| {
        let sched = context.sched.get();
        assert!(!sched.is_null(), "tidepool: no ready queue on this thread");
        assert!(
            !context.sched_borrowed.replace(true),
            "tidepool: the ready queue was re-entered"
        );
        let _release = Release(&context.sched_borrowed);
        // SAFETY: owned by the installed world's run; the flag makes this the only reference.
        f(unsafe { &mut *sched })
    })
}

/// Installs `world` as this thread's world.
///
/// # Panics
///
/// When a simulation already runs on this thread.
pub(crate) fn install(world: Box<World>, tag: u16) {
    CONTEXT.with(|context| {
        assert!(
            context.world.get().is_null() && !context.in_sim.get(),
            "tidepool: a simulation is already running on this thread; \
             a simulation cannot start inside another (run it on another thread, or after the first returns)"
        );
        context.world.set(Box::into_raw(world));
        context.in_sim.set(true);
        let sched = Box::new(Sched {
            tag,
            ready: Vec::new(),
            slots: Vec::new(),
        });
        context.sched.set(Box::into_raw(sched));
    });
}

/// Removes this thread's world.
///
/// # Panics
///
/// While the world or the ready queue is borrowed (a tidepool bug).
pub(crate) fn uninstall() -> Option<Box<World>> {
    CONTEXT.with(|context| {
        assert!(
            !context.world_borrowed.get() && !context.sched_borrowed.get(),
            "tidepool: the world was uninstalled while in use"
        );
        context.in_sim.set(false);
        let sched = context.sched.replace(std::ptr::null_mut());
        if !sched.is_null() {
            // SAFETY: leaked by `install`; no borrow is live (checked above).
            drop(unsafe { Box::from_raw(sched) });
        }
        let world = context.world.replace(std::ptr::null_mut());
        // SAFETY: leaked by `install`; no borrow is live (checked above).
        (!world.is_null()).then(|| unsafe { Box::from_raw(world) })
    })
}

/// Marks the task in `slot` ready, when the waker's world and generation still hold.
#[inline]
pub(crate) fn wake_task(tag: u16, generation: u16, slot: u32) {
    CONTEXT.with(|context| {
        let sched = context.sched.get();
        if sched.is_null() || context.sched_borrowed.get() {
            return;
        }
        // SAFETY: owned by the installed world's run, and not borrowed (checked
        // above); nothing below calls out, so no other reference can appear.
        let sched = unsafe { &mut *sched };
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
