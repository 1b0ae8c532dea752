//! `Snapshot`: every key and value of a store up to a log sequence number,
//! in one checksummed file that replaces the previous one atomically.
//!
//! ```text
//! snapshot = magic:"KVS1" lsn:u64 count:u32 entry* checksum:u32
//! entry    = key_length:u16 key value_length:u32 value
//! checksum = CRC-32C of everything before it
//! ```

use std::collections::BTreeMap;
use std::io;

use bytes::Bytes;
use tidepool_core::providers::{StorageFile, StorageProvider};

use super::DurableBugs;
use super::checksum::crc32c;
use crate::protocol::{KEY_BYTES_MAX, VALUE_BYTES_MAX};

/// The snapshot's file name, under the storage root.
pub(crate) const SNAPSHOT_FILE: &str = "snapshot";
/// Where the next snapshot is written before it is renamed over [`SNAPSHOT_FILE`].
pub(crate) const SNAPSHOT_TEMP_FILE: &str = "snapshot.tmp";

const MAGIC: [u8; 4] = *b"KVS1";
/// Magic, sequence number, entry count.
const HEADER_BYTES: usize = 4 + 8 + 4;
const CHECKSUM_BYTES: usize = 4;
/// The bytes of an entry besides its key and value: their lengths.
const ENTRY_OVERHEAD_BYTES: usize = 2 + 4;

/// A store's keys and values once the records up to `lsn` were applied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) lsn: u64,
    pub(crate) entries: BTreeMap<Bytes, Bytes>,
}

/// Why a snapshot file cannot be read back.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SnapshotError {
    /// The file is shorter than an empty snapshot.
    #[error("snapshot of {bytes} bytes is shorter than an empty one ({min} bytes)")]
    TooShort {
        /// The file's length.
        bytes: usize,
        /// The shortest snapshot.
        min: usize,
    },
    /// The file is longer than a store within the server's bounds could need.
    #[error("snapshot of {bytes} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// The file's length.
        bytes: u64,
        /// The limit, from the server's key and byte bounds.
        max: u64,
    },
    /// The file does not start with the snapshot magic.
    #[error("not a snapshot: magic {found:?}")]
    BadMagic {
        /// The first bytes.
        found: [u8; 4],
    },
    /// The checksum does not match the bytes.
    #[error("snapshot checksum mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum {
        /// The checksum in the file.
        stored: u32,
        /// The checksum of the bytes.
        computed: u32,
    },
    /// The entries do not parse, or do not fill the file exactly.
    #[error("malformed snapshot: {what}")]
    Malformed {
        /// What is wrong.
        what: &'static str,
    },
}

impl Snapshot {
    /// The snapshot's bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let entry_bytes: usize = self
            .entries
            .iter()
            .map(|(key, value)| ENTRY_OVERHEAD_BYTES + key.len() + value.len())
            .sum();
        let mut bytes = Vec::with_capacity(HEADER_BYTES + entry_bytes + CHECKSUM_BYTES);
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&self.lsn.to_be_bytes());
        let count = u32::try_from(self.entries.len()).expect("fewer than 2^32 keys");
        bytes.extend_from_slice(&count.to_be_bytes());
        for (key, value) in &self.entries {
            assert!(key.len() <= KEY_BYTES_MAX && value.len() <= VALUE_BYTES_MAX);
            bytes.extend_from_slice(&(key.len() as u16).to_be_bytes());
            bytes.extend_from_slice(key);
            bytes.extend_from_slice(&(value.len() as u32).to_be_bytes());
            bytes.extend_from_slice(value);
        }
        let checksum = crc32c(&bytes);
        bytes.extend_from_slice(&checksum.to_be_bytes());
        bytes
    }

    /// The snapshot in `bytes`.
    ///
    /// # Errors
    ///
    /// A [`SnapshotError`] when the bytes are not a whole, intact snapshot.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        let min = HEADER_BYTES + CHECKSUM_BYTES;
        if bytes.len() < min {
            return Err(SnapshotError::TooShort {
                bytes: bytes.len(),
                min,
            });
        }
        let (content, stored) = bytes.split_at(bytes.len() - CHECKSUM_BYTES);
        let stored = u32::from_be_bytes(stored.try_into().expect("4 bytes"));
        let computed = crc32c(content);
        if stored != computed {
            return Err(SnapshotError::Checksum { stored, computed });
        }
        let found: [u8; 4] = content[..4].try_into().expect("4 bytes");
        if found != MAGIC {
            return Err(SnapshotError::BadMagic { found });
        }
        let lsn = u64::from_be_bytes(content[4..12].try_into().expect("8 bytes"));
        let count = u32::from_be_bytes(content[12..16].try_into().expect("4 bytes"));
        let entries = parse_entries(&content[HEADER_BYTES..], count)?;
        Ok(Snapshot { lsn, entries })
    }

    /// The largest snapshot of a store of at most `keys_max` keys and
    /// `stored_bytes_max` bytes of keys and values.
    pub(crate) fn bytes_max(keys_max: usize, stored_bytes_max: usize) -> u64 {
        let overhead = (keys_max as u64).saturating_mul(ENTRY_OVERHEAD_BYTES as u64);
        let fixed = (HEADER_BYTES + CHECKSUM_BYTES) as u64;
        overhead
            .saturating_add(stored_bytes_max as u64)
            .saturating_add(fixed)
    }
}

