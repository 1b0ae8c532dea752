//! Reading the words of a line: the errors, and the numbers and accounts.

use super::TXID_BYTES_MAX;

/// The largest amount a request may move, and the largest balance change.
pub const AMOUNT_MAX: u64 = 1_000_000;

/// An account number, global across the servers.
pub type Account = u32;

/// A line that is not a valid request or reply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing on the line.
    #[error("empty line")]
    Empty,
    /// A first word that names no command.
    #[error("unknown command '{0}'")]
    UnknownCommand(String),
    /// A command with the wrong number of arguments.
    #[error("'{command}' takes {expected} argument(s), got {got}")]
    Arguments {
        /// The command.
        command: &'static str,
        /// How many it takes.
        expected: usize,
        /// How many the line had.
        got: usize,
    },
    /// An argument that should be a number and is not, or is out of range.
    #[error("{what} '{text}' is not a number in {range}")]
    Number {
        /// Which argument.
        what: &'static str,
        /// The text given.
        text: String,
        /// The range it must be in.
        range: String,
    },
    /// An invalid transaction id.
    #[error("txid '{text}' is not 1 to {TXID_BYTES_MAX} letters, digits, '.', '_' or '-'")]
    TxId {
        /// The text given, cut after one byte past the limit.
        text: String,
    },
    /// A reply other than the ones the request allows.
    #[error("unexpected reply '{0}'")]
    Reply(String),
}

pub(crate) fn expect_arguments<'a, const N: usize>(
    command: &'static str,
    words: &[&'a str],
) -> Result<[&'a str; N], ParseError> {
    <[&str; N]>::try_from(words).map_err(|_| ParseError::Arguments {
        command,
        expected: N,
        got: words.len(),
    })
}

pub(crate) fn unknown_command(word: &str) -> ParseError {
    ParseError::UnknownCommand(word.chars().take(TXID_BYTES_MAX).collect())
}

pub(crate) fn parse_account(text: &str) -> Result<Account, ParseError> {
    let account = parse_number("account", text, 0..=u64::from(Account::MAX))?;
    Ok(account as Account)
}

pub(crate) fn parse_delta(text: &str) -> Result<i64, ParseError> {
    let limit = AMOUNT_MAX as i64;
    let delta = text
        .parse::<i64>()
        .ok()
        .filter(|delta| (-limit..=limit).contains(delta) && *delta != 0);
    delta.ok_or_else(|| ParseError::Number {
        what: "delta",
        text: text.chars().take(TXID_BYTES_MAX).collect(),
        range: format!("-{AMOUNT_MAX}..={AMOUNT_MAX}, not 0"),
    })
}

pub(crate) fn parse_number(
    what: &'static str,
    text: &str,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ParseError> {
    let number = text.parse::<u64>().ok().filter(|n| range.contains(n));
    number.ok_or_else(|| ParseError::Number {
        what,
        text: text.chars().take(TXID_BYTES_MAX).collect(),
        range: format!("{}..={}", range.start(), range.end()),
    })
}
