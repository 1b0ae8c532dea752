//! [`Checker`] and [`check`]: whether a history is linearizable.

use std::collections::HashMap;

use super::FixedState;

use super::model::Model;
use super::operation::{OpId, Operation, Outcome, Stamp};
use super::recorder::History;
use super::search::{Search, SearchOp, search};
use super::shrink::shrink;
use super::verdict::{OperationReport, ReportedOutcome, Verdict, Violation};

/// Steps of the model (states explored) the search of one partition takes,
/// unless told otherwise, before answering [`Verdict::Unknown`]. A
/// linearizable partition of n operations usually takes a few times n; ten
/// million take about half a second on one core, and some tens of megabytes
/// with small states.
pub const EXPLORED_MAX_DEFAULT: u64 = 10_000_000;
/// Steps shrinking a violation may spend, unless told otherwise, over all the
/// sub-histories it checks.
pub const SHRINK_EXPLORED_MAX_DEFAULT: u64 = 10_000_000;

/// Checks histories for linearizability against a [`Model`], with bounds.
///
/// Each partition ([`Model::partition`]) is searched on its own, with Wing &
/// Gong's algorithm and Lowe's memoization, trying at most
/// [`explored_max`](Checker::explored_max) steps of the model; past them its
/// answer is [`Verdict::Unknown`], never a pass. The first partition found
/// not linearizable is shrunk to a minimal non-linearizable sub-history,
/// spending at most [`shrink_explored_max`](Checker::shrink_explored_max)
/// steps, and reported.
///
/// Operations recorded [`Failed`](Outcome::Failed) are left out; open ones
/// are checked as indeterminate.
///
/// # Examples
///
/// ```
/// use tidepool::history::{Checker, ClientId, History, Model, Verdict};
/// use tidepool::time::Instant;
///
/// /// A register holding a number, 0 at first; an op writes `Some(v)` or
/// /// reads (`None`); a write's output is the value written, a read's the
/// /// value read.
/// struct Register;
///
/// impl Model for Register {
///     type Op = Option<u32>;
///     type Out = u32;
///     type State = u32;
///     type Partition = ();
///
///     fn init(&self) -> u32 {
///         0
///     }
///
///     fn step(&self, value: &u32, op: &Option<u32>) -> (u32, u32) {
///         let value = op.unwrap_or(*value);
///         (value, value)
///     }
///
///     fn partition(&self, _: &Option<u32>) {}
/// }
///
/// let at = Instant::from_nanos;
/// let mut history = History::new();
/// let write = history.invoke_at(ClientId(1), Some(1), at(0)).unwrap();
/// history.complete_at(write, 1, at(10)).unwrap();
/// let read = history.invoke_at(ClientId(2), None, at(20)).unwrap();
/// history.complete_at(read, 0, at(30)).unwrap();
///
/// // The read began after the write completed, yet saw the old value.
/// let verdict = Checker::new().explored_max(1_000).check(&Register, &history);
/// assert!(matches!(verdict, Verdict::NotLinearizable(_)));
/// assert_eq!(Checker::new().explored_max(0).check(&Register, &history).is_linearizable(), false);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checker {
    explored_max: u64,
    shrink_explored_max: u64,
}

impl Default for Checker {
    fn default() -> Self {
        Checker::new()
    }
}

impl Checker {
    /// A checker with the default bounds, [`EXPLORED_MAX_DEFAULT`] and
    /// [`SHRINK_EXPLORED_MAX_DEFAULT`].
    pub fn new() -> Checker {
        Checker {
            explored_max: EXPLORED_MAX_DEFAULT,
            shrink_explored_max: SHRINK_EXPLORED_MAX_DEFAULT,
        }
    }

    /// Tries at most `states` steps of the model per partition before
    /// answering [`Verdict::Unknown`]. Default [`EXPLORED_MAX_DEFAULT`]. The
    /// memory a search takes grows with it: one remembered state and 16 bytes
    /// per step at most.
    pub fn explored_max(self, states: u64) -> Checker {
        Checker {
            explored_max: states,
            ..self
        }
    }

