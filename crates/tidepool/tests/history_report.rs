//! A violation as a failure prints it and as the JSON report holds it: its
//! operations with their clients, times and outcomes, context marked; and
//! the JSON reads back the same.

mod history_kv;

use history_kv::{Op, Script};
use tidepool::history::{ReportedOutcome, Verdict};

/// A stale read behind an indeterminate write, reported whole.
fn stale_read() -> Verdict {
    let mut script = Script::new();
    script.write(1, 7, 1, 0, 10);
    script.lost(4, Op::Write(7, 9), 12, 500);
    script.write(2, 7, 2, 20, 30);
    script.read(3, 7, Some(1), 40, 50);
    script.check()
}

/// The printed violation names the partition and lists the operations.
#[test]
fn violation_prints_its_operations() {
    let verdict = stale_read();
    assert_eq!(
        verdict.to_string(),
        "not linearizable: partition 7 (4 operations) has no linearization; no order explains \
         the outputs of these 2, whether or not those marked context took effect (minimal):\n  \
         #0 client 1 [0.000000s, 0.000010s] Write(7, 1) -> Ok, context\n  \
         #2 client 2 [0.000020s, 0.000030s] Write(7, 2) -> Ok\n  \
         #3 client 3 [0.000040s, 0.000050s] Read(7) -> Value(Some(1))"
    );
}

/// The JSON holds each operation's id, client, op, times and outcome, and
/// reads back as the same verdict.
#[test]
fn violation_round_trips_through_json() {
    let verdict = stale_read();
    let json = serde_json::to_value(&verdict).unwrap();
    assert_eq!(json["verdict"], "not_linearizable");
    assert_eq!(json["partition"], "7");
    assert_eq!(json["minimal"], true);
    let read = &json["operations"][2];
    assert_eq!(read["id"], 3);
    assert_eq!(read["client"], 3);
    assert_eq!(read["op"], "Read(7)");
    assert_eq!(read["context"], false);
    assert_eq!(read["invoked"]["nanos"], 40_000);
    assert_eq!(read["outcome"]["kind"], "completed");
    assert_eq!(read["outcome"]["at"]["nanos"], 50_000);
    assert_eq!(read["outcome"]["output"], "Value(Some(1))");
    let back: Verdict = serde_json::from_value(json).unwrap();
    assert_eq!(back, verdict);

    let violation = verdict.violation().unwrap();
    assert!(matches!(
        violation.operations[0].outcome,
        ReportedOutcome::Completed { .. }
    ));
    for simple in [
        Verdict::Linearizable,
        Verdict::Unknown {
            partition: "7".into(),
            explored: 3,
            limit: 3,
        },
    ] {
        let json = serde_json::to_string(&simple).unwrap();
        assert_eq!(serde_json::from_str::<Verdict>(&json).unwrap(), simple);
    }
    assert_eq!(
        serde_json::to_string(&Verdict::Linearizable).unwrap(),
        r#"{"verdict":"linearizable"}"#
    );
}
