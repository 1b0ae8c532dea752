//! Replies: an account server's decisions, the coordinator's transfer
//! outcomes, counts, and errors.

use std::fmt;

use super::ParseError;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
