//! One record of the write-ahead log: a SET or a DELETE with its sequence
//! number, framed by its length and guarded by a checksum.
//!
//! ```text
//! record   = length:u32 checksum:u32 body     length: the body's, 1 ..= RECORD_BODY_BYTES_MAX
//! body     = lsn:u64 0x01 key value           SET
//!          | lsn:u64 0x02 key                 DELETE
//! key      = length:u16 bytes                 0 ..= KEY_BYTES_MAX bytes
//! value    = length:u32 bytes                 0 ..= VALUE_BYTES_MAX bytes
//! checksum = CRC-32C of the length field and the body
//! ```
//!
//! Integers are big-endian. The checksum covers the length too, so a torn or
//! flipped length cannot pass for a shorter record.

use bytes::Bytes;

use super::checksum::Crc32c;
use crate::protocol::{KEY_BYTES_MAX, VALUE_BYTES_MAX};

/// The bytes before a record's body: its length and its checksum.
pub(crate) const RECORD_HEADER_BYTES: usize = 8;

/// The largest record body: a SET of the largest key and value.
pub(crate) const RECORD_BODY_BYTES_MAX: usize = 8 + 1 + 2 + KEY_BYTES_MAX + 4 + VALUE_BYTES_MAX;

const TAG_SET: u8 = 0x01;
const TAG_DELETE: u8 = 0x02;

/// A change to the store, as the log keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    Set { key: Bytes, value: Bytes },
    Delete { key: Bytes },
}

/// A change and its log sequence number: the records of a store are numbered
/// 1, 2, 3... across every log and snapshot it ever had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) lsn: u64,
    pub(crate) change: Change,
}

/// Why the bytes at some offset of a log are not a record: the log's end is
/// torn, or its bytes are corrupt. Recovery stops at the first one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RecordError {
    /// The log ends inside the record: its header, or the body it announces.
    #[error("torn record: {needed} bytes needed, {available} left in the log")]
    Torn { needed: usize, available: usize },
    /// A length of 0: zeros where a record should start (an extended but
    /// unwritten tail).
    #[error("a record length of 0, where a record should start")]
    ZeroLength,
    /// A length over [`RECORD_BODY_BYTES_MAX`].
    #[error("a record length of {length} bytes exceeds the limit of {max} bytes")]
    TooLong { length: usize, max: usize },
    /// The checksum does not match the bytes.
    #[error("record checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum { stored: u32, computed: u32 },
    /// A body that does not parse (possible only without checksums, or with a
    /// writer of another format).
    #[error("malformed record body: {what}")]
    Malformed { what: &'static str },
}

impl Record {
    /// Appends the record's bytes to `out`; with `checksums` false (the
    /// planted bug `log_without_checksums`), its checksum field is 0.
    ///
    /// # Panics
    ///
    /// When the key or the value is over the protocol's limits, which the
    /// server checked before.
    pub(crate) fn encode(&self, checksums: bool, out: &mut Vec<u8>) {
        let (key, value) = match &self.change {
            Change::Set { key, value } => (key, Some(value)),
            Change::Delete { key } => (key, None),
        };
        assert!(
            key.len() <= KEY_BYTES_MAX,
            "a logged key is within the limit"
        );
        let value_bytes = value.map_or(0, |value| 4 + value.len());
        let body_bytes = 8 + 1 + 2 + key.len() + value_bytes;
        assert!(
            body_bytes <= RECORD_BODY_BYTES_MAX,
            "a logged value is within the limit"
        );
        let start = out.len();
        out.reserve(RECORD_HEADER_BYTES + body_bytes);
        out.extend_from_slice(&(body_bytes as u32).to_be_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&self.lsn.to_be_bytes());
        out.push(if value.is_some() { TAG_SET } else { TAG_DELETE });
        out.extend_from_slice(&(key.len() as u16).to_be_bytes());
        out.extend_from_slice(key);
        if let Some(value) = value {
            out.extend_from_slice(&(value.len() as u32).to_be_bytes());
            out.extend_from_slice(value);
        }
        assert_eq!(out.len() - start, RECORD_HEADER_BYTES + body_bytes);
        if checksums {
            let checksum = checksum_of(&out[start..start + 4], &out[start + 8..]);
            out[start + 4..start + 8].copy_from_slice(&checksum.to_be_bytes());
        }
    }

