//! `cargo xtask bench runtime`: the executor's raw rates, one world on one core,
//! the trace hash on.
//!
//! - tasks: spawn and complete trivial detached tasks, `TASKS_BATCH` in flight;
//! - timers: `SLEEPERS` tasks sleep again and again, every sleep its own event;
//! - wakes: two tasks ping-pong through a shared counter, each wake-up one poll.
//!
//! Each phase runs in one world; its rate counts the world's setup and teardown.

use std::cell::Cell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use clap::Parser;
use tidepool::sim::{self, Sim};
use tidepool_bench::{rate, timed};

const TASKS: u64 = 1_000_000;
const TIMERS: u64 = 1_000_000;
const WAKES: u64 = 1_000_000;
/// Tasks spawned before the spawner waits for them to complete.
const TASKS_BATCH: u64 = 1_000;
/// Sleepers of the timers phase; each fires `TIMERS / SLEEPERS` timers.
const SLEEPERS: u64 = 1_000;

/// Runs of each phase; the best rate is reported, since a shared machine only
/// ever slows a run down.
const ROUNDS: usize = 5;

fn best(phase: fn() -> u64) -> u64 {
    (0..ROUNDS).map(|_| phase()).max().unwrap_or(0)
}

/// The executor's raw rates: 1M tasks spawned and completed, 1M timers fired,
/// 1M wake-ups between two tasks; the best of five rounds each.
#[derive(Parser)]
#[command(name = "bench-runtime")]
struct Args {}

fn main() {
    let Args {} = Args::parse();
    let tasks_per_s = best(bench_tasks);
    let timers_per_s = best(bench_timers);
    let wakes_per_s = best(bench_wakes);
    println!(
        "bench runtime tasks_per_s={tasks_per_s} timers_per_s={timers_per_s} wakes_per_s={wakes_per_s}"
    );
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
fn bench_tasks() -> u64 {
    let (run, elapsed) = timed(|| {
        Sim::new(1).run(async {
            let done = Rc::new(Countdown::default());
            for batch in 1..=TASKS / TASKS_BATCH {
                for _ in 0..TASKS_BATCH {
                    let done = done.clone();
                    drop(sim::spawn("trivial", async move { done.tick() }));
                }
                done.reached(batch * TASKS_BATCH).await;
            }
            done.count.get()
        })
    });
    assert_eq!(run.outcome.expect("the tasks phase ends"), TASKS);
    eprintln!(
        "tasks:  {TASKS} in {elapsed:?}, {} polls, trace hash {:#x}",
        run.polls, run.trace_hash
    );
    rate(TASKS, elapsed)
}

/// `SLEEPERS` tasks each sleep `TIMERS / SLEEPERS` times, for 1 to `SLEEPERS` µs.
fn bench_timers() -> u64 {
    let (run, elapsed) = timed(|| {
        Sim::new(2).run(async {
            let done = Rc::new(Countdown::default());
            for sleeper in 0..SLEEPERS {
                let done = done.clone();
                drop(sim::spawn("sleeper", async move {
                    let period = Duration::from_micros(1 + sleeper);
                    for _ in 0..TIMERS / SLEEPERS {
                        sim::sleep(period).await;
                    }
                    done.tick();
                }));
            }
            done.reached(SLEEPERS).await;
        })
    });
    run.outcome.expect("the timers phase ends");
    eprintln!(
        "timers: {TIMERS} in {elapsed:?}, {} polls, trace hash {:#x}",
        run.polls, run.trace_hash
    );
    rate(TIMERS, elapsed)
}

/// Two tasks take turns through a shared counter: each turn wakes the other.
fn bench_wakes() -> u64 {
    let (run, elapsed) = timed(|| {
        Sim::new(3).run(async {
            let turn = Rc::new(Cell::new(0u64));
            let wakers: Rc<[Cell<Option<Waker>>; 2]> = Rc::new(Default::default());
            let players: Vec<_> = (0..2u64)
                .map(|me| {
                    let (turn, wakers) = (turn.clone(), wakers.clone());
                    sim::spawn("player", async move {
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
                    })
                })
                .collect();
            for player in players {
                player.await.expect("a player does not panic");
            }
            turn.get()
        })
    });
    assert_eq!(run.outcome.expect("the wakes phase ends"), WAKES);
    eprintln!(
        "wakes:  {WAKES} in {elapsed:?}, {} polls, trace hash {:#x}",
        run.polls, run.trace_hash
    );
    rate(WAKES, elapsed)
}
