//! Shared helpers of tidepool's benchmarks, and the workloads more than one
//! benchmark (or a test) runs.

use std::time::{Duration, Instant};

pub mod kv;

/// Runs `f` and returns its result with the wall time it took.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let value = f();
    (value, start.elapsed())
}

/// `count / elapsed`, per second.
pub fn rate(count: u64, elapsed: Duration) -> u64 {
    (count as f64 / elapsed.as_secs_f64()) as u64
}
pub mod yardstick;
