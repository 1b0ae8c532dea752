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

use std::fmt;

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder, LinesCodec, LinesCodecError};

/// The longest line either side reads, in bytes, newline excluded.
pub const LINE_BYTES_MAX: usize = 256;
/// The longest transaction id, in bytes.
pub const TXID_BYTES_MAX: usize = 48;
/// The largest amount a request may move, and the largest balance change.
pub const AMOUNT_MAX: u64 = 1_000_000;

/// An account number, global across the servers.
pub type Account = u32;

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

/// A request to an account server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerRequest {
    /// Adds `delta` to `account` once per `txid`; a debit that would leave
    /// the account below zero is refused, and the refusal is as final as an
    /// application.
    Apply {
        /// The leg's transaction id.
        txid: TxId,
        /// The account, which the server must own.
        account: Account,
        /// The change, negative for a debit.
        delta: i64,
    },
    /// The balance of one account.
    Balance {
        /// The account, which the server must own.
        account: Account,
    },
    /// The sum of the server's balances.
    Total,
}

impl ServerRequest {
    /// Parses one line.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] saying what is wrong with it.
    pub fn parse(line: &str) -> Result<ServerRequest, ParseError> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((&command, arguments)) = words.split_first() else {
            return Err(ParseError::Empty);
        };
        match command {
            "apply" => {
                let [txid, account, delta] = expect_arguments("apply", arguments)?;
                Ok(ServerRequest::Apply {
                    txid: TxId::parse(txid)?,
                    account: parse_account(account)?,
                    delta: parse_delta(delta)?,
                })
            }
            "balance" => {
                let [account] = expect_arguments("balance", arguments)?;
                Ok(ServerRequest::Balance {
                    account: parse_account(account)?,
                })
            }
            "total" => {
                let [] = expect_arguments("total", arguments)?;
                Ok(ServerRequest::Total)
            }
            other => Err(unknown_command(other)),
        }
    }
}

impl fmt::Display for ServerRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerRequest::Apply {
                txid,
                account,
                delta,
            } => write!(f, "apply {txid} {account} {delta}"),
            ServerRequest::Balance { account } => write!(f, "balance {account}"),
            ServerRequest::Total => f.write_str("total"),
        }
    }
}

/// A request to the coordinator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CoordinatorRequest {
    /// Moves `amount` from `from` to `to`, once per `txid`.
    Transfer(Transfer),
    /// How many transfers the coordinator has begun and not ended.
    Pending,
}

/// One transfer between two accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// The transfer's id, unique per transfer.
    pub txid: TxId,
    /// The account debited.
    pub from: Account,
    /// The account credited.
    pub to: Account,
    /// How much moves, from 1 to [`AMOUNT_MAX`].
    pub amount: u64,
}

impl Transfer {
    /// Parses the four words after `transfer` (or after `begin` in the
    /// coordinator's journal).
    ///
    /// # Errors
    ///
    /// A [`ParseError`] naming the bad word; `from` equal to `to` is refused.
    pub fn parse_words(command: &'static str, words: &[&str]) -> Result<Transfer, ParseError> {
        let [txid, from, to, amount] = expect_arguments(command, words)?;
        let transfer = Transfer {
            txid: TxId::parse(txid)?,
            from: parse_account(from)?,
            to: parse_account(to)?,
            amount: parse_number("amount", amount, 1..=AMOUNT_MAX)?,
        };
        if transfer.from == transfer.to {
            return Err(ParseError::Number {
                what: "to",
                text: to.to_string(),
                range: format!("accounts other than {}", transfer.from),
            });
        }
        Ok(transfer)
    }
}

impl fmt::Display for Transfer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Transfer {
            txid,
            from,
            to,
            amount,
        } = self;
        write!(f, "{txid} {from} {to} {amount}")
    }
}

impl CoordinatorRequest {
    /// Parses one line.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] saying what is wrong with it.
    pub fn parse(line: &str) -> Result<CoordinatorRequest, ParseError> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((&command, arguments)) = words.split_first() else {
            return Err(ParseError::Empty);
        };
        match command {
            "transfer" => Ok(CoordinatorRequest::Transfer(Transfer::parse_words(
                "transfer", arguments,
            )?)),
            "pending" => {
                let [] = expect_arguments("pending", arguments)?;
                Ok(CoordinatorRequest::Pending)
            }
            other => Err(unknown_command(other)),
        }
    }
}

impl fmt::Display for CoordinatorRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoordinatorRequest::Transfer(transfer) => write!(f, "transfer {transfer}"),
            CoordinatorRequest::Pending => f.write_str("pending"),
        }
    }
}

