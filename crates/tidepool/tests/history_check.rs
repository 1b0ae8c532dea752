//! The linearizability checker on histories whose answer is known: the
//! textbook violations, the ways of being right they must not be confused
//! with, indeterminate and failed operations, ties at one instant, the bound
//! on states explored, and partitions.

mod history_kv;

use history_kv::{Kv, Op, Out, Script, us};
use tidepool::history::{Checker, ClientId, History, Verdict, check};

fn violation_ids(verdict: &Verdict) -> Vec<usize> {
    let violation = verdict.violation().expect("a violation");
    violation
        .operations
        .iter()
        .map(|operation| operation.id.index())
        .collect()
}

/// An empty history, and one of sequential operations that agree with a
/// register, are linearizable.
#[test]
fn sequential_history_is_linearizable() {
    let mut script = Script::new();
    assert_eq!(script.check(), Verdict::Linearizable);
    script.read(1, 0, None, 0, 10);
    script.write(1, 0, 5, 20, 30);
    script.read(2, 0, Some(5), 40, 50);
    script.write(2, 0, 6, 60, 70);
    script.read(1, 0, Some(6), 80, 90);
    assert_eq!(script.check(), Verdict::Linearizable);
}

/// The stale read: a read that begins after a write completed returns the
/// value from before it. The two writes and the read are the violation; the
/// read that saw the new value is not needed.
#[test]
fn stale_read_after_completed_write_is_not_linearizable() {
    let mut script = Script::new();
    let first = script.write(1, 0, 1, 0, 10);
    let second = script.write(1, 0, 2, 20, 30);
    script.read(2, 0, Some(2), 35, 38);
    let stale = script.read(3, 0, Some(1), 40, 50);
    let verdict = script.check();
    let ids = [first.index(), second.index(), stale.index()];
    assert_eq!(violation_ids(&verdict), ids);
    history_kv::assert_violation_holds(&script.history, verdict.violation().unwrap());
}

/// Two concurrent writes, and two readers who each see both values, in
/// opposite orders: no single order of the writes explains both.
#[test]
fn two_writes_seen_in_both_orders_are_not_linearizable() {
    let mut script = Script::new();
    script.write(1, 0, 1, 0, 100);
    script.write(2, 0, 2, 0, 100);
    script.read(3, 0, Some(1), 10, 20);
    script.read(3, 0, Some(2), 30, 40);
    script.read(4, 0, Some(2), 10, 20);
    script.read(4, 0, Some(1), 30, 40);
    let verdict = script.check();
    let violation = verdict.violation().expect("both orders seen");
    // The four reads conflict; the writes are context (where the values
    // came from), whatever their outputs.
    assert_eq!(violation.conflict().count(), 4, "{violation}");
    assert_eq!(violation.operations.len(), 6, "{violation}");
    history_kv::assert_violation_holds(&script.history, violation);

    // One reader seeing them in one order is fine.
    let mut script = Script::new();
    script.write(1, 0, 1, 0, 100);
    script.write(2, 0, 2, 0, 100);
    script.read(3, 0, Some(1), 10, 20);
    script.read(3, 0, Some(2), 30, 40);
    script.read(4, 0, Some(1), 10, 20);
    script.read(4, 0, Some(2), 30, 40);
    assert_eq!(script.check(), Verdict::Linearizable);
}

/// An indeterminate write may take effect, but only once: seen, then unseen,
/// is a violation.
#[test]
fn indeterminate_write_seen_then_unseen_is_not_linearizable() {
    let mut script = Script::new();
    let lost = script.lost(1, Op::Write(0, 1), 0, 5);
    let seen = script.read(2, 0, Some(1), 10, 20);
    let unseen = script.read(2, 0, None, 30, 40);
    let verdict = script.check();
    let violation = verdict.violation().expect("seen, then unseen");
    assert_eq!(
        violation_ids(&verdict),
        [lost.index(), seen.index(), unseen.index()]
    );
    let context: Vec<bool> = violation
        .operations
        .iter()
        .map(|operation| operation.context)
        .collect();
    assert_eq!(context, [true, false, false]);
    history_kv::assert_violation_holds(&script.history, violation);
}

