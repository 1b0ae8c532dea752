//! `DurableConfig`: how a durable server keeps its data, and its defaults.

use crate::DurableBugs;

/// Default of [`DurableConfig::snapshot_records`].
pub const SNAPSHOT_RECORDS_DEFAULT: u64 = 1000;

/// Durable mode: the server keeps a write-ahead log and snapshots under the
/// root of its storage provider (the `--data-dir` of the `kv` binary, a
/// host's disk in a simulation), and recovers from them at boot.
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
