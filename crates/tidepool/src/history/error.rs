//! What a [`History`](super::History) refuses to record.

use super::operation::{ClientId, OpId};
use crate::time::Instant;

/// Why a [`History`](super::History) refused to record an event. Nothing is
/// recorded when it does.
///
/// # Examples
///
/// ```
/// use tidepool::history::{ClientId, History, HistoryError};
/// use tidepool::time::Instant;
///
/// let mut history = History::<&str, ()>::new().operations_max(1);
/// history.invoke_at(ClientId(0), "a", Instant::ZERO).unwrap();
/// let full = history.invoke_at(ClientId(1), "b", Instant::ZERO).unwrap_err();
/// assert_eq!(full, HistoryError::Full { limit: 1 });
/// assert_eq!(full.to_string(), "history full: 1 operations recorded, the limit");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The history holds [`operations_max`](super::History::operations_max)
    /// operations already.
    #[error("history full: {limit} operations recorded, the limit")]
    Full {
        /// The limit.
        limit: usize,
    },
    /// The client has as many operations open as it may
    /// ([`open_per_client_max`](super::History::open_per_client_max)).
    #[error("client {client} has {open} operations open, the limit")]
    ClientBusy {
        /// The client.
        client: ClientId,
        /// Its open operations: the limit.
        open: u32,
    },
    /// No operation of this history has this id (it came from another one).
    #[error("no operation {id} in this history of {len} operations")]
    UnknownOperation {
        /// The id given.
        id: OpId,
        /// The operations the history holds.
        len: usize,
    },
    /// The operation has an outcome already.
    #[error("operation {id} ended already: {outcome}")]
    AlreadyEnded {
        /// The operation.
        id: OpId,
        /// Its outcome's name (`completed`, `indeterminate`, `ambiguous`, `failed`).
        outcome: &'static str,
    },
    /// The outcome's time is before the operation's invocation.
    #[error("operation {id} ends at {ended}, before its invocation at {invoked}")]
    EndsBeforeInvoked {
        /// The operation.
        id: OpId,
        /// Its invocation.
        invoked: Instant,
        /// The time given for its end.
        ended: Instant,
    },
}
