//! `Sim`: runs one world from a seed to the end of its main future.

use std::cell::RefCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;
use std::task::Context;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::context::{self, in_simulation, with_world};
use super::tasks::{RawTask, TaskCell, TaskState};
use super::trace::{TraceEvent, TraceNames};
use super::waker::task_waker;
use super::world::{NextEvent, World};
use super::{NetworkConfig, StorageConfig};
use crate::time::Instant;

/// Steps without the clock moving before a run is declared a livelock.
pub const IDLE_STEPS_MAX_DEFAULT: u64 = 10_000_000;

/// A deterministic world, configured: one seed, one run.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tidepool::sim::{self, Sim};
///
/// let run = Sim::new(42).run(async {
///     let waiter = sim::spawn("waiter", async {
///         sim::sleep(Duration::from_millis(5)).await;
///         sim::random_u64() % 6
///     });
///     waiter.await.unwrap()
/// });
/// let again = Sim::new(42).run(async {
///     let waiter = sim::spawn("waiter", async {
///         sim::sleep(Duration::from_millis(5)).await;
///         sim::random_u64() % 6
///     });
///     waiter.await.unwrap()
/// });
/// assert_eq!(run.outcome.unwrap(), again.outcome.unwrap());
/// assert_eq!(run.trace_hash, again.trace_hash);
/// ```
#[derive(Clone, Debug)]
pub struct Sim {
    seed: u64,
    record_events: bool,
    time_budget: Option<Duration>,
    idle_steps_max: u64,
    network: NetworkConfig,
    storage: StorageConfig,
}

/// The result of a run and what it left behind.
#[derive(Debug)]
pub struct SimRun<T> {
    /// The main future's output, or why the run stopped without one.
    pub outcome: Result<T, SimError>,
    /// The seed of the run.
    pub seed: u64,
    /// The determinism fingerprint: every pick and event folded into 64 bits.
    pub trace_hash: u64,
    /// Trace entries folded into the hash.
    pub trace_len: u64,
    /// The recorded events, when [`Sim::record_events`] asked for them.
    pub events: Option<Vec<TraceEvent>>,
    /// The tasks and hosts the recorded events name, with them.
    pub names: Option<TraceNames>,
    /// Every task panic caught during the run, in order.
    pub panics: Vec<TaskPanic>,
    /// The simulated time at the end.
    pub end_time: Instant,
    /// Task polls made.
    pub polls: u64,
}

/// A panic caught in a task: the world goes on, and the panic is reported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskPanic {
    /// The task's name.
    pub task: String,
    /// The host the task ran on.
    pub host: String,
    /// The panic message.
    pub message: String,
    /// `file:line:column` of the panic, when known.
    pub location: Option<String>,
    /// Simulated time of the panic.
    #[serde(with = "crate::core_serde::InstantDef")]
    pub time: Instant,
}

/// Why a run ended without the main future's output.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// No task can run and no event is scheduled, yet the main future is unfinished.
    #[error("deadlock at {time}: no task can run and no event is scheduled; blocked tasks: {}", blocked.join(", "))]
    Deadlock {
        /// Simulated time when the world stopped.
        time: Instant,
        /// The tasks still alive, as `host/task`.
        blocked: Vec<String>,
    },
    /// The simulated clock would pass the time budget.
    #[error("simulated time budget of {budget:?} exceeded; raise the budget or look for a task that never finishes: {}", alive.join(", "))]
    TimeBudgetExceeded {
        /// The budget.
        budget: Duration,
        /// The tasks still alive, as `host/task`.
        alive: Vec<String>,
    },
    /// Tasks kept running without the clock moving.
    #[error("livelock at {time}: {steps} polls without the clock moving; busy tasks: {}", busy.join(", "))]
    Livelock {
        /// Simulated time when the run stopped.
        time: Instant,
        /// Polls made at that time.
        steps: u64,
        /// The tasks ready at that point, as `host/task`.
        busy: Vec<String>,
    },
    /// The main future panicked.
    #[error("the main task panicked: {message}")]
    MainPanicked {
        /// The panic message.
        message: String,
    },
    /// A step hook stopped the run (the runner's invariants and watchdog use this).
    #[error("{0}")]
    Stopped(String),
}

impl Sim {
    /// A world seeded with `seed`, with a fault-free network, no event recording,
    /// no time budget, and a livelock bound of [`IDLE_STEPS_MAX_DEFAULT`] polls.
    pub fn new(seed: u64) -> Sim {
        Sim {
            seed,
            record_events: false,
            time_budget: None,
            idle_steps_max: IDLE_STEPS_MAX_DEFAULT,
            network: NetworkConfig::fault_free(),
            storage: StorageConfig::fault_free(),
        }
    }

