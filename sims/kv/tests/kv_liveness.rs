//! The KV simulation's liveness property: once the faults heal, every server
//! answers again. The planted bug `ignores_clients_after_reset` passes every
//! safety check while the chaos runs (a client that cannot connect just times
//! out), and only the property names it: its failures are of kind
//! `liveness`, naming the property. The correct server passes the same seeds.
//!
//! Without the property (remove `.eventually(..)` from `sim_kv::simulation`)
//! the bug's campaign fails otherwise, later, in the workload's final reads,
//! and the first test fails.

use kv::Bugs;
use sim_kv::{LIVENESS_BOUND, LIVENESS_PROPERTY};
use tidepool::runner::FailureKind;

/// The base seed of both campaigns (as `cargo xtask bugs` uses by default).
const BASE_SEED: u64 = 0x2026;
/// Seeds of each campaign: the bug shows in about one seed in twenty.
const SEEDS: u64 = 60;

#[test]
fn a_server_that_ignores_new_clients_is_caught_by_the_liveness_property() {
    let bugs = Bugs::only("ignores_clients_after_reset").unwrap();
    let report = sim_kv::simulation(bugs)
        .iterations(SEEDS)
        .base_seed(BASE_SEED)
        .run()
        .unwrap();
    assert!(!report.failures.is_empty(), "not caught: {report}");
    for failure in &report.failures {
        assert_eq!(failure.kind, FailureKind::Liveness, "{}", failure.reason);
        assert_eq!(failure.origin, format!("eventually {LIVENESS_PROPERTY}"));
        assert!(
            failure.reason.contains(&format!(
                "'{LIVENESS_PROPERTY}' did not hold within {LIVENESS_BOUND:?}"
            )),
            "{}",
            failure.reason
        );
        assert!(
            failure.reason.contains("servers not answering"),
            "the reason names the silent server: {}",
            failure.reason
        );
    }
    let first = &report.failures[0];
    let replay = sim_kv::simulation(bugs).seeds([first.seed]).run().unwrap();
    assert_eq!(replay.failures.len(), 1, "{replay}");
    assert_eq!(replay.failures[0].reason, first.reason);
}

#[test]
fn the_correct_server_answers_again_after_every_fault_heals() {
    let report = sim_kv::simulation(Bugs::default())
        .iterations(SEEDS)
        .base_seed(BASE_SEED)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
}
