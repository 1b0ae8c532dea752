//! The deterministic world of one run: clock, RNG, event queue, tasks, hosts,
//! network and trace, owned by one thread.

use std::any::{Any, TypeId};
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;

use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::context::with_sched;
use super::disk::{Disks, StorageConfig};
use super::events::{EventKind, EventQueue};
use super::host::Hosts;
use super::net::Net;
use super::tasks::{RawTask, TaskName, TaskState, Tasks};
use super::timers::Timers;
use super::trace::{Trace, TraceKind};
use super::{NetworkConfig, TaskPanic};
use crate::time::Instant;

pub(crate) use tidepool_core::__private::panic_message;

static NEXT_WORLD_ID: AtomicU64 = AtomicU64::new(1);

/// What tokio says when its runtime is called from a task that no tokio
/// runtime drives, as in a simulation.
const TOKIO_OUTSIDE_RUNTIME: [&str; 2] = [
    "there is no reactor running",
    "must be called from the context of a Tokio",
];

/// `message`, with what to do instead when it is tokio's complaint that no
/// runtime drives the task: the simulation is the runtime, reached through
/// the providers.
fn with_advice(message: String) -> String {
    if !TOKIO_OUTSIDE_RUNTIME
        .iter()
        .any(|text| message.contains(text))
    {
        return message;
    }
    format!(
        "{message}\n      inside a simulation, tokio's runtime is not there: use the providers \
         instead (ctx.spawn for tokio::spawn, ctx.sleep and ctx.timeout for tokio::time, \
         ctx.bind and ctx.connect for tokio::net, ctx.storage() for tokio::fs); code \
         generic over `P: Providers` runs on tokio in production unchanged"
    )
}

/// Events of cancelled timers the queue may hold before they are dropped
/// (and at least as many as the live ones): dropping costs a pass over the queue.
const STALE_TIMER_EVENTS_MIN: usize = 8;

/// Per-run state of layers above the runtime (assertions, buggify, shared state),
/// kept in the world so that nothing outlives the run. The type id sits beside
/// the box so that a lookup compares constants instead of calling through the
/// box's vtable: assertions look theirs up on every evaluation.
pub(crate) type Extension = (TypeId, Box<dyn Any>);

pub(crate) struct World {
    pub(crate) id: u64,
    pub(crate) tag: u16,
    pub(crate) now: u64,
    pub(crate) rng: Xoshiro256PlusPlus,
    /// Tasks picked to poll so far: the number of the step in progress
    /// (from 1), where exploration branches a run.
    pub(crate) steps: u64,
    pub(crate) trace: Trace,
    pub(crate) events: EventQueue,
    pub(crate) timers: Timers,
    /// Events of cancelled timers still in the queue, where they do nothing.
    stale_timer_events: usize,
    pub(crate) tasks: Tasks,
    pub(crate) hosts: Hosts,
    pub(crate) net: Net,
    /// One disk per host that used storage; they survive the host's reboots.
    pub(crate) disks: Disks,
    /// The task being polled, and its owner host.
    pub(crate) current: Option<(u32, u32)>,
    pub(crate) panics: Vec<TaskPanic>,
    /// Futures ended while the world was borrowed, dropped by the executor
    /// once it is not (their destructors may call into the world).
    pub(crate) graveyard: Vec<Box<dyn RawTask>>,
    /// Typed per-run state of the upper layers, by type.
    pub(crate) extensions: Vec<Extension>,
}

/// What `after_poll` hands back to be dropped once the world is released.
pub(crate) type Leftover = Option<Box<dyn RawTask>>;

