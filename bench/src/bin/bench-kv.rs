//! `cargo xtask bench kv`: whole iterations of a small KV simulation per
//! second, through the public [`SimulationBuilder`], on one thread.
//!
//! Each iteration: one [`KvServer`]; one client host whose workload spawns
//! [`CLIENTS`] tasks, each on its own connection, each doing [`OPS_PER_CLIENT_DEFAULT`]
//! sequential operations (40% SET, 40% GET, 20% DELETE) over its own
//! [`KEYS_PER_CLIENT`] keys with [`VALUE_LETTERS`]-letter random values, and
//! checking every GET against its own model. Latency uniform 1–5 ms, no
//! faults, seeds `1..=N`. The campaign must pass.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use kv::protocol::Response;
use kv::{KvClient, KvConfig, KvServer};
use tidepool::providers::{Providers, RandomProvider, SimProviders, SimRandom};
use tidepool::sim::{Latency, NetworkConfig};
use tidepool::{BoxError, SimulationBuilder, Workload, WorkloadContext};
use tidepool_bench::timed;

/// Concurrent client tasks on the client host.
const CLIENTS: usize = 4;
/// Sequential operations of each client task, unless `--ops` says otherwise.
const OPS_PER_CLIENT_DEFAULT: u64 = 50;
/// Keys `c{i}-k0` .. `c{i}-k15` of client `i`.
const KEYS_PER_CLIENT: u64 = 16;
/// Letters of every value written.
const VALUE_LETTERS: usize = 8;
/// Connection attempts of a client before it gives up: the server may not
/// be listening yet when the first one leaves.
const CONNECT_ATTEMPTS_MAX: u32 = 10;

#[derive(Parser)]
#[command(about = "Iterations per second of a small KV simulation, one thread")]
struct Args {
    /// Iterations (seeds 1..=N).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    iterations: u64,
    /// Operations of each client task (0 measures an iteration's fixed cost).
    #[arg(long, default_value_t = OPS_PER_CLIENT_DEFAULT)]
    ops: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let builder = SimulationBuilder::new("kv-bench")
        .processes("server", 1, || KvServer::new(KvConfig::default()))
        .workload(move |_| KvBench { ops: args.ops })
        .seeds(1..=args.iterations)
        .jobs(1)
        .network(NetworkConfig {
            latency: Latency::Uniform {
                min: Duration::from_millis(1),
                max: Duration::from_millis(5),
            },
            ..NetworkConfig::fault_free()
        })
        .settle(Duration::from_millis(10))
        .grace_period(Duration::from_secs(1));
    let (report, wall) = timed(|| builder.run().expect("a valid configuration"));
    if !report.is_success() || report.failed != 0 {
        eprintln!("kv-bench: the campaign failed:\n{report}");
        return ExitCode::FAILURE;
    }
    let iterations = report.iterations;
    let ops = iterations * CLIENTS as u64 * args.ops;
    let wall_s = wall.as_secs_f64();
    eprintln!(
        "kv-bench: {} polls, {} events, fingerprint {:#018x}",
        report.polls, report.events, report.fingerprint
    );
    println!(
        "kv-bench framework=tidepool iterations={iterations} ops={ops} wall_s={wall_s:.3} \
         iter_per_s={:.0} ops_per_s={:.0} sim_s_per_iter={:.4}",
        iterations as f64 / wall_s,
        ops as f64 / wall_s,
        report.sim_time_s / iterations as f64,
    );
    ExitCode::SUCCESS
}

/// The workload: spawns the client tasks and waits for them.
struct KvBench {
    ops: u64,
}

impl Workload for KvBench {
    fn name(&self) -> &str {
        "kv-bench"
    }

    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let server = ctx.processes("server")[0];
        let providers = ctx.providers();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| providers.spawn("kv-bench client", run_client(client, server, self.ops)))
            .collect();
        for handle in clients {
            handle.await??;
        }
        Ok(())
    }
}

/// One client task: its operations, each checked against its model.
///
/// Keys are built once and values are written into a fixed buffer, so the
/// workload's own allocations (one `Bytes` per SET) stay out of the figures.
async fn run_client(client: usize, server: SocketAddr, ops: u64) -> Result<(), BoxError> {
    let random = *SimProviders.random();
    let keys: Vec<Bytes> = (0..KEYS_PER_CLIENT)
        .map(|key| Bytes::from(format!("c{client}-k{key}")))
        .collect();
    let mut model: Vec<Option<Bytes>> = vec![None; keys.len()];
    let mut kv = connect(server).await?;
    for _ in 0..ops {
        let index = random.random_below(KEYS_PER_CLIENT) as usize;
        let key = &keys[index];
        let choice = random.random_below(10);
        if choice < 4 {
            let value = random_value(&random);
            let reply = kv.set(key.clone(), value.clone()).await?;
            expect(reply.response == Response::Ok, "SET", key, &reply.response)?;
            model[index] = Some(value);
        } else if choice < 8 {
            let reply = kv.get(key.clone()).await?;
            let correct = match (&reply.response, &model[index]) {
                (Response::Value(got), Some(want)) => got == want,
                (Response::NotFound, None) => true,
                _ => false,
            };
            expect(correct, "GET", key, &reply.response)?;
        } else {
            let reply = kv.delete(key.clone()).await?;
            let want = match model[index].take() {
                Some(_) => Response::Ok,
                None => Response::NotFound,
            };
            expect(reply.response == want, "DELETE", key, &reply.response)?;
        }
    }
    Ok(())
}

/// A connected client, retrying while the server is not yet listening.
async fn connect(server: SocketAddr) -> Result<KvClient<SimProviders>, BoxError> {
    let mut attempt = 0;
    loop {
        match KvClient::connect(SimProviders, server).await {
            Ok(client) => return Ok(client),
            Err(error) if attempt + 1 >= CONNECT_ATTEMPTS_MAX => return Err(error.into()),
            Err(_) => attempt += 1,
        }
        SimProviders.sleep(Duration::from_millis(1)).await;
    }
}

fn random_value(random: &SimRandom) -> Bytes {
    let mut letters = [0u8; VALUE_LETTERS];
    for letter in &mut letters {
        *letter = b'a' + random.random_below(26) as u8;
    }
    Bytes::copy_from_slice(&letters)
}

fn expect(correct: bool, op: &str, key: &Bytes, got: &Response) -> Result<(), BoxError> {
    if correct {
        Ok(())
    } else {
        Err(format!("{op} {key:?}: the server answered {got:?}, the model disagrees").into())
    }
}