/// An indeterminate write that is never seen, or seen only once its client
/// gave up, or seen from then on: each is fine.
#[test]
fn indeterminate_write_never_or_late_seen_is_linearizable() {
    let mut never = Script::new();
    never.lost(1, Op::Write(0, 1), 0, 5);
    never.read(2, 0, None, 10, 20);
    never.read(2, 0, None, 30, 40);
    assert_eq!(never.check(), Verdict::Linearizable);

    let mut late = Script::new();
    late.lost(1, Op::Write(0, 1), 0, 5);
    late.read(2, 0, None, 10, 20);
    late.read(2, 0, Some(1), 30, 40);
    late.read(3, 0, Some(1), 50, 60);
    assert_eq!(late.check(), Verdict::Linearizable);

    // Open at the end of the history: the same as indeterminate.
    let mut open = Script::new();
    open.read(2, 0, None, 10, 20);
    open.history
        .invoke_at(ClientId(1), Op::Write(0, 1), us(0))
        .unwrap();
    open.read(2, 0, Some(1), 30, 40);
    assert_eq!(open.check(), Verdict::Linearizable);
}

/// An ambiguous write (a reply that leaves it open) took effect before its
/// reply or never: seen after it is fine, seen only after a read missed it
/// is not, as it would be for an indeterminate one.
#[test]
fn ambiguous_write_took_effect_before_its_reply_or_never() {
    let ambiguous = |script: &mut Script| {
        let id = script
            .history
            .invoke_at(ClientId(1), Op::Write(0, 1), us(0))
            .unwrap();
        script.history.ambiguous_at(id, us(10)).unwrap();
    };
    let mut seen = Script::new();
    ambiguous(&mut seen);
    seen.read(2, 0, Some(1), 20, 30);
    seen.read(3, 0, Some(1), 40, 50);
    assert_eq!(seen.check(), Verdict::Linearizable);

    let mut never = Script::new();
    ambiguous(&mut never);
    never.read(2, 0, None, 20, 30);
    assert_eq!(never.check(), Verdict::Linearizable);

    let mut late = Script::new();
    ambiguous(&mut late);
    late.read(2, 0, None, 20, 30);
    late.read(2, 0, Some(1), 40, 50);
    let verdict = late.check();
    assert_eq!(violation_ids(&verdict), [0, 1, 2], "{verdict}");
    history_kv::assert_violation_holds(&late.history, verdict.violation().unwrap());

    let mut indeterminate = Script::new();
    indeterminate.lost(1, Op::Write(0, 1), 0, 10);
    indeterminate.read(2, 0, None, 20, 30);
    indeterminate.read(2, 0, Some(1), 40, 50);
    assert_eq!(indeterminate.check(), Verdict::Linearizable);
}

/// Two overlapping operations may take effect in either order.
#[test]
fn concurrent_operations_in_either_order_are_linearizable() {
    for (read_from, read_to) in [(5, 15), (0, 10), (2, 8), (-5i64, 5)] {
        for got in [None, Some(1)] {
            let mut script = Script::new();
            script.write(1, 0, 1, 10, 20);
            script.read(2, 0, got, (read_from + 10) as u64, (read_to + 10) as u64);
            assert_eq!(script.check(), Verdict::Linearizable, "{read_from} {got:?}");
        }
    }
    // Many writers and readers at once: any read of a value written is fine.
    let mut script = Script::new();
    for value in 0..6 {
        script.write(u64::from(value), 0, value, 0, 100);
        script.read(10 + u64::from(value), 0, Some(5 - value), 1, 99);
    }
    assert_eq!(script.check(), Verdict::Linearizable);
}

/// A failed operation did not take effect: a read may not see its value.
#[test]
fn failed_operation_is_left_out() {
    let mut script = Script::new();
    let refused = script
        .history
        .invoke_at(ClientId(1), Op::Write(0, 1), us(0))
        .unwrap();
    script.history.fail_at(refused, us(10)).unwrap();
    script.read(2, 0, None, 20, 30);
    assert_eq!(script.check(), Verdict::Linearizable);
    script.read(2, 0, Some(1), 40, 50);
    let verdict = script.check();
    assert_eq!(
        violation_ids(&verdict),
        [2],
        "the read of a value never written"
    );
}

/// At one instant, events count in the order they were recorded: a read
/// invoked at the instant a write completes, recorded after it, follows it;
/// recorded before it, overlaps it.
#[test]
fn ties_at_one_instant_follow_recording_order() {
    let at = us;
    let mut after = History::new();
    let write = after
        .invoke_at(ClientId(1), Op::Write(0, 1), at(0))
        .unwrap();
    after.complete_at(write, Out::Ok, at(10)).unwrap();
    let read = after.invoke_at(ClientId(2), Op::Read(0), at(10)).unwrap();
    after.complete_at(read, Out::Value(None), at(10)).unwrap();
    assert!(matches!(check(&Kv, &after), Verdict::NotLinearizable(_)));

    let mut during = History::new();
    let write = during
        .invoke_at(ClientId(1), Op::Write(0, 1), at(0))
        .unwrap();
    let read = during.invoke_at(ClientId(2), Op::Read(0), at(10)).unwrap();
    during.complete_at(write, Out::Ok, at(10)).unwrap();
    during.complete_at(read, Out::Value(None), at(10)).unwrap();
    assert_eq!(check(&Kv, &during), Verdict::Linearizable);
}

