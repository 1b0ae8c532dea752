//! Every disk of a world, one per host, with the faults drawn on them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::config::StorageConfig;
use super::tree::Tree;

/// Storage faults and deaths of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskStats {
    /// Reads failed with EIO.
    pub read_errors: u64,
    /// Writes failed with EIO.
    pub write_errors: u64,
    /// Syncs failed with EIO (their data doomed at the next power loss).
    pub sync_failures: u64,
    /// Writes refused because the disk was full.
    pub disk_full: u64,
    /// Reads that returned a corrupted sector.
    pub corruptions: u64,
    /// Calls slowed by a latency spike.
    pub slow_ops: u64,
    /// Power losses (unsynced data torn or lost).
    pub power_losses: u64,
    /// Disks wiped (a machine replaced).
    pub wipes: u64,
}

/// Fault codes recorded in the trace with `TraceKind::Fault`.
pub(crate) mod fault_code {
    pub(crate) const READ_ERROR: u64 = 16;
    pub(crate) const WRITE_ERROR: u64 = 17;
    pub(crate) const SYNC_FAILURE: u64 = 18;
    pub(crate) const DISK_FULL: u64 = 19;
    pub(crate) const CORRUPTION: u64 = 20;
    pub(crate) const SLOW: u64 = 21;
    pub(crate) const POWER_LOSS: u64 = 22;
    pub(crate) const WIPE: u64 = 23;
}

/// One host's disk.
#[derive(Debug)]
pub(crate) struct Disk {
    pub(crate) tree: Tree,
    /// Open handles per file node.
    pub(crate) open: BTreeMap<u64, u32>,
    /// Bumped at every power loss and wipe: handles of an older epoch are stale.
    pub(crate) epoch: u64,
}

impl Disk {
    fn new(epoch: u64) -> Disk {
        Disk {
            tree: Tree::new(),
            open: BTreeMap::new(),
            epoch,
        }
    }

    /// Frees the nodes no name and no open handle holds.
    pub(crate) fn collect(&mut self) {
        let open = &self.open;
        self.tree
            .collect_unreachable(|node| open.contains_key(&node));
    }
}

/// The disks of a world.
pub(crate) struct Disks {
    pub(crate) config: StorageConfig,
    /// By host index; created on first use.
    list: Vec<Option<Disk>>,
    /// Random faults (errors, corruption, spikes) on or off.
    pub(crate) faults_active: bool,
    pub(crate) stats: DiskStats,
}

impl Disks {
    pub(crate) fn new(config: StorageConfig) -> Disks {
        Disks {
            config,
            list: Vec::new(),
            faults_active: true,
            stats: DiskStats::default(),
        }
    }

    /// The disk of `host`, created empty on first use.
    pub(crate) fn get(&mut self, host: u32) -> &mut Disk {
        let index = host as usize;
        if self.list.len() <= index {
            self.list.resize_with(index + 1, || None);
        }
        self.list[index].get_or_insert_with(|| Disk::new(1))
    }

    /// The disk of `host` if it was ever used.
    pub(crate) fn existing(&mut self, host: u32) -> Option<&mut Disk> {
        self.list.get_mut(host as usize).and_then(Option::as_mut)
    }

    /// Replaces `host`'s disk with an empty one.
    pub(crate) fn wipe(&mut self, host: u32) {
        let epoch = self.existing(host).map_or(1, |disk| disk.epoch + 1);
        *self.get(host) = Disk::new(epoch);
        self.stats.wipes += 1;
    }
}
