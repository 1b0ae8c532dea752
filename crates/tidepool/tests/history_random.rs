//! The checker on random histories: those a correct store produces (a
//! sequential map run over random overlapping intervals, some operations
//! indeterminate) are always linearizable; the same with one read's output
//! changed are often not, and then the violation reported holds and is
//! minimal.

mod history_kv;

use history_kv::{Kv, Op, Out, Shape, generate};
use tidepool::history::{ClientId, History, Outcome, Verdict, check};

const SHAPES: [Shape; 3] = [
    // Few values, many clients on one key: reads are ambiguous, overlaps deep.
    Shape {
        ops: 60,
        keys: 1,
        clients: 6,
        values: 3,
        indeterminate_percent: 15,
        duration_max_us: 20,
    },
    // A few keys, distinct-ish values.
    Shape {
        ops: 200,
        keys: 4,
        clients: 8,
        values: 50,
        indeterminate_percent: 10,
        duration_max_us: 10,
    },
    // Many timeouts.
    Shape {
        ops: 80,
        keys: 2,
        clients: 5,
        values: 4,
        indeterminate_percent: 40,
        duration_max_us: 10,
    },
];

/// Histories a correct store produced are linearizable, whatever the seed.
#[test]
fn histories_of_a_correct_store_are_linearizable() {
    for shape in SHAPES {
        for seed in 0..100 {
            let history = generate(seed, shape);
            let verdict = check(&Kv, &history);
            assert_eq!(verdict, Verdict::Linearizable, "seed {seed}, {shape:?}");
        }
    }
}

/// One read's output changed: when that makes the history non-linearizable,
/// the violation's operations conflict, and minimally.
#[test]
fn corrupted_histories_give_minimal_violations() {
    let mut violations = 0;
    for shape in SHAPES {
        for seed in 0..40 {
            let history = corrupt(&generate(seed, shape), seed);
            if let Verdict::NotLinearizable(violation) = check(&Kv, &history) {
                history_kv::assert_violation_holds(&history, &violation);
                violations += 1;
            }
        }
    }
    assert!(
        violations >= 30,
        "{violations} corrupted histories of 120 are caught"
    );
}

/// `history` with the output of one completed read (chosen by `seed`) set
/// to a value no one wrote or to an old one.
fn corrupt(history: &History<Op, Out>, seed: u64) -> History<Op, Out> {
    let reads: Vec<usize> = (0..history.len())
        .filter(|&at| {
            let operation = &history.operations()[at];
            matches!(operation.op(), Op::Read(_)) && operation.output().is_some()
        })
        .collect();
    let target = reads[seed as usize % reads.len()];
    let mut corrupted = History::new().open_per_client_max(u32::MAX);
    let mut ids = std::collections::HashMap::new();
    for event in history.events() {
        let operation = &history.operations()[event.id.index()];
        let Some(&new) = ids.get(&event.id) else {
            let client: ClientId = operation.client();
            let new = corrupted
                .invoke_at(client, *operation.op(), event.at)
                .unwrap();
            ids.insert(event.id, new);
            continue;
        };
        match operation.outcome() {
            Outcome::Completed(_) if event.id.index() == target => {
                let wrong = match seed % 3 {
                    0 => None,
                    1 => Some(0),
                    _ => Some(1_000),
                };
                corrupted
                    .complete_at(new, Out::Value(wrong), event.at)
                    .unwrap();
            }
            Outcome::Completed(out) => corrupted.complete_at(new, *out, event.at).unwrap(),
            _ => corrupted.indeterminate_at(new, event.at).unwrap(),
        }
    }
    corrupted
}
