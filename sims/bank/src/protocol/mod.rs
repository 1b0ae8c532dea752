//! The bank's wire protocol: one request per line, one reply per line, in
//! plain text, so that `nc` can talk to a server.
//!
//! Account servers answer:
//!
//! | request | reply |
//! |---|---|
//! | `apply <txid> <account> <delta>` | `applied new`, `applied repeat`, `refused new`, `refused repeat` |
//! | `balance <account>` | `balance <n>` |
//! | `total` | `total <n>` |
//!
//! The coordinator answers:
//!
//! | request | reply |
//! |---|---|
//! | `transfer <txid> <from> <to> <amount>` | `done`, `refused`, `unavailable` |
//! | `pending` | `pending <n>` |
//!
//! Either answers a line it cannot read with `error <why>`, and goes on
//! reading the next one.

mod codec;
mod parse;
mod reply;
mod request;
mod txid;

pub use codec::{LINE_BYTES_MAX, Line, LineCodec, LineError};
pub use parse::{AMOUNT_MAX, Account, ParseError};
pub use reply::{Decision, Outcome, TransferReply, error_reply, parse_count_reply};
pub use request::{CoordinatorRequest, ServerRequest, Transfer};
pub use txid::{Leg, TXID_BYTES_MAX, TxId};
