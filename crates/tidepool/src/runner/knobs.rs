//! Swarm knobs: the workload's own parameters, varied per seed by swarm
//! testing as the fault families are.
//!
//! A fault family decides what the world does to the system; a knob decides
//! what the workload asks of it: how often it pipelines, how long its values
//! are, how many of its operations are deletes. A bug that shows only when
//! the workload leans one way (long values that a power loss tears; requests
//! pipelined into a server that is shutting down) hides under the one
//! setting a simulation is tuned for, as a bug that other faults mask hides
//! under the fixed fault mix. FoundationDB randomizes its knobs in
//! simulation for the same reason.
//!
//! [`WorkloadContext::swarm_knob`](crate::WorkloadContext::swarm_knob) asks
//! for one. Under swarm testing each knob is varied in a seed with
//! probability [`KNOB_VARIED_PROBABILITY`], to a value drawn uniformly from
//! the range the workload gives, and keeps its default otherwise; under
//! `--no-swarm` it always keeps its default, so the fixed mix runs exactly
//! what it ran before. The draw comes from the seed and the knob's name
//! alone (not from the world's randomness, nor from the order knobs are
//! asked for), so a seed's replay, and every branch of it, has the same
//! values, and every instance of a workload that asks for the same knob gets
//! the same value.

use std::ops::RangeInclusive;

use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::sim;

/// The chance that a knob is varied in a seed under swarm testing (it keeps
/// its default otherwise): one in two, so that half the seeds still run the
/// value the simulation was tuned with.
pub const KNOB_VARIED_PROBABILITY: f64 = 0.5;

/// Salts the knobs' stream apart from the seed's other streams.
const KNOB_SALT: u64 = 0x6b6e_6f62_7377_726d;

/// One knob as a run drew it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnobDraw {
    /// The knob's name, as the workload gave it.
    pub name: String,
    /// The value the run used.
    pub value: u64,
    /// Whether swarm testing varied it (`false`: the default).
    pub varied: bool,
}

/// The knobs of the run on this world: the seed they are drawn from (none
/// without swarm testing) and those drawn so far.
#[derive(Default)]
pub(crate) struct RunKnobs {
    swarm_seed: Option<u64>,
    drawn: Vec<KnobDraw>,
}

/// Starts the run's knobs: drawn from `swarm_seed`, or all at their defaults
/// when it is `None` (no swarm testing).
pub(crate) fn install(swarm_seed: Option<u64>) {
    sim::with_world("swarm knobs", |world| {
        *world.extension::<RunKnobs>() = RunKnobs {
            swarm_seed,
            drawn: Vec::new(),
        };
    });
}

/// The knobs the run ending on this world drew, in the order first asked for.
pub(crate) fn take_run() -> Vec<KnobDraw> {
    sim::with_world("swarm knobs", |world| {
        std::mem::take(&mut world.extension::<RunKnobs>().drawn)
    })
}

/// The value of knob `name` in this run (the first answer again when it was
/// asked for before): see the [module documentation](self).
pub(crate) fn draw(name: &str, default: u64, range: RangeInclusive<u64>) -> u64 {
    assert!(
        range.start() <= range.end(),
        "swarm knob {name:?}: the range {range:?} is empty; give it as low..=high"
    );
    let (value, newly_varied) = sim::with_world("swarm knob", |world| {
        let knobs = world.extension::<RunKnobs>();
        if let Some(known) = knobs.drawn.iter().find(|knob| knob.name == name) {
            return (known.value, None);
        }
        let (value, varied) = match knobs.swarm_seed {
            Some(seed) => draw_for(seed, name, default, &range),
            None => (default, false),
        };
        knobs.drawn.push(KnobDraw {
            name: name.to_string(),
            value,
            varied,
        });
        (value, knobs.swarm_seed.filter(|_| varied))
    });
    // Logged outside the world's borrow, which the log line's timestamp takes.
    if let Some(seed) = newly_varied {
        tracing::info!("swarm knob {name} of seed {seed:#018x}: {value} (default {default})");
    }
    value
}

/// Knob `name`'s value in seed `seed`, and whether it was varied.
fn draw_for(seed: u64, name: &str, default: u64, range: &RangeInclusive<u64>) -> (u64, bool) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ KNOB_SALT ^ name_hash(name));
    let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    if unit >= KNOB_VARIED_PROBABILITY {
        return (default, false);
    }
    let span = u128::from(range.end() - range.start()) + 1;
    // Multiply-shift: uniform over the span but for a bias under 2^-64 per value.
    let offset = (u128::from(rng.next_u64()) * span) >> 64;
    (range.start() + offset as u64, true)
}

/// FNV-1a of `name`: a knob's stream does not depend on which others exist.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draw_depends_on_the_seed_and_the_name_only() {
        let range = 0..=100;
        assert_eq!(
            draw_for(7, "depth", 5, &range),
            draw_for(7, "depth", 5, &range)
        );
        let seeds = 0..2_000u64;
        let varied = seeds
            .clone()
            .filter(|seed| draw_for(*seed, "depth", 5, &range).1)
            .count();
        // One in two, within a wide margin over 2,000 seeds.
        assert!((800..1200).contains(&varied), "{varied}");
        let differs = seeds
            .filter(|seed| {
                draw_for(*seed, "depth", 5, &range) != draw_for(*seed, "width", 5, &range)
            })
            .count();
        assert!(differs > 1_000, "{differs}");
    }

    #[test]
    fn a_varied_knob_covers_its_range_and_a_kept_one_is_its_default() {
        let range = 3..=6;
        let mut seen = [0u32; 4];
        for seed in 0..1_000u64 {
            match draw_for(seed, "k", 40, &range) {
                (value, true) => seen[(value - 3) as usize] += 1,
                (value, false) => assert_eq!(value, 40),
            }
        }
        assert!(seen.iter().all(|count| *count > 60), "{seen:?}");
        for seed in 0..100u64 {
            let (value, varied) = draw_for(seed, "one", 0, &(9..=9));
            assert_eq!(value, if varied { 9 } else { 0 });
        }
        // The whole range of u64 does not overflow the span.
        let highs = (0..1_000u64)
            .filter(|seed| draw_for(*seed, "full", 0, &(0..=u64::MAX)).0 > u64::MAX / 2)
            .count();
        assert!((150..350).contains(&highs), "{highs}");
    }
}
