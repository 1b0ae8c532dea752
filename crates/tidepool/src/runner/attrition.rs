//! `Attrition`: processes rebooted at random during the chaos window.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Random reboots of processes during the chaos window.
///
/// At random intervals a live process of the targeted group is rebooted, in
/// one of four ways picked by their weights:
/// - gracefully: its shutdown signal fires, it has `grace_period` to return,
///   then it is killed;
/// - by a crash (kill -9): killed at once, its connections reset; its disk
///   keeps every write, synced or not (the OS's page cache survives);
/// - by a power loss: killed at once, and its disk keeps only what was synced,
///   each unsynced sector torn old-or-new (see [`crate::sim::disk`]);
/// - by a wipe: killed at once, and it boots on an empty disk (a machine replaced).
///
/// After `recovery_delay` a fresh instance boots at the same address. At most
/// `max_dead` processes of the group are down at once.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tidepool::runner::Attrition;
///
/// let attrition = Attrition { max_dead: 1, crash: 2.0, ..Attrition::default() };
/// assert_eq!(attrition.graceful, 1.0);
/// assert_eq!(attrition.grace_period, Duration::from_secs(2));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attrition {
    /// The process group to reboot; `None` for every group. Default: `None`.
    pub group: Option<String>,
    /// Processes down at once, at most. Default: 1.
    pub max_dead: usize,
    /// Relative weight of graceful reboots. Default: 1.0.
    pub graceful: f64,
    /// Relative weight of crashes. Default: 1.0.
    pub crash: f64,
    /// Relative weight of power losses. Default: 0.0.
    pub power_loss: f64,
    /// Relative weight of wipes. Default: 0.0.
    pub wipe: f64,
    /// Time a gracefully stopped process has to return before it is killed. Default: 2 s.
    pub grace_period: Duration,
    /// Bounds (min, max) of the delay before a dead process boots again. Default: 1 s – 5 s.
    pub recovery_delay: (Duration, Duration),
    /// Bounds (min, max) of the time between two reboots. Default: 1 s – 10 s.
    pub interval: (Duration, Duration),
    /// Allows `max_dead` to reach the size of the group (all of it down at once). Default: false.
    pub allow_all_dead: bool,
}

impl Default for Attrition {
    fn default() -> Attrition {
        Attrition {
            group: None,
            max_dead: 1,
            graceful: 1.0,
            crash: 1.0,
            power_loss: 0.0,
            wipe: 0.0,
            grace_period: Duration::from_secs(2),
            recovery_delay: (Duration::from_secs(1), Duration::from_secs(5)),
            interval: (Duration::from_secs(1), Duration::from_secs(10)),
            allow_all_dead: false,
        }
    }
}

/// Fault counts of a run or a campaign.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultCounts {
    /// Graceful reboots (shutdown signal, grace period, kill).
    pub reboots_graceful: u64,
    /// Crash reboots (killed at once).
    pub reboots_crash: u64,
    /// Processes killed by fault injectors.
    pub kills: u64,
    /// Partitions made (by the network's faults and by injectors).
    pub partitions: u64,
    /// Links clogged (by the network's faults, swizzles and injectors).
    pub clogs: u64,
    /// Swizzles run.
    pub swizzles: u64,
    /// Connections reset by network faults.
    pub resets: u64,
    /// Connection attempts refused by network faults.
    pub connect_failures: u64,
    /// Reads cut short by network faults.
    pub partial_reads: u64,
    /// Writes cut short by network faults.
    pub partial_writes: u64,
    /// Power losses (by attrition and injectors).
    pub power_losses: u64,
    /// Disks wiped (by attrition and injectors).
    pub wipes: u64,
    /// Disk reads failed with EIO.
    pub disk_read_errors: u64,
    /// Disk writes failed with EIO.
    pub disk_write_errors: u64,
    /// Syncs failed with EIO.
    pub sync_failures: u64,
    /// Writes refused by a full disk.
    pub disk_full: u64,
    /// Reads that returned a corrupted sector.
    pub corruptions: u64,
    /// Storage calls slowed by a latency spike.
    pub disk_slow: u64,
    /// Restarts processes asked for by returning [`Restart`](crate::Restart).
    pub restarts: u64,
    /// UDP datagrams lost (by the network's faults, partitions, clogs, dead
    /// targets, full receive buffers).
    pub datagrams_lost: u64,
    /// UDP datagrams duplicated by the network's faults.
    pub datagrams_duplicated: u64,
    /// Wall clocks stepped by clock skew ([`ClockSkew`](crate::ClockSkew)).
    pub clock_steps: u64,
}

impl FaultCounts {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &FaultCounts) {
        self.reboots_graceful += other.reboots_graceful;
        self.reboots_crash += other.reboots_crash;
        self.kills += other.kills;
        self.partitions += other.partitions;
        self.clogs += other.clogs;
        self.swizzles += other.swizzles;
        self.resets += other.resets;
        self.connect_failures += other.connect_failures;
        self.partial_reads += other.partial_reads;
        self.partial_writes += other.partial_writes;
        self.power_losses += other.power_losses;
        self.wipes += other.wipes;
        self.disk_read_errors += other.disk_read_errors;
        self.disk_write_errors += other.disk_write_errors;
        self.sync_failures += other.sync_failures;
        self.disk_full += other.disk_full;
        self.corruptions += other.corruptions;
        self.disk_slow += other.disk_slow;
        self.restarts += other.restarts;
        self.datagrams_lost += other.datagrams_lost;
        self.datagrams_duplicated += other.datagrams_duplicated;
        self.clock_steps += other.clock_steps;
    }

    /// Adds the disks' own fault counts of a run.
    pub fn add_storage(&mut self, disks: &crate::sim::disk::DiskStats) {
        self.power_losses += disks.power_losses;
        self.wipes += disks.wipes;
        self.disk_read_errors += disks.read_errors;
        self.disk_write_errors += disks.write_errors;
        self.sync_failures += disks.sync_failures;
        self.disk_full += disks.disk_full;
        self.corruptions += disks.corruptions;
        self.disk_slow += disks.slow_ops;
    }

    /// Adds the network's own fault counts of a run.
    pub fn add_network(&mut self, net: &crate::sim::net::NetStats) {
        self.partitions += net.partitions;
        self.clogs += net.clogs;
        self.resets += net.resets;
        self.connect_failures += net.connect_failures;
        self.partial_reads += net.partial_reads;
        self.partial_writes += net.partial_writes;
        self.datagrams_lost += net.datagrams_lost;
        self.datagrams_duplicated += net.datagrams_duplicated;
    }

    /// Every fault, summed.
    pub fn total(&self) -> u64 {
        self.reboots_graceful
            + self.reboots_crash
            + self.kills
            + self.partitions
            + self.clogs
            + self.swizzles
            + self.resets
            + self.connect_failures
            + self.partial_reads
            + self.partial_writes
            + self.power_losses
            + self.wipes
            + self.disk_read_errors
            + self.disk_write_errors
            + self.sync_failures
            + self.disk_full
            + self.corruptions
            + self.disk_slow
            + self.restarts
            + self.datagrams_lost
            + self.datagrams_duplicated
            + self.clock_steps
    }
}
