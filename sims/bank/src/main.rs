//! `cargo xtask sim run bank`: the bank simulation.

use std::ops::ControlFlow;
use std::process::ExitCode;

use clap::Parser;
use sim_bank::BankBugs;
use tidepool::cli::{SimArgs, choose_bugs};

/// Runs the bank simulation: 2 account servers, a coordinator, 3 tellers,
/// network faults, crashes and power losses; then a report.
#[derive(Parser)]
#[command(name = "sim-bank")]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
    /// Plants a bug in the coordinator: `--bug list` names them
    #[arg(long, value_name = "NAME")]
    bug: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match choose_bugs(cli.bug.as_deref(), BankBugs::catalog(), BankBugs::only) {
        ControlFlow::Continue(bugs) => tidepool::cli::run(sim_bank::simulation(bugs), &cli.sim),
        ControlFlow::Break(exit) => exit,
    }
}
