//! Presets for the command line: a whole network, attrition or disk setting
//! in one word, to try a simulation under other faults without editing it.

use std::time::Duration;

use crate::runner::{Attrition, SimulationBuilder};
use crate::sim::{Latency, NetworkConfig, StorageConfig};

/// `--network PRESET`: the network every seed uses.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkPreset {
    /// Latencies only: every byte arrives, in order (`NetworkConfig::fault_free`).
    FaultFree,
    /// Mild, realistic faults (`NetworkConfig::default`).
    Default,
    /// Frequent partial I/O, resets, refused connects, clogs and partitions,
    /// and a slow tail of latencies.
    Harsh,
    /// Each seed draws its own network (`NetworkConfig::random_for_seed`).
    PerSeed,
}

impl NetworkPreset {
    /// Applies the preset to `builder`.
    pub fn apply(self, builder: SimulationBuilder) -> SimulationBuilder {
        match self {
            NetworkPreset::FaultFree => builder.network(NetworkConfig::fault_free()),
            NetworkPreset::Default => builder.network(NetworkConfig::default()),
            NetworkPreset::Harsh => builder.network(harsh_network()),
            NetworkPreset::PerSeed => builder.network_per_seed(),
        }
    }
}

/// The `harsh` network preset.
fn harsh_network() -> NetworkConfig {
    NetworkConfig {
        latency: Latency::Bimodal {
            fast: (Duration::from_millis(1), Duration::from_millis(5)),
            slow: (Duration::from_millis(50), Duration::from_millis(500)),
            slow_probability: 0.02,
        },
        partial_read_probability: 0.5,
        partial_write_probability: 0.5,
        reset_probability: 0.001,
        connect_failure_probability: 0.05,
        clog_probability: 0.005,
        partition_probability: 0.0005,
        ..NetworkConfig::fault_free()
    }
}

/// `--attrition PRESET`: which deaths reboot processes during the chaos
/// window. Its group, `max_dead` and timings stay the simulation's own (or
/// [`Attrition::default`]'s when it has none).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttritionPreset {
    /// No reboots.
    Off,
    /// Graceful reboots and crashes, equally likely (the default weights).
    Default,
    /// Graceful reboots only.
    Graceful,
    /// Crashes (kill -9) only.
    Crashes,
    /// Power losses only: unsynced writes torn or lost.
    PowerLoss,
    /// Every death: graceful, crash, power loss and wipe, equally likely.
    All,
}

impl AttritionPreset {
    /// Applies the preset to `builder`.
    pub fn apply(self, builder: SimulationBuilder) -> SimulationBuilder {
        let weights = match self {
            AttritionPreset::Off => return builder.no_attrition(),
            AttritionPreset::Default => [1.0, 1.0, 0.0, 0.0],
            AttritionPreset::Graceful => [1.0, 0.0, 0.0, 0.0],
            AttritionPreset::Crashes => [0.0, 1.0, 0.0, 0.0],
            AttritionPreset::PowerLoss => [0.0, 0.0, 1.0, 0.0],
            AttritionPreset::All => [1.0, 1.0, 1.0, 1.0],
        };
        let [graceful, crash, power_loss, wipe] = weights;
        let base = builder.attrition_setting().unwrap_or_default();
        builder.attrition(Attrition {
            graceful,
            crash,
            power_loss,
            wipe,
            ..base
        })
    }
}

/// `--storage PRESET`: the disks of every host.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoragePreset {
    /// Latencies only (`StorageConfig::fault_free`).
    FaultFree,
    /// Rare faults of every kind but corruption (`StorageConfig::default`).
    Default,
    /// Frequent errors, failed syncs, latency spikes and silent corruption.
    Harsh,
}

impl StoragePreset {
    /// Applies the preset to `builder`.
    pub fn apply(self, builder: SimulationBuilder) -> SimulationBuilder {
        match self {
            StoragePreset::FaultFree => builder.storage(StorageConfig::fault_free()),
            StoragePreset::Default => builder.storage(StorageConfig::default()),
            StoragePreset::Harsh => builder.storage(StorageConfig {
                slow_probability: 0.01,
                read_error_probability: 0.005,
                write_error_probability: 0.005,
                sync_failure_probability: 0.005,
                corruption_probability: 0.001,
                ..StorageConfig::fault_free()
            }),
        }
    }
}
