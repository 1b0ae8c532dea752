//! The lease simulation: correct clients never overlap, even with skewed
//! clocks; `trusts_wall_clock` overlaps under skew, is caught within 50 seeds
//! and replays, and passes every seed when all clocks agree: only the clock
//! skew reveals it.

use sim_lease::LeaseBugs;
use tidepool::runner::FailureKind;

#[test]
fn correct_clients_never_overlap() {
    let report = sim_lease::simulation(LeaseBugs::default())
        .base_seed(0x2026)
        .iterations(100)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
    assert!(report.faults.clock_steps > 0, "{report}");
}

#[test]
fn trusting_the_wall_clock_is_caught_by_skew_alone() {
    let bugs = LeaseBugs::only("trusts_wall_clock").unwrap();
    let report = sim_lease::simulation(bugs)
        .base_seed(0x2026)
        .iterations(50)
        .run()
        .unwrap();
    let first = report.failures.first().expect("caught within 50 seeds");
    assert_eq!(first.kind, FailureKind::Assertion, "{report}");
    assert!(
        first
            .reason
            .contains("at most one client believes it holds the lease"),
        "{}",
        first.reason
    );
    let replay = sim_lease::simulation(bugs)
        .seeds([first.seed])
        .run()
        .unwrap();
    assert_eq!(replay.failures[0].reason, first.reason);
    assert_eq!(replay.failures[0].time, first.time);

    let exact = sim_lease::simulation(bugs)
        .no_clock_skew()
        .base_seed(0x2026)
        .iterations(100)
        .run()
        .unwrap();
    assert!(exact.is_success(), "exact clocks hide the bug: {exact}");
}

#[test]
fn bug_names_are_listed_and_unknown_ones_refused() {
    for (name, _about) in LeaseBugs::catalog() {
        assert!(LeaseBugs::only(name).is_some(), "{name}");
    }
    assert_eq!(LeaseBugs::only("no_such_bug"), None);
}
