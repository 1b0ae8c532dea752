//! `cargo xtask bench kv`: whole iterations per second of the peers' kv-bench
//! workload, through the public [`SimulationBuilder`](tidepool::SimulationBuilder),
//! every campaign check on, on one thread unless `--jobs` says otherwise.
//!
//! The work is the specification's (see [`tidepool_bench::kv`]): one line
//! protocol server, one client host with four client tasks of 50 operations
//! each drawn from `rand`'s `StdRng`, latency uniform 1–5 ms, no faults,
//! seeds `1..=N`. It prints the digest of every request and response on
//! stderr, so that the figure can be set beside the peers' on the same work.

use std::process::ExitCode;

use clap::Parser;
use tidepool::sanitizer::SanitizerMode;
use tidepool_bench::kv::{CLIENTS_PER_HOST, KvBench, OPS_PER_CLIENT};
use tidepool_bench::timed_cpu;

#[derive(Parser)]
#[command(about = "Iterations per second of the peers' kv-bench workload, with its digest")]
struct Args {
    /// Iterations, one per seed: seeds START..START+N-1.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    iterations: u64,
    /// The first seed.
    #[arg(long, default_value_t = 1)]
    start_seed: u64,
    /// Operations of each client task (0 measures an iteration's fixed cost;
    /// the digest then differs from the peers').
    #[arg(long, default_value_t = OPS_PER_CLIENT)]
    ops: u64,
    /// Server hosts, each with a client host of four client tasks (more
    /// than 1 is not the specification's setup; `cargo xtask bench scale`
    /// uses it).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    servers: u64,
    /// Worker threads.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    jobs: u64,
    /// The determinism sanitizer's mode (`off` measures what `deny` costs).
    #[arg(long, value_enum, default_value_t = SanitizerMode::Deny)]
    sanitizer: SanitizerMode,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let Some(last_seed) = args.start_seed.checked_add(args.iterations - 1) else {
        eprintln!(
            "kv-bench: --start-seed {} with --iterations {} runs past the last seed, {}",
            args.start_seed,
            args.iterations,
            u64::MAX
        );
        return ExitCode::FAILURE;
    };
    let bench = KvBench {
        seeds: args.start_seed..=last_seed,
        ops_per_client: args.ops,
        servers: args.servers as usize,
        jobs: args.jobs as usize,
        sanitizer: args.sanitizer,
    };
    let (run, wall, cpu) = timed_cpu(|| bench.run().expect("a valid configuration"));
    let report = &run.report;
    if !report.is_success() || report.failed != 0 {
        eprintln!("kv-bench: the campaign failed:\n{report}");
        return ExitCode::FAILURE;
    }
    let iterations = report.iterations;
    let ops = iterations * args.servers * CLIENTS_PER_HOST as u64 * args.ops;
    let wall_s = wall.as_secs_f64();
    eprintln!(
        "kv-bench: {} polls, {} events, fingerprint {:#018x}",
        report.polls, report.events, report.fingerprint
    );
    eprintln!(
        "kv-bench-detail framework=tidepool seeds={}..{} digest={:016x}",
        args.start_seed, last_seed, run.digest
    );
    // The CPU time counts every thread (the workers and the coordinator): on
    // a busy machine it shows what the work costs when the wall time also
    // counts waiting for a core.
    let cpu = match cpu {
        Some(cpu) => {
            let cpu_s = cpu.as_secs_f64();
            format!(
                " cpu_s={cpu_s:.3} iter_per_cpu_s={:.0}",
                iterations as f64 / cpu_s
            )
        }
        None => String::new(),
    };
    println!(
        "kv-bench framework=tidepool iterations={iterations} ops={ops} wall_s={wall_s:.3} \
         iter_per_s={:.0} ops_per_s={:.0} sim_s_per_iter={:.4}{cpu}",
        iterations as f64 / wall_s,
        ops as f64 / wall_s,
        report.sim_time_s / iterations as f64,
    );
    ExitCode::SUCCESS
}
