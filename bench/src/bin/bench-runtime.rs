//! `cargo xtask bench runtime`: the executor's raw rates, one world on one
//! core, the trace hash on, each beside the rate of a minimal seeded executor
//! ([`tidepool_bench::yardstick`]) running the same code in the same run.
//!
//! - tasks: spawn and complete trivial detached tasks, `TASKS_BATCH` in flight;
//! - timers: `SLEEPERS` tasks sleep again and again, every sleep its own event;
//! - wakes: two tasks ping-pong through a shared counter, each wake-up one poll.
//!
//! Each phase runs in one world; its rate counts the world's setup and
//! teardown. The phases' code is written once, over [`Executor`], so both
//! executors run the same futures.

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use clap::Parser;
use tidepool::sim::{self, Sim};
use tidepool_bench::{rate, timed, yardstick};

const TASKS: u64 = 1_000_000;
const TIMERS: u64 = 1_000_000;
const WAKES: u64 = 1_000_000;
/// Tasks spawned before the spawner waits for them to complete.
const TASKS_BATCH: u64 = 1_000;
/// Sleepers of the timers phase; each fires `TIMERS / SLEEPERS` timers.
const SLEEPERS: u64 = 1_000;

/// The executors' raw rates: 1M tasks spawned and completed, 1M timers fired,
/// 1M wake-ups between two tasks; the best of five rounds each, tidepool's
/// beside a minimal seeded executor's.
#[derive(Parser)]
#[command(name = "bench-runtime")]
struct Args {
    /// Runs of each phase by each executor, taking turns so that a busy
    /// moment slows both; the best rate counts, since a shared machine only
    /// ever slows a run down.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    rounds: u64,
    /// Only this phase (for a profiler): tasks, timers or wakes [default: all three].
    #[arg(long, value_parser = ["tasks", "timers", "wakes"])]
    phase: Option<String>,
}

/// What the phases need of an executor.
trait Executor {
    const NAME: &'static str;
    /// Runs `main` from `seed`; its output, task polls and determinism hash.
    fn run<F: Future + 'static>(seed: u64, main: F) -> (F::Output, u64, u64);
    fn spawn(future: impl Future<Output = ()> + 'static);
    fn sleep(duration: Duration) -> impl Future<Output = ()>;
}

struct Tidepool;

impl Executor for Tidepool {
    const NAME: &'static str = "tidepool";

    fn run<F: Future + 'static>(seed: u64, main: F) -> (F::Output, u64, u64) {
        let run = Sim::new(seed).run(main);
        let output = run.outcome.expect("the phase ends");
        (output, run.polls, run.trace_hash)
    }

    fn spawn(future: impl Future<Output = ()> + 'static) {
        drop(sim::spawn("task", future));
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> {
        sim::sleep(duration)
    }
}

struct Yardstick;

impl Executor for Yardstick {
    const NAME: &'static str = "yardstick";

    fn run<F: Future + 'static>(seed: u64, main: F) -> (F::Output, u64, u64) {
        let run = yardstick::run(seed, main);
        (run.output.expect("the phase ends"), run.polls, run.hash)
    }

    fn spawn(future: impl Future<Output = ()> + 'static) {
        yardstick::spawn(future);
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> {
        yardstick::sleep(duration)
    }
}

#[derive(Clone, Copy)]
enum Phase {
    Tasks,
    Timers,
    Wakes,
}

fn measure<E: Executor>(phase: Phase) -> u64 {
    match phase {
        Phase::Tasks => bench_tasks::<E>(),
        Phase::Timers => bench_timers::<E>(),
        Phase::Wakes => bench_wakes::<E>(),
    }
}

fn main() {
    let args = Args::parse();
    let mut line = String::from("bench runtime");
    for (phase, label) in [
        (Phase::Tasks, "tasks"),
        (Phase::Timers, "timers"),
        (Phase::Wakes, "wakes"),
    ] {
        if args.phase.as_deref().is_some_and(|only| only != label) {
            continue;
        }
        let (mut ours, mut theirs) = (0, 0);
        for _ in 0..args.rounds {
            ours = ours.max(measure::<Tidepool>(phase));
            theirs = theirs.max(measure::<Yardstick>(phase));
        }
        let ratio = ours as f64 / theirs as f64;
        eprintln!("{label}: tidepool {ours}/s, yardstick {theirs}/s, ratio {ratio:.2}");
        line.push_str(&format!(
            " {label}_per_s={ours} yardstick_{label}_per_s={theirs} {label}_ratio={ratio:.2}"
        ));
    }
    println!("{line}");
}

/// A count that wakes its waiter when it reaches a target.
#[derive(Default)]
struct Countdown {
    count: Cell<u64>,
    target: Cell<u64>,
    waiter: Cell<Option<Waker>>,
}

impl Countdown {
    fn tick(&self) {
        let count = self.count.get() + 1;
        self.count.set(count);
        if count == self.target.get() {
            if let Some(waker) = self.waiter.take() {
                waker.wake();
            }
        }
    }

