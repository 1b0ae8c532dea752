//! Histories of operations, and whether they are linearizable.
//!
//! A workload records what its clients asked and got in a [`History`]:
//! [`invoke`](History::invoke) before a request is sent,
//! [`complete`](History::complete) when its reply is in,
//! [`indeterminate`](History::indeterminate) when the client will never know
//! (a timeout, a lost connection). [`check`] then asks whether some order of
//! the operations, respecting real time, explains every output with a
//! sequential [`Model`] of the system: whether the history is linearizable.
//! When it is not, the [`Verdict`] holds a [`Violation`]: a minimal set of
//! operations that has no such order, with their clients, times and outputs.
//!
//! The checker is Wing & Gong's search with Lowe's memoization, run per
//! partition (key) as Porcupine does, with a bound on the states it explores:
//! past it the answer is [`Verdict::Unknown`], never a pass.
//!
//! Nothing here depends on the simulation but its clock (which
//! [`History::invoke`] reads); [`History::invoke_at`] and friends take any
//! time, so histories from anywhere can be checked.
//!
//! # Examples
//!
//! Two clients of a register: client 1 writes 1 while client 2 reads twice.
//! The first read may see either value, but once a read has seen 1 a later
//! read must not see 0 again.
//!
//! ```
//! use tidepool::history::{check, ClientId, History, Model};
//! use tidepool::time::Instant;
//!
//! #[derive(Debug)]
//! enum Op {
//!     Write(u32),
//!     Read,
//! }
//!
//! /// The specification: a register holding a number, 0 at first.
//! struct Register;
//!
//! impl Model for Register {
//!     type Op = Op;
//!     type Out = Option<u32>; // a read's value; None for a write
//!     type State = u32;
//!     type Partition = (); // one register: nothing to split
//!
//!     fn init(&self) -> u32 {
//!         0
//!     }
//!
//!     fn step(&self, value: &u32, op: &Op) -> (u32, Option<u32>) {
//!         match op {
//!             Op::Write(new) => (*new, None),
//!             Op::Read => (*value, Some(*value)),
//!         }
//!     }
//!
//!     fn partition(&self, _: &Op) {}
//! }
//!
//! let at = Instant::from_nanos;
//! let mut history = History::new();
//! let write = history.invoke_at(ClientId(1), Op::Write(1), at(0)).unwrap();
//! let first = history.invoke_at(ClientId(2), Op::Read, at(1)).unwrap();
//! history.complete_at(first, Some(1), at(2)).unwrap();
//! let second = history.invoke_at(ClientId(2), Op::Read, at(3)).unwrap();
//! history.complete_at(second, Some(0), at(4)).unwrap();
//! history.complete_at(write, None, at(5)).unwrap();
//!
//! let verdict = check(&Register, &history);
//! let violation = verdict.violation().expect("1 was seen, then unseen");
//! assert_eq!(violation.operations.len(), 3);
//! println!("{verdict}");
//! ```

mod checker;
mod error;
mod event;
mod model;
mod operation;
mod recorder;
mod search;
mod shrink;
mod verdict;

pub use checker::{Checker, EXPLORED_MAX_DEFAULT, SHRINK_EXPLORED_MAX_DEFAULT, check};
pub use error::HistoryError;
pub use event::{Event, EventKind};
pub use model::Model;
pub use operation::{ClientId, OpId, Operation, Outcome};
pub use recorder::{History, OPEN_PER_CLIENT_MAX_DEFAULT, OPERATIONS_MAX_DEFAULT};
pub use verdict::{OperationReport, ReportedOutcome, VIOLATION_PRINTED_MAX, Verdict, Violation};

/// The hasher of the checker's maps: SipHash with fixed keys. A `RandomState`
/// would draw OS randomness inside the simulation, which the sanitizer
/// denies ([`crate::sanitizer`]); the maps are only looked up, never iterated
/// for output, so their order could not leak anyway.
pub(crate) type FixedState = std::hash::BuildHasherDefault<std::hash::DefaultHasher>;
