//! Transaction ids, and the two legs of a transfer.

use std::fmt;

use super::ParseError;

/// The longest transaction id, in bytes.
pub const TXID_BYTES_MAX: usize = 48;

/// A transaction id: 1 to [`TXID_BYTES_MAX`] bytes of letters, digits, `.`,
/// `_` and `-`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TxId(String);

impl TxId {
    /// Checks `text` and makes it a transaction id.
    ///
    /// # Errors
    ///
    /// [`ParseError::TxId`] when it is empty, too long, or has other bytes.
    pub fn parse(text: &str) -> Result<TxId, ParseError> {
        let allowed = |byte: u8| byte.is_ascii_alphanumeric() || b"._-".contains(&byte);
        if text.is_empty() || text.len() > TXID_BYTES_MAX || !text.bytes().all(allowed) {
            return Err(ParseError::TxId {
                text: text.chars().take(TXID_BYTES_MAX + 1).collect(),
            });
        }
        Ok(TxId(text.to_string()))
    }

    /// The id of one leg of this transfer on an account server.
    pub fn leg(&self, leg: Leg) -> TxId {
        let suffix = match leg {
            Leg::Debit => ".debit",
            Leg::Credit => ".credit",
        };
        TxId(format!("{}{suffix}", self.0))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The two halves of a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leg {
    /// Taking the amount from the source account.
    Debit,
    /// Giving it to the target account.
    Credit,
}
