//! `cargo xtask sim run tally`: the tally simulation.

use std::ops::ControlFlow;
use std::process::ExitCode;

use clap::Parser;
use tally::TallyBugs;
use tidepool::cli::{SimArgs, choose_bugs};

/// Runs the tally simulation: 3 nodes of a replicated counter (HTTP for
/// clients, gRPC between nodes), 4 clients, network faults and reboots;
/// every seed's history must be linearizable.
#[derive(Parser)]
#[command(name = "sim-tally")]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
    /// Plants a bug in the nodes: `--bug list` names them
    #[arg(long, value_name = "NAME")]
    bug: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match choose_bugs(cli.bug.as_deref(), TallyBugs::catalog(), TallyBugs::only) {
        ControlFlow::Continue(bugs) => tidepool::cli::run(sim_tally::simulation(bugs), &cli.sim),
        ControlFlow::Break(exit) => exit,
    }
}
