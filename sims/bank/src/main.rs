//! `cargo xtask sim run bank`: the bank simulation.

use std::process::ExitCode;

use clap::Parser;
use sim_bank::BankBugs;
use tidepool::cli::SimArgs;

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
    let bugs = match cli.bug.as_deref() {
        None => BankBugs::default(),
        Some("list") => {
            for (name, about) in BankBugs::catalog() {
                println!("{name:<28} {about}");
            }
            return ExitCode::SUCCESS;
        }
        Some(name) => match BankBugs::only(name) {
            Some(bugs) => bugs,
            None => {
                let names: Vec<&str> = BankBugs::catalog().iter().map(|(n, _)| *n).collect();
                eprintln!(
                    "error: no bug named '{name}'; the bugs are: {}",
                    names.join(", ")
                );
                return ExitCode::from(2);
            }
        },
    };
    tidepool::cli::run(sim_bank::simulation(bugs), &cli.sim)
}
