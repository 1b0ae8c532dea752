//! Recovery: the store as its files hold it, at boot and after any storage
//! failure. It loads the snapshot, replays the log's records after it up to
//! the first torn, corrupt or out-of-sequence one, and then writes what it
//! found as a new snapshot and empties the log.
//!
//! That last step, a checkpoint, is what makes recovery safe to serve from:
//! - it cuts the torn or corrupt tail, so later records are never appended
//!   behind garbage;
//! - records that were in the page cache but not synced (a process crash
//!   keeps them) become durable before anyone reads them;
//! - after a failed fsync, Linux may have dropped the log's unsynced pages
//!   while reads still see them, and no later fsync brings them back: the
//!   only trustworthy copy of what was read is a new file, synced whole.

use std::collections::BTreeMap;
use std::io;

use bytes::Bytes;
use tidepool_core::providers::{FileOf, OpenOptions, Providers, StorageFile, StorageProvider};

use super::DurableBugs;
use super::log::{LOG_FILE, WriteAheadLog};
use super::record::{Change, Record, RecordError};
use super::snapshot::{self, Snapshot};
use super::store_id;

/// The longest log recovery reads (1 GiB); a longer one is refused. A log is
/// emptied every [`DurableConfig::snapshot_records`](crate::DurableConfig::snapshot_records)
/// records, so only a misconfigured or foreign file comes near.
pub(crate) const LOG_READ_BYTES_MAX: u64 = 1 << 30;

/// Reads of the log, at most, when replay stops before its end: a tail is cut
/// only once two reads in a row agree on its bytes, since a read can return
/// a flipped bit (silent corruption on the way up) that the disk does not hold.
const LOG_READS_MAX: u32 = 4;

/// What recovery found: the store's id and entries, and its log, empty and
/// ready for the next record.
#[derive(Debug)]
pub(crate) struct Recovered<F> {
    pub(crate) store_id: u64,
    pub(crate) entries: BTreeMap<Bytes, Bytes>,
    pub(crate) log: WriteAheadLog<F>,
}