fn parse_entries(mut bytes: &[u8], count: u32) -> Result<BTreeMap<Bytes, Bytes>, SnapshotError> {
    let mut entries = BTreeMap::new();
    // Bounded by `count`, and each entry consumes at least its lengths.
    for _ in 0..count {
        let key = take_field(&mut bytes, 2, KEY_BYTES_MAX)?;
        let value = take_field(&mut bytes, 4, VALUE_BYTES_MAX)?;
        if entries.insert(key, value).is_some() {
            return Err(SnapshotError::Malformed {
                what: "a key twice",
            });
        }
    }
    if !bytes.is_empty() {
        return Err(SnapshotError::Malformed {
            what: "bytes after the last entry",
        });
    }
    Ok(entries)
}

/// A field of `length_bytes` (2 or 4) length and at most `max` bytes.
fn take_field(bytes: &mut &[u8], length_bytes: usize, max: usize) -> Result<Bytes, SnapshotError> {
    let cut = SnapshotError::Malformed {
        what: "an entry cut short",
    };
    let (length, rest) = bytes.split_at_checked(length_bytes).ok_or(cut.clone())?;
    let length = length
        .iter()
        .fold(0usize, |sum, &byte| sum << 8 | usize::from(byte));
    if length > max {
        return Err(SnapshotError::Malformed {
            what: "a key or value over the limit",
        });
    }
    let (field, rest) = rest.split_at_checked(length).ok_or(cut)?;
    *bytes = rest;
    Ok(Bytes::copy_from_slice(field))
}

/// Reads the snapshot, `None` when there is none yet; refuses a file over
/// `bytes_max` before reading it.
///
/// # Errors
///
/// The storage's error, or an `InvalidData` one whose source is a
/// [`SnapshotError`].
pub(crate) async fn read<S: StorageProvider>(
    storage: &S,
    bytes_max: u64,
) -> io::Result<Option<Snapshot>> {
    if !storage.exists(SNAPSHOT_FILE).await? {
        return Ok(None);
    }
    let options = tidepool_core::providers::OpenOptions::new().read(true);
    let file = storage.open(SNAPSHOT_FILE, &options).await?;
    let bytes = file.len().await?;
    if bytes > bytes_max {
        let error = SnapshotError::TooLarge {
            bytes,
            max: bytes_max,
        };
        return Err(io::Error::new(io::ErrorKind::InvalidData, error));
    }
    let bytes = file.read_all().await?;
    let snapshot = Snapshot::decode(&bytes)
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
    Ok(Some(snapshot))
}

/// Makes `snapshot` the store's snapshot, atomically: written to a temporary
/// file, synced, renamed over the old one, and the directory synced so that
/// the rename survives a power loss.
///
/// # Errors
///
/// The storage's error. The old snapshot then still holds, or the new one
/// does, and the log still holds every record either needs.
pub(crate) async fn write<S: StorageProvider>(
    storage: &S,
    snapshot: &Snapshot,
    bugs: DurableBugs,
) -> io::Result<()> {
    let bytes = snapshot.encode();
    let file = storage.create(SNAPSHOT_TEMP_FILE).await?;
    file.write_all_at(&bytes, 0).await?;
    file.sync_all().await?;
    drop(file);
    storage.rename(SNAPSHOT_TEMP_FILE, SNAPSHOT_FILE).await?;
    if bugs.snapshot_rename_without_dir_sync {
        return Ok(());
    }
    storage.sync_dir("").await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        let entries = BTreeMap::from([
            (Bytes::from("a"), Bytes::from("1")),
            (Bytes::from("empty"), Bytes::new()),
            (
                Bytes::from(vec![b'k'; KEY_BYTES_MAX]),
                Bytes::from(vec![7; 1000]),
            ),
        ]);
        Snapshot { lsn: 42, entries }
    }

    #[test]
    fn snapshots_round_trip() {
        assert_eq!(Snapshot::decode(&snapshot().encode()).unwrap(), snapshot());
        let empty = Snapshot::default();
        assert_eq!(Snapshot::decode(&empty.encode()).unwrap(), empty);
    }

    #[test]
    fn every_flipped_bit_and_every_cut_is_refused() {
        let bytes = Snapshot {
            lsn: 3,
            entries: BTreeMap::from([(Bytes::from("k"), Bytes::from("v"))]),
        }
        .encode();
        for bit in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(Snapshot::decode(&flipped).is_err(), "bit {bit}");
        }
        for cut in 0..bytes.len() {
            assert!(Snapshot::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn a_checksummed_snapshot_with_bad_entries_is_malformed() {
        // Entries that claim more than the file holds, checksummed as a
        // writer of another format would.
        let mut content = MAGIC.to_vec();
        content.extend_from_slice(&1u64.to_be_bytes());
        content.extend_from_slice(&2u32.to_be_bytes());
        content.extend_from_slice(&[0, 1, b'k', 0, 0, 0, 0]);
        let checksum = crc32c(&content);
        content.extend_from_slice(&checksum.to_be_bytes());
        let error = Snapshot::decode(&content).unwrap_err();
        assert_eq!(
            error,
            SnapshotError::Malformed {
                what: "an entry cut short"
            }
        );
    }

    #[test]
    fn the_bound_covers_the_largest_store() {
        let snapshot = snapshot();
        let stored: usize = snapshot
            .entries
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum();
        let max = Snapshot::bytes_max(snapshot.entries.len(), stored);
        assert_eq!(snapshot.encode().len() as u64, max);
    }
}
