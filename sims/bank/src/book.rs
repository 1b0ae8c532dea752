//! `Book`: an account server's balances and every decision it has made, in
//! memory, rebuilt from the ledger at boot.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use crate::protocol::{Account, Outcome, ParseError, TxId};

/// One decided `apply`, as the ledger stores it:
/// `<txid> <account> <delta> <applied|refused>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerRecord {
    /// The leg's transaction id.
    pub txid: TxId,
    /// The account.
    pub account: Account,
    /// The change asked for.
    pub delta: i64,
    /// What was decided.
    pub outcome: Outcome,
}

impl LedgerRecord {
    /// Parses a ledger record.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] for a record this server could not have written.
    pub fn parse(record: &str) -> Result<LedgerRecord, ParseError> {
        let words: Vec<&str> = record.split(' ').collect();
        let [txid, account, delta, outcome] = words[..] else {
            return Err(ParseError::Reply(record.to_string()));
        };
        let bad = || ParseError::Reply(record.to_string());
        Ok(LedgerRecord {
            txid: TxId::parse(txid)?,
            account: account.parse().map_err(|_| bad())?,
            delta: delta.parse().map_err(|_| bad())?,
            outcome: Outcome::from_word(outcome).ok_or_else(bad)?,
        })
    }
}

impl fmt::Display for LedgerRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let LedgerRecord {
            txid,
            account,
            delta,
            outcome,
        } = self;
        write!(f, "{txid} {account} {delta} {}", outcome.word())
    }
}

/// Why a request or a ledger record does not fit the book.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// An account this server does not own.
    #[error("account {account} is not on this server (it holds {accounts:?})")]
    NotOwned {
        /// The account asked for.
        account: Account,
        /// The accounts it holds.
        accounts: Range<Account>,
    },
    /// A txid decided before for another account or amount.
    #[error("txid '{txid}' was decided for another account or delta")]
    TxIdReused {
        /// The txid.
        txid: TxId,
    },
    /// A balance that would leave `i64` (a bug: amounts are bounded).
    #[error("account {account}'s balance would overflow")]
    Overflow {
        /// The account.
        account: Account,
    },
    /// A ledger record whose outcome its balance does not explain: an
    /// applied debit the balance could not cover, or a refused one it could.
    #[error("the ledger's '{txid}' on account {account} does not fit its balance {balance}")]
    Inconsistent {
        /// The account.
        account: Account,
        /// The record's txid.
        txid: TxId,
        /// The balance before it.
        balance: i64,
    },
}

/// The result of [`Book::decide`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decided {
    /// Decided before: the decision stands, nothing to write.
    Repeat(Outcome),
    /// A new decision: write it to the ledger, then [`Book::commit`] it.
    New(LedgerRecord),
}

/// Balances and decisions of the accounts one server owns.
#[derive(Clone, Debug)]
pub struct Book {
    accounts: Range<Account>,
    balances: BTreeMap<Account, i64>,
    /// Every txid decided, with its account, delta and outcome: what makes
    /// `apply` idempotent. Bounded by the ledger's `records_max`.
    decisions: BTreeMap<TxId, (Account, i64, Outcome)>,
}

impl Book {
    /// A book of `accounts`, each holding `initial_balance`, nothing decided.
    pub fn new(accounts: Range<Account>, initial_balance: i64) -> Book {
        Book {
            balances: accounts.clone().map(|a| (a, initial_balance)).collect(),
            accounts,
            decisions: BTreeMap::new(),
        }
    }

    /// Decides `apply txid account delta` without changing anything: a repeat
    /// gets its first outcome, a new debit is refused when the balance is short.
    ///
    /// # Errors
    ///
    /// [`BookError::NotOwned`], [`BookError::TxIdReused`], [`BookError::Overflow`].
    pub fn decide(&self, txid: &TxId, account: Account, delta: i64) -> Result<Decided, BookError> {
        let balance = self.balance(account)?;
        if let Some(&(decided_account, decided_delta, outcome)) = self.decisions.get(txid) {
            if (decided_account, decided_delta) != (account, delta) {
                return Err(BookError::TxIdReused { txid: txid.clone() });
            }
            return Ok(Decided::Repeat(outcome));
        }
        let after = balance
            .checked_add(delta)
            .ok_or(BookError::Overflow { account })?;
        let outcome = if after < 0 {
            Outcome::Refused
        } else {
            Outcome::Applied
        };
        Ok(Decided::New(LedgerRecord {
            txid: txid.clone(),
            account,
            delta,
            outcome,
        }))
    }

