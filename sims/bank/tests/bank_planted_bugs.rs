//! The planted bug `forget_intents` (a coordinator without a journal) is
//! caught by the money check within 300 seeds, and its seed replays alone to
//! the same failure at the same simulated time.

use sim_bank::BankBugs;
use tidepool::runner::FailureKind;

#[test]
fn forget_intents_is_caught_by_the_money_check_and_replays() {
    let bugs = BankBugs::only("forget_intents").expect("a planted bug");
    let report = sim_bank::simulation(bugs)
        .base_seed(0x2026)
        .iterations(300)
        .run()
        .expect("a valid configuration");
    let first = report
        .failures
        .iter()
        .min_by_key(|failure| failure.iteration)
        .expect("the bug is caught within 300 seeds");
    assert_eq!(first.kind, FailureKind::Assertion, "{report}");
    assert!(
        first.reason.contains("money is conserved"),
        "{}",
        first.reason
    );

    let replay = sim_bank::simulation(bugs)
        .seeds([first.seed])
        .run()
        .expect("a valid configuration");
    assert_eq!(replay.failures.len(), 1);
    assert_eq!(replay.failures[0].reason, first.reason);
    assert_eq!(replay.failures[0].time, first.time);
}

#[test]
fn bug_names_are_listed_and_unknown_ones_refused() {
    for (name, _about) in BankBugs::catalog() {
        assert!(BankBugs::only(name).is_some(), "{name}");
    }
    assert_eq!(BankBugs::only("no_such_bug"), None);
}
