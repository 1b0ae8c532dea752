//! Virtual time: `now`, `sleep`, `sleep_until`, `timeout`, `interval`.
//!
//! The clock only moves when no task is ready: it jumps to the next event. Ten
//! simulated hours of sleeping cost a handful of events, not ten hours.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::context::{try_with_world, with_world};
use super::events::EventKind;
use crate::providers::Elapsed;
use crate::time::Instant;

/// The simulated time now.
///
/// # Panics
///
/// Outside a running simulation.
pub fn now() -> Instant {
    with_world("now", |world| world.now())
}

/// Waits until `duration` of simulated time has passed.
///
/// # Panics
///
/// When polled outside a running simulation.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tidepool::sim::{self, Sim};
///
/// let run = Sim::new(1).run(async {
///     sim::sleep(Duration::from_secs(3600)).await;
///     sim::now()
/// });
/// assert_eq!(run.outcome.unwrap().since_origin(), Duration::from_secs(3600));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    let deadline = with_world("sleep", |world| world.now()) + duration;
    Sleep::until(deadline)
}

/// Waits until the simulated clock reads `deadline` (at once when it is past).
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::until(deadline)
}

/// The future of [`sleep`] and [`sleep_until`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Sleep {
    deadline: Instant,
    /// The timer slot and its generation, once registered.
    timer: Option<(u32, u32)>,
    /// The world the timer is registered in.
    world: u64,
}

impl Sleep {
    fn until(deadline: Instant) -> Sleep {
        Sleep {
            deadline,
            timer: None,
            world: 0,
        }
    }

    /// When the sleep ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Moves the deadline, as tokio's `Sleep::reset` does.
    pub fn reset(&mut self, deadline: Instant) {
        self.cancel();
        self.deadline = deadline;
    }

    fn cancel(&mut self) {
        if let Some((slot, generation)) = self.timer.take() {
            let registered_in = self.world;
            try_with_world(|world| {
                // A sleep that outlived its world must not touch the next one's timers.
                if world.id == registered_in {
                    world.cancel_timer(slot, generation);
                }
            });
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        with_world("sleep", |world| {
            assert!(
                this.timer.is_none() || this.world == world.id,
                "tidepool: a Sleep was polled in another simulation than the one it started in"
            );
            if world.now >= this.deadline.as_nanos() {
                if let Some((slot, generation)) = this.timer.take() {
                    world.cancel_timer(slot, generation);
                }
                return Poll::Ready(());
            }
            match this.timer {
                Some((slot, generation)) => world.timers.update(slot, generation, cx.waker()),
                None => {
                    let (slot, generation) = world.timers.insert(cx.waker().clone());
                    world.schedule(
                        this.deadline.as_nanos(),
                        EventKind::Timer { slot, generation },
                    );
                    this.timer = Some((slot, generation));
                    this.world = world.id;
                }
            }
            Poll::Pending
        })
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Runs `future` for at most `duration` of simulated time.
///
/// # Cancellation
///
/// When the time runs out, `future` is dropped.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tidepool::sim::{self, Sim};
///
/// let run = Sim::new(1).run(async {
///     let slow = sim::sleep(Duration::from_secs(10));
///     sim::timeout(Duration::from_secs(1), slow).await
/// });
/// assert!(run.outcome.unwrap().is_err());
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(duration),
    }
}

/// The future of [`timeout`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Timeout<F> {
    future: F,
    sleep: Sleep,
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned and never moved; `sleep` is Unpin.
        let this = unsafe { self.get_unchecked_mut() };
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match Pin::new(&mut this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A clock that ticks every `period`: at once, then `period` after each tick.
///
/// A late tick (the task was busy) moves the schedule: the next tick comes one
/// `period` after the late one, as tokio's `MissedTickBehavior::Delay`.
///
/// # Panics
///
/// When `period` is zero, or outside a running simulation.
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "tidepool: interval: the period must be non-zero"
    );
    Interval {
        period,
        sleep: sleep(Duration::ZERO),
    }
}

/// The ticker of [`interval`].
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    sleep: Sleep,
}

impl Interval {
    /// Waits for the next tick and returns its time.
    pub async fn tick(&mut self) -> Instant {
        (&mut self.sleep).await;
        let tick = now();
        self.sleep.reset(tick + self.period);
        tick
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}
