//! The coordinator's journal: `begin` when a transfer is accepted, `end`
//! when it is finished; what is begun and not ended is what a boot recovers.

use std::collections::BTreeMap;
use std::fmt;

use crate::protocol::{ParseError, Transfer, TransferReply, TxId};

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalRecord {
    /// `begin <txid> <from> <to> <amount>`: written and synced before the
    /// debit is sent.
    Begin(Transfer),
    /// `end <txid> <done|refused>`: written once both legs are decided.
    End {
        /// The transfer.
        txid: TxId,
        /// How it ended.
        reply: TransferReply,
    },
}

impl JournalRecord {
    /// Parses a record.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] for a record the coordinator could not have written.
    pub fn parse(record: &str) -> Result<JournalRecord, ParseError> {
        let words: Vec<&str> = record.split(' ').collect();
        match words[..] {
            ["begin", ref rest @ ..] => {
                Ok(JournalRecord::Begin(Transfer::parse_words("begin", rest)?))
            }
            ["end", txid, reply] => {
                let reply = match TransferReply::parse(reply)? {
                    TransferReply::Unavailable => {
                        return Err(ParseError::Reply(record.to_string()));
                    }
                    ended => ended,
                };
                Ok(JournalRecord::End {
                    txid: TxId::parse(txid)?,
                    reply,
                })
            }
            _ => Err(ParseError::Reply(record.to_string())),
        }
    }
}

impl fmt::Display for JournalRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalRecord::Begin(transfer) => write!(f, "begin {transfer}"),
            JournalRecord::End { txid, reply } => write!(f, "end {txid} {reply}"),
        }
    }
}

/// The transfers `records` began and did not end, by txid.
///
/// # Errors
///
/// The first record that does not parse.
pub fn replay(records: &[String]) -> Result<BTreeMap<TxId, Transfer>, ParseError> {
    let mut unfinished = BTreeMap::new();
    for record in records {
        match JournalRecord::parse(record)? {
            JournalRecord::Begin(transfer) => {
                unfinished.insert(transfer.txid.clone(), transfer);
            }
            JournalRecord::End { txid, .. } => {
                unfinished.remove(&txid);
            }
        }
    }
    Ok(unfinished)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn begun_and_not_ended_is_unfinished() {
        let records = [
            "begin t0-1 0 5 30",
            "begin t1-1 6 2 10",
            "end t0-1 done",
            "begin t2-1 3 4 99",
            "end t2-1 refused",
        ];
        let records: Vec<String> = records.iter().map(|r| r.to_string()).collect();
        let unfinished = replay(&records).unwrap();
        let txids: Vec<&str> = unfinished.keys().map(TxId::as_str).collect();
        assert_eq!(txids, ["t1-1"]);
        assert_eq!(unfinished.values().next().unwrap().amount, 10);
    }

    #[test]
    fn records_round_trip_and_strangers_are_refused() {
        let begin = JournalRecord::parse("begin t0-1 0 5 30").unwrap();
        assert_eq!(begin.to_string(), "begin t0-1 0 5 30");
        assert!(JournalRecord::parse("end t0-1 unavailable").is_err());
        assert!(JournalRecord::parse("commit t0-1").is_err());
    }
}
