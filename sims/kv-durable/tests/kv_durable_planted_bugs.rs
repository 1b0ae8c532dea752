//! Every planted durability bug is caught within a bounded number of seeds,
//! by an assertion that names the bug's own symptom, and replaying the
//! failing seed alone fails the same way; the correct server passes the same
//! seeds. Seeds run in batches, so a bug caught early costs one batch.

use kv::DurableBugs;
use tidepool::runner::Failure;
use tidepool::sim::derive_seed;

/// The base seed of every campaign (as `cargo xtask bugs` uses by default).
const BASE_SEED: u64 = 0x2026;
/// Seeds a bug may take to be caught, at most.
const BUG_SEEDS_MAX: u64 = 1000;
/// Seeds run at once.
const BATCH_SEEDS: u64 = 25;
/// Seeds the correct server runs, from the same base seed.
const CORRECT_SEEDS: u64 = 300;

/// An acknowledged write is lost: a later read misses it (during the run or
/// in the final check), or a later DELETE finds its key where the write left
/// it absent, or absent where it left it present: the history of the store
/// has no linearization.
const LOST_WRITE: &[&str] = &["the history is linearizable"];

/// The assertions that may catch each planted bug: the ones its symptom
/// violates. A bug whose first failure is another one (a server that never
/// answers, a malformed reply) was caught by accident, and the simulation
/// would no longer catch it once the accident is fixed.
const SYMPTOMS: [(&str, &[&str]); 7] = [
    // The acknowledged record was not synced when the power went.
    ("reply_before_fsync", LOST_WRITE),
    // The torn tail comes back as a value no client wrote.
    (
        "log_without_checksums",
        &["a read returns a value a client wrote"],
    ),
    // The rename was undone, the emptied log kept: every record since the
    // previous snapshot is lost.
    ("snapshot_rename_without_dir_sync", LOST_WRITE),
    // The record the failed sync dropped reverts at the next power loss, and
    // recovery stops there: it and the records after it are lost.
    ("fsync_error_ignored", LOST_WRITE),
    // The last record before any restart is lost.
    ("recovery_drops_last_record", LOST_WRITE),
    // A write pipelined behind another and answered while the server drained
    // was never logged: the next incarnation has lost it.
    ("drain_writes_skip_the_log", LOST_WRITE),
    // Records written after a torn tail the failed checkpoint left in the
    // log: the next recovery stops at the tail and loses them.
    ("checkpoint_failure_resumes_log", LOST_WRITE),
];

/// The assertion messages that may catch the planted bug `name`.
fn symptoms(name: &str) -> &'static [&'static str] {
    let found = SYMPTOMS.iter().find(|(bug, _)| *bug == name);
    found.map_or_else(
        || panic!("no symptoms listed for {name}"),
        |(_, messages)| *messages,
    )
}

/// The first failure of `bugs` within [`BUG_SEEDS_MAX`] seeds, with the
/// number of seeds it took.
fn first_failure(bugs: DurableBugs) -> Option<(u64, Failure)> {
    // Bounded: BUG_SEEDS_MAX / BATCH_SEEDS batches.
    for start in (0..BUG_SEEDS_MAX).step_by(BATCH_SEEDS as usize) {
        let seeds = (start..start + BATCH_SEEDS).map(|index| derive_seed(BASE_SEED, index));
        let report = sim_kv_durable::simulation(bugs).seeds(seeds).run().unwrap();
        if let Some(failure) = report.failures.into_iter().min_by_key(|f| f.iteration) {
            return Some((start + failure.iteration + 1, failure));
        }
    }
    None
}

#[test]
fn every_planted_bug_is_caught_by_its_symptom_and_its_seed_replays_the_failure() {
    let mut table = Vec::new();
    for (name, _) in DurableBugs::catalog() {
        let bugs = DurableBugs::only(name).unwrap();
        let Some((seeds, failure)) = first_failure(bugs) else {
            panic!("planted bug {name} not caught in {BUG_SEEDS_MAX} seeds");
        };
        let expected = symptoms(name);
        assert!(
            expected
                .iter()
                .any(|message| failure.reason.contains(&format!(": {message} ("))),
            "{name} was caught by accident: expected one of {expected:?}, got {}",
            failure.reason
        );
        let replay = sim_kv_durable::simulation(bugs)
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
fn every_planted_bug_has_its_symptoms_listed() {
    let names: Vec<&str> = DurableBugs::catalog()
        .iter()
        .map(|(name, _)| *name)
        .collect();
    let listed: Vec<&str> = SYMPTOMS.iter().map(|(name, _)| *name).collect();
    assert_eq!(listed, names);
}

#[test]
fn the_correct_server_passes_the_planted_bugs_campaign() {
    let report = sim_kv_durable::simulation(DurableBugs::default())
        .iterations(CORRECT_SEEDS)
        .base_seed(BASE_SEED)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
}
