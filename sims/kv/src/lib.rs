//! The KV simulation of the tutorial: the configuration behind
//! `cargo xtask sim run kv`.
//!
//! Three [`KvServer`]s, one [`KvWorkload`] with four concurrent clients
//! sharing their keys, a network with mild faults
//! plus rare partitions and long clogs (so that requests time out), and
//! attrition that reboots servers gracefully and by crashes during a
//! 20-second chaos window. An invariant checks that no client ever sees a
//! server incarnation the server has not booted. Liveness: within
//! [`LIVENESS_BOUND`] of the faults healing, every server answers a SET and a
//! GET of a key of its own ([`every_server_answers`]).
#![warn(missing_docs, unreachable_pub)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use kv::protocol::Response;
use kv::{Bugs, INCARNATIONS_BOOTED, KvClient, KvConfig, KvServer};
use kv_workload::{INCARNATIONS_SEEN, KvWorkload, KvWorkloadConfig};
use tidepool::sim::{Latency, NetworkConfig};
use tidepool::{Attrition, BoxError, SimulationBuilder, StateView, WorkloadContext};

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
/// The liveness property of the KV simulations (see [`every_server_answers`]).
pub const LIVENESS_PROPERTY: &str = "every server answers a SET and a GET";
/// How soon after the faults heal every server must answer
/// ([`LIVENESS_PROPERTY`]).
pub const LIVENESS_BOUND: Duration = Duration::from_secs(5);
/// The key [`every_server_answers`] writes and reads: outside the workload's
/// key space (whose keys are `k`, `kk`, the empty key, `ab`, `ba`, binary keys
/// and `key-N`), so the workload never reads it and its history never sees it.
pub const LIVENESS_KEY: &[u8] = b"liveness.probe";
/// How long each request of [`every_server_answers`] may take, connecting
/// included.
pub const LIVENESS_REQUEST_TIMEOUT: Duration = Duration::from_secs(1);

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
        .eventually(LIVENESS_PROPERTY, LIVENESS_BOUND, every_server_answers)
        // The durable store's sites are sim-kv-durable's to cover.
        .coverage_scope(|site| !site.file.contains("kv/src/durable/"))
        .iterations(ITERATIONS_DEFAULT)
}

/// The liveness check of the KV simulations: every server of the group
/// `"server"`, one after the other, on a fresh connection, acknowledges a SET
/// of [`LIVENESS_KEY`] (`Ok`), then answers a GET of it (a value or
/// `NotFound`); each request within [`LIVENESS_REQUEST_TIMEOUT`]. It asks for
/// answers, not for right ones: what the GET reads is the safety checks'
/// business, so a server that loses writes fails them, not this.
///
/// # Errors
///
/// Names every server that did not answer so, and what it did instead (no
/// connection, a timeout, another reply).
pub async fn every_server_answers(ctx: WorkloadContext) -> Result<(), BoxError> {
    let mut silent = Vec::new();
    for &server in ctx.processes("server") {
        if let Err(why) = set_then_get(&ctx, server).await {
            silent.push(format!("{server}: {why}"));
        }
    }
    if silent.is_empty() {
        return Ok(());
    }
    Err(format!("servers not answering: {}", silent.join("; ")).into())
}

/// Sets [`LIVENESS_KEY`] on `server`, then reads it.
async fn set_then_get(ctx: &WorkloadContext, server: SocketAddr) -> Result<(), String> {
    let mut client = KvClient::new(ctx.providers(), server).with_timeout(LIVENESS_REQUEST_TIMEOUT);
    let set = client
        .set(LIVENESS_KEY, &b"alive"[..])
        .await
        .map_err(|error| format!("SET failed: {error}"))?;
    if set.response != Response::Ok {
        return Err(format!("SET answered {:?}", set.response));
    }
    let get = client
        .get(LIVENESS_KEY)
        .await
        .map_err(|error| format!("GET failed: {error}"))?;
    match get.response {
        Response::Value(_) | Response::NotFound => Ok(()),
        other => Err(format!("GET answered {other:?}")),
    }
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
