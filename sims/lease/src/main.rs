//! `cargo xtask sim run lease`: the lease simulation.

use std::ops::ControlFlow;
use std::process::ExitCode;

use clap::Parser;
use sim_lease::LeaseBugs;
use tidepool::cli::{SimArgs, choose_bugs};

/// Runs the lease simulation: one lease server, three clients contending for
/// its lease, skewed and stepping wall clocks; then a report.
#[derive(Parser)]
#[command(name = "sim-lease")]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
    /// Plants a bug in the clients: `--bug list` names them
    #[arg(long, value_name = "NAME")]
    bug: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match choose_bugs(cli.bug.as_deref(), LeaseBugs::catalog(), LeaseBugs::only) {
        ControlFlow::Continue(bugs) => tidepool::cli::run(sim_lease::simulation(bugs), &cli.sim),
        ControlFlow::Break(exit) => exit,
    }
}
