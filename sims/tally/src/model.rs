//! `Counter`: the sequential specification tally's history is checked
//! against.

use tidepool::history::Model;

/// What a client asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterOp {
    /// Add this much; the output is the count after it.
    Add(u64),
    /// Read the count.
    Read,
}

/// A counter starting at 0: an add returns the count after it, a read the
/// count.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counter;

impl Model for Counter {
    type Op = CounterOp;
    type Out = u64;
    type State = u64;
    type Partition = ();

    fn init(&self) -> u64 {
        0
    }

    fn step(&self, count: &u64, op: &CounterOp) -> (u64, u64) {
        let after = match op {
            CounterOp::Add(amount) => count.saturating_add(*amount),
            CounterOp::Read => *count,
        };
        (after, after)
    }

    fn partition(&self, _: &CounterOp) {}
}
