//! The durable KV simulation: the configuration behind
//! `cargo xtask sim run kv-durable`.
//!
//! Three [`KvServer`]s in durable mode, each on a host whose simulated disk
//! outlives its process, and one [`KvWorkload`] with eight concurrent clients. During the chaos
//! window servers die in all the ways machines do: a graceful reboot, a crash
//! (unsynced writes kept by the page cache), a power loss (unsynced writes
//! torn or lost, unsynced renames undone) and a wipe (an empty disk); the
//! disks fail reads, writes and syncs, and stall. The workload's model holds
//! every acknowledged write through all of it but a wipe, which the servers
//! announce with a new store id.
//!
//! The settings below are tuned so that each planted [`DurableBugs`] shows
//! within a few dozen seeds, each through its own symptom (see
//! `tests/kv_durable_planted_bugs.rs`), while the correct server passes every
//! seed: power losses are the most common death, syncs are slow and a record
//! often spans two sectors (so a power loss often finds one torn), syncs fail
//! ten times as often as by default, and snapshots come every few dozen
//! records. Liveness, as in `sim-kv`: within [`sim_kv::LIVENESS_BOUND`] of the
//! faults healing, every server answers a SET and a GET of a key of its own.
#![warn(missing_docs, unreachable_pub)]

use std::time::Duration;

use kv::{DurableBugs, DurableConfig, KvConfig, KvServer};
use kv_workload::{KvWorkload, KvWorkloadConfig};
use tidepool::sim::{Latency, StorageConfig};
use tidepool::{Attrition, SimulationBuilder};

/// Iterations of `cargo xtask sim run kv-durable` when `--iterations` is not given.
pub const ITERATIONS_DEFAULT: u64 = 300;
/// KV servers in the simulation.
pub const SERVERS: usize = 3;
/// Concurrent KV clients: enough that a server's log is often in the middle
/// of a write when its power goes.
pub const CLIENTS: usize = 8;
/// Operations of each client.
pub const OPERATIONS: u64 = 150;
/// The longest value a client writes, in random letters besides its prefix:
/// long enough that a log record often spans two sectors (see
/// [`SECTOR_BYTES`]), so that a power loss can tear it.
pub const VALUE_LETTERS_MAX: usize = 1000;
/// How long faults run at most, from the start of the workloads (they end
/// sooner when the workloads do).
pub const CHAOS_DURATION: Duration = Duration::from_secs(20);
/// Records each server's log holds before a snapshot: few, so that every
/// iteration takes several snapshots, and enough that a record a failed sync
/// doomed has time to be lost before a snapshot rescues it.
pub const SNAPSHOT_RECORDS: u64 = 32;
/// The disks' sector, the unit a power loss tears writes at: 512 bytes, as
/// many disks write atomically.
pub const SECTOR_BYTES: u64 = 512;
/// The shortest and the longest sync: a busy disk, so that writes are often
/// in flight when the power goes.
pub const SYNC_LATENCY: (Duration, Duration) =
    (Duration::from_millis(5), Duration::from_millis(30));
/// How often a sync fails: ten times [`StorageConfig::default`]'s rate.
pub const SYNC_FAILURE_PROBABILITY: f64 = 0.005;

/// The durable KV simulation, with `bugs` planted in every server.
pub fn simulation(bugs: DurableBugs) -> SimulationBuilder {
    let server = KvConfig {
        durable: Some(DurableConfig {
            snapshot_records: SNAPSHOT_RECORDS,
            bugs,
        }),
        ..KvConfig::default()
    };
    let workload = KvWorkloadConfig {
        clients: CLIENTS,
        operations: OPERATIONS,
        value_letters_max: VALUE_LETTERS_MAX,
        // A write held up by a slow disk lands whenever the disk is done:
        // no network bound says when a lost write can no longer land.
        delivery_max: None,
        ..KvWorkloadConfig::default()
    };
    SimulationBuilder::new("kv-durable")
        .processes("server", SERVERS, move || KvServer::new(server.clone()))
        .workload(move |_| KvWorkload::new(workload.clone()))
        .network(sim_kv::network())
        .storage(storage())
        .chaos_duration(CHAOS_DURATION)
        .attrition(attrition())
        .invariant(
            "clients see only booted incarnations",
            sim_kv::seen_incarnations_were_booted,
        )
        .eventually(
            sim_kv::LIVENESS_PROPERTY,
            sim_kv::LIVENESS_BOUND,
            sim_kv::every_server_answers,
        )
        .iterations(ITERATIONS_DEFAULT)
}

/// The servers' deaths: every kind, power losses the most often, since they
/// are what a durable server must get right; one server down at a time, so
/// that the others keep serving.
pub fn attrition() -> Attrition {
    Attrition {
        max_dead: 1,
        graceful: 1.0,
        crash: 1.0,
        power_loss: 3.0,
        wipe: 0.5,
        interval: (Duration::from_millis(100), Duration::from_secs(1)),
        recovery_delay: (Duration::from_millis(100), Duration::from_secs(1)),
        ..Attrition::default()
    }
}

/// The servers' disks: [`StorageConfig::default`]'s faults, with
/// [`SECTOR_BYTES`] sectors, syncs within [`SYNC_LATENCY`] that fail at
/// [`SYNC_FAILURE_PROBABILITY`].
pub fn storage() -> StorageConfig {
    let (min, max) = SYNC_LATENCY;
    StorageConfig {
        sector_bytes: SECTOR_BYTES,
        sync_latency: Latency::Uniform { min, max },
        sync_failure_probability: SYNC_FAILURE_PROBABILITY,
        ..StorageConfig::default()
    }
}
