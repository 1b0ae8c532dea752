//! `DurableConfig`: how a durable server keeps its data, and its defaults.

use crate::DurableBugs;

/// Default of [`DurableConfig::snapshot_records`].
pub const SNAPSHOT_RECORDS_DEFAULT: u64 = 1000;

/// Durable mode: the server keeps a write-ahead log and snapshots under the
/// root of its storage provider (the `--data-dir` of the `kv` binary, a
/// host's disk in a simulation), and recovers from them at boot.
///
/// # How the data is kept
///
/// - **Writes.** A SET or DELETE is written to the log `wal` as a record
///   (length, CRC-32C checksum, sequence number, change), the log is synced
///   (`sync_data`), and only then is the change applied in memory and
///   acknowledged. Writes are applied one at a time, in log order; reads are
///   served from memory, which never holds a change that is not durable.
/// - **Snapshots.** Every [`snapshot_records`](DurableConfig::snapshot_records)
///   records, every key and value is written to `snapshot.tmp`, synced,
///   renamed over `snapshot`, and the directory synced (without that, a power
///   loss can undo the rename); then the log is emptied.
/// - **Recovery**, at boot: the snapshot is loaded and the log's records after
///   it replayed, up to the first one that is torn, fails its checksum, or is
///   out of sequence; everything from there on is cut. The result is then
///   written as a new snapshot and the log emptied, before anything is served.
/// - **Storage failures.** A failed write or sync answers the request
///   [`Response::Unavailable`](crate::protocol::Response::Unavailable) (the
///   write may or may not have landed), never an acknowledgement. The server
///   then trusts its log no more: after a failed fsync Linux may drop the
///   unsynced pages while reads still see them, and a later fsync that
///   succeeds does not bring them back. So it drops the log and answers every
///   request `Unavailable` until a recovery succeeds, which the next request
///   starts; the recovery's new snapshot is a fresh file, synced whole, the
///   one copy of what was read that a power loss cannot take back.
/// - **Store id.** A random id is written (durably) to `store_id` when the
///   store is created, and carried by every reply. It changes only when the
///   data directory is lost, so a client can tell a server that lost its data
///   from one that kept it.
///
/// # Examples
///
/// ```
/// use kv::{DurableConfig, KvConfig, SNAPSHOT_RECORDS_DEFAULT};
///
/// let config = KvConfig { durable: Some(DurableConfig::default()), ..KvConfig::default() };
/// assert_eq!(config.durable.unwrap().snapshot_records, SNAPSHOT_RECORDS_DEFAULT);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurableConfig {
    /// Records the log holds before the server writes a snapshot and empties
    /// it; 0 snapshots after every record, as 1 does.
    /// Default: [`SNAPSHOT_RECORDS_DEFAULT`] (1000).
    pub snapshot_records: u64,
    /// Planted durability bugs. Default: none.
    pub bugs: DurableBugs,
}

impl Default for DurableConfig {
    fn default() -> DurableConfig {
        DurableConfig {
            snapshot_records: SNAPSHOT_RECORDS_DEFAULT,
            bugs: DurableBugs::default(),
        }
    }
}
