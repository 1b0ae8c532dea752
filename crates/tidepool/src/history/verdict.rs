//! What a check found: [`Verdict`], and on a violation the operations that
//! show it ([`Violation`]), printable and serializable for reports.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::operation::{ClientId, OpId};
use crate::core_serde::InstantDef;
use crate::time::Instant;

/// Operations a [`Violation`] prints, at most: a shrinking that ran out of its
/// budget on a large partition can leave hundreds.
pub const VIOLATION_PRINTED_MAX: usize = 40;

/// The answer of [`check`](super::check).
///
/// # Examples
///
/// ```
/// use tidepool::history::Verdict;
///
/// assert!(Verdict::Linearizable.is_linearizable());
/// let unknown = Verdict::Unknown { partition: "\"k\"".into(), explored: 10, limit: 10 };
/// assert!(!unknown.is_linearizable());
/// assert_eq!(
///     unknown.to_string(),
///     "linearizability unknown: partition \"k\": search stopped after 10 states \
///      explored (limit 10)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Every partition has a linearization.
    Linearizable,
    /// A partition has none; the first found.
    NotLinearizable(Violation),
    /// No partition is known to fail, but the search of this one (the first
    /// such) stopped at its limit before an answer.
    Unknown {
        /// The partition, described by
        /// [`Model::describe_partition`](super::Model::describe_partition).
        partition: String,
        /// The states it explored.
        explored: u64,
        /// The limit, [`Checker::explored_max`](super::Checker::explored_max).
        limit: u64,
    },
}

impl Verdict {
    /// Whether the history is linearizable; `false` for unknown.
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable)
    }

    /// The violation, when there is one.
    pub fn violation(&self) -> Option<&Violation> {
        match self {
            Verdict::NotLinearizable(violation) => Some(violation),
            _ => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Linearizable => write!(f, "linearizable"),
            Verdict::NotLinearizable(violation) => write!(f, "{violation}"),
            Verdict::Unknown {
                partition,
                explored,
                limit,
            } => write!(
                f,
                "linearizability unknown: partition {partition}: search stopped after \
                 {explored} states explored (limit {limit})"
            ),
        }
    }
}

/// A partition with no linearization, and the few of its operations that
/// show why.
///
/// Its [`operations`](Violation::operations) are of two kinds. Those whose
/// outputs conflict: no order explains them, whatever the partition's other
/// operations did, each taken as having taken effect inside its interval with
/// whatever output, or not at all ([`Outcome::Ambiguous`](super::Outcome::Ambiguous)).
/// And those marked [`context`](OperationReport::context): what the
/// conflicting ones need to be explained at all (the write whose value a read
/// saw), taken that way. When [`minimal`](Violation::minimal), making any one
/// conflicting operation ambiguous lets an order explain the rest, and
/// dropping any one context operation would leave a conflicting output
/// without an explanation.
///
/// Printed, it lists its first [`VIOLATION_PRINTED_MAX`] operations.
///
/// # Examples
///
/// See [`check`](super::check).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The partition, described by
    /// [`Model::describe_partition`](super::Model::describe_partition).
    pub partition: String,
    /// The partition's operations checked (failed ones are left out).
    pub partition_operations: usize,
    /// The conflicting operations and their context, in invocation order.
    pub operations: Vec<OperationReport>,
    /// Whether shrinking ended minimal. `false` when it ran out of its budget
    /// ([`Checker::shrink_explored_max`](super::Checker::shrink_explored_max))
    /// or a check of its ran out of steps; the operations still conflict then.
    pub minimal: bool,
}

impl Violation {
    /// The operations whose outputs conflict.
    pub fn conflict(&self) -> impl Iterator<Item = &OperationReport> {
        self.operations
            .iter()
            .filter(|operation| !operation.context)
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let conflicting = self.conflict().count();
        write!(
            f,
            "not linearizable: partition {} ({} operations) has no linearization; \
             no order explains the outputs of these {conflicting}",
            self.partition, self.partition_operations,
        )?;
        if conflicting < self.operations.len() {
            write!(f, ", whether or not those marked context took effect")?;
        }
        if self.minimal {
            write!(f, " (minimal)")?;
        } else {
            write!(f, " (not shrunk to a minimum: the budget ran out)")?;
        }
        write!(f, ":")?;
        for operation in self.operations.iter().take(VIOLATION_PRINTED_MAX) {
            write!(f, "\n  {operation}")?;
        }
        if self.operations.len() > VIOLATION_PRINTED_MAX {
            let more = self.operations.len() - VIOLATION_PRINTED_MAX;
            write!(f, "\n  ... and {more} more (the JSON report has them all)")?;
        }
        Ok(())
    }
}

/// One operation as a report shows it.
///
/// # Examples
///
/// ```
/// use tidepool::history::{ClientId, OperationReport, ReportedOutcome};
/// use tidepool::time::Instant;
///
/// # let id = {
/// #     let mut history = tidepool::history::History::<(), ()>::new();
/// #     history.invoke_at(ClientId(0), (), Instant::ZERO).unwrap()
/// # };
/// let report = OperationReport {
///     id,
///     context: false,
///     client: ClientId(2),
///     op: "Read".into(),
///     invoked: Instant::from_nanos(1_000),
///     outcome: ReportedOutcome::Completed {
///         at: Instant::from_nanos(3_000),
///         output: "Some(1)".into(),
///     },
/// };
/// assert_eq!(
///     report.to_string(),
///     "#0 client 2 [0.000001s, 0.000003s] Read -> Some(1)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationReport {
    /// Its id in the history checked.
    pub id: OpId,
    /// Whether it is context, shown for what it may have done: the conflict
    /// holds whether or not it took effect. See [`Violation`].
    pub context: bool,
    /// Its client.
    pub client: ClientId,
    /// What it asked, by [`Model::describe_op`](super::Model::describe_op).
    pub op: String,
    /// When it was invoked.
    #[serde(with = "InstantDef")]
    pub invoked: Instant,
    /// How it ended.
    pub outcome: ReportedOutcome,
}

impl fmt::Display for OperationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            id,
            context,
            client,
            op,
            invoked,
            outcome,
        } = self;
        match outcome {
            ReportedOutcome::Completed { at, output } => {
                write!(f, "{id} client {client} [{invoked}, {at}] {op} -> {output}")
            }
            ReportedOutcome::Indeterminate { at } => write!(
                f,
                "{id} client {client} [{invoked}, ...] {op} -> indeterminate (gave up at {at})"
            ),
            ReportedOutcome::Ambiguous { at } => write!(
                f,
                "{id} client {client} [{invoked}, {at}] {op} -> ambiguous (took effect or not)"
            ),
            ReportedOutcome::Open => {
                write!(f, "{id} client {client} [{invoked}, ...] {op} -> open")
            }
        }?;
        if *context {
            write!(f, ", context")?;
        }
        Ok(())
    }
}

/// How a reported operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReportedOutcome {
    /// It completed at `at` with this output, by
    /// [`Model::describe_output`](super::Model::describe_output).
    Completed {
        /// When.
        #[serde(with = "InstantDef")]
        at: Instant,
        /// Its output.
        output: String,
    },
    /// Its client gave up on it at `at`; it may take effect at any point after
    /// its invocation, or never.
    Indeterminate {
        /// When its client gave up.
        #[serde(with = "InstantDef")]
        at: Instant,
    },
    /// A reply at `at` left it open whether it took effect (before `at`).
    Ambiguous {
        /// When the reply came.
        #[serde(with = "InstantDef")]
        at: Instant,
    },
    /// It had not ended when the history was checked; checked as
    /// indeterminate.
    Open,
}