    /// Spends at most `states` steps of the model shrinking a violation; past
    /// them the violation reported is the smallest found, marked not minimal.
    /// Default [`SHRINK_EXPLORED_MAX_DEFAULT`].
    pub fn shrink_explored_max(self, states: u64) -> Checker {
        Checker {
            shrink_explored_max: states,
            ..self
        }
    }

    /// Whether `history` is linearizable with respect to `model`.
    ///
    /// Partitions are checked in the order of their first operation, and the
    /// first not linearizable is reported; so the verdict is the same in
    /// every run.
    pub fn check<M: Model>(&self, model: &M, history: &History<M::Op, M::Out>) -> Verdict {
        let mut unknown = None;
        for partition in partitions(model, history.operations()) {
            match search(model, &partition.search_ops(), self.explored_max) {
                Search::Linearizable { .. } => {}
                Search::NotLinearizable { frontier, .. } => {
                    let violation = self.violation(model, &partition, frontier);
                    return Verdict::NotLinearizable(violation);
                }
                Search::Unknown { explored } => {
                    unknown.get_or_insert_with(|| Verdict::Unknown {
                        partition: model.describe_partition(&partition.key),
                        explored,
                        limit: self.explored_max,
                    });
                }
            }
        }
        unknown.unwrap_or(Verdict::Linearizable)
    }

    /// The violation of `partition`, which is not linearizable: its operations
    /// invoked before `frontier` (the others never mattered to the search),
    /// shrunk to a minimal non-linearizable sub-history.
    fn violation<M: Model>(
        &self,
        model: &M,
        partition: &Partition<'_, M>,
        frontier: Stamp,
    ) -> Violation {
        let all = partition.search_ops();
        let before: Vec<usize> = (0..all.len())
            .filter(|&index| all[index].invoked < frontier)
            .collect();
        let ops: Vec<_> = before.iter().map(|&index| all[index]).collect();
        let shrunk = shrink(model, &ops, self.explored_max, self.shrink_explored_max);
        let mut kept: Vec<(usize, bool)> = (shrunk.conflict.iter().map(|&at| (before[at], false)))
            .chain(shrunk.context.iter().map(|&at| (before[at], true)))
            .collect();
        kept.sort_unstable();
        let operations = kept
            .into_iter()
            .map(|(index, context)| {
                report(model, partition.ids[index], partition.ops[index], context)
            })
            .collect();
        Violation {
            partition: model.describe_partition(&partition.key),
            partition_operations: partition.ops.len(),
            operations,
            minimal: shrunk.minimal,
        }
    }
}

