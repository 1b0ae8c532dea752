//! `cargo xtask bench scale`: the cost of a simulated event as the system
//! grows, on the kv-bench workload ([`tidepool_bench::kv`]).
//!
//! Runs it with 3, 30 and 300 servers (each with a client host of four
//! client tasks), at the specification's 50 operations per client and at ten
//! times that, and prints the wall time per simulated event of each, and its
//! ratio to the smallest configuration's. Each configuration runs about the
//! same number of events (fewer iterations for the larger ones), on one
//! thread; the best of `--rounds` runs counts, the rounds going over every
//! configuration in turn.

use std::time::Duration;

use clap::Parser;
use tidepool_bench::kv::{KvBench, OPS_PER_CLIENT};
use tidepool_bench::timed;

/// Servers of the configurations, smallest first.
const SERVERS: [usize; 3] = [3, 30, 300];
/// How much longer the long runs are.
const LONG_FACTOR: u64 = 10;

#[derive(Parser)]
#[command(about = "Wall time per simulated event with 3, 30 and 300 servers, and 10x longer runs")]
struct Args {
    /// Server-iterations per configuration: 3 servers run N/3 iterations,
    /// 300 servers N/300 (at least one), the long runs a tenth of that.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(300..))]
    server_iterations: u64,
    /// Runs of each configuration; the fastest counts.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    rounds: u64,
}

/// One configuration's best run.
struct Measured {
    label: String,
    events: u64,
    wall: Duration,
}

impl Measured {
    fn ns_per_event(&self) -> f64 {
        self.wall.as_secs_f64() * 1e9 / self.events as f64
    }
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let configs = configurations(args.server_iterations);
    let mut best: Vec<Option<Measured>> = configs.iter().map(|_| None).collect();
    // Rounds go over every configuration in turn, so that a busy moment of
    // a shared machine slows them all rather than one.
    for _ in 0..args.rounds {
        for (config, best) in configs.iter().zip(&mut best) {
            let ((events, failed), wall) = run(&config.bench);
            if failed != 0 {
                eprintln!("scale: {}: {failed} iterations failed", config.label);
                return std::process::ExitCode::FAILURE;
            }
            if best.as_ref().is_none_or(|best| wall < best.wall) {
                *best = Some(Measured {
                    label: config.label.clone(),
                    events,
                    wall,
                });
            }
        }
    }
    let measured: Vec<Measured> = best.into_iter().flatten().collect();
    let base = measured[0].ns_per_event();
    let mut line = String::from("bench scale");
    let mut worst: f64 = 0.0;
    for (m, config) in measured.iter().zip(&configs) {
        let ratio = m.ns_per_event() / base;
        worst = worst.max(ratio);
        let bench = &config.bench;
        eprintln!(
            "{:>4} servers, {:>3} ops/client, {:>3} iterations: {} events in {:?}, {:.1} ns/event, ratio {ratio:.2}",
            bench.servers,
            bench.ops_per_client,
            bench.seeds.clone().count(),
            m.events,
            m.wall,
            m.ns_per_event()
        );
        line.push_str(&format!(
            " ns_per_event_{}={:.1} ratio_{}={ratio:.2}",
            m.label,
            m.ns_per_event(),
            m.label
        ));
    }
    println!("{line} worst_ratio={worst:.2}");
    std::process::ExitCode::SUCCESS
}

/// A configuration and its name in the final line.
struct Configuration {
    label: String,
    bench: KvBench,
}

/// Every configuration, smallest first: each server count at the
/// specification's operations, then each at ten times that.
fn configurations(server_iterations: u64) -> Vec<Configuration> {
    let mut configs = Vec::new();
    for (ops, suffix) in [
        (OPS_PER_CLIENT, ""),
        (OPS_PER_CLIENT * LONG_FACTOR, "_long"),
    ] {
        for servers in SERVERS {
            let mut iterations = (server_iterations / servers as u64).max(1);
            if ops > OPS_PER_CLIENT {
                iterations = (iterations / LONG_FACTOR).max(1);
            }
            configs.push(Configuration {
                label: format!("{servers}{suffix}"),
                bench: KvBench {
                    seeds: 1..=iterations,
                    servers,
                    ops_per_client: ops,
                    ..KvBench::default()
                },
            });
        }
    }
    configs
}

/// One campaign: (events, failed iterations) and its wall time.
fn run(bench: &KvBench) -> ((u64, u64), Duration) {
    timed(|| {
        let run = bench.run().expect("a valid configuration");
        (run.report.events, run.report.failed)
    })
}
