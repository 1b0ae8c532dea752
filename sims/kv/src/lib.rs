//! The KV simulation of the tutorial: the configuration behind
//! `cargo xtask sim run kv`.
//!
//! Three [`KvServer`]s, one [`KvWorkload`] with four concurrent clients
//! sharing their keys, a network with mild faults
//! plus rare partitions and long clogs (so that requests time out), and
//! attrition that reboots servers gracefully and by crashes during a
//! 20-second chaos window. An invariant checks that no client ever sees a
//! server incarnation the server has not booted.
#![warn(missing_docs, unreachable_pub)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use kv::{Bugs, INCARNATIONS_BOOTED, KvConfig, KvServer};
use kv_workload::{INCARNATIONS_SEEN, KvWorkload, KvWorkloadConfig};
use tidepool::sim::{Latency, NetworkConfig};
use tidepool::{Attrition, SimulationBuilder, StateView};

/// Iterations of `cargo xtask sim run kv` when `--iterations` is not given.
pub const ITERATIONS_DEFAULT: u64 = 300;
/// KV servers in the simulation.
pub const SERVERS: usize = 3;
/// Concurrent KV clients in the simulation, all in one workload, sharing one
/// history.
pub const CLIENTS: usize = 4;
/// How long faults run, from the start of the workloads.
pub const CHAOS_DURATION: Duration = Duration::from_secs(20);
/// The probability that a message partitions its two hosts, in [`network`].
pub const PARTITION_PROBABILITY: f64 = 0.0005;
/// The longest clog, in [`network`]: longer than the workload's request
/// timeout, so a clog can time a request out.
pub const CLOG_DURATION_MAX: Duration = Duration::from_secs(2);

/// The KV simulation, with `bugs` planted in every server and client.
pub fn simulation(bugs: Bugs) -> SimulationBuilder {
    let server = KvConfig {
        bugs,
        ..KvConfig::default()
    };
    let network = network();
    let workload = KvWorkloadConfig {
        clients: CLIENTS,
        delivery_max: Some(latency_max(&network.latency)),
        client_bugs: bugs,
        ..KvWorkloadConfig::default()
    };
    SimulationBuilder::new("kv")
        .processes("server", SERVERS, move || KvServer::new(server.clone()))
        .workload(move |_| KvWorkload::new(workload.clone()))
        .network(network)
        .chaos_duration(CHAOS_DURATION)
        .attrition(Attrition {
            max_dead: 1,
            interval: (Duration::from_secs(1), Duration::from_secs(6)),
            recovery_delay: (Duration::from_millis(200), Duration::from_secs(2)),
            ..Attrition::default()
        })
        .invariant(
            "clients see only booted incarnations",
            seen_incarnations_were_booted,
        )
        .iterations(ITERATIONS_DEFAULT)
}

/// The simulation's network: [`NetworkConfig::default`]'s mild faults, plus
/// partitions ([`PARTITION_PROBABILITY`]) and clogs of up to
/// [`CLOG_DURATION_MAX`], which outlast requests' timeouts.
pub fn network() -> NetworkConfig {
    NetworkConfig {
        partition_probability: PARTITION_PROBABILITY,
        clog_duration: Latency::Uniform {
            min: Duration::from_millis(10),
            max: CLOG_DURATION_MAX,
        },
        ..NetworkConfig::default()
    }
}

/// The longest delay `latency` draws.
pub fn latency_max(latency: &Latency) -> Duration {
    match latency {
        Latency::Fixed(delay) => *delay,
        Latency::Uniform { max, .. } | Latency::Exponential { max, .. } => *max,
        Latency::Bimodal { fast, slow, .. } => fast.1.max(slow.1),
    }
}

/// No client has seen an incarnation of a server above the one it last booted.
///
/// Before any client has seen a server there is nothing to check; after, the
/// servers' boots must have been published: a missing key fails the check.
pub fn seen_incarnations_were_booted(state: &StateView<'_>) -> Result<(), String> {
    if state.keys().all(|key| key != INCARNATIONS_SEEN) {
        return Ok(());
    }
    let seen = state.require::<BTreeMap<SocketAddr, u64>>(INCARNATIONS_SEEN)?;
    let booted = state.require::<BTreeMap<SocketAddr, u64>>(INCARNATIONS_BOOTED)?;
    for (server, &incarnation) in seen {
        let latest = booted.get(server).copied().unwrap_or(0);
        if incarnation > latest {
            return Err(format!(
                "a client saw incarnation {incarnation} of {server}, which has booted only {latest}"
            ));
        }
    }
    Ok(())
}

/// The guide's chapters, so that `cargo test -p sim-kv --doc` compiles and runs
/// every Rust block in them that is not an excerpt (`sims/kv/tests/guide.rs`
/// checks the excerpts).
#[cfg(doctest)]
mod guide {
    #[doc = include_str!("../../../docs/guide/01-your-first-simulation.md")]
    struct YourFirstSimulation;

    #[doc = include_str!("../../../docs/guide/02-defining-a-process.md")]
    struct DefiningAProcess;

    #[doc = include_str!("../../../docs/guide/03-writing-a-workload.md")]
    struct WritingAWorkload;

    #[doc = include_str!("../../../docs/guide/04-configuring-the-simulation-builder.md")]
    struct ConfiguringTheSimulationBuilder;

    #[doc = include_str!("../../../docs/guide/05-running-and-observing.md")]
    struct RunningAndObserving;

    #[doc = include_str!("../../../docs/guide/06-durable-state-storage-and-crashes.md")]
    struct DurableStateStorageAndCrashes;
}
