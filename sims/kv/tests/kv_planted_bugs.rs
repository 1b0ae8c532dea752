//! Every planted bug of the KV simulation is caught within a bounded number of
//! seeds, and replaying the failing seed alone fails the same way; the correct
//! server passes the same seeds. Seeds run in batches, so a bug caught early
//! costs one batch.

use kv::Bugs;
use tidepool::runner::Failure;
use tidepool::sim::derive_seed;

/// The base seed of every campaign (as `cargo xtask bugs` uses by default).
const BASE_SEED: u64 = 0x2026;
/// Seeds a bug may take to be caught, at most.
const BUG_SEEDS_MAX: u64 = 300;
/// Seeds run at once.
const BATCH_SEEDS: u64 = 25;

/// The first failure of `bugs` within [`BUG_SEEDS_MAX`] seeds, with the
/// number of seeds it took.
fn first_failure(bugs: Bugs) -> Option<(u64, Failure)> {
    // Bounded: BUG_SEEDS_MAX / BATCH_SEEDS batches.
    for start in (0..BUG_SEEDS_MAX).step_by(BATCH_SEEDS as usize) {
        let seeds = (start..start + BATCH_SEEDS).map(|index| derive_seed(BASE_SEED, index));
        let report = sim_kv::simulation(bugs).seeds(seeds).run().unwrap();
        if let Some(failure) = report.failures.into_iter().min_by_key(|f| f.iteration) {
            return Some((start + failure.iteration + 1, failure));
        }
    }
    None
}

#[test]
fn every_planted_bug_is_caught_and_its_seed_replays_the_failure() {
    let mut table = Vec::new();
    for (name, _) in Bugs::catalog() {
        let bugs = Bugs::only(name).unwrap();
        let Some((seeds, failure)) = first_failure(bugs) else {
            panic!("planted bug {name} not caught in {BUG_SEEDS_MAX} seeds");
        };
        let replay = sim_kv::simulation(bugs)
            .seeds([failure.seed])
            .run()
            .unwrap();
        assert_eq!(replay.failures.len(), 1, "{name}: {replay}");
        assert_eq!(replay.failures[0].reason, failure.reason, "{name}");
        assert_eq!(replay.failures[0].time, failure.time, "{name}");
        table.push(format!("{name}: {seeds} seeds, {}", failure.reason));
    }
    println!("{}", table.join("\n"));
}

#[test]
fn the_correct_server_passes_the_planted_bugs_campaign() {
    let report = sim_kv::simulation(Bugs::default())
        .iterations(BUG_SEEDS_MAX)
        .base_seed(BASE_SEED)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
}
