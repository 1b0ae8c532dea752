//! `NetworkConfig`: latencies, buffers and the rate of every network fault.

use std::time::Duration;

use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

/// A distribution of one-way message delays.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Latency {
    /// Always the same delay.
    Fixed(Duration),
    /// Uniform between `min` and `max` (inclusive).
    Uniform {
        /// Shortest delay.
        min: Duration,
        /// Longest delay.
        max: Duration,
    },
    /// Exponential with mean `mean`, cut at `max`.
    Exponential {
        /// Mean delay.
        mean: Duration,
        /// Longest delay.
        max: Duration,
    },
    /// Usually uniform in `fast`, with probability `slow_probability` uniform in `slow`: a slow tail.
    Bimodal {
        /// Bounds (min, max) of the common delay.
        fast: (Duration, Duration),
        /// Bounds (min, max) of the rare slow delay.
        slow: (Duration, Duration),
        /// Probability of a slow delay.
        slow_probability: f64,
    },
}

impl Latency {
    /// Draws one delay in nanoseconds from `unit`, a uniform source of `u64`s.
    pub(crate) fn sample_nanos(&self, mut draw: impl FnMut() -> u64) -> u64 {
        let uniform = |bits: u64, min: Duration, max: Duration| {
            let (low, high) = (nanos(min), nanos(max).max(nanos(min)));
            let span = high - low + 1;
            low + ((bits as u128 * span as u128) >> 64) as u64
        };
        match self {
            Latency::Fixed(delay) => nanos(*delay),
            Latency::Uniform { min, max } => uniform(draw(), *min, *max),
            Latency::Exponential { mean, max } => {
                let unit = unit_f64(draw());
                let sample = -(1.0 - unit).ln() * nanos(*mean) as f64;
                (sample as u64).min(nanos(*max))
            }
            Latency::Bimodal {
                fast,
                slow,
                slow_probability,
            } => {
                let (min, max) = if unit_f64(draw()) < *slow_probability {
                    *slow
                } else {
                    *fast
                };
                uniform(draw(), min, max)
            }
        }
    }

    pub(crate) fn validate(&self, setting: &'static str) -> Result<(), NetworkConfigError> {
        let ordered = |min: &Duration, max: &Duration| min <= max;
        let valid = match self {
            Latency::Fixed(_) => true,
            Latency::Uniform { min, max } => ordered(min, max),
            Latency::Exponential { mean, max } => !mean.is_zero() && ordered(mean, max),
            Latency::Bimodal {
                fast,
                slow,
                slow_probability,
            } => {
                ordered(&fast.0, &fast.1)
                    && ordered(&slow.0, &slow.1)
                    && (0.0..=1.0).contains(slow_probability)
            }
        };
        if valid {
            Ok(())
        } else {
            Err(NetworkConfigError::Latency {
                setting,
                latency: format!("{self:?}"),
            })
        }
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

fn unit_f64(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A [`NetworkConfig`] setting out of bounds.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum NetworkConfigError {
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
    /// `send_buffer_bytes` is 0.
    #[error(
        "send_buffer_bytes is 0; a writer could never make progress: give at least 1 (default 64 KiB)"
    )]
    ZeroSendBuffer,
    /// `accept_backlog` is 0.
    #[error(
        "accept_backlog is 0; every connection would be refused: give at least 1 (default 1024)"
    )]
    ZeroBacklog,
    /// No datagram would fit.
    #[error(
        "max_datagram_bytes is 0; every UDP send would be refused: give at least 1 (default 65507)"
    )]
    ZeroMaxDatagram,
}

/// What a connection attempt to a host that is down sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadHostConnect {
    /// Refused after one round trip, as when the machine is up but nothing listens.
    Refuse,
    /// No answer: the attempt fails with `TimedOut` after the connect timeout.
    Hang,
}

