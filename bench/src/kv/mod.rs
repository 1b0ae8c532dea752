//! The kv-bench workload of the peers' specification, on tidepool: line
//! protocol servers, clients drawing their operations from `rand`'s
//! `StdRng`, and the digest that proves two frameworks did the same work.
//!
//! With one server this is the specification's setup: one server host, one
//! client host with four client tasks of 50 sequential operations each, one
//! connection per client task, one-way latency uniform in 1–5 ms, no faults.
//! With more servers, each gets a client host of its own whose tasks talk to
//! it alone; clients are numbered across hosts, in host order.

mod client;
mod digest;
mod line;
mod server;
mod word;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tidepool::sanitizer::SanitizerMode;

use tidepool::prelude::*;
use tidepool::sim::{Latency, NetworkConfig};
use tidepool::{ConfigError, SimulationReport};

pub use client::{client_seed, draw_request, run_client};
pub use digest::{client_digest_start, fnv1a, run_digest};
pub use line::{LINE_BYTES_MAX, LineReader};
pub use server::{LineKvServer, SERVER_PORT};

/// Client tasks per client host, by the specification.
pub const CLIENTS_PER_HOST: usize = 4;
/// Sequential operations of each client task, by the specification.
pub const OPS_PER_CLIENT: u64 = 50;
/// The specification's digest over seeds `1..=100`.
pub const DIGEST_SEEDS_1_TO_100: u64 = 0x11e308764efa0759;

/// One kv-bench campaign.
#[derive(Clone, Debug)]
pub struct KvBench {
    /// The seeds, one iteration each, in order. Default: `1..=1000`.
    pub seeds: RangeInclusive<u64>,
    /// Server hosts, each with a client host of its own. Default: 1.
    pub servers: usize,
    /// Operations of each client task. Default: [`OPS_PER_CLIENT`].
    pub ops_per_client: u64,
    /// Worker threads. Default: 1.
    pub jobs: usize,
    /// The determinism sanitizer's mode. Default: [`SanitizerMode::Deny`],
    /// the library's (every campaign check on).
    pub sanitizer: SanitizerMode,
}

impl Default for KvBench {
    fn default() -> KvBench {
        KvBench {
            seeds: 1..=1000,
            servers: 1,
            ops_per_client: OPS_PER_CLIENT,
            jobs: 1,
            sanitizer: SanitizerMode::Deny,
        }
    }
}

/// What a campaign did: the report, and the digest of its requests and responses.
#[derive(Debug)]
pub struct KvBenchRun {
    /// The campaign's report.
    pub report: SimulationReport,
    /// The digest over every iteration that ran, in seed order; check the
    /// report's failures first, as a failed iteration's clients may be missing.
    pub digest: u64,
}

/// Client digests of each iteration's client hosts, by (seed, host).
type Digests = Arc<Mutex<BTreeMap<(u64, usize), [u64; CLIENTS_PER_HOST]>>>;

impl KvBench {
    /// The simulation, as `SimulationBuilder` runs it.
    pub fn builder(&self) -> (SimulationBuilder, Digests) {
        let digests = Digests::default();
        let sink = digests.clone();
        let ops = self.ops_per_client;
        let builder = SimulationBuilder::new("kv-bench")
            .processes("server", self.servers, || LineKvServer)
            .workloads(self.servers, move |host| ClientHost {
                host,
                ops,
                digests: sink.clone(),
            })
            .seeds(self.seeds.clone())
            .jobs(self.jobs)
            .sanitizer(self.sanitizer)
            .network(NetworkConfig {
                latency: Latency::Uniform {
                    min: Duration::from_millis(1),
                    max: Duration::from_millis(5),
                },
                ..NetworkConfig::fault_free()
            })
            .settle(Duration::from_millis(10))
            .grace_period(Duration::from_secs(1));
        (builder, digests)
    }

    /// Runs the campaign.
    ///
    /// # Errors
    ///
    /// When the builder refuses the configuration.
    pub fn run(&self) -> Result<KvBenchRun, ConfigError> {
        let (builder, digests) = self.builder();
        let report = builder.run()?;
        let digests = digests
            .lock()
            .expect("no worker panics holding the digests");
        Ok(KvBenchRun {
            report,
            digest: run_digest(digests.values().map(|clients| &clients[..])),
        })
    }
}

/// One client host: spawns its client tasks, waits for them, files their digests.
struct ClientHost {
    host: usize,
    ops: u64,
    digests: Digests,
}

impl Workload for ClientHost {
    fn name(&self) -> &str {
        "kv-bench"
    }

    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let server = ctx.processes("server")[self.host];
        let server = SocketAddr::new(server.ip(), SERVER_PORT);
        let seed = ctx.seed();
        let tasks: Vec<_> = (0..CLIENTS_PER_HOST)
            .map(|task| {
                let client = self.host * CLIENTS_PER_HOST + task;
                let run = run_client(ctx.providers(), client, seed, server, self.ops);
                ctx.spawn("kv-bench client", run)
            })
            .collect();
        let mut clients = [0; CLIENTS_PER_HOST];
        for (digest, task) in clients.iter_mut().zip(tasks) {
            *digest = task.await??;
        }
        self.digests
            .lock()
            .expect("no worker panics holding the digests")
            .insert((seed, self.host), clients);
        Ok(())
    }
}