    /// Records every trace event, not only the hash. Default: off.
    pub fn record_events(mut self, record: bool) -> Sim {
        self.record_events = record;
        self
    }

    /// Stops the run with [`SimError::TimeBudgetExceeded`] when the clock would
    /// pass `budget`. Default: no budget.
    pub fn time_budget(mut self, budget: Duration) -> Sim {
        self.time_budget = Some(budget);
        self
    }

    /// Polls allowed without the clock moving before [`SimError::Livelock`].
    /// Default: [`IDLE_STEPS_MAX_DEFAULT`].
    pub fn idle_steps_max(mut self, steps: u64) -> Sim {
        self.idle_steps_max = steps.max(1);
        self
    }

    /// The network's latencies and faults. Default: [`NetworkConfig::fault_free`].
    pub fn network(mut self, network: NetworkConfig) -> Sim {
        self.network = network;
        self
    }

    /// The disks' latencies and faults. Default: [`StorageConfig::fault_free`].
    pub fn storage(mut self, storage: StorageConfig) -> Sim {
        self.storage = storage;
        self
    }

    /// Runs `main` as the task "main" of the root host until it finishes, every
    /// other task running beside it.
    ///
    /// # Panics
    ///
    /// When a simulation already runs on this thread.
    pub fn run<F>(self, main: F) -> SimRun<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.run_with(main, |_| None, || {})
    }

    /// As [`Sim::run`], calling `on_step` after every poll (a `Some` stops the run
    /// with [`SimError::Stopped`]) and `on_end` once the run stops, while the
    /// world still holds every task.
    pub(crate) fn run_with<F>(
        self,
        main: F,
        mut on_step: impl FnMut(&StepInfo) -> Option<String>,
        on_end: impl FnOnce(),
    ) -> SimRun<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        install_panic_hook();
        crate::hooks::install();
        let world = Box::new(World::new(
            self.seed,
            self.record_events,
            self.network.clone(),
            self.storage.clone(),
        ));
        let (tag, world_id) = (world.tag, world.id);
        context::install(world, tag);
        let _installed = InstallGuard;
        let main_slot = with_world("Sim::run", |world| {
            world
                .spawn(
                    "main".into(),
                    0,
                    TaskCell::boxed(main),
                    std::panic::Location::caller(),
                )
                .0
        });
        let deadline = self.time_budget.map_or(u64::MAX, |budget| {
            u64::try_from(budget.as_nanos()).unwrap_or(u64::MAX)
        });
        let mut info = StepInfo {
            polls: 0,
            panics: 0,
            world_id,
        };
        let mut idle_steps = 0u64;
        let mut last_time = 0u64;
        let stop = loop {
            let picked = with_world("Sim::run", |world| world.pick());
            let Some((slot, generation, task)) = picked else {
                match with_world("Sim::run", |world| world.fire_next_event(deadline)) {
                    NextEvent::Fired => continue,
                    NextEvent::Empty => break Some(deadlock()),
                    NextEvent::PastDeadline => break Some(over_budget(self.time_budget)),
                }
            };
            let (now, main_done) = poll_task(tag, slot, generation, task, main_slot, &mut info);
            info.polls += 1;
            if main_done {
                break None;
            }
            if now != last_time {
                last_time = now;
                idle_steps = 0;
            }
            idle_steps += 1;
            if idle_steps > self.idle_steps_max {
                break Some(livelock(idle_steps));
            }
            if let Some(reason) = on_step(&info) {
                break Some(SimError::Stopped(reason));
            }
        };
        on_end();
        finish(self.seed, main_slot, stop, info.polls)
    }
}

/// Polls one task with the world released, files the result, and drops what
/// the poll left over (outside the borrow); returns the clock and whether the
/// main task has ended.
fn poll_task(
    tag: u16,
    slot: u32,
    generation: u32,
    mut task: Box<dyn RawTask>,
    main_slot: u32,
    info: &mut StepInfo,
) -> (u64, bool) {
    let waker = task_waker(tag, generation as u16, slot);
    let mut cx = Context::from_waker(&waker);
    let result = catch_unwind(AssertUnwindSafe(|| task.poll(&mut cx)));
    let location = result.is_err().then(take_panic_location).flatten();
    let (leftover, now, main_done, buried) = with_world("Sim::run", |world| {
        let leftover = world.after_poll(slot, result, task, location);
        let main_done = !matches!(
            world.tasks.slots[main_slot as usize].stage,
            TaskState::Live(_)
        );
        info.panics = world.panics.len();
        let buried = (!world.graveyard.is_empty()).then(|| std::mem::take(&mut world.graveyard));
        (leftover, world.now, main_done, buried)
    });
    drop_quietly(leftover);
    buried
        .into_iter()
        .flatten()
        .for_each(|task| drop_quietly(Some(task)));
    (now, main_done)
}