/// Checks `history` against `model` with a default [`Checker`].
///
/// # Examples
///
/// The textbook stale read, found and reported:
///
/// ```
/// use tidepool::history::{check, ClientId, History, Model};
/// use tidepool::time::Instant;
///
/// #[derive(Debug)]
/// enum Op {
///     Write(u32),
///     Read,
/// }
///
/// /// A register holding a number, 0 at first; a write's output is `None`, a
/// /// read's the value read.
/// struct Register;
///
/// impl Model for Register {
///     type Op = Op;
///     type Out = Option<u32>;
///     type State = u32;
///     type Partition = ();
///
///     fn init(&self) -> u32 {
///         0
///     }
///
///     fn step(&self, value: &u32, op: &Op) -> (u32, Option<u32>) {
///         match op {
///             Op::Write(new) => (*new, None),
///             Op::Read => (*value, Some(*value)),
///         }
///     }
///
///     fn partition(&self, _: &Op) {}
/// }
///
/// let at = |micros: u64| Instant::from_nanos(micros * 1_000);
/// let mut history = History::new();
/// // Client 1 writes 1, and it completes at 10µs.
/// let write = history.invoke_at(ClientId(1), Op::Write(1), at(0)).unwrap();
/// history.complete_at(write, None, at(10)).unwrap();
/// // Client 2 reads concurrently with a write of 2 that times out: both
/// // values are fine for it.
/// let lost = history.invoke_at(ClientId(3), Op::Write(2), at(15)).unwrap();
/// let read = history.invoke_at(ClientId(2), Op::Read, at(20)).unwrap();
/// history.complete_at(read, Some(2), at(30)).unwrap();
/// history.indeterminate_at(lost, at(40)).unwrap();
/// assert!(check(&Register, &history).is_linearizable());
///
/// // Then client 2 reads 0: neither write took effect, yet one completed.
/// let stale = history.invoke_at(ClientId(2), Op::Read, at(50)).unwrap();
/// history.complete_at(stale, Some(0), at(60)).unwrap();
/// let verdict = check(&Register, &history);
/// let violation = verdict.violation().expect("a stale read");
/// assert!(violation.minimal);
/// // The completed write and the stale read suffice to show it.
/// assert_eq!(violation.operations.len(), 2);
/// assert_eq!(
///     verdict.to_string(),
///     "not linearizable: partition () (4 operations) has no linearization; \
///      no order explains the outputs of these 2 (minimal):\n  \
///      #0 client 1 [0.000000s, 0.000010s] Write(1) -> None\n  \
///      #3 client 2 [0.000050s, 0.000060s] Read -> Some(0)"
/// );
/// ```
pub fn check<M: Model>(model: &M, history: &History<M::Op, M::Out>) -> Verdict {
    Checker::new().check(model, history)
}

/// One partition's operations (none failed), in invocation order, with their
/// ids in the history.
struct Partition<'a, M: Model> {
    key: M::Partition,
    ids: Vec<OpId>,
    ops: Vec<&'a Operation<M::Op, M::Out>>,
}

impl<'a, M: Model> Partition<'a, M> {
    fn search_ops(&self) -> Vec<SearchOp<'a, M::Op, M::Out>> {
        self.ops
            .iter()
            .map(|operation| SearchOp::new(operation))
            .collect()
    }
}

/// The partitions of `operations`, in the order of their first operation.
fn partitions<'a, M: Model>(
    model: &M,
    operations: &'a [Operation<M::Op, M::Out>],
) -> Vec<Partition<'a, M>> {
    let mut partitions: Vec<Partition<'a, M>> = Vec::new();
    let mut by_key: HashMap<M::Partition, usize, FixedState> = HashMap::default();
    for (index, operation) in operations.iter().enumerate() {
        if operation.outcome == Outcome::Failed {
            continue;
        }
        let key = model.partition(&operation.op);
        let at = *by_key.entry(key.clone()).or_insert_with(|| {
            partitions.push(Partition {
                key,
                ids: Vec::new(),
                ops: Vec::new(),
            });
            partitions.len() - 1
        });
        let id = u32::try_from(index).expect("a history's operations fit in u32");
        partitions[at].ids.push(OpId(id));
        partitions[at].ops.push(operation);
    }
    partitions
}

/// `operation`, as a report shows it.
fn report<M: Model>(
    model: &M,
    id: OpId,
    operation: &Operation<M::Op, M::Out>,
    context: bool,
) -> OperationReport {
    let ended_at = operation.ended_at();
    let outcome = match (&operation.outcome, ended_at) {
        (Outcome::Completed(output), Some(at)) => ReportedOutcome::Completed {
            at,
            output: model.describe_output(output),
        },
        (Outcome::Indeterminate, Some(at)) => ReportedOutcome::Indeterminate { at },
        (Outcome::Ambiguous, Some(at)) => ReportedOutcome::Ambiguous { at },
        (Outcome::Open, None) => ReportedOutcome::Open,
        (outcome, _) => unreachable!("a checked operation is {}", outcome.name()),
    };
    OperationReport {
        id,
        context,
        client: operation.client,
        op: model.describe_op(&operation.op),
        invoked: operation.invoked_at(),
        outcome,
    }
}
