//! `cargo xtask sim run kv`: the tutorial's KV simulation.

use std::process::ExitCode;

use clap::Parser;
use kv::Bugs;
use tidepool::cli::SimArgs;

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
    let bugs = match cli.bug.as_deref() {
        None => Bugs::default(),
        Some("list") => {
            for (name, about) in Bugs::catalog() {
                println!("{name:<28} {about}");
            }
            return ExitCode::SUCCESS;
        }
        Some(name) => match Bugs::only(name) {
            Some(bugs) => bugs,
            None => {
                let names: Vec<&str> = Bugs::catalog().iter().map(|(name, _)| *name).collect();
                eprintln!(
                    "error: no bug named '{name}'; the bugs are: {}",
                    names.join(", ")
                );
                return ExitCode::from(2);
            }
        },
    };
    tidepool::cli::run(sim_kv::simulation(bugs), &cli.sim)
}