/// What an account server decided about one `apply`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the delta was applied or refused.
    pub outcome: Outcome,
    /// Whether the txid had been decided before this request.
    pub repeat: bool,
}

/// An `apply`'s outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The delta is in the balance.
    Applied,
    /// The debit would have left the account below zero; nothing changed.
    Refused,
}

impl Outcome {
    /// The word for it on the wire and in the ledger.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Refused => "refused",
        }
    }

    /// The outcome a word names.
    pub fn from_word(word: &str) -> Option<Outcome> {
        match word {
            "applied" => Some(Outcome::Applied),
            "refused" => Some(Outcome::Refused),
            _ => None,
        }
    }
}

impl Decision {
    /// Parses an `apply` reply.
    ///
    /// # Errors
    ///
    /// [`ParseError::Reply`] for any other line.
    pub fn parse(line: &str) -> Result<Decision, ParseError> {
        let mut words = line.split(' ');
        let outcome = words.next().and_then(Outcome::from_word);
        let repeat = match words.next() {
            Some("new") => Some(false),
            Some("repeat") => Some(true),
            _ => None,
        };
        match (outcome, repeat, words.next()) {
            (Some(outcome), Some(repeat), None) => Ok(Decision { outcome, repeat }),
            _ => Err(ParseError::Reply(line.to_string())),
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let age = if self.repeat { "repeat" } else { "new" };
        write!(f, "{} {age}", self.outcome.word())
    }
}

/// The coordinator's reply to a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferReply {
    /// The amount moved.
    Done,
    /// The source account had too little; nothing moved.
    Refused,
    /// An account server did not answer in time; the transfer stays pending
    /// and finishes on the coordinator's next boot.
    Unavailable,
}

impl TransferReply {
    /// Parses a transfer reply.
    ///
    /// # Errors
    ///
    /// [`ParseError::Reply`] for any other line.
    pub fn parse(line: &str) -> Result<TransferReply, ParseError> {
        match line {
            "done" => Ok(TransferReply::Done),
            "refused" => Ok(TransferReply::Refused),
            "unavailable" => Ok(TransferReply::Unavailable),
            other => Err(ParseError::Reply(other.to_string())),
        }
    }
}

impl fmt::Display for TransferReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransferReply::Done => "done",
            TransferReply::Refused => "refused",
            TransferReply::Unavailable => "unavailable",
        })
    }
}

/// Reads a reply `<word> <n>`, such as `total 400` or `pending 0`.
///
/// # Errors
///
/// [`ParseError::Reply`] when the line is anything else.
pub fn parse_count_reply(word: &str, line: &str) -> Result<i64, ParseError> {
    line.strip_prefix(word)
        .and_then(|rest| rest.strip_prefix(' '))
        .and_then(|number| number.parse().ok())
        .ok_or_else(|| ParseError::Reply(line.to_string()))
}

/// The error reply for `error`: `error <why>`.
pub fn error_reply(error: impl fmt::Display) -> String {
    format!("error {error}")
}

fn expect_arguments<'a, const N: usize>(
    command: &'static str,
    words: &[&'a str],
) -> Result<[&'a str; N], ParseError> {
    <[&str; N]>::try_from(words).map_err(|_| ParseError::Arguments {
        command,
        expected: N,
        got: words.len(),
    })
}

fn unknown_command(word: &str) -> ParseError {
    ParseError::UnknownCommand(word.chars().take(TXID_BYTES_MAX).collect())
}

fn parse_account(text: &str) -> Result<Account, ParseError> {
    let account = parse_number("account", text, 0..=u64::from(Account::MAX))?;
    Ok(account as Account)
}

