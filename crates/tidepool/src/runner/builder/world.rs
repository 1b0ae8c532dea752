//! The builder's settings of the simulated world: network, disks, chaos.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::{NetworkChoice, SimulationBuilder};
use crate::runner::ClockSkew;
use crate::runner::attrition::Attrition;
use crate::runner::chaos::{FaultHandle, Injector};
use crate::sanitizer::SanitizerMode;
use crate::sim::{NetworkConfig, StorageConfig};

impl SimulationBuilder {
    /// The network every iteration uses. Default: [`NetworkConfig::fault_free`].
    pub fn network(mut self, config: NetworkConfig) -> SimulationBuilder {
        self.network = NetworkChoice::Fixed(Box::new(config));
        self
    }

    /// The disks every iteration's hosts use (one per host, surviving reboots;
    /// see [`crate::sim::disk`]). Their random faults run until the chaos
    /// window ends, as the network's do. Default: [`StorageConfig::fault_free`].
    pub fn storage(mut self, config: StorageConfig) -> SimulationBuilder {
        self.storage = config;
        self
    }

    /// What the determinism sanitizer does when simulated code reads the real
    /// clock, draws OS randomness or starts a thread (see
    /// [`crate::sanitizer`]). Default: [`SanitizerMode::Deny`].
    pub fn sanitizer(mut self, mode: SanitizerMode) -> SimulationBuilder {
        self.sanitizer = mode;
        self
    }

    /// Swarm testing: each seed gets its own network from
    /// [`NetworkConfig::random_for_seed`]. Default: off.
    pub fn network_per_seed(mut self) -> SimulationBuilder {
        self.network = NetworkChoice::Swarm;
        self
    }

    /// The chaos window: faults (network faults, attrition, swizzles, injectors)
    /// run for `duration` of simulated time from the start of `run`; then
    /// partitions heal, clogs clear, dead processes restart, and the workloads
    /// finish against a healthy system. Default: the whole `run` phase.
    pub fn chaos_duration(mut self, duration: Duration) -> SimulationBuilder {
        self.chaos_duration = Some(duration);
        self
    }

    /// Reboots processes at random during the chaos window. Default: off.
    pub fn attrition(mut self, attrition: Attrition) -> SimulationBuilder {
        self.attrition = Some(attrition);
        self
    }

    /// Swizzles during the chaos window, one every (min, max) of simulated
    /// time: a random subset of processes is clogged one by one, then unclogged
    /// in another order. Default: off.
    pub fn swizzle(mut self, every: (Duration, Duration)) -> SimulationBuilder {
        self.swizzle = Some(every);
        self
    }

    /// Adds a custom fault injector: an async function given a [`FaultHandle`],
    /// run during the chaos window and cancelled when it ends. Default: none.
    pub fn fault_injector<F, Fut>(
        mut self,
        name: impl Into<String>,
        injector: F,
    ) -> SimulationBuilder
    where
        F: Fn(FaultHandle) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let injector: Injector = Arc::new(move |handle| Box::pin(injector(handle)));
        self.injectors.push((name.into(), injector));
        self
    }

    /// Simulated time the system is left alone (faults off) before `check`.
    /// Default: [`SETTLE_DEFAULT`](super::SETTLE_DEFAULT) (1 s).
    pub fn settle(mut self, duration: Duration) -> SimulationBuilder {
        self.settle = duration;
        self
    }

    /// Simulated time processes get to return after the final shutdown signal
    /// before they are killed. Default: [`GRACE_PERIOD_DEFAULT`](super::GRACE_PERIOD_DEFAULT) (5 s).
    pub fn grace_period(mut self, duration: Duration) -> SimulationBuilder {
        self.grace_period = duration;
        self
    }
}

/// Turning fault families off, e.g. on a preset or a simulation built by
/// someone else: each undoes what the setting of its family did.
impl SimulationBuilder {
    /// The attrition set so far, if any.
    pub fn attrition_setting(&self) -> Option<Attrition> {
        self.attrition.clone()
    }

    /// Removes the attrition: no process is rebooted at random.
    pub fn no_attrition(mut self) -> SimulationBuilder {
        self.attrition = None;
        self
    }

    /// Skews the process hosts' wall clocks: offsets and drifts from boot,
    /// steps during the chaos window (see [`ClockSkew`]). Default: off (every
    /// wall clock reads 2026-01-01T00:00:00Z plus simulated time).
    pub fn clock_skew(mut self, skew: ClockSkew) -> SimulationBuilder {
        self.clock_skew = Some(skew);
        self
    }

    /// Swarm testing of the faults: each seed turns every fault family this
    /// configuration has (partial I/O, resets, refused connects, clogs,
    /// partitions, datagram loss, each kind of death, swizzles, storage
    /// faults, clock steps) on or off (on with probability
    /// [`FAMILY_ON_PROBABILITY`](crate::runner::FAMILY_ON_PROBABILITY), 3/4), and draws the
    /// intensity of those on (their configured rates times a factor within
    /// [`INTENSITY_RANGE`](crate::runner::INTENSITY_RANGE)); the report counts,
    /// per family, the seeds that had it on and the failures among them
    /// (see [`crate::runner::SwarmTable`]). Default: off here, so that a
    /// builder runs exactly what it says; the command line turns it on
    /// unless `--no-swarm` is given.
    pub fn swarm(mut self, on: bool) -> SimulationBuilder {
        self.swarm = on;
        self
    }

    /// Removes the clock skew: every wall clock exact.
    pub fn no_clock_skew(mut self) -> SimulationBuilder {
        self.clock_skew = None;
        self
    }

    /// Removes the swizzles.
    pub fn no_swizzle(mut self) -> SimulationBuilder {
        self.swizzle = None;
        self
    }

    /// Removes every custom fault injector.
    pub fn no_fault_injectors(mut self) -> SimulationBuilder {
        self.injectors.clear();
        self
    }

    /// Keeps the network's latencies and buffers, with every random fault off
    /// (a per-seed network becomes [`NetworkConfig::fault_free`]).
    pub fn no_network_faults(mut self) -> SimulationBuilder {
        let config = match &self.network {
            NetworkChoice::Fixed(config) => config.without_faults(),
            NetworkChoice::Swarm => NetworkConfig::fault_free(),
        };
        self.network = NetworkChoice::Fixed(Box::new(config));
        self
    }

    /// Keeps the disks' latencies and capacity, with every random fault off.
    pub fn no_storage_faults(mut self) -> SimulationBuilder {
        self.storage = self.storage.without_faults();
        self
    }

    /// Every fault family off: no attrition, swizzle or injector, no network
    /// or storage faults. Processes still run, and workloads still check.
    pub fn no_chaos(self) -> SimulationBuilder {
        self.no_attrition()
            .no_swizzle()
            .no_clock_skew()
            .no_fault_injectors()
            .no_network_faults()
            .no_storage_faults()
    }
}