    /// The record at the start of `bytes`, and how many bytes it takes.
    /// With `checksums` false (the planted bug `log_without_checksums`), the
    /// checksum is not verified.
    ///
    /// # Errors
    ///
    /// A [`RecordError`] when the bytes are no whole, intact record.
    pub(crate) fn decode(bytes: &[u8], checksums: bool) -> Result<(Record, usize), RecordError> {
        let Some(header) = bytes.get(..RECORD_HEADER_BYTES) else {
            return Err(RecordError::Torn {
                needed: RECORD_HEADER_BYTES,
                available: bytes.len(),
            });
        };
        let length = u32::from_be_bytes(header[..4].try_into().expect("4 bytes")) as usize;
        let stored = u32::from_be_bytes(header[4..].try_into().expect("4 bytes"));
        if length == 0 {
            return Err(RecordError::ZeroLength);
        }
        if length > RECORD_BODY_BYTES_MAX {
            let max = RECORD_BODY_BYTES_MAX;
            return Err(RecordError::TooLong { length, max });
        }
        let record_bytes = RECORD_HEADER_BYTES + length;
        let Some(body) = bytes.get(RECORD_HEADER_BYTES..record_bytes) else {
            return Err(RecordError::Torn {
                needed: record_bytes,
                available: bytes.len(),
            });
        };
        if checksums {
            let computed = checksum_of(&header[..4], body);
            if computed != stored {
                return Err(RecordError::Checksum { stored, computed });
            }
        }
        Ok((parse_body(body)?, record_bytes))
    }
}

fn checksum_of(length: &[u8], body: &[u8]) -> u32 {
    Crc32c::new().update(length).update(body).finish()
}

fn parse_body(body: &[u8]) -> Result<Record, RecordError> {
    let mut body = Body { bytes: body };
    let lsn = u64::from_be_bytes(
        body.take("sequence number", 8)?
            .try_into()
            .expect("8 bytes"),
    );
    let tag = body.take("tag", 1)?[0];
    let key_length = u16::from_be_bytes(body.take("key length", 2)?.try_into().expect("2 bytes"));
    let key_length = usize::from(key_length);
    if key_length > KEY_BYTES_MAX {
        return Err(RecordError::Malformed {
            what: "key over the limit",
        });
    }
    let key = Bytes::copy_from_slice(body.take("key", key_length)?);
    let change = match tag {
        TAG_SET => {
            let value_length = body.take("value length", 4)?;
            let value_length = u32::from_be_bytes(value_length.try_into().expect("4 bytes"));
            let value_length = value_length as usize;
            if value_length > VALUE_BYTES_MAX {
                return Err(RecordError::Malformed {
                    what: "value over the limit",
                });
            }
            let value = Bytes::copy_from_slice(body.take("value", value_length)?);
            Change::Set { key, value }
        }
        TAG_DELETE => Change::Delete { key },
        _ => {
            return Err(RecordError::Malformed {
                what: "unknown tag",
            });
        }
    };
    if !body.bytes.is_empty() {
        return Err(RecordError::Malformed {
            what: "bytes after the change",
        });
    }
    Ok(Record { lsn, change })
}

/// A body read field by field; every read checks what is left.
struct Body<'a> {
    bytes: &'a [u8],
}

impl<'a> Body<'a> {
    fn take(&mut self, field: &'static str, length: usize) -> Result<&'a [u8], RecordError> {
        if self.bytes.len() < length {
            return Err(RecordError::Malformed { what: field });
        }
        let (taken, rest) = self.bytes.split_at(length);
        self.bytes = rest;
        Ok(taken)
    }
}

/// Records for tests: a SET and a DELETE of string keys and values.
#[cfg(test)]
pub(crate) mod test_records {
    use bytes::Bytes;

    use super::{Change, Record};

    pub(crate) fn set(lsn: u64, key: &'static str, value: &'static str) -> Record {
        let (key, value) = (Bytes::from(key), Bytes::from(value));
        Record {
            lsn,
            change: Change::Set { key, value },
        }
    }

