//! Every planted bug of the KV simulation is caught within a bounded number of
//! seeds, by an assertion that names the bug's own symptom, and replaying the
//! failing seed alone fails the same way; the correct server passes the same
//! seeds. Seeds run in batches, so a bug caught early costs one batch.

use kv::Bugs;
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

/// The linearizability check of the whole history.
const NOT_LINEARIZABLE: &[&str] = &["the history is linearizable"];

/// The assertions that may catch each planted bug: the ones its symptom
/// violates. A bug whose first failure is another one was caught by accident,
/// and the simulation would no longer catch it once the accident is fixed.
const SYMPTOMS: [(&str, &[&str]); 13] = [
    // A later read misses the acknowledged SET; a DELETE finds its key absent.
    ("ack_set_without_store", NOT_LINEARIZABLE),
    // The resent DELETE finds the key the lost one removed.
    ("retry_after_lost_reply", NOT_LINEARIZABLE),
    // A rebooted server, whose store is new, serves a value its previous
    // incarnation held.
    ("cache_survives_reboot", NOT_LINEARIZABLE),
    // A second DELETE finds the key the first one removed.
    ("delete_hides_only_from_get", NOT_LINEARIZABLE),
    // A request split across reads is refused as malformed.
    (
        "one_read_one_request",
        &["the server refuses no valid request"],
    ),
    // Another connection's SET is lost: a read misses it, a DELETE finds the
    // key absent.
    ("lost_update_across_await", NOT_LINEARIZABLE),
    // A write acknowledged while draining was dropped: a later read of the
    // draining server sees the value from before it.
    ("drain_acks_dropped_writes", NOT_LINEARIZABLE),
    // The stale SET lands over a newer value.
    ("resend_stale_set", NOT_LINEARIZABLE),
    // A GET of `ba` is answered with the memoised answer for `ab`.
    ("read_memo_weak_key_check", NOT_LINEARIZABLE),
    // A SET or GET of the key of exactly KEY_BYTES_MAX bytes is refused.
    (
        "key_limit_off_by_one",
        &["the server refuses no valid request"],
    ),
    // A pipelined SET gets the reply of the GET behind it, and so on.
    ("pipelined_replies_reordered", NOT_LINEARIZABLE),
    // A GET racing a SET of another client writes the old value back over it.
    ("get_rewrites_stale_value", NOT_LINEARIZABLE),
    // A server stops accepting once the network cuts a connection off: after
    // the faults heal it still answers nobody new.
    ("ignores_clients_after_reset", &[sim_kv::LIVENESS_PROPERTY]),
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
        let expected = symptoms(name);
        assert!(
            expected.iter().any(|message| {
                failure.reason.contains(&format!(": {message} ("))
                    || failure.origin == format!("eventually {message}")
            }),
            "{name} was caught by accident: expected one of {expected:?}, got {}",
            failure.reason
        );
        assert_eq!(replay.failures.len(), 1, "{name}: {replay}");
        assert_eq!(replay.failures[0].reason, failure.reason, "{name}");
        assert_eq!(replay.failures[0].time, failure.time, "{name}");
        table.push(format!("{name}: {seeds} seeds, {}", failure.reason));
    }
    println!("{}", table.join("\n"));
}

#[test]
fn every_planted_bug_has_its_symptoms_listed() {
    let names: Vec<&str> = Bugs::catalog().iter().map(|(name, _)| *name).collect();
    let listed: Vec<&str> = SYMPTOMS.iter().map(|(name, _)| *name).collect();
    assert_eq!(listed, names);
}

#[test]
fn the_correct_server_passes_the_planted_bugs_campaign() {
    let report = sim_kv::simulation(Bugs::default())
        .iterations(CORRECT_SEEDS)
        .base_seed(BASE_SEED)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
}
