//! Spawning tasks, awaiting and aborting them, and yielding.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use tidepool_core::hooks::SimulatedTask;

use super::context::{try_with_world, with_world};
use super::host::HostId;
use super::tasks::{TaskCell, TaskName, TaskState};
use crate::providers::JoinError;

/// Spawns `future` as a task named `name` on the host of the calling task.
///
/// The task starts at the next scheduling pick; among ready tasks the executor
/// picks at random, from the world's seed. The task belongs to the caller's host:
/// when that host is killed, the task is dropped with it.
///
/// # Panics
///
/// Outside a running simulation.
///
/// # Examples
///
/// ```
/// use tidepool::sim::{self, Sim};
///
/// let run = Sim::new(7).run(async {
///     let child = sim::spawn("child", async { 40 + 2 });
///     child.await.unwrap()
/// });
/// assert_eq!(run.outcome.unwrap(), 42);
/// ```
#[track_caller]
pub fn spawn<F>(name: impl Into<TaskName>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let site = std::panic::Location::caller();
    let task = TaskCell::boxed(future);
    let name = name.into();
    with_world("spawn", |world| {
        let owner = world.current_host();
        let (slot, generation) = world.spawn(name, owner, task, site);
        JoinHandle::new(world.id, slot, generation)
    })
}

/// Spawns `future` as a task of `host` (see [`spawn`]).
///
/// # Panics
///
/// Outside a running simulation, or when `host` does not exist.
#[track_caller]
pub fn spawn_on<F>(host: HostId, name: impl Into<TaskName>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let site = std::panic::Location::caller();
    let task = TaskCell::boxed(future);
    let name = name.into();
    with_world("spawn_on", |world| {
        assert!(
            (host.0 as usize) < world.hosts.list.len(),
            "tidepool: spawn_on: host {} does not exist in this world",
            host.0
        );
        let (slot, generation) = world.spawn(name, host.0, task, site);
        JoinHandle::new(world.id, slot, generation)
    })
}

/// An owned permission to await a task's output.
///
/// Dropping the handle detaches the task: it keeps running. [`JoinHandle::abort`]
/// stops it at once. The handle is a small `Send` id; awaiting it in another
/// world than the one that spawned the task panics with a message saying so.
#[must_use = "dropping a JoinHandle detaches the task; await it or call abort"]
pub struct JoinHandle<T> {
    world: u64,
    slot: u32,
    generation: u32,
    _output: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle")
            .field("slot", &self.slot)
            .finish()
    }
}

impl<T> JoinHandle<T> {
    fn new(world: u64, slot: u32, generation: u32) -> JoinHandle<T> {
        JoinHandle {
            world,
            slot,
            generation,
            _output: PhantomData,
        }
    }

    /// Stops the task: its future is dropped without another poll, and awaiting
    /// the handle gives [`JoinError::Cancelled`]. A task that already finished keeps
    /// its output.
    pub fn abort(&self) {
        let leftover = try_with_world(|world| {
            if world.id != self.world {
                return None;
            }
            world.tasks.get_mut(self.slot, self.generation)?;
            world.abort_task(self.slot)
        });
        drop(leftover);
    }

    /// Whether the task has ended (finished, panicked or was aborted).
    pub fn is_finished(&self) -> bool {
        try_with_world(|world| {
            world.id == self.world
                && world
                    .tasks
                    .get_mut(self.slot, self.generation)
                    .is_some_and(|entry| !matches!(entry.stage, TaskState::Live(_)))
        })
        .unwrap_or(false)
    }
}

impl<T: 'static> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let ended = with_world("JoinHandle::poll", |world| {
            assert!(
                world.id == this.world,
                "tidepool: a JoinHandle was awaited in another simulation than the one that spawned its task; \
                 a task's handle is valid only in its own world"
            );
            let Some(entry) = world.tasks.get_mut(this.slot, this.generation) else {
                panic!("tidepool: a JoinHandle was polled after it returned its output");
            };
            if matches!(entry.stage, TaskState::Live(_)) {
                match &entry.join_waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    _ => entry.join_waker = Some(cx.waker().clone()),
                }
                return None;
            }
            let name = entry.name.to_string();
            entry.has_handle = false;
            Some((name, world.free_task(this.slot)))
        });
        let Some((task, state)) = ended else {
            return Poll::Pending;
        };
        // Mark the handle spent so that its drop does not touch the reused slot.
        this.world = 0;
        Poll::Ready(match state {
            TaskState::Finished(mut cell) => {
                let mut output: Option<T> = None;
                // SAFETY: the cell was created by `spawn` for a future whose output is `T`.
                unsafe { cell.take_output(&mut output as *mut Option<T> as *mut ()) };
                output.ok_or(JoinError::Cancelled { task })
            }
            TaskState::Panicked(message) => Err(JoinError::Panicked { task, message }),
            _ => Err(JoinError::Cancelled { task }),
        })
    }
}

/// The simulated task behind a provider's
/// [`JoinHandle`](crate::providers::JoinHandle).
impl<T: 'static> SimulatedTask<T> for JoinHandle<T> {
    fn poll_join(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, JoinError>> {
        Pin::new(self).poll(cx)
    }

    fn abort(&self) {
        JoinHandle::abort(self);
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let leftover = try_with_world(|world| {
            if world.id != self.world {
                return None;
            }
            let entry = world.tasks.get_mut(self.slot, self.generation)?;
            entry.has_handle = false;
            entry.join_waker = None;
            if matches!(entry.stage, TaskState::Live(_)) {
                return None;
            }
            Some(world.free_task(self.slot))
        });
        drop(leftover);
    }
}

/// Lets the other ready tasks run before this one goes on.
///
/// The next task is picked at random among the ready ones, this one included,
/// so a yield is a scheduling point that the seed explores.
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