/// The simulated network: latencies, buffers, and the rate of every fault.
///
/// Rates are probabilities per opportunity: per read for partial reads, per
/// write for partial writes, per delivery for resets, per connection attempt for
/// connect failures, per message sent for clogs and partitions. A rate of 0
/// turns that fault off.
///
/// Partitions hold data in flight rather than losing it, as TCP's retransmissions
/// do: a connection across a partition stalls, and its bytes arrive once the
/// partition heals. A connection attempt across a partition times out.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tidepool::sim::{Latency, NetworkConfig};
///
/// let config = NetworkConfig {
///     latency: Latency::Fixed(Duration::from_millis(2)),
///     partial_read_probability: 0.5,
///     ..NetworkConfig::fault_free()
/// };
/// assert!(config.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkConfig {
    /// One-way delay of every message. Default: uniform 1–5 ms.
    pub latency: Latency,
    /// Bytes a connection direction holds, written but not yet read, before a
    /// writer waits. Default: 64 KiB.
    pub send_buffer_bytes: usize,
    /// Connections queued at a listener before further attempts are refused. Default: 1024.
    pub accept_backlog: usize,
    /// How long a connection attempt that gets no answer waits before `TimedOut`. Default: 5 s.
    pub connect_timeout: Duration,
    /// What connecting to a host that is down sees. Default: [`DeadHostConnect::Refuse`].
    pub dead_host_connect: DeadHostConnect,
    /// Probability that a read returns fewer bytes than are available. Default: 0.2.
    pub partial_read_probability: f64,
    /// Probability that a write accepts fewer bytes than offered. Default: 0.2.
    pub partial_write_probability: f64,
    /// Probability that a delivery resets its connection instead. Default: 0.0001.
    pub reset_probability: f64,
    /// Probability that a connection attempt is refused for no reason. Default: 0.01.
    pub connect_failure_probability: f64,
    /// Probability that a message clogs its link (both directions stall). Default: 0.001.
    pub clog_probability: f64,
    /// How long a clog lasts. Default: uniform 10–500 ms.
    pub clog_duration: Latency,
    /// Probability that a message partitions its two hosts both ways. Default: 0.
    pub partition_probability: f64,
    /// How long a random partition lasts. Default: uniform 100 ms – 3 s.
    pub partition_duration: Latency,
    /// Probability that a UDP datagram is lost on its way. Default: 0.01
    /// ([`NetworkConfig::fault_free`]: 0).
    #[serde(default)]
    pub datagram_loss_probability: f64,
    /// Probability that a UDP datagram arrives twice (each copy with its own
    /// latency). Default: 0.001 ([`NetworkConfig::fault_free`]: 0).
    #[serde(default)]
    pub datagram_duplicate_probability: f64,
    /// The largest UDP datagram `send_to` accepts; a longer one is refused
    /// with `InvalidInput`, as the OS refuses one with `EMSGSIZE`. Default:
    /// 65,507 bytes (IPv4's limit).
    #[serde(default = "max_datagram_bytes_default")]
    pub max_datagram_bytes: usize,
}

fn max_datagram_bytes_default() -> usize {
    65_507
}

impl Default for NetworkConfig {
    /// Mild, realistic faults: partial reads and writes often, a rare clog,
    /// reset or refused connection, no random partitions.
    fn default() -> NetworkConfig {
        NetworkConfig {
            partial_read_probability: 0.2,
            partial_write_probability: 0.2,
            reset_probability: 0.0001,
            connect_failure_probability: 0.01,
            clog_probability: 0.001,
            datagram_loss_probability: 0.01,
            datagram_duplicate_probability: 0.001,
            ..NetworkConfig::fault_free()
        }
    }
}

impl NetworkConfig {
    /// Latency and buffers as in [`NetworkConfig::default`], every fault off.
    pub fn fault_free() -> NetworkConfig {
        NetworkConfig {
            latency: Latency::Uniform {
                min: Duration::from_millis(1),
                max: Duration::from_millis(5),
            },
            send_buffer_bytes: 64 * 1024,
            accept_backlog: 1024,
            connect_timeout: Duration::from_secs(5),
            dead_host_connect: DeadHostConnect::Refuse,
            partial_read_probability: 0.0,
            partial_write_probability: 0.0,
            reset_probability: 0.0,
            connect_failure_probability: 0.0,
            clog_probability: 0.0,
            clog_duration: Latency::Uniform {
                min: Duration::from_millis(10),
                max: Duration::from_millis(500),
            },
            partition_probability: 0.0,
            partition_duration: Latency::Uniform {
                min: Duration::from_millis(100),
                max: Duration::from_secs(3),
            },
            datagram_loss_probability: 0.0,
            datagram_duplicate_probability: 0.0,
            max_datagram_bytes: max_datagram_bytes_default(),
        }
    }

