//! `StorageConfig`: the simulated disk's geometry, latencies and fault rates.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sim::net::Latency;

/// The simulated disks of a world (one per host): size, sector, latencies and
/// the rate of every storage fault.
///
/// Rates are probabilities per call: per read for read errors and corruption,
/// per write (including `append` and `set_len`) for write errors, per sync
/// (`sync_data`, `sync_all`, `sync_dir`) for sync failures, per call of any
/// kind for a latency spike. A rate of 0 turns that fault off.
///
/// # Examples
///
/// ```
/// use tidepool::sim::StorageConfig;
///
/// let config = StorageConfig { sync_failure_probability: 0.01, ..StorageConfig::fault_free() };
/// assert!(config.validate().is_ok());
/// let bad = StorageConfig { capacity_bytes: 0, ..StorageConfig::default() };
/// assert!(bad.validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StorageConfig {
    /// Bytes a disk holds (the sum of its files' lengths); a write past it
    /// fails with `StorageFull`. Default: 256 MiB.
    pub capacity_bytes: u64,
    /// The unit a power loss tears writes at: each unsynced sector keeps its
    /// old or its new contents, independently. Default: 4096.
    pub sector_bytes: u64,
    /// Delay of a read. Default: uniform 20–100 µs.
    pub read_latency: Latency,
    /// Delay of a write, append or `set_len`. Default: uniform 20–100 µs.
    pub write_latency: Latency,
    /// Delay of a sync (`sync_data`, `sync_all`, `sync_dir`). Default: uniform 0.5–5 ms.
    pub sync_latency: Latency,
    /// Delay of an operation on names (open, rename, remove, listing). Default: uniform 10–50 µs.
    pub metadata_latency: Latency,
    /// Probability that a call is slow: its delay is drawn from `slow_latency`
    /// instead. Default: 0.001.
    pub slow_probability: f64,
    /// Delay of a slow call. Default: uniform 50–500 ms.
    pub slow_latency: Latency,
    /// Probability that a read fails with EIO. Default: 0.0005.
    pub read_error_probability: f64,
    /// Probability that a write fails with EIO and changes nothing. Default: 0.0005.
    pub write_error_probability: f64,
    /// Probability that a sync fails with EIO. As on Linux, the data it was to
    /// make durable stays readable but is lost at the next power loss, even if
    /// a later sync succeeds. Default: 0.0005.
    pub sync_failure_probability: f64,
    /// Probability that a read returns one sector with a flipped bit (the
    /// stored data is intact). Off by default, for systems that checksum what
    /// they read. Default: 0.
    pub corruption_probability: f64,
}

impl Default for StorageConfig {
    /// Realistic latencies and rare faults of every kind but silent corruption.
    fn default() -> StorageConfig {
        StorageConfig {
            slow_probability: 0.001,
            read_error_probability: 0.0005,
            write_error_probability: 0.0005,
            sync_failure_probability: 0.0005,
            ..StorageConfig::fault_free()
        }
    }
}

impl StorageConfig {
    /// Capacity, sector and latencies as in [`StorageConfig::default`], every
    /// fault off.
    pub fn fault_free() -> StorageConfig {
        let micros = Duration::from_micros;
        StorageConfig {
            capacity_bytes: 256 * 1024 * 1024,
            sector_bytes: 4096,
            read_latency: Latency::Uniform {
                min: micros(20),
                max: micros(100),
            },
            write_latency: Latency::Uniform {
                min: micros(20),
                max: micros(100),
            },
            sync_latency: Latency::Uniform {
                min: micros(500),
                max: micros(5000),
            },
            metadata_latency: Latency::Uniform {
                min: micros(10),
                max: micros(50),
            },
            slow_probability: 0.0,
            slow_latency: Latency::Uniform {
                min: Duration::from_millis(50),
                max: Duration::from_millis(500),
            },
            read_error_probability: 0.0,
            write_error_probability: 0.0,
            sync_failure_probability: 0.0,
            corruption_probability: 0.0,
        }
    }

    /// Checks bounds: a non-zero capacity, a power-of-two sector, probabilities
    /// within 0..=1, well-formed latencies.
    ///
    /// # Errors
    ///
    /// [`StorageConfigError`] naming the first setting out of bounds.
    pub fn validate(&self) -> Result<(), StorageConfigError> {
        if self.capacity_bytes == 0 {
            return Err(StorageConfigError::ZeroCapacity);
        }
        if !self.sector_bytes.is_power_of_two() || self.sector_bytes > 1 << 20 {
            return Err(StorageConfigError::Sector {
                sector_bytes: self.sector_bytes,
            });
        }
        let probabilities = [
            ("slow_probability", self.slow_probability),
            ("read_error_probability", self.read_error_probability),
            ("write_error_probability", self.write_error_probability),
            ("sync_failure_probability", self.sync_failure_probability),
            ("corruption_probability", self.corruption_probability),
        ];
        for (setting, value) in probabilities {
            if !(0.0..=1.0).contains(&value) {
                return Err(StorageConfigError::Probability { setting, value });
            }
        }
        let latencies = [
            ("read_latency", &self.read_latency),
            ("write_latency", &self.write_latency),
            ("sync_latency", &self.sync_latency),
            ("metadata_latency", &self.metadata_latency),
            ("slow_latency", &self.slow_latency),
        ];
        for (setting, latency) in latencies {
            if latency.validate(setting).is_err() {
                return Err(StorageConfigError::Latency {
                    setting,
                    latency: format!("{latency:?}"),
                });
            }
        }
        Ok(())
    }

    /// The same capacity, sector and latencies, every fault's rate 0.
    pub fn without_faults(&self) -> StorageConfig {
        StorageConfig {
            slow_probability: 0.0,
            read_error_probability: 0.0,
            write_error_probability: 0.0,
            sync_failure_probability: 0.0,
            corruption_probability: 0.0,
            ..self.clone()
        }
    }

    /// Whether any fault has a non-zero rate.
    pub fn has_faults(&self) -> bool {
        [
            self.slow_probability,
            self.read_error_probability,
            self.write_error_probability,
            self.sync_failure_probability,
            self.corruption_probability,
        ]
        .iter()
        .any(|&rate| rate > 0.0)
    }
}

/// A [`StorageConfig`] setting out of bounds.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum StorageConfigError {
    /// `capacity_bytes` is 0.
    #[error("capacity_bytes is 0; no file could hold a byte: give at least 1 (default 256 MiB)")]
    ZeroCapacity,
    /// `sector_bytes` is not a power of two up to 1 MiB.
    #[error("sector_bytes is {sector_bytes}; give a power of two up to 1 MiB (default 4096)")]
    Sector {
        /// The value given.
        sector_bytes: u64,
    },
    /// A probability outside 0..=1.
    #[error("{setting} is {value}; a probability lies within 0.0..=1.0")]
    Probability {
        /// The setting.
        setting: &'static str,
        /// Its value.
        value: f64,
    },
    /// A latency distribution whose bounds are out of order (or with a zero mean).
    #[error(
        "{setting} is {latency}: its min must not exceed its max, a mean must be non-zero, a probability within 0.0..=1.0"
    )]
    Latency {
        /// The setting.
        setting: &'static str,
        /// The distribution as given.
        latency: String,
    },
}
