//! [`Model`]: the sequential specification a history is checked against.

use std::fmt::Debug;
use std::hash::Hash;

/// What the system under test should do, one operation at a time: the
/// sequential specification a [`History`](super::History) is checked against.
///
/// A history is linearizable when its operations can be put in one order that
/// respects real time (an operation that completed before another was invoked
/// comes first) and in which [`step`](Model::step), run from
/// [`init`](Model::init), gives every completed operation the output its
/// client received.
///
/// Keep [`State`](Model::State) small: the checker clones and hashes it at
/// every step and remembers each one it reaches (intern large values, keep a
/// number standing for each).
///
/// # Examples
///
/// A register per key; operations on different keys are checked apart:
///
/// ```
/// use tidepool::history::Model;
///
/// #[derive(Debug)]
/// enum Op {
///     Write(&'static str, u32),
///     Read(&'static str),
/// }
///
/// #[derive(Debug, PartialEq)]
/// enum Out {
///     Written,
///     Value(Option<u32>),
/// }
///
/// struct Registers;
///
/// impl Model for Registers {
///     type Op = Op;
///     type Out = Out;
///     // One key's value: the checker runs each partition (key) on its own.
///     type State = Option<u32>;
///     type Partition = &'static str;
///
///     fn init(&self) -> Option<u32> {
///         None
///     }
///
///     fn step(&self, value: &Option<u32>, op: &Op) -> (Option<u32>, Out) {
///         match op {
///             Op::Write(_, new) => (Some(*new), Out::Written),
///             Op::Read(_) => (*value, Out::Value(*value)),
///         }
///     }
///
///     fn partition(&self, op: &Op) -> &'static str {
///         match op {
///             Op::Write(key, _) | Op::Read(key) => key,
///         }
///     }
/// }
///
/// let (value, out) = Registers.step(&Registers.init(), &Op::Write("a", 1));
/// assert_eq!((value, out), (Some(1), Out::Written));
/// assert_eq!(Registers.partition(&Op::Read("b")), "b");
/// ```
///
/// A model without partitions says so with `()`:
///
/// ```
/// use tidepool::history::Model;
///
/// struct Counter;
///
/// impl Model for Counter {
///     type Op = u64; // add this much
///     type Out = u64; // the total after it
///     type State = u64;
///     type Partition = ();
///
///     fn init(&self) -> u64 {
///         0
///     }
///
///     fn step(&self, total: &u64, add: &u64) -> (u64, u64) {
///         (total + add, total + add)
///     }
///
///     fn partition(&self, _: &u64) {}
/// }
/// # assert_eq!(Counter.step(&1, &2), (3, 3));
/// ```
pub trait Model {
    /// What a client asks.
    type Op: Debug;
    /// What a client gets back; compared with what [`step`](Model::step)
    /// returns.
    type Out: Debug + PartialEq;
    /// The state of the specification; of one partition when there are
    /// several.
    type State: Clone + Eq + Hash;
    /// What splits a history into independent parts (a key), `()` for none.
    type Partition: Clone + Eq + Hash + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Applies `op` to `state`: the state after it and the output a client
    /// should receive.
    fn step(&self, state: &Self::State, op: &Self::Op) -> (Self::State, Self::Out);

    /// The partition `op` belongs to. Operations of different partitions must
    /// never affect each other (each touches one key, say): each partition is
    /// checked on its own, from [`init`](Model::init), which is both faster
    /// and exact when that holds (P-compositionality, as in Porcupine).
    fn partition(&self, op: &Self::Op) -> Self::Partition;

    /// `op` as a report prints it. Default: its `Debug` form.
    fn describe_op(&self, op: &Self::Op) -> String {
        format!("{op:?}")
    }

    /// `output` as a report prints it. Default: its `Debug` form.
    fn describe_output(&self, output: &Self::Out) -> String {
        format!("{output:?}")
    }

    /// `partition` as a report prints it. Default: its `Debug` form.
    fn describe_partition(&self, partition: &Self::Partition) -> String {
        format!("{partition:?}")
    }
}
