//! The time provider: what a process uses instead of `std::time` and `tokio::time`.

use std::future::Future;
use std::time::Duration;

use crate::time::Instant;

/// Clock and timers.
///
/// In a simulation the clock is virtual and jumps from event to event; on
/// tokio it is the real monotonic clock.
pub trait TimeProvider: Clone + Send + Sync + 'static {
    /// The time now, on the monotonic clock: what timers and timeouts use.
    fn now(&self) -> Instant;

    /// This host's wall clock, as `std::time::SystemTime::now()` reads it.
    ///
    /// In a simulation each host's wall clock starts at 2026-01-01T00:00:00Z
    /// plus the simulated time, and may be offset, drift and step (forwards
    /// or backwards) when the simulation skews clocks
    /// (`SimulationBuilder::clock_skew`); [`TimeProvider::now`] and timers are
    /// never skewed. Compare wall-clock times from two hosts only with care.
    fn system_time(&self) -> std::time::SystemTime;

    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;

    /// Runs `future` for at most `duration`.
    ///
    /// # Cancellation
    ///
    /// When the time runs out, `future` is dropped.
    fn timeout<F>(
        &self,
        duration: Duration,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Elapsed>> + Send
    where
        F: Future + Send;
}

/// The error of a timeout whose time ran out ([`TimeProvider::timeout`]).
///
/// # Examples
///
/// ```
/// use tidepool_core::providers::Elapsed;
///
/// assert_eq!(Elapsed.to_string(), "deadline has elapsed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("deadline has elapsed")]
pub struct Elapsed;