/// Why recovery failed; the store stays unavailable until one succeeds.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RecoveryError {
    #[error("reading the store id failed")]
    StoreId(#[source] io::Error),
    #[error("reading the snapshot failed")]
    Snapshot(#[source] io::Error),
    #[error("reading the log failed")]
    Log(#[source] io::Error),
    #[error("the log of {bytes} bytes exceeds the limit of {max} bytes")]
    LogTooLarge { bytes: u64, max: u64 },
    #[error("no two reads of the log in a row agreed, in {reads} reads")]
    LogUnstable { reads: u32 },
    #[error("writing the recovered state failed")]
    Checkpoint(#[source] io::Error),
}

/// Where and why a replay stopped before the end of the log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TailError {
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A whole, intact record out of sequence: from an older log, or after a
    /// gap (a snapshot that did not survive).
    #[error("record {found} where record {expected} was due")]
    OutOfSequence { expected: u64, found: u64 },
}

/// What replaying a log over a snapshot gave.
#[derive(Debug)]
pub(crate) struct Replay {
    /// The snapshot with every replayed record applied; its sequence number
    /// is the last one's.
    pub(crate) state: Snapshot,
    /// Records applied.
    pub(crate) applied: u64,
    /// Records the snapshot already held (a log not emptied after it).
    pub(crate) skipped: u64,
    /// The offset where replay stopped before the end of the log, and why.
    pub(crate) tail: Option<(usize, TailError)>,
}

/// Recovers the store in the storage root of `providers`, refusing a
/// snapshot over `snapshot_bytes_max`.
///
/// # Errors
///
/// A [`RecoveryError`] naming the step that failed.
pub(crate) async fn recover<P: Providers>(
    providers: &P,
    snapshot_bytes_max: u64,
    bugs: DurableBugs,
) -> Result<Recovered<FileOf<P>>, RecoveryError> {
    let storage = providers.storage();
    let store_id = store_id::load_or_create(providers)
        .await
        .map_err(RecoveryError::StoreId)?;
    let snapshot = snapshot::read(storage, snapshot_bytes_max)
        .await
        .map_err(RecoveryError::Snapshot)?
        .unwrap_or_default();
    let options = OpenOptions::new().read(true).write(true).create(true);
    let file = storage
        .open(LOG_FILE, &options)
        .await
        .map_err(RecoveryError::Log)?;
    let (replay, log_bytes) = replay_stable(&file, snapshot, bugs).await?;
    report(&replay, log_bytes);
    let log = WriteAheadLog::resume(
        file,
        log_bytes as u64,
        replay.state.lsn,
        replay.applied,
        bugs,
    );
    let checkpoint = checkpoint(storage, log, &replay.state).await;
    tidepool_core::assert_sometimes!(checkpoint.is_err(), "the checkpoint after recovery fails");
    // The corner where a careless fallback loses data: the tail just cut is
    // still in the file when the checkpoint that was to drop it fails.
    tidepool_core::assert_sometimes!(
        checkpoint.is_err() && replay.tail.is_some(),
        "the checkpoint fails with a torn tail still in the log"
    );
    let log = match checkpoint {
        Ok(log) => log,
        Err((log, error)) if bugs.checkpoint_failure_resumes_log => {
            // The planted bug: the log appended to as it is, after its tail.
            tracing::warn!(%error, "the checkpoint failed; resuming the log as it is");
            log
        }
        Err((_, error)) => return Err(RecoveryError::Checkpoint(error)),
    };
    Ok(Recovered {
        store_id,
        entries: replay.state.entries,
        log,
    })
}

/// Writes `state` as the snapshot, then empties `log` (which starts afresh
/// after it); on failure, the log as it was left, with the error.
async fn checkpoint<S: StorageProvider, F: StorageFile>(
    storage: &S,
    mut log: WriteAheadLog<F>,
    state: &Snapshot,
) -> Result<WriteAheadLog<F>, (WriteAheadLog<F>, io::Error)> {
    if let Err(error) = snapshot::write(storage, state, log.bugs()).await {
        return Err((log, error));
    }
    match log.empty(state.lsn).await {
        Ok(()) => Ok(log),
        Err(error) => Err((log, error)),
    }
}

/// Reads the log and replays it over `snapshot`; when replay stops before the
/// end, reads it again until two reads agree. Returns the replay and the log's
/// length.
async fn replay_stable<F: StorageFile>(
    file: &F,
    snapshot: Snapshot,
    bugs: DurableBugs,
) -> Result<(Replay, usize), RecoveryError> {
    let read = || async {
        let bytes = file.len().await.map_err(RecoveryError::Log)?;
        if bytes > LOG_READ_BYTES_MAX {
            let max = LOG_READ_BYTES_MAX;
            return Err(RecoveryError::LogTooLarge { bytes, max });
        }
        file.read_all().await.map_err(RecoveryError::Log)
    };
    let mut log = read().await?;
    let mut replayed = replay(&log, snapshot.clone(), bugs);
    // Bounded by LOG_READS_MAX reads.
    for _ in 1..LOG_READS_MAX {
        if replayed.tail.is_none() {
            return Ok((replayed, log.len()));
        }
        let again = read().await?;
        if again == log {
            return Ok((replayed, log.len()));
        }
        tracing::warn!("two reads of the log differ; reading it again");
        log = again;
        replayed = replay(&log, snapshot.clone(), bugs);
    }
    if replayed.tail.is_none() {
        return Ok((replayed, log.len()));
    }
    Err(RecoveryError::LogUnstable {
        reads: LOG_READS_MAX,
    })
}

fn report(replay: &Replay, log_bytes: usize) {
    tidepool_core::assert_sometimes!(
        replay.tail.is_some(),
        "recovery cuts a torn or corrupt log tail"
    );
    let (applied, skipped, lsn) = (replay.applied, replay.skipped, replay.state.lsn);
    match &replay.tail {
        None => tracing::info!(applied, skipped, lsn, "recovered"),
        Some((offset, error)) => tracing::warn!(
            applied,
            skipped,
            lsn,
            offset,
            cut_bytes = log_bytes - offset,
            %error,
            "recovered; the log's tail is cut"
        ),
    }
}

/// Replays the records of `log` that follow `snapshot`, in sequence, up to
/// the end or the first record that is torn, corrupt, or out of sequence.
pub(crate) fn replay(log: &[u8], snapshot: Snapshot, bugs: DurableBugs) -> Replay {
    let checksums = !bugs.log_without_checksums;
    let mut records = Vec::new();
    let mut skipped = 0;
    let mut expected = snapshot.lsn + 1;
    let mut offset = 0;
    // Each turn consumes a record's bytes (at least its header) or stops.
    let tail = loop {
        if offset == log.len() {
            break None;
        }
        let (record, bytes) = match Record::decode(&log[offset..], checksums) {
            Ok(decoded) => decoded,
            Err(error) => break Some((offset, TailError::Record(error))),
        };
        if record.lsn < expected && records.is_empty() {
            skipped += 1;
        } else if record.lsn == expected {
            expected += 1;
            records.push(record);
        } else {
            let found = record.lsn;
            break Some((offset, TailError::OutOfSequence { expected, found }));
        }
        offset += bytes;
    };
    if bugs.recovery_drops_last_record {
        // The planted bug: the last complete record is taken for a torn one.
        records.pop();
    }
    let applied = records.len() as u64;
    let mut state = snapshot;
    for record in records {
        state.lsn = record.lsn;
        match record.change {
            Change::Set { key, value } => state.entries.insert(key, value),
            Change::Delete { key } => state.entries.remove(&key),
        };
    }
    Replay {
        state,
        applied,
        skipped,
        tail,
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::test_records::{delete, set};
    use super::*;

    /// The log of `records`, and the offset where each one starts.
    fn log(records: &[Record]) -> (Vec<u8>, Vec<usize>) {
        let mut bytes = Vec::new();
        let mut starts = Vec::new();
        for record in records {
            starts.push(bytes.len());
            record.encode(true, &mut bytes);
        }
        (bytes, starts)
    }

    fn entries(pairs: &[(&'static str, &'static str)]) -> BTreeMap<Bytes, Bytes> {
        pairs
            .iter()
            .map(|&(key, value)| (Bytes::from(key), Bytes::from(value)))
            .collect()
    }

    const CORRECT: DurableBugs = DurableBugs {
        reply_before_fsync: false,
        log_without_checksums: false,
        snapshot_rename_without_dir_sync: false,
        fsync_error_ignored: false,
        recovery_drops_last_record: false,
        drain_writes_skip_the_log: false,
        checkpoint_failure_resumes_log: false,
    };

    #[test]
    fn a_whole_log_replays_over_its_snapshot() {
        let snapshot = Snapshot {
            lsn: 10,
            entries: entries(&[("a", "old"), ("b", "kept")]),
        };
        let (bytes, _) = log(&[set(11, "a", "new"), set(12, "c", "3"), delete(13, "b")]);
        let replay = replay(&bytes, snapshot, CORRECT);
        assert_eq!(replay.state.lsn, 13);
        assert_eq!(replay.state.entries, entries(&[("a", "new"), ("c", "3")]));
        assert_eq!((replay.applied, replay.skipped, replay.tail), (3, 0, None));
    }

    #[test]
    fn a_torn_last_record_is_cut_and_the_rest_kept() {
        let (mut bytes, starts) = log(&[set(1, "a", "1"), set(2, "b", "2")]);
        bytes.truncate(bytes.len() - 2);
        let replay = replay(&bytes, Snapshot::default(), CORRECT);
        assert_eq!(replay.state.entries, entries(&[("a", "1")]));
        assert_eq!(replay.state.lsn, 1);
        let (offset, error) = replay.tail.unwrap();
        assert_eq!(offset, starts[1]);
        assert!(
            matches!(error, TailError::Record(RecordError::Torn { .. })),
            "{error}"
        );
    }

    #[test]
    fn a_flipped_bit_stops_replay_there_whatever_follows() {
        let (mut bytes, starts) = log(&[set(1, "a", "1"), set(2, "b", "2"), set(3, "c", "3")]);
        bytes[starts[1] + 12] ^= 0x10;
        let replay = replay(&bytes, Snapshot::default(), CORRECT);
        assert_eq!(replay.state.entries, entries(&[("a", "1")]));
        let (offset, error) = replay.tail.unwrap();
        assert_eq!(offset, starts[1]);
        assert!(
            matches!(error, TailError::Record(RecordError::Checksum { .. })),
            "{error}"
        );
    }

    #[test]
    fn a_zero_length_tail_ends_replay() {
        // A file extended by a write whose sectors a power loss reverted.
        let (mut bytes, _) = log(&[set(1, "a", "1")]);
        let end = bytes.len();
        bytes.extend_from_slice(&[0; 100]);
        let replay = replay(&bytes, Snapshot::default(), CORRECT);
        assert_eq!(replay.state.entries, entries(&[("a", "1")]));
        assert_eq!(
            replay.tail,
            Some((end, TailError::Record(RecordError::ZeroLength)))
        );
    }

    #[test]
    fn records_the_snapshot_holds_are_skipped() {
        // The snapshot was made durable, the log not emptied yet.
        let snapshot = Snapshot {
            lsn: 2,
            entries: entries(&[("a", "2")]),
        };
        let (bytes, _) = log(&[set(1, "a", "1"), set(2, "a", "2"), set(3, "b", "3")]);
        let replay = replay(&bytes, snapshot, CORRECT);
        assert_eq!(replay.state.entries, entries(&[("a", "2"), ("b", "3")]));
        assert_eq!(
            (replay.applied, replay.skipped, replay.state.lsn),
            (1, 2, 3)
        );
    }

    #[test]
    fn a_gap_after_the_snapshot_stops_replay() {
        // The newer snapshot the log follows did not survive: its records
        // cannot be replayed over the older one.
        let snapshot = Snapshot {
            lsn: 4,
            entries: entries(&[("a", "4")]),
        };
        let (bytes, _) = log(&[set(9, "a", "9"), set(10, "b", "10")]);
        let replay = replay(&bytes, snapshot, CORRECT);
        assert_eq!(replay.state.entries, entries(&[("a", "4")]));
        let expected = TailError::OutOfSequence {
            expected: 5,
            found: 9,
        };
        assert_eq!(replay.tail, Some((0, expected)));
    }

    #[test]
    fn a_stale_record_after_a_fresh_one_stops_replay() {
        let (bytes, starts) = log(&[set(1, "a", "1"), set(1, "a", "stale")]);
        let replay = replay(&bytes, Snapshot::default(), CORRECT);
        assert_eq!(replay.state.entries, entries(&[("a", "1")]));
        let expected = TailError::OutOfSequence {
            expected: 2,
            found: 1,
        };
        assert_eq!(replay.tail, Some((starts[1], expected)));
    }

    #[test]
    fn the_planted_checksum_bug_replays_a_torn_tail_as_data() {
        let bugs = DurableBugs {
            log_without_checksums: true,
            ..CORRECT
        };
        let mut bytes = Vec::new();
        set(1, "a", "value").encode(false, &mut bytes);
        let len = bytes.len();
        bytes[len - 2..].fill(0);
        let replay = replay(&bytes, Snapshot::default(), bugs);
        assert_eq!(replay.state.entries, entries(&[("a", "val\0\0")]));
    }

    #[test]
    fn the_planted_recovery_bug_drops_the_last_record() {
        let bugs = DurableBugs {
            recovery_drops_last_record: true,
            ..CORRECT
        };
        let (bytes, _) = log(&[set(1, "a", "1"), set(2, "b", "2")]);
        let replay = replay(&bytes, Snapshot::default(), bugs);
        assert_eq!(replay.state.entries, entries(&[("a", "1")]));
        assert_eq!(replay.state.lsn, 1);
    }
}
