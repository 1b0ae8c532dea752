//! `WriteAheadLog`: the log every SET and DELETE is written and synced to
//! before the server applies it and replies.

use std::io;

use tidepool_core::providers::StorageFile;

use super::DurableBugs;
use super::record::{Change, Record};

/// The log's file name, under the storage root.
pub(crate) const LOG_FILE: &str = "wal";

/// Syncs of one record under the planted bug `fsync_error_ignored`, at most.
const SYNC_ATTEMPTS_MAX: u32 = 8;

/// The open log: records are appended at `end` and each is synced before
/// [`WriteAheadLog::append`] returns.
///
/// A failed write or sync leaves the log in a state nobody can tell (Linux
/// may have dropped the pages a failed sync was to persist, while reads still
/// see them), so the caller drops the log on any error and recovers from the
/// files, which ends in a fresh snapshot and an emptied log.
#[derive(Debug)]
pub(crate) struct WriteAheadLog<F> {
    file: F,
    /// Where the next record goes: the end of the last one.
    end: u64,
    /// The sequence number of the last record written (or of the snapshot
    /// the log follows, when it is empty).
    last_lsn: u64,
    /// Records in the log.
    records: u64,
    /// Whether a record was written but not synced (under the planted bug
    /// `reply_before_fsync` only).
    unsynced: bool,
    bugs: DurableBugs,
    /// Reused for every record's bytes.
    buffer: Vec<u8>,
}

impl<F: StorageFile> WriteAheadLog<F> {
    /// The log in `file` as it is, `end` bytes long with `records` records up
    /// to `last_lsn`, appended to at its end. Recovery empties it once a
    /// snapshot holds its records; only the planted bug
    /// `checkpoint_failure_resumes_log` appends to it as it is.
    pub(crate) fn resume(
        file: F,
        end: u64,
        last_lsn: u64,
        records: u64,
        bugs: DurableBugs,
    ) -> Self {
        WriteAheadLog {
            file,
            end,
            last_lsn,
            records,
            unsynced: false,
            bugs,
            buffer: Vec::new(),
        }
    }

    /// The sequence number of the last record (or of the snapshot the log
    /// follows, when it is empty).
    pub(crate) fn last_lsn(&self) -> u64 {
        self.last_lsn
    }

    /// The planted bugs it was opened with.
    pub(crate) fn bugs(&self) -> DurableBugs {
        self.bugs
    }

    /// Records in the log.
    pub(crate) fn records(&self) -> u64 {
        self.records
    }

    /// Writes `change` as the next record and syncs it.
    ///
    /// # Errors
    ///
    /// The write's or the sync's error; the record may or may not be durable,
    /// and the log must not be appended to again.
    pub(crate) async fn append(&mut self, change: Change) -> io::Result<()> {
        if self.unsynced {
            // The planted bug `reply_before_fsync`: the previous record's sync.
            self.sync().await?;
        }
        let record = Record {
            lsn: self.last_lsn + 1,
            change,
        };
        self.buffer.clear();
        record.encode(!self.bugs.log_without_checksums, &mut self.buffer);
        self.file.write_all_at(&self.buffer, self.end).await?;
        self.end += self.buffer.len() as u64;
        self.last_lsn = record.lsn;
        self.records += 1;
        if self.bugs.reply_before_fsync {
            self.unsynced = true;
            return Ok(());
        }
        self.sync().await
    }

    async fn sync(&mut self) -> io::Result<()> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.file.sync_data().await {
                Ok(()) => {
                    self.unsynced = false;
                    return Ok(());
                }
                // The planted bug `fsync_error_ignored`: a later sync that
                // succeeds is taken to cover what the failed one dropped.
                Err(error) if self.bugs.fsync_error_ignored && attempts < SYNC_ATTEMPTS_MAX => {
                    tracing::debug!(%error, attempts, "planted bug: retrying a failed log sync");
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Empties the log, durably, once a snapshot holds everything it held:
    /// the next record is numbered after `snapshot_lsn`.
    ///
    /// # Errors
    ///
    /// The truncation's or the sync's error; the log must not be appended to
    /// again.
    pub(crate) async fn empty(&mut self, snapshot_lsn: u64) -> io::Result<()> {
        assert!(
            snapshot_lsn >= self.last_lsn,
            "a snapshot holds every logged record"
        );
        self.file.set_len(0).await?;
        self.file.sync_data().await?;
        self.end = 0;
        self.last_lsn = snapshot_lsn;
        self.records = 0;
        self.unsynced = false;
        Ok(())
    }
}
