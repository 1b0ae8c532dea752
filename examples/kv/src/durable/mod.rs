//! Durable mode: the server's keys survive crashes and power losses.
//!
//! Under the storage provider's root, a durable server keeps:
//!
//! | file | what | written |
//! |---|---|---|
//! | `store_id` | a random id, made when the store is created | once, durably, before anything else |
//! | `wal` | a record per SET and DELETE (`record.rs`) | each synced before its reply |
//! | `snapshot` | every key and value up to a record | to `snapshot.tmp`, synced, renamed, directory synced |
//!
//! A write is logged, synced, applied in memory, then acknowledged. Every
//! [`DurableConfig::snapshot_records`](crate::DurableConfig::snapshot_records)
//! records a snapshot is written and the log emptied. At boot, and after any
//! storage failure, recovery (`recovery.rs`) loads the snapshot and replays the log up to
//! the first torn or corrupt record, then writes a fresh snapshot and empties
//! the log before anything is served. Every reply carries the store id, which
//! changes only when the data directory was lost.

mod bugs;
mod checksum;
mod config;
mod durable_store;
mod log;
mod record;
mod recovery;
mod snapshot;
mod store_id;

pub use bugs::DurableBugs;
pub use config::{DurableConfig, SNAPSHOT_RECORDS_DEFAULT};
pub(crate) use durable_store::DurableStore;
