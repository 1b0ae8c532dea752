//! The world's one source of randomness.
//!
//! Every random decision of a run (scheduling picks, latencies, faults, buggify,
//! the workload's own choices) draws from one xoshiro256++ stream seeded by the
//! run's seed, so the seed alone reproduces them all.

use super::context::with_world;

/// A uniformly random `u64` from the world's RNG.
///
/// # Panics
///
/// Outside a running simulation.
pub fn random_u64() -> u64 {
    with_world("random_u64", |world| {
        let value = world.random_u64();
        world.record_draw(value);
        value
    })
}

/// A uniform draw from `0..n`; `n` must be positive.
///
/// # Panics
///
/// When `n` is 0, or outside a running simulation.
pub fn random_below(n: u64) -> u64 {
    assert!(n > 0, "tidepool: random_below(0): the range 0..0 is empty");
    with_world("random_below", |world| {
        let value = world.random_below(n);
        world.record_draw(value);
        value
    })
}

/// True with probability `p` (0 or less: never; 1 or more: always).
///
/// # Panics
///
/// Outside a running simulation.
pub fn random_bool(p: f64) -> bool {
    with_world("random_bool", |world| {
        let value = world.random_bool(p);
        world.record_draw(value as u64);
        value
    })
}