    /// Swarm testing: each fault family is on or off for this seed, and its rate,
    /// the latency shape and the dead-host behaviour are drawn from the seed too.
    /// Different seeds so explore configurations no single preset reaches.
    pub fn random_for_seed(seed: u64) -> NetworkConfig {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x6e65_7477_6f72_6b21);
        let mut unit = || unit_f64(rng.next_u64());
        let mut rate = |max: f64| {
            let on = unit() < 0.5;
            if on { unit() * max } else { 0.0 }
        };
        let partial_read_probability = rate(0.5);
        let partial_write_probability = rate(0.5);
        let reset_probability = rate(0.001);
        let connect_failure_probability = rate(0.05);
        let clog_probability = rate(0.01);
        let partition_probability = rate(0.0005);
        let shape = unit();
        let latency = if shape < 0.25 {
            Latency::Fixed(Duration::from_millis(1))
        } else if shape < 0.5 {
            Latency::Exponential {
                mean: Duration::from_millis(3),
                max: Duration::from_millis(200),
            }
        } else if shape < 0.75 {
            Latency::Bimodal {
                fast: (Duration::from_millis(1), Duration::from_millis(3)),
                slow: (Duration::from_millis(50), Duration::from_millis(400)),
                slow_probability: 0.02,
            }
        } else {
            NetworkConfig::fault_free().latency
        };
        let dead_host_connect = if unit() < 0.5 {
            DeadHostConnect::Refuse
        } else {
            DeadHostConnect::Hang
        };
        // Drawn last, so that the draws above (and so the TCP faults of every
        // seed) stay what they were before UDP existed.
        let mut rate = |max: f64| {
            let on = unit() < 0.5;
            if on { unit() * max } else { 0.0 }
        };
        let datagram_loss_probability = rate(0.1);
        let datagram_duplicate_probability = rate(0.01);
        NetworkConfig {
            datagram_loss_probability,
            datagram_duplicate_probability,
            latency,
            dead_host_connect,
            partial_read_probability,
            partial_write_probability,
            reset_probability,
            connect_failure_probability,
            clog_probability,
            partition_probability,
            ..NetworkConfig::fault_free()
        }
    }

    /// Checks bounds: probabilities within 0..=1, ordered latency bounds, non-zero buffers.
    ///
    /// # Errors
    ///
    /// [`NetworkConfigError`] naming the first setting out of bounds.
    pub fn validate(&self) -> Result<(), NetworkConfigError> {
        let probabilities = [
            ("partial_read_probability", self.partial_read_probability),
            ("partial_write_probability", self.partial_write_probability),
            ("reset_probability", self.reset_probability),
            (
                "connect_failure_probability",
                self.connect_failure_probability,
            ),
            ("clog_probability", self.clog_probability),
            ("partition_probability", self.partition_probability),
            ("datagram_loss_probability", self.datagram_loss_probability),
            (
                "datagram_duplicate_probability",
                self.datagram_duplicate_probability,
            ),
        ];
        for (name, value) in probabilities {
            if !(0.0..=1.0).contains(&value) {
                return Err(NetworkConfigError::Probability {
                    setting: name,
                    value,
                });
            }
        }
        if self.send_buffer_bytes == 0 {
            return Err(NetworkConfigError::ZeroSendBuffer);
        }
        if self.accept_backlog == 0 {
            return Err(NetworkConfigError::ZeroBacklog);
        }
        if self.max_datagram_bytes == 0 {
            return Err(NetworkConfigError::ZeroMaxDatagram);
        }
        self.latency.validate("latency")?;
        self.clog_duration.validate("clog_duration")?;
        self.partition_duration.validate("partition_duration")
    }

    /// The same latencies, buffers and timeouts, every fault's rate 0.
    pub fn without_faults(&self) -> NetworkConfig {
        NetworkConfig {
            partial_read_probability: 0.0,
            partial_write_probability: 0.0,
            reset_probability: 0.0,
            connect_failure_probability: 0.0,
            clog_probability: 0.0,
            partition_probability: 0.0,
            datagram_loss_probability: 0.0,
            datagram_duplicate_probability: 0.0,
            ..self.clone()
        }
    }

    /// Whether any fault has a non-zero rate.
    pub fn has_faults(&self) -> bool {
        [
            self.partial_read_probability,
            self.partial_write_probability,
            self.reset_probability,
            self.connect_failure_probability,
            self.clog_probability,
            self.partition_probability,
        ]
        .iter()
        .any(|&rate| rate > 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    /// The delay `latency` draws when every draw returns `bits`.
    fn sample(latency: &Latency, bits: u64) -> u64 {
        latency.sample_nanos(|| bits)
    }

    #[test]
    fn each_distribution_follows_its_draw() {
        // The lowest draw gives the shortest delay, the highest the longest,
        // the middle one the middle: a distribution that ignored its draw
        // would give one delay for all three.
        let uniform = Latency::Uniform {
            min: Duration::from_millis(1),
            max: Duration::from_millis(11),
        };
        assert_eq!(sample(&uniform, 0), MS);
        assert_eq!(sample(&uniform, u64::MAX), 11 * MS);
        assert_eq!(sample(&uniform, 1 << 63), 6 * MS);
        let exponential = Latency::Exponential {
            mean: Duration::from_millis(10),
            max: Duration::from_millis(100),
        };
        assert_eq!(sample(&exponential, 0), 0);
        assert_eq!(sample(&exponential, u64::MAX), 100 * MS, "cut at max");
        let median = sample(&exponential, 1 << 63);
        assert!((6 * MS..8 * MS).contains(&median), "median {median}");
        let bimodal = Latency::Bimodal {
            fast: (Duration::from_millis(1), Duration::from_millis(3)),
            slow: (Duration::from_millis(100), Duration::from_millis(300)),
            slow_probability: 0.5,
        };
        assert_eq!(
            sample(&bimodal, 0),
            100 * MS,
            "a low draw picks the slow mode"
        );
        assert_eq!(sample(&bimodal, u64::MAX), 3 * MS);
        assert_eq!(sample(&Latency::Fixed(Duration::from_millis(4)), 0), 4 * MS);
    }
}
