//! Violations: an `assert_always!` that is false or an `assert_unreachable!`
//! that is reached fails its iteration, and the first one is reported with its
//! message, site, simulated time and details.

use std::time::Duration;

use tidepool::assertions::{self, AssertionKind, AssertionStatus, AssertionTable, Violation};
use tidepool::sim::{self, Sim};
use tidepool::time::Instant;

#[test]
fn always_violation_carries_message_site_time_and_details() {
    // The violation happens after 1.5 simulated seconds, with two details; the
    // run goes on (no panic) and the first violation is what is reported.
    let run = Sim::new(42).run(async {
        assert!(assertions::first_violation().is_none());
        sim::sleep(Duration::from_millis(1500)).await;
        let (key, want, got) = ("k7", Some(3), Some(4));
        let line = line!() + 1;
        tidepool::assert_always!(got == want, "read matches model", key = %key, got = got);
        let seen = assertions::first_violation();
        sim::sleep(Duration::from_millis(500)).await;
        tidepool::assert_always!(false, "a later violation");
        (line, seen, assertions::take_run_results())
    });
    let (line, seen, results) = run.outcome.expect("a violation does not panic");

    let violation = results
        .first_violation()
        .expect("the violation is recorded")
        .clone();
    assert_eq!(seen.as_ref(), Some(&violation));
    assert_eq!(violation.kind, AssertionKind::Always);
    assert_eq!(violation.message, "read matches model");
    assert!(violation.site.file.ends_with("assertions_violation.rs"));
    assert_eq!(violation.site.line, line);
    assert_eq!(violation.time, Instant::ZERO + Duration::from_millis(1500));
    let details: Vec<(&str, &str)> = violation
        .details
        .iter()
        .map(|detail| (detail.key.as_str(), detail.value.as_str()))
        .collect();
    assert_eq!(details, [("key", "k7"), ("got", "Some(4)")]);
    assert_eq!(results.violation_count(), 2);

    let text = violation.to_string();
    assert!(text.starts_with("always violated at "), "{text}");
    assert!(
        text.ends_with("at 1.500000s: read matches model (key=k7, got=Some(4))"),
        "{text}"
    );

    let mut table = AssertionTable::new();
    table.add_run(&results);
    let failed: Vec<&str> = table.failures().map(|row| row.message.as_str()).collect();
    assert_eq!(failed, ["read matches model", "a later violation"]);
}

#[test]
fn reached_unreachable_is_a_violation() {
    // Reaching an unreachable fails the iteration like a false always; in the
    // table it is FAIL with its reach count.
    let run = Sim::new(3).run(async {
        sim::sleep(Duration::from_millis(20)).await;
        for attempt in 0..2 {
            tidepool::assert_unreachable!("stale term applied", attempt = attempt);
        }
        assertions::take_run_results()
    });
    let results = run.outcome.unwrap();
    let violation: &Violation = results.first_violation().unwrap();
    assert_eq!(violation.kind, AssertionKind::Unreachable);
    assert_eq!(violation.time, Instant::ZERO + Duration::from_millis(20));
    assert_eq!(violation.details[0].value, "0");
    assert!(violation.to_string().starts_with("unreachable reached at "));

    let mut table = AssertionTable::new();
    table.add_run(&results);
    let row = table
        .rows()
        .iter()
        .find(|row| row.message == "stale term applied")
        .unwrap();
    assert_eq!((row.status, row.true_count), (AssertionStatus::Fail, 2));
}

#[test]
fn first_violation_is_per_world() {
    // A world that ends with a violation untaken does not leak it into the next
    // world on the same thread.
    let first = Sim::new(1).run(async {
        tidepool::assert_always!(false, "violated and left behind");
        assertions::first_violation().is_some()
    });
    assert!(first.outcome.unwrap());
    let second = Sim::new(2).run(async {
        tidepool::assert_always!(true, "holds in the second world");
        (
            assertions::first_violation(),
            assertions::take_run_results(),
        )
    });
    let (violation, results) = second.outcome.unwrap();
    assert!(violation.is_none());
    assert!(results.first_violation().is_none());
    assert!(assertions::first_violation().is_none());
}

#[test]
fn details_render_only_for_the_kept_violation() {
    // Details are rendered lazily: a passing always and a later violation never
    // format their details.
    use std::cell::Cell;
    use std::fmt;

    struct Counted<'a>(&'a Cell<u32>);
    impl fmt::Debug for Counted<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.set(self.0.get() + 1);
            f.write_str("counted")
        }
    }

    let run = Sim::new(5).run(async {
        let renders = Cell::new(0);
        tidepool::assert_always!(
            true,
            "passing, details unrendered",
            value = Counted(&renders)
        );
        tidepool::assert_always!(false, "first violation", value = Counted(&renders));
        tidepool::assert_always!(false, "second violation", value = Counted(&renders));
        renders.get()
    });
    assert_eq!(run.outcome.unwrap(), 1);
}
