//! The search against brute force, on small random histories.

use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::searcher::{Pass, Searcher};
use super::*;
use crate::history::operation::Stamp;
use crate::time::Instant;

/// A register of small numbers: `Some(v)` writes v, `None` reads.
struct Register;

impl Model for Register {
    type Op = Option<u8>;
    type Out = u8;
    type State = u8;
    type Partition = ();

    fn init(&self) -> u8 {
        0
    }

    fn step(&self, value: &u8, op: &Option<u8>) -> (u8, u8) {
        let value = op.unwrap_or(*value);
        (value, value)
    }

    fn partition(&self, _: &Option<u8>) {}
}

/// Whether some order of some of `ops` (every required one, any optional
/// ones) respects real time and explains every output: every order of
/// every subset, tried.
fn brute_force(ops: &[SearchOp<'_, Option<u8>, u8>]) -> bool {
    let optional: Vec<usize> = (0..ops.len())
        .filter(|&op| !ops[op].is_required())
        .collect();
    (0..1u32 << optional.len()).any(|mask| {
        let mut chosen: Vec<usize> = (0..ops.len())
            .filter(|&op| match optional.iter().position(|&o| o == op) {
                Some(bit) => mask & (1 << bit) != 0,
                None => true,
            })
            .collect();
        any_order_explains(ops, &mut chosen, 0)
    })
}

/// Heap's permutations of `chosen[from..]`, each checked.
fn any_order_explains(
    ops: &[SearchOp<'_, Option<u8>, u8>],
    chosen: &mut Vec<usize>,
    from: usize,
) -> bool {
    if from == chosen.len() {
        return explains(ops, chosen);
    }
    for at in from..chosen.len() {
        chosen.swap(from, at);
        if any_order_explains(ops, chosen, from + 1) {
            return true;
        }
        chosen.swap(from, at);
    }
    false
}

fn explains(ops: &[SearchOp<'_, Option<u8>, u8>], order: &[usize]) -> bool {
    for (at, &first) in order.iter().enumerate() {
        for &later in &order[at + 1..] {
            // `later` may not have returned before `first` was invoked.
            if ops[later]
                .deadline
                .is_some_and(|deadline| deadline < ops[first].invoked)
            {
                return false;
            }
        }
    }
    let mut state = 0;
    order.iter().all(|&op| {
        let (next, output) = Register.step(&state, ops[op].op);
        state = next;
        ops[op].output.is_none_or(|observed| *observed == output)
    })
}

/// The search agrees with trying every order, on small random histories
/// of required, ambiguous (bounded) and indeterminate (unbounded)
/// operations, half of them or so not linearizable.
#[test]
fn search_agrees_with_brute_force() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut below = move |n: u64| rng.next_u64() % n;
    let mut verdicts = [0; 2];
    for round in 0..3_000 {
        let len = 1 + below(6) as usize;
        let mut stamps: Vec<u64> = (0..2 * len as u64).collect();
        for at in (1..stamps.len()).rev() {
            stamps.swap(at, below(at as u64 + 1) as usize);
        }
        let stamp = |seq: u64| Stamp {
            at: Instant::from_nanos(seq / 3),
            seq,
        };
        let op_values: Vec<Option<u8>> = (0..len)
            .map(|_| [None, Some(1), Some(2)][below(3) as usize])
            .collect();
        let outputs: Vec<u8> = (0..len).map(|_| below(3) as u8).collect();
        let ops: Vec<SearchOp<'_, Option<u8>, u8>> = (0..len)
            .map(|at| {
                let (a, b) = (
                    stamps[2 * at].min(stamps[2 * at + 1]),
                    stamps[2 * at].max(stamps[2 * at + 1]),
                );
                let (deadline, output) = match below(5) {
                    0 => (None, None),
                    1 => (Some(stamp(b)), None),
                    _ => (Some(stamp(b)), Some(&outputs[at])),
                };
                SearchOp {
                    op: &op_values[at],
                    invoked: stamp(a),
                    deadline,
                    output,
                }
            })
            .collect();
        let expected = brute_force(&ops);
        let found = search(&Register, &ops, u64::MAX);
        let full = Searcher::new(&Register, &ops, u64::MAX, Pass::Full).run();
        assert_eq!(
            (
                matches!(found, Search::Linearizable { .. }),
                matches!(full, Search::Linearizable { .. })
            ),
            (expected, expected),
            "round {round}: {:?}",
            ops.iter()
                .map(|op| (op.op, op.invoked.seq, op.deadline.map(|d| d.seq), op.output))
                .collect::<Vec<_>>()
        );
        verdicts[usize::from(expected)] += 1;
    }
    assert!(
        verdicts[0] > 500 && verdicts[1] > 500,
        "both answers are common: {verdicts:?}"
    );
}