/// Uninstalls the world when a panic escapes the run (a tidepool bug, or a
/// waker that panics), so the thread can still run another world afterwards.
struct InstallGuard;

impl Drop for InstallGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            drop(context::uninstall());
        }
    }
}

/// What a step hook sees.
pub(crate) struct StepInfo {
    pub(crate) polls: u64,
    /// Task panics caught so far.
    pub(crate) panics: usize,
    #[allow(dead_code)]
    pub(crate) world_id: u64,
}

fn deadlock() -> SimError {
    with_world("Sim::run", |world| SimError::Deadlock {
        time: world.now(),
        blocked: world.live_task_names(),
    })
}

fn over_budget(budget: Option<Duration>) -> SimError {
    with_world("Sim::run", |world| SimError::TimeBudgetExceeded {
        budget: budget.unwrap_or_default(),
        alive: world.live_task_names(),
    })
}

fn livelock(steps: u64) -> SimError {
    with_world("Sim::run", |world| SimError::Livelock {
        time: world.now(),
        steps,
        busy: world.live_task_names(),
    })
}

/// Tears the world down: drops every task inside it (so their drops still see
/// the world), then takes the main output and the trace.
fn finish<T: 'static>(seed: u64, main_slot: u32, stop: Option<SimError>, polls: u64) -> SimRun<T> {
    let mut main_state = with_world("Sim::run", |world| {
        std::mem::replace(
            &mut world.tasks.slots[main_slot as usize].stage,
            TaskState::Aborted,
        )
    });
    if let TaskState::Live(unfinished) = main_state {
        drop_quietly(unfinished);
        main_state = TaskState::Aborted;
    }
    // Drops can spawn or wake; a bounded number of rounds empties the world.
    for _ in 0..16 {
        let drained = with_world("Sim::run", |world| world.drain_tasks());
        if drained.is_empty() {
            break;
        }
        drained
            .into_iter()
            .for_each(|task| drop_quietly(Some(task)));
    }
    let mut world = context::uninstall().expect("installed by run");
    let outcome = match (stop, main_state) {
        (Some(error), _) => Err(error),
        (None, TaskState::Finished(mut cell)) => {
            let mut output: Option<T> = None;
            // SAFETY: the main cell was created by `run_with` for a future whose output is `T`.
            unsafe { cell.take_output(&mut output as *mut Option<T> as *mut ()) };
            output.ok_or_else(|| SimError::Stopped("the main task gave no output".into()))
        }
        (None, TaskState::Panicked(message)) => Err(SimError::MainPanicked { message }),
        (None, _) => Err(SimError::Stopped("the main task was cancelled".into())),
    };
    SimRun {
        outcome,
        seed,
        trace_hash: world.trace.hash(),
        trace_len: world.trace.count(),
        events: world.trace.take_events(),
        names: {
            let hosts = world
                .hosts
                .list
                .iter()
                .map(|host| host.name.clone())
                .collect();
            world.trace.take_names(hosts)
        },
        panics: std::mem::take(&mut world.panics),
        end_time: world.now(),
        polls,
    }
}

/// Drops a task's future or output; a panic in its destructor is swallowed,
/// as the task's own panic was already reported or the task was torn down.
fn drop_quietly<T>(value: Option<T>) {
    if value.is_some() && catch_unwind(AssertUnwindSafe(move || drop(value))).is_err() {
        let _ = take_panic_location();
    }
}

thread_local! {
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn take_panic_location() -> Option<String> {
    PANIC_LOCATION.with(|location| location.borrow_mut().take())
}

/// Keeps panics inside a simulation quiet (they are caught and reported with
/// the run) while panics elsewhere still reach the previous hook.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if in_simulation() {
                let location = info.location().map(|location| location.to_string());
                PANIC_LOCATION.with(|slot| *slot.borrow_mut() = location);
            } else {
                previous(info);
            }
        }));
    });
}
