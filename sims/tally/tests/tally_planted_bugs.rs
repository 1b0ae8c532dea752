//! Each planted bug of tally is caught within 40 seeds (base 0x2026), by the
//! clients' monotonic-count check or the history's linearizability check,
//! and its seed replays alone to the same failure at the same simulated
//! time; the correct nodes pass the same seeds.

use sim_tally::simulation;
use tally::TallyBugs;

const SEEDS: u64 = 40;
const BASE_SEED: u64 = 0x2026;

fn caught_and_replayed(name: &str) {
    let bugs = TallyBugs::only(name).expect("a planted bug");
    let report = simulation(bugs)
        .base_seed(BASE_SEED)
        .iterations(SEEDS)
        .run()
        .expect("a valid configuration");
    let first = report
        .failures
        .iter()
        .min_by_key(|failure| failure.iteration)
        .unwrap_or_else(|| panic!("{name} is not caught within {SEEDS} seeds"));
    assert!(
        first.reason.contains("a count never goes back")
            || first.reason.contains("not linearizable"),
        "{name}: {}",
        first.reason
    );

    let replay = simulation(bugs)
        .seeds([first.seed])
        .run()
        .expect("a valid configuration");
    assert_eq!(replay.failures.len(), 1, "{name}: the seed fails again");
    assert_eq!(replay.failures[0].reason, first.reason);
    assert_eq!(replay.failures[0].time, first.time);
}

#[test]
fn skip_recovery_is_caught_and_replays() {
    caught_and_replayed("skip_recovery");
}

#[test]
fn backups_serve_reads_is_caught_and_replays() {
    caught_and_replayed("backups_serve_reads");
}

#[test]
fn the_correct_nodes_pass_the_same_seeds() {
    let report = simulation(TallyBugs::default())
        .base_seed(BASE_SEED)
        .iterations(SEEDS)
        .run()
        .expect("a valid configuration");
    assert!(report.is_success(), "{report}");
}

#[test]
fn bug_names_are_listed_and_unknown_ones_refused() {
    for (name, _about) in TallyBugs::catalog() {
        assert!(TallyBugs::only(name).is_some(), "{name}");
    }
    assert_eq!(TallyBugs::only("no_such_bug"), None);
}

/// A seed whose history is past the checker's bound (many adds left without
/// a reply): the correct nodes pass it unchecked, and the assertion table
/// counts the undecided check.
#[test]
fn a_history_past_the_checkers_bound_passes_unchecked_and_is_counted() {
    let report = simulation(TallyBugs::default())
        .seeds([0xf16d_42cc_9b15_d359])
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
    let verdict = report
        .assertions
        .rows()
        .iter()
        .find(|row| row.message == "the linearizability check reaches a verdict")
        .unwrap_or_else(|| panic!("no verdict site in the table:\n{report}"));
    assert_eq!(
        (verdict.true_count, verdict.false_count),
        (0, 1),
        "{report}"
    );
}
