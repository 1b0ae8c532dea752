//! `cargo xtask bench scale`: the cost of a simulated event as the system
//! grows, on the kv-bench workload ([`tidepool_bench::kv`]).
//!
//! Runs it with 3, 30 and 300 servers (each with a client host of four
//! client tasks), at the specification's 50 operations per client and at ten
//! times that, and prints the wall time per simulated event of each, and its
//! ratio to the smallest configuration's. Each configuration runs about the
//! same number of events (fewer iterations for the larger ones), on one
//! thread; the best of `--rounds` runs counts.

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
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
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
    let mut measured = Vec::new();
    for (ops, suffix) in [
        (OPS_PER_CLIENT, ""),
        (OPS_PER_CLIENT * LONG_FACTOR, "_long"),
    ] {
        for servers in SERVERS {
            let mut iterations = (args.server_iterations / servers as u64).max(1);
            if ops > OPS_PER_CLIENT {
                iterations = (iterations / LONG_FACTOR).max(1);
            }
            let bench = KvBench {
                seeds: 1..=iterations,
                servers,
                ops_per_client: ops,
                jobs: 1,
            };
            let Some(best) = (0..args.rounds)
                .map(|_| run(&bench))
                .min_by_key(|run| run.1)
            else {
                continue;
            };
            let ((events, failed), wall) = best;
            if failed != 0 {
                eprintln!("scale: {servers} servers, {ops} ops: {failed} iterations failed");
                return std::process::ExitCode::FAILURE;
            }
            let m = Measured {
                label: format!("{servers}{suffix}"),
                events,
                wall,
            };
            eprintln!(
                "{servers:>4} servers, {ops:>3} ops/client, {iterations:>3} iterations: {events} events in {wall:?}, {:.1} ns/event",
                m.ns_per_event()
            );
            measured.push(m);
        }
    }
    let base = measured[0].ns_per_event();
    let mut line = String::from("bench scale");
    let mut worst: f64 = 0.0;
    for m in &measured {
        let ratio = m.ns_per_event() / base;
        worst = worst.max(ratio);
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

/// One campaign: (events, failed iterations) and its wall time.
fn run(bench: &KvBench) -> ((u64, u64), Duration) {
    timed(|| {
        let run = bench.run().expect("a valid configuration");
        (run.report.events, run.report.failed)
    })
}
