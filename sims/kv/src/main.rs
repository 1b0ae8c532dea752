//! `cargo xtask sim run kv`: the tutorial's KV simulation.

use std::ops::ControlFlow;
use std::process::ExitCode;

use clap::Parser;
use kv::Bugs;
use tidepool::cli::{SimArgs, choose_bugs};

/// Runs the KV simulation: 3 servers, 4 clients, network faults, reboots; then a report.
#[derive(Parser)]
#[command(name = "sim-kv")]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
    /// Plants a bug in every server and client: `--bug list` names them
    #[arg(long, value_name = "NAME")]
    bug: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match choose_bugs(cli.bug.as_deref(), Bugs::catalog(), Bugs::only) {
        ControlFlow::Continue(bugs) => tidepool::cli::run(sim_kv::simulation(bugs), &cli.sim),
        ControlFlow::Break(exit) => exit,
    }
}
