//! `cargo xtask sim run kv-durable`: the durable KV simulation.

use std::process::ExitCode;

use clap::Parser;
use kv::DurableBugs;
use tidepool::cli::SimArgs;

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
    let bugs = match cli.bug.as_deref() {
        None => DurableBugs::default(),
        Some("list") => {
            for (name, about) in DurableBugs::catalog() {
                println!("{name:<34} {about}");
            }
            return ExitCode::SUCCESS;
        }
        Some(name) => match DurableBugs::only(name) {
            Some(bugs) => bugs,
            None => {
                let names: Vec<&str> = DurableBugs::catalog()
                    .iter()
                    .map(|(name, _)| *name)
                    .collect();
                eprintln!(
                    "error: no bug named '{name}'; the bugs are: {}",
                    names.join(", ")
                );
                return ExitCode::from(2);
            }
        },
    };
    tidepool::cli::run(sim_kv_durable::simulation(bugs), &cli.sim)
}