    async fn reached(&self, target: u64) {
        self.target.set(target);
        poll_fn(|cx| {
            if self.count.get() >= target {
                return Poll::Ready(());
            }
            self.waiter.set(Some(cx.waker().clone()));
            Poll::Pending
        })
        .await
    }
}

/// Spawns `TASKS` trivial tasks, `TASKS_BATCH` at a time.
fn bench_tasks<E: Executor>() -> u64 {
    let ((count, polls, hash), elapsed) = timed(|| {
        E::run(1, async {
            let done = Rc::new(Countdown::default());
            for batch in 1..=TASKS / TASKS_BATCH {
                for _ in 0..TASKS_BATCH {
                    let done = done.clone();
                    E::spawn(async move { done.tick() });
                }
                done.reached(batch * TASKS_BATCH).await;
            }
            done.count.get()
        })
    });
    assert_eq!(count, TASKS);
    eprintln!(
        "  {:<9} tasks:  {TASKS} in {elapsed:?}, {polls} polls, hash {hash:#x}",
        E::NAME
    );
    rate(TASKS, elapsed)
}

/// `SLEEPERS` tasks each sleep `TIMERS / SLEEPERS` times, for 1 to `SLEEPERS` µs.
fn bench_timers<E: Executor>() -> u64 {
    let (((), polls, hash), elapsed) = timed(|| {
        E::run(2, async {
            let done = Rc::new(Countdown::default());
            for sleeper in 0..SLEEPERS {
                let done = done.clone();
                E::spawn(async move {
                    let period = Duration::from_micros(1 + sleeper);
                    for _ in 0..TIMERS / SLEEPERS {
                        E::sleep(period).await;
                    }
                    done.tick();
                });
            }
            done.reached(SLEEPERS).await;
        })
    });
    eprintln!(
        "  {:<9} timers: {TIMERS} in {elapsed:?}, {polls} polls, hash {hash:#x}",
        E::NAME
    );
    rate(TIMERS, elapsed)
}

/// Two tasks take turns through a shared counter: each turn wakes the other.
fn bench_wakes<E: Executor>() -> u64 {
    let ((turns, polls, hash), elapsed) = timed(|| {
        E::run(3, async {
            let turn = Rc::new(Cell::new(0u64));
            let wakers: Rc<[Cell<Option<Waker>>; 2]> = Rc::new(Default::default());
            let done = Rc::new(Countdown::default());
            for me in 0..2u64 {
                let (turn, wakers, done) = (turn.clone(), wakers.clone(), done.clone());
                E::spawn(async move {
                    loop {
                        poll_fn(|cx| {
                            if turn.get() % 2 == me || turn.get() >= WAKES {
                                return Poll::Ready(());
                            }
                            wakers[me as usize].set(Some(cx.waker().clone()));
                            Poll::Pending
                        })
                        .await;
                        if turn.get() >= WAKES {
                            break;
                        }
                        turn.set(turn.get() + 1);
                        if let Some(other) = wakers[1 - me as usize].take() {
                            other.wake();
                        }
                    }
                    done.tick();
                });
            }
            done.reached(2).await;
            turn.get()
        })
    });
    assert_eq!(turns, WAKES);
    eprintln!(
        "  {:<9} wakes:  {WAKES} in {elapsed:?}, {polls} polls, hash {hash:#x}",
        E::NAME
    );
    rate(WAKES, elapsed)
}