    /// Takes in a decision written to the ledger (at boot, every record of
    /// it): an applied delta changes the balance. The record is checked
    /// against the book, as it was when the decision was made.
    ///
    /// # Errors
    ///
    /// When the record contradicts the book: another server's account, a
    /// txid decided twice, an outcome the balance does not explain.
    pub fn commit(&mut self, record: &LedgerRecord) -> Result<(), BookError> {
        let LedgerRecord {
            txid,
            account,
            delta,
            outcome,
        } = record;
        let balance = self.balance(*account)?;
        if self.decisions.contains_key(txid) {
            return Err(BookError::TxIdReused { txid: txid.clone() });
        }
        let after = balance
            .checked_add(*delta)
            .ok_or(BookError::Overflow { account: *account })?;
        if (after < 0) != (*outcome == Outcome::Refused) {
            return Err(BookError::Inconsistent {
                account: *account,
                txid: txid.clone(),
                balance,
            });
        }
        if *outcome == Outcome::Applied {
            self.balances.insert(*account, after);
        }
        self.decisions
            .insert(txid.clone(), (*account, *delta, *outcome));
        Ok(())
    }

    /// The balance of `account`.
    ///
    /// # Errors
    ///
    /// [`BookError::NotOwned`] for another server's account.
    pub fn balance(&self, account: Account) -> Result<i64, BookError> {
        self.balances
            .get(&account)
            .copied()
            .ok_or_else(|| BookError::NotOwned {
                account,
                accounts: self.accounts.clone(),
            })
    }

    /// The sum of every balance.
    pub fn total(&self) -> i64 {
        self.balances.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txid(text: &str) -> TxId {
        TxId::parse(text).unwrap()
    }

    fn apply(book: &mut Book, id: &str, account: Account, delta: i64) -> Outcome {
        match book.decide(&txid(id), account, delta).unwrap() {
            Decided::Repeat(outcome) => outcome,
            Decided::New(record) => {
                book.commit(&record).unwrap();
                record.outcome
            }
        }
    }

    #[test]
    fn a_txid_is_decided_once() {
        let mut book = Book::new(0..2, 100);
        assert_eq!(apply(&mut book, "a", 0, -60), Outcome::Applied);
        assert_eq!(apply(&mut book, "a", 0, -60), Outcome::Applied);
        assert_eq!(book.balance(0), Ok(40));
        assert_eq!(apply(&mut book, "b", 0, -50), Outcome::Refused);
        assert_eq!(apply(&mut book, "c", 0, 30), Outcome::Applied);
        // Refused it was, though the balance would now cover it.
        assert_eq!(apply(&mut book, "b", 0, -50), Outcome::Refused);
        assert_eq!(book.total(), 170);
    }

    #[test]
    fn requests_that_do_not_fit_are_errors() {
        let mut book = Book::new(4..8, 100);
        assert!(matches!(
            book.decide(&txid("a"), 3, 1),
            Err(BookError::NotOwned { .. })
        ));
        apply(&mut book, "a", 4, 1);
        assert!(matches!(
            book.decide(&txid("a"), 4, 2),
            Err(BookError::TxIdReused { .. })
        ));
        let overdraft = LedgerRecord {
            txid: txid("z"),
            account: 5,
            delta: -101,
            outcome: Outcome::Applied,
        };
        assert!(matches!(
            book.commit(&overdraft),
            Err(BookError::Inconsistent { .. })
        ));
    }

    #[test]
    fn ledger_records_round_trip() {
        let record = LedgerRecord {
            txid: txid("t2-9.credit"),
            account: 6,
            delta: 25,
            outcome: Outcome::Applied,
        };
        assert_eq!(LedgerRecord::parse(&record.to_string()), Ok(record));
        assert!(LedgerRecord::parse("t1 6 25").is_err());
    }
}