fn parse_delta(text: &str) -> Result<i64, ParseError> {
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

fn parse_number(
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

/// A line, or why the bytes up to the next newline are not one.
pub type Line = Result<String, LineError>;

/// Bytes that are not a line of the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// More than [`LINE_BYTES_MAX`] bytes without a newline; the rest of the
    /// line is skipped.
    #[error("line longer than {LINE_BYTES_MAX} bytes")]
    TooLong,
    /// A line that is not UTF-8.
    #[error("line is not UTF-8")]
    NotUtf8,
}

/// Splits a stream into lines of at most [`LINE_BYTES_MAX`] bytes, and hands
/// a malformed line to its reader as a [`LineError`] item instead of ending
/// the stream, so that a server answers it and reads on.
#[derive(Debug)]
pub struct LineCodec {
    lines: LinesCodec,
}

impl LineCodec {
    /// A codec for lines of up to [`LINE_BYTES_MAX`] bytes.
    pub fn new() -> LineCodec {
        LineCodec {
            lines: LinesCodec::new_with_max_length(LINE_BYTES_MAX),
        }
    }
}

impl Default for LineCodec {
    fn default() -> LineCodec {
        LineCodec::new()
    }
}

impl Decoder for LineCodec {
    type Item = Line;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Line>, std::io::Error> {
        lift(self.lines.decode(buf))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Line>, std::io::Error> {
        lift(self.lines.decode_eof(buf))
    }
}

impl<T: AsRef<str>> Encoder<T> for LineCodec {
    type Error = std::io::Error;

    fn encode(&mut self, line: T, buf: &mut BytesMut) -> Result<(), std::io::Error> {
        self.lines.encode(line, buf).map_err(into_io)
    }
}

/// Turns the codec's per-line errors into items; only I/O errors end a stream.
fn lift(decoded: Result<Option<String>, LinesCodecError>) -> Result<Option<Line>, std::io::Error> {
    match decoded {
        Ok(line) => Ok(line.map(Ok)),
        Err(LinesCodecError::MaxLineLengthExceeded) => Ok(Some(Err(LineError::TooLong))),
        Err(LinesCodecError::Io(error)) if error.kind() == std::io::ErrorKind::InvalidData => {
            Ok(Some(Err(LineError::NotUtf8)))
        }
        Err(LinesCodecError::Io(error)) => Err(error),
    }
}

fn into_io(error: LinesCodecError) -> std::io::Error {
    match error {
        LinesCodecError::Io(error) => error,
        LinesCodecError::MaxLineLengthExceeded => {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "line too long")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_their_lines() {
        let apply = ServerRequest::Apply {
            txid: TxId::parse("t1-7.debit").unwrap(),
            account: 3,
            delta: -40,
        };
        assert_eq!(ServerRequest::parse(&apply.to_string()), Ok(apply));
        let transfer = CoordinatorRequest::Transfer(Transfer {
            txid: TxId::parse("t0-1").unwrap(),
            from: 1,
            to: 6,
            amount: 25,
        });
        assert_eq!(
            CoordinatorRequest::parse(&transfer.to_string()),
            Ok(transfer)
        );
        assert_eq!(ServerRequest::parse("total"), Ok(ServerRequest::Total));
    }

    #[test]
    fn malformed_requests_say_what_is_wrong() {
        assert_eq!(ServerRequest::parse("  "), Err(ParseError::Empty));
        assert!(matches!(
            ServerRequest::parse("apply t1 0"),
            Err(ParseError::Arguments { got: 2, .. })
        ));
        assert!(matches!(
            ServerRequest::parse("apply t1 0 0"),
            Err(ParseError::Number { what: "delta", .. })
        ));
        assert!(matches!(
            ServerRequest::parse("apply t/1 0 5"),
            Err(ParseError::TxId { .. })
        ));
        assert!(matches!(
            CoordinatorRequest::parse("transfer t1 2 2 5"),
            Err(ParseError::Number { what: "to", .. })
        ));
        assert!(matches!(
            CoordinatorRequest::parse("transfer t1 2 3 -5"),
            Err(ParseError::Number { what: "amount", .. })
        ));
        assert_eq!(
            ServerRequest::parse("withdraw everything")
                .unwrap_err()
                .to_string(),
            "unknown command 'withdraw'"
        );
    }

    #[test]
    fn replies_parse_only_what_they_are() {
        let decision = Decision {
            outcome: Outcome::Refused,
            repeat: true,
        };
        assert_eq!(Decision::parse(&decision.to_string()), Ok(decision));
        assert!(Decision::parse("applied").is_err());
        assert!(Decision::parse("applied new extra").is_err());
        assert_eq!(parse_count_reply("total", "total 400"), Ok(400));
        assert!(parse_count_reply("total", "totally 400").is_err());
        assert_eq!(TransferReply::parse("done"), Ok(TransferReply::Done));
    }

    #[test]
    fn the_codec_hands_malformed_lines_over_and_reads_on() {
        let mut codec = LineCodec::new();
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&[b'x'; LINE_BYTES_MAX + 10]);
        buf.extend_from_slice(b"\n\xff\xfe\ntotal\n");
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(Err(LineError::TooLong))
        );
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(Err(LineError::NotUtf8))
        );
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(Ok("total".to_string()))
        );
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
    }
}