    pub(crate) fn delete(lsn: u64, key: &'static str) -> Record {
        Record {
            lsn,
            change: Change::Delete {
                key: Bytes::from(key),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_records::{delete, set};
    use super::*;

    fn encoded(record: &Record) -> Vec<u8> {
        let mut bytes = Vec::new();
        record.encode(true, &mut bytes);
        bytes
    }

    #[test]
    fn records_round_trip_back_to_back() {
        let records = [
            set(1, "color", "blue"),
            delete(2, "color"),
            set(3, "", ""),
            set(u64::MAX, "k", "v"),
        ];
        let mut log = Vec::new();
        for record in &records {
            record.encode(true, &mut log);
        }
        let mut offset = 0;
        for record in &records {
            let (decoded, bytes) = Record::decode(&log[offset..], true).unwrap();
            assert_eq!(&decoded, record);
            offset += bytes;
        }
        assert_eq!(offset, log.len());
    }

    #[test]
    fn the_largest_record_fits_the_limit() {
        let key = Bytes::from(vec![b'k'; KEY_BYTES_MAX]);
        let value = Bytes::from(vec![b'v'; VALUE_BYTES_MAX]);
        let record = Record {
            lsn: 7,
            change: Change::Set { key, value },
        };
        let bytes = encoded(&record);
        assert_eq!(bytes.len(), RECORD_HEADER_BYTES + RECORD_BODY_BYTES_MAX);
        assert_eq!(Record::decode(&bytes, true).unwrap().0, record);
    }

    #[test]
    fn a_torn_record_is_torn_at_every_cut() {
        // A power loss can cut a record anywhere: in its header or its body.
        let bytes = encoded(&set(5, "key", "a value long enough to tear"));
        for cut in 0..bytes.len() {
            let error = Record::decode(&bytes[..cut], true).unwrap_err();
            assert!(
                matches!(error, RecordError::Torn { available, .. } if available == cut),
                "cut at {cut}: {error}"
            );
        }
    }

    #[test]
    fn a_torn_record_with_a_zeroed_tail_fails_its_checksum() {
        // The length survived, the body's last sector did not: zeros.
        let mut bytes = encoded(&set(5, "key", "value"));
        let len = bytes.len();
        bytes[len - 3..].fill(0);
        let error = Record::decode(&bytes, true).unwrap_err();
        assert!(matches!(error, RecordError::Checksum { .. }), "{error}");
        let (replayed, _) = Record::decode(&bytes, false).unwrap();
        assert_eq!(
            replayed,
            set(5, "key", "va\0\0\0"),
            "without checksums the tear is data"
        );
    }

    #[test]
    fn every_flipped_bit_is_caught() {
        let bytes = encoded(&set(9, "c0-k1", "c0-3-abc"));
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let result = Record::decode(&flipped, true);
            assert!(result.is_err(), "bit {bit} flipped decoded as {result:?}");
        }
    }

    #[test]
    fn a_zero_length_tail_is_no_record() {
        assert_eq!(Record::decode(&[0; 64], true), Err(RecordError::ZeroLength));
        assert_eq!(
            Record::decode(&[0; 64], false),
            Err(RecordError::ZeroLength)
        );
    }

    #[test]
    fn an_absurd_length_is_refused_before_reading_on() {
        let mut bytes = vec![0xff; 16];
        bytes[4..8].fill(0);
        let error = Record::decode(&bytes, true).unwrap_err();
        assert!(
            matches!(error, RecordError::TooLong { length, .. } if length == u32::MAX as usize),
            "{error}"
        );
    }

    #[test]
    fn a_checksummed_but_malformed_body_is_refused() {
        // A body with an unknown tag, checksummed as a writer of another
        // format would.
        let mut bytes = encoded(&delete(3, "k"));
        bytes[RECORD_HEADER_BYTES + 8] = 0x7f;
        let checksum = checksum_of(&bytes[..4], &bytes[RECORD_HEADER_BYTES..]);
        bytes[4..8].copy_from_slice(&checksum.to_be_bytes());
        let error = Record::decode(&bytes, true).unwrap_err();
        assert_eq!(
            error,
            RecordError::Malformed {
                what: "unknown tag"
            }
        );
    }
}
