//! One recorded operation: which client invoked what, when, and how it ended.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::Instant;

/// A client of the system under test, as a [`History`](super::History) names it.
///
/// A client is whatever issues operations: a task, a connection, a thread. Its
/// number is the caller's choice; the checker only uses it in reports.
///
/// # Examples
///
/// ```
/// use tidepool::history::ClientId;
///
/// assert_eq!(ClientId(3).to_string(), "3");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ClientId(pub u64);

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An operation's place in its [`History`](super::History): returned by
/// `invoke`, passed to `complete`, `indeterminate`, `ambiguous` or `fail`.
///
/// # Examples
///
/// ```
/// use tidepool::history::{ClientId, History};
/// use tidepool::time::Instant;
///
/// let mut history = History::<&str, ()>::new();
/// let id = history.invoke_at(ClientId(0), "ping", Instant::ZERO).unwrap();
/// assert_eq!(id.index(), 0);
/// assert_eq!(id.to_string(), "#0");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpId(pub(crate) u32);

impl OpId {
    /// The operation's index in [`History::operations`](super::History::operations).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// How an operation ended, as far as its client knows.
///
/// # Examples
///
/// ```
/// use tidepool::history::{ClientId, History, Outcome};
/// use tidepool::time::Instant;
///
/// let mut history = History::<&str, u32>::new();
/// let id = history.invoke_at(ClientId(0), "read", Instant::ZERO).unwrap();
/// assert_eq!(history.operations()[0].outcome(), &Outcome::Open);
/// history.complete_at(id, 7, Instant::from_nanos(10)).unwrap();
/// assert_eq!(history.operations()[0].outcome(), &Outcome::Completed(7));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome<Out> {
    /// Invoked, not ended yet. The checker treats it as
    /// [`Indeterminate`](Outcome::Indeterminate).
    Open,
    /// The client received this output: the operation took effect once,
    /// between its invocation and its completion.
    Completed(Out),
    /// The client will never know (a timeout, a lost connection, a server that
    /// rebooted mid-request): the operation may have taken effect at any point
    /// after its invocation, even after the client gave up, or never.
    Indeterminate,
    /// The client received a reply that does not say whether the operation
    /// took effect ("unavailable, may have been applied"): it took effect
    /// between its invocation and that reply, or never; its output is
    /// unknown.
    Ambiguous,
    /// The client knows the operation did not take effect (the server refused
    /// it before doing anything). The checker leaves it out.
    Failed,
}

impl<Out> Outcome<Out> {
    /// The outcome's name in reports and errors: `open`, `completed`,
    /// `indeterminate`, `ambiguous` or `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Open => "open",
            Outcome::Completed(_) => "completed",
            Outcome::Indeterminate => "indeterminate",
            Outcome::Ambiguous => "ambiguous",
            Outcome::Failed => "failed",
        }
    }
}

/// A point in a history's order of events: its time, then the order in which
/// it was recorded, which breaks ties between events at the same instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Stamp {
    pub(crate) at: Instant,
    pub(crate) seq: u64,
}

/// One operation of a [`History`](super::History): its client, what it asked,
/// when, and how it ended.
///
/// # Examples
///
/// ```
/// use tidepool::history::{ClientId, History};
/// use tidepool::time::Instant;
///
/// let mut history = History::<&str, u32>::new();
/// let id = history.invoke_at(ClientId(4), "read", Instant::from_nanos(5)).unwrap();
/// history.complete_at(id, 1, Instant::from_nanos(9)).unwrap();
///
/// let operation = &history.operations()[id.index()];
/// assert_eq!(operation.client(), ClientId(4));
/// assert_eq!(*operation.op(), "read");
/// assert_eq!(operation.invoked_at(), Instant::from_nanos(5));
/// assert_eq!(operation.ended_at(), Some(Instant::from_nanos(9)));
/// assert_eq!(operation.output(), Some(&1));
/// ```
#[derive(Clone, Debug)]
pub struct Operation<Op, Out> {
    pub(crate) client: ClientId,
    pub(crate) op: Op,
    pub(crate) invoked: Stamp,
    /// When the outcome was recorded; `None` while open.
    pub(crate) ended: Option<Stamp>,
    pub(crate) outcome: Outcome<Out>,
}

impl<Op, Out> Operation<Op, Out> {
    /// The client that invoked it.
    pub fn client(&self) -> ClientId {
        self.client
    }

    /// What it asked for.
    pub fn op(&self) -> &Op {
        &self.op
    }

    /// When it was invoked.
    pub fn invoked_at(&self) -> Instant {
        self.invoked.at
    }

    /// When its outcome was recorded; `None` while open. For an indeterminate
    /// operation this is when its client gave up, not a bound on its effect.
    pub fn ended_at(&self) -> Option<Instant> {
        self.ended.map(|stamp| stamp.at)
    }

    /// How it ended.
    pub fn outcome(&self) -> &Outcome<Out> {
        &self.outcome
    }

    /// The output its client received, when it completed.
    pub fn output(&self) -> Option<&Out> {
        match &self.outcome {
            Outcome::Completed(output) => Some(output),
            _ => None,
        }
    }

    /// When it took effect by, if it did: its reply; `None` when it may take
    /// effect at any point after its invocation (indeterminate or open).
    pub(crate) fn deadline(&self) -> Option<Stamp> {
        match self.outcome {
            Outcome::Completed(_) | Outcome::Ambiguous => self.ended,
            _ => None,
        }
    }
}
