//! `cargo xtask sim run kv-durable`: the durable KV simulation.

use std::ops::ControlFlow;
use std::process::ExitCode;

use clap::Parser;
use kv::DurableBugs;
use tidepool::cli::{SimArgs, choose_bugs};

/// Runs the durable KV simulation: 3 durable servers, 8 clients, crashes,
/// power losses, wipes and storage faults; then a report.
#[derive(Parser)]
#[command(name = "sim-kv-durable")]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
    /// Plants a durability bug in every server: `--bug list` names them
    #[arg(long, value_name = "NAME")]
    bug: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match choose_bugs(
        cli.bug.as_deref(),
        DurableBugs::catalog(),
        DurableBugs::only,
    ) {
        ControlFlow::Continue(bugs) => {
            tidepool::cli::run(sim_kv_durable::simulation(bugs), &cli.sim)
        }
        ControlFlow::Break(exit) => exit,
    }
}
