//! [`Event`]: an invocation or an end, the steps a history is made of.

use super::operation::OpId;
use crate::time::Instant;

/// One event of a [`History`](super::History), as
/// [`History::events`](super::History::events) lists them: in the order the
/// checker reads them (by time; at one instant, as recorded).
///
/// # Examples
///
/// ```
/// use tidepool::history::{ClientId, Event, EventKind, History};
/// use tidepool::time::Instant;
///
/// let mut history = History::<&str, ()>::new();
/// let id = history.invoke_at(ClientId(0), "ping", Instant::from_nanos(5)).unwrap();
/// history.complete_at(id, (), Instant::from_nanos(8)).unwrap();
/// let events: Vec<Event> = history.events().collect();
/// assert_eq!(events[0], Event { id, kind: EventKind::Invoked, at: Instant::from_nanos(5) });
/// assert_eq!(events[1], Event { id, kind: EventKind::Ended, at: Instant::from_nanos(8) });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The operation.
    pub id: OpId,
    /// What happened to it.
    pub kind: EventKind,
    /// When.
    pub at: Instant,
}

/// What an [`Event`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The operation was invoked.
    Invoked,
    /// Its outcome was recorded: completed, indeterminate or failed.
    Ended,
}