impl World {
    pub(crate) fn new(
        seed: u64,
        record_events: bool,
        network: NetworkConfig,
        storage: StorageConfig,
    ) -> World {
        let id = NEXT_WORLD_ID.fetch_add(1, Ordering::Relaxed);
        World {
            id,
            tag: (id % 0xfffe + 1) as u16,
            now: 0,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            steps: 0,
            trace: Trace::new(seed, record_events),
            events: EventQueue::default(),
            timers: Timers::default(),
            stale_timer_events: 0,
            tasks: Tasks::default(),
            hosts: Hosts::new(),
            net: Net::new(network),
            disks: Disks::new(storage),
            current: None,
            panics: Vec::new(),
            graveyard: Vec::new(),
            extensions: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn now(&self) -> Instant {
        Instant::from_nanos(self.now)
    }

    /// Replaces the world's randomness with a fresh stream from `seed`: a
    /// branch of the run from this point on (exploration).
    pub(crate) fn reseed(&mut self, seed: u64) {
        self.rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    }

    #[inline]
    pub(crate) fn random_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// A uniform draw in `0..n` (Lemire's multiply-shift; `n > 0`).
    #[inline]
    pub(crate) fn random_below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((self.rng.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// True with probability `p` (clamped to 0..=1).
    #[inline]
    pub(crate) fn random_bool(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        let unit = (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        unit < p
    }

    /// Records a draw made for user code (not the scheduler's own picks,
    /// which `Poll` events cover).
    #[inline]
    pub(crate) fn record_draw(&mut self, value: u64) {
        let host = self.current_host();
        self.record(TraceKind::Draw, host, value);
    }

    #[inline]
    pub(crate) fn record(&mut self, kind: TraceKind, subject: u32, detail: u64) {
        self.trace.record(self.now, kind, subject, detail);
    }

    #[inline(always)]
    pub(crate) fn schedule(&mut self, time: u64, kind: EventKind) {
        invariant!(time >= self.now, "an event scheduled in the past");
        self.events.push(time, kind);
    }

    /// The host owning the task being polled (the root host between polls).
    #[inline]
    pub(crate) fn current_host(&self) -> u32 {
        self.current.map_or(0, |(_, owner)| owner)
    }

    pub(crate) fn spawn(
        &mut self,
        name: TaskName,
        owner: u32,
        task: Box<dyn RawTask>,
        site: &'static std::panic::Location<'static>,
    ) -> (u32, u32) {
        let (slot, generation) = self.tasks.insert(name, owner, task);
        let alive = self.hosts.get(owner).alive;
        // The wake state exists for every task slot, even one whose task ends
        // at once: freeing the slot later writes its generation there.
        with_sched(|sched| {
            let index = slot as usize;
            if sched.slots.len() <= index {
                sched.slots.resize(index + 1, Default::default());
            }
            let state = &mut sched.slots[index];
            state.generation = generation as u16;
            if alive {
                state.queued = true;
                sched.ready.push(slot);
            }
        });
        if !alive {
            // Code of a dead host (a destructor running as it dies) spawns
            // nothing that lives: the task ends before its first poll.
            if let Some(future) = self.tasks.end(slot, TaskState::Aborted) {
                self.graveyard.push(future);
            }
            self.record(TraceKind::TaskAbort, slot, owner as u64);
            return (slot, generation);
        }
        self.record(TraceKind::Spawn, slot, owner as u64);
        let name = &self.tasks.slots[slot as usize].name;
        self.trace.note_task(slot, name, site);
        (slot, generation)
    }

    /// Takes the next task to poll, picked at random among the ready ones.
    #[inline]
    pub(crate) fn pick(&mut self) -> Option<(u32, u32, Box<dyn RawTask>)> {
        loop {
            let rng = &mut self.rng;
            let (slot, wake_generation) = with_sched(|sched| {
                let ready = sched.ready.len();
                let index = match ready {
                    0 => return None,
                    1 => 0,
                    _ => ((rng.next_u64() as u128 * ready as u128) >> 64) as usize,
                };
                let slot = sched.ready.swap_remove(index);
                let state = &mut sched.slots[slot as usize];
                state.queued = false;
                Some((slot, state.generation))
            })?;
            let entry = &mut self.tasks.slots[slot as usize];
            if let TaskState::Live(future @ Some(_)) = &mut entry.stage {
                // Wakers carry the low 16 bits of the generation: a stale one
                // must never reach a task that now holds the slot.
                invariant!(
                    wake_generation == entry.generation as u16,
                    "a task slot's wake state has another generation than the slot"
                );
                let future = future.take().expect("checked by the pattern");
                let (generation, owner) = (entry.generation, entry.owner);
                self.current = Some((slot, owner));
                self.steps += 1;
                self.trace.record(self.now, TraceKind::Poll, slot, 0);
                return Some((slot, generation, future));
            }
        }
    }

    /// Files the result of a poll. Returns what must be dropped outside the borrow.
    pub(crate) fn after_poll(
        &mut self,
        slot: u32,
        result: Result<Poll<()>, Box<dyn Any + Send>>,
        future: Box<dyn RawTask>,
        panic_location: Option<String>,
    ) -> Leftover {
        self.current = None;
        let entry = &mut self.tasks.slots[slot as usize];
        match result {
            Ok(Poll::Pending) if !entry.abort_requested => {
                entry.stage = TaskState::Live(Some(future));
                None
            }
            Ok(Poll::Pending) => {
                self.tasks.end(slot, TaskState::Aborted);
                self.record(TraceKind::TaskAbort, slot, 0);
                self.release_if_unwatched(slot);
                Some(future)
            }
            Ok(Poll::Ready(())) => {
                self.tasks.end(slot, TaskState::Finished(future));
                self.record(TraceKind::TaskDone, slot, 0);
                self.finish(slot)
            }
            Err(payload) => {
                let message = with_advice(panic_message(payload.as_ref()));
                let entry = &self.tasks.slots[slot as usize];
                self.panics.push(TaskPanic {
                    task: entry.name.to_string(),
                    host: self.hosts.name(entry.owner).to_string(),
                    message: message.clone(),
                    location: panic_location,
                    time: self.now(),
                });
                self.tasks.end(slot, TaskState::Panicked(message));
                self.record(TraceKind::TaskPanic, slot, 0);
                self.release_if_unwatched(slot);
                Some(future)
            }
        }
    }

    /// After a task finished: wake its handle, or free the slot when nobody holds one.
    fn finish(&mut self, slot: u32) -> Leftover {
        let entry = &mut self.tasks.slots[slot as usize];
        if entry.has_handle {
            if let Some(waker) = entry.join_waker.take() {
                waker.wake();
            }
            return None;
        }
        match self.free_task(slot) {
            TaskState::Finished(task) => Some(task),
            _ => None,
        }
    }

    fn release_if_unwatched(&mut self, slot: u32) {
        let entry = &mut self.tasks.slots[slot as usize];
        if entry.has_handle {
            if let Some(waker) = entry.join_waker.take() {
                waker.wake();
            }
        } else {
            self.free_task(slot);
        }
    }

    pub(crate) fn free_task(&mut self, slot: u32) -> TaskState {
        let state = self.tasks.free(slot);
        let generation = self.tasks.slots[slot as usize].generation as u16;
        with_sched(|sched| sched.slots[slot as usize].generation = generation);
        state
    }

    /// Aborts one task. Returns its future, to be dropped outside the borrow.
    pub(crate) fn abort_task(&mut self, slot: u32) -> Leftover {
        let entry = &mut self.tasks.slots[slot as usize];
        if !matches!(entry.stage, TaskState::Live(_)) {
            return None;
        }
        if matches!(entry.stage, TaskState::Live(None)) {
            // Being polled right now (it aborts itself, or kills its own host):
            // the executor ends it when the poll returns.
            entry.abort_requested = true;
            return None;
        }
        let future = self.tasks.end(slot, TaskState::Aborted);
        self.record(TraceKind::TaskAbort, slot, 0);
        self.release_if_unwatched(slot);
        future
    }

    /// Aborts every live task of `host`.
    pub(crate) fn abort_host_tasks(&mut self, host: u32) -> Vec<Box<dyn RawTask>> {
        let slots: Vec<u32> = (0..self.tasks.slots.len() as u32)
            .filter(|&slot| {
                let entry = &self.tasks.slots[slot as usize];
                entry.owner == host && matches!(entry.stage, TaskState::Live(_))
            })
            .collect();
        slots
            .into_iter()
            .filter_map(|slot| self.abort_task(slot))
            .collect()
    }

    /// Fires the next event unless it lies past `deadline`.
    ///
    /// Events of cancelled timers are skipped without moving the clock: they
    /// are not there as far as the run can tell.
    pub(crate) fn fire_next_event(&mut self, deadline: u64) -> NextEvent {
        loop {
            let Some(event) = self.events.peek() else {
                return NextEvent::Empty;
            };
            if let EventKind::Timer { slot, generation } = event.kind {
                if !self.timers.is_pending(slot, generation) {
                    self.events.pop();
                    self.stale_timer_events = self.stale_timer_events.saturating_sub(1);
                    continue;
                }
            }
            if event.time > deadline {
                return NextEvent::PastDeadline;
            }
            self.events.pop();
            // The queue pops in time order, and nothing is scheduled in the
            // past: the clock never goes back (a broken heap shows here).
            invariant!(event.time >= self.now, "the clock went back");
            self.now = event.time;
            match event.kind {
                EventKind::Timer { slot, generation } => {
                    let waker = self.timers.fire(slot, generation).expect("checked pending");
                    self.trace.record(self.now, TraceKind::Timer, slot, 0);
                    waker.wake();
                }
                other => self.net_event(other),
            }
            return NextEvent::Fired;
        }
    }

    /// Cancels a timer. Its event stays queued, as a no-op, until the queue
    /// holds more such events than live ones; then they all go at once, so
    /// that a workload that arms a timeout per request (and nearly always
    /// cancels it) keeps the queue, and each push and pop, small.
    #[inline]
    pub(crate) fn cancel_timer(&mut self, slot: u32, generation: u32) {
        if !self.timers.remove(slot, generation) {
            return;
        }
        self.stale_timer_events += 1;
        if self.stale_timer_events >= STALE_TIMER_EVENTS_MIN
            && self.stale_timer_events * 2 >= self.events.len()
        {
            self.drop_stale_timer_events();
        }
    }

    #[cold]
    fn drop_stale_timer_events(&mut self) {
        let timers = &self.timers;
        self.events.retain(|kind| match *kind {
            EventKind::Timer { slot, generation } => timers.is_pending(slot, generation),
            _ => true,
        });
        self.stale_timer_events = 0;
    }

    /// Names of the tasks that are still alive, as `host/task`.
    pub(crate) fn live_task_names(&self) -> Vec<String> {
        self.tasks
            .slots
            .iter()
            .filter(|entry| matches!(entry.stage, TaskState::Live(_)))
            .map(|entry| format!("{}/{}", self.hosts.name(entry.owner), entry.name))
            .collect()
    }

    /// Takes every task's future and output out of the world, to drop them at teardown.
    pub(crate) fn drain_tasks(&mut self) -> Vec<Box<dyn RawTask>> {
        let mut drained = Vec::new();
        for slot in 0..self.tasks.slots.len() as u32 {
            let entry = &mut self.tasks.slots[slot as usize];
            match std::mem::replace(&mut entry.stage, TaskState::Aborted) {
                TaskState::Live(Some(task)) | TaskState::Finished(task) => drained.push(task),
                other => entry.stage = other,
            }
        }
        drained.append(&mut self.graveyard);
        drained
    }

    /// The extension of type `T`, created with `Default` on first use.
    #[inline]
    pub(crate) fn extension<T: Default + 'static>(&mut self) -> &mut T {
        let id = TypeId::of::<T>();
        let index = match self.extensions.iter().position(|(key, _)| *key == id) {
            Some(index) => index,
            None => self.add_extension(Box::new(T::default())),
        };
        let extension: &mut dyn Any = &mut *self.extensions[index].1;
        debug_assert!(extension.is::<T>());
        // SAFETY: the box at `index` was filed under `TypeId::of::<T>()`, so it holds a `T`.
        unsafe { &mut *(extension as *mut dyn Any as *mut T) }
    }

    #[cold]
    fn add_extension(&mut self, extension: Box<dyn Any>) -> usize {
        self.extensions.push(((*extension).type_id(), extension));
        self.extensions.len() - 1
    }
}

/// What [`World::fire_next_event`] found.
pub(crate) enum NextEvent {
    /// An event fired.
    Fired,
    /// No event is scheduled.
    Empty,
    /// The next event lies past the deadline; it stays queued.
    PastDeadline,
}
