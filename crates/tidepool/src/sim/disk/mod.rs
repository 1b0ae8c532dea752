//! The simulated disks: one per host, surviving its process's reboots, with
//! the three ways a machine dies and the faults real disks have.
//!
//! Each file has a durable image and, on top, the writes not yet synced; reads
//! see both. What a death keeps:
//!
//! | death | memory | unsynced writes | unsynced names |
//! |---|---|---|---|
//! | process crash ([`crate::sim::kill`]) | lost | kept (page cache) | kept |
//! | power loss ([`power_loss`]) | lost | each sector old or new, length may revert | a prefix of them kept, in order |
//! | wipe ([`wipe`]) | lost | lost | lost (empty disk) |
//!
//! Faults, at the rates of [`StorageConfig`]: EIO on reads and writes, syncs
//! that fail with Linux's semantics (the data stays readable but is lost at
//! the next power loss, whatever later syncs do), a full disk, silent
//! corruption of a read, latency spikes.

mod calls;
mod config;
mod contents;
mod disks;
mod file;
mod names;
mod sectors;
mod tree;

pub use config::{StorageConfig, StorageConfigError};
pub use disks::DiskStats;
pub use file::SimFile;

pub(crate) use disks::Disks;
pub(crate) use file::{create_dir_all, exists, open, read_dir, remove, rename, sync_dir};

use super::HostId;
use super::context::with_world;

/// Cuts the power of `host`: kills its process (as [`crate::sim::kill`]), then
/// its disk keeps only what was synced, plus, for each unsynced sector, its
/// old or its new contents (drawn from the seed), plus a prefix of the
/// directory changes not made durable by a directory sync. Files open before
/// it are stale. Revive the host with [`crate::sim::revive`].
///
/// # Panics
///
/// When `host` is the root host, or outside a running simulation.
pub fn power_loss(host: HostId) {
    crate::sim::kill(host);
    let (kept, pending) = with_world("power_loss", |world| world.disk_power_loss(host.0));
    tracing::debug!(
        host = %crate::sim::host_name(host),
        directory_changes_kept = kept,
        directory_changes_unsynced = pending,
        "power loss: unsynced writes torn or lost"
    );
}

/// Replaces `host`'s machine: kills its process and leaves it an empty disk.
///
/// # Panics
///
/// When `host` is the root host, or outside a running simulation.
pub fn wipe(host: HostId) {
    crate::sim::kill(host);
    with_world("wipe", |world| world.disk_wipe(host.0));
    tracing::debug!(host = %crate::sim::host_name(host), "wipe: the disk is empty");
}

/// Turns the disks' random faults (errors, corruption, latency spikes) on or
/// off. Deaths and a full disk are not affected. Default: on.
pub fn set_faults_active(active: bool) {
    with_world("disk::set_faults_active", |world| {
        world.disks.faults_active = active;
    });
}

/// The storage faults and deaths of this run so far.
pub fn stats() -> DiskStats {
    with_world("disk::stats", |world| world.disks.stats)
}