/// A pipelining client's open operations overlap: they may take effect in
/// either order.
#[test]
fn pipelined_operations_of_one_client_overlap() {
    let mut history = History::new().open_per_client_max(2);
    let write = history
        .invoke_at(ClientId(1), Op::Write(0, 1), us(0))
        .unwrap();
    let read = history.invoke_at(ClientId(1), Op::Read(0), us(1)).unwrap();
    history.complete_at(write, Out::Ok, us(5)).unwrap();
    history.complete_at(read, Out::Value(None), us(6)).unwrap();
    assert_eq!(check(&Kv, &history), Verdict::Linearizable);
}

/// A search past its bound answers unknown, never a pass, and never hangs;
/// with room it finds the violation.
#[test]
fn bound_on_states_gives_unknown() {
    // Eight overlapping writes of distinct values, and eight that time out,
    // then two reads in an order no order of the writes gives: ruling it out
    // takes many configurations.
    let mut script = Script::new();
    for value in 0..8 {
        script.write(u64::from(value), 0, value, 0, 1_000);
        script.lost(100 + u64::from(value), Op::Write(0, 100 + value), 0, 1_000);
    }
    script.read(50, 0, Some(3), 2_000, 2_010);
    script.read(51, 0, Some(4), 2_020, 2_030);
    let verdict = Checker::new().explored_max(50).check(&Kv, &script.history);
    let Verdict::Unknown {
        partition,
        explored,
        limit,
    } = &verdict
    else {
        panic!("unknown past the bound: {verdict}");
    };
    assert_eq!((partition.as_str(), *limit), ("0", 50));
    // A step in progress may take it a few past the limit, no more.
    assert!((50..60).contains(explored), "{explored}");
    assert!(!verdict.is_linearizable());
    let zero = Checker::new().explored_max(0).check(&Kv, &script.history);
    assert!(
        matches!(zero, Verdict::Unknown { explored: 0, .. }),
        "{zero}"
    );

    let verdict = Checker::new().check(&Kv, &script.history);
    assert!(matches!(verdict, Verdict::NotLinearizable(_)), "{verdict}");
}

/// A violation on one key among many is found and reported on its key.
#[test]
fn partitions_find_the_one_bad_key() {
    let script = rounds(50, 20, (31, 13));
    let verdict = script.check();
    let violation = verdict.violation().expect("key 31 went stale");
    assert_eq!(violation.partition, "31");
    assert_eq!(violation.partition_operations, 40);
    for operation in &violation.operations {
        assert!(operation.op.contains("(31"), "{violation}");
    }
    history_kv::assert_violation_holds(&script.history, violation);
}

/// Checking keys apart agrees with checking them as one whole, which is the
/// same question; but ruling out every order of the whole is exponentially
/// harder when keys are written concurrently, and past a few keys it answers
/// unknown where the partitions answer at once.
#[test]
fn partitions_agree_with_the_whole() {
    let good = rounds(3, 10, (99, 99));
    assert_eq!(good.check(), Verdict::Linearizable);
    assert_eq!(
        check(&history_kv::KvWhole, &good.history),
        Verdict::Linearizable
    );

    let bad = rounds(3, 10, (1, 6));
    assert!(matches!(bad.check(), Verdict::NotLinearizable(_)));
    let whole = check(&history_kv::KvWhole, &bad.history);
    assert!(matches!(whole, Verdict::NotLinearizable(_)), "{whole}");

    let wide = rounds(40, 2, (5, 1));
    assert!(matches!(wide.check(), Verdict::NotLinearizable(_)));
    let whole = Checker::new()
        .explored_max(100_000)
        .check(&history_kv::KvWhole, &wide.history);
    assert!(matches!(whole, Verdict::Unknown { .. }), "{whole}");
}

/// Rounds in which every key is written, all at once, then read back by
/// another client; the read of `stale` (key, round) sees the round before.
fn rounds(keys: u32, rounds: u32, stale: (u32, u32)) -> Script {
    let mut script = Script::new();
    for round in 0..rounds {
        for key in 0..keys {
            let time = u64::from(round) * 100;
            let client = u64::from(key % 7);
            script.write(client, key, round, time, time + 10);
            let got = if (key, round) == stale {
                round - 1
            } else {
                round
            };
            script.read(client + 10, key, Some(got), time + 20, time + 30);
        }
    }
    script
}
