//! Requests: to an account server, and to the coordinator.

use std::fmt;

use super::parse::{expect_arguments, parse_account, parse_delta, parse_number, unknown_command};
use super::{AMOUNT_MAX, Account, ParseError, TxId};

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
}
