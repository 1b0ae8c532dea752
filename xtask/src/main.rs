//! `cargo xtask`: the project's commands.
//!
//! - `cargo xtask sim list`: the simulations of the workspace (packages under `sims/`).
//! - `cargo xtask sim run NAME [FLAGS]`: builds simulation NAME in release and runs it.
//! - `cargo xtask sim merge REPORT.json...`: merges shard reports into one.
//! - `cargo xtask bench NAME [FLAGS]`: builds and runs benchmark NAME in release.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "tidepool's project commands")]
struct Cli {
    #[command(subcommand)]
    command: Top,
}

#[derive(Subcommand)]
enum Top {
    /// Simulations: list them, run one, merge shard reports.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
    /// Builds a benchmark in release and runs it; it ends with one `key=value` line.
    Bench {
        /// The benchmark: one of `cargo xtask bench --list`.
        name: Option<String>,
        /// Lists the benchmarks.
        #[arg(long)]
        list: bool,
        /// Flags passed to the benchmark (after `--`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Subcommand)]
enum SimCommand {
    /// Lists the simulations found in the workspace.
    List,
    /// Builds simulation NAME in release and runs it with FLAGS (see `cargo xtask sim run NAME --help`).
    Run {
        /// The simulation, as `cargo xtask sim list` names it.
        name: String,
        /// Flags passed to the simulation binary.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Merges JSON reports of shards (`--shard K/N --json`) into one report.
    Merge {
        /// The simulation whose reports these are.
        #[arg(long, default_value = "kv")]
        sim: String,
        /// The shard reports.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Prints the merged report as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Top::Sim {
            command: SimCommand::List,
        } => {
            for sim in simulations()? {
                println!("{:<12} {}", sim.name, sim.description);
            }
            Ok(ExitCode::SUCCESS)
        }
        Top::Sim {
            command: SimCommand::Run { name, args },
        } => {
            let sim = find_simulation(&name)?;
            cargo_run(&sim.package, &sim.binary, &args)
        }
        Top::Sim {
            command: SimCommand::Merge { sim, reports, json },
        } => {
            let sim = find_simulation(&sim)?;
            let mut args = vec!["merge".to_string()];
            args.extend(reports.iter().map(|path| path.display().to_string()));
            if json {
                args.push("--json".into());
            }
            cargo_run(&sim.package, &sim.binary, &args)
        }
        Top::Bench { list: true, .. } | Top::Bench { name: None, .. } => {
            for bench in benchmarks()? {
                println!("{bench}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Top::Bench {
            name: Some(name),
            args,
            ..
        } => {
            let known = benchmarks()?;
            if !known.contains(&name) {
                bail!(
                    "no benchmark named '{name}'; the benchmarks are: {}",
                    known.join(", ")
                );
            }
            cargo_run("tidepool-bench", &name, &args)
        }
    }
}

struct Simulation {
    name: String,
    package: String,
    binary: String,
    description: String,
}

/// The simulations: binaries named `sim-*` of workspace packages under `sims/`.
fn simulations() -> Result<Vec<Simulation>> {
    let metadata = metadata()?;
    let mut found = Vec::new();
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let manifest = package["manifest_path"].as_str().unwrap_or_default();
        if !manifest.contains("/sims/") {
            continue;
        }
        for target in package["targets"].as_array().into_iter().flatten() {
            let is_bin = target["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"));
            let binary = target["name"].as_str().unwrap_or_default();
            if let (true, Some(name)) = (is_bin, binary.strip_prefix("sim-")) {
                found.push(Simulation {
                    name: name.to_string(),
                    package: package["name"].as_str().unwrap_or_default().to_string(),
                    binary: binary.to_string(),
                    description: package["description"].as_str().unwrap_or("").to_string(),
                });
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

fn find_simulation(name: &str) -> Result<Simulation> {
    let sims = simulations()?;
    let names: Vec<String> = sims.iter().map(|sim| sim.name.clone()).collect();
    sims.into_iter()
        .find(|sim| sim.name == name)
        .with_context(|| {
            if names.is_empty() {
                format!(
                    "no simulation named '{name}': the workspace has no simulations under sims/ yet"
                )
            } else {
                format!(
                    "no simulation named '{name}'; the simulations are: {}",
                    names.join(", ")
                )
            }
        })
}

/// The benchmarks: binaries of the `tidepool-bench` package.
fn benchmarks() -> Result<Vec<String>> {
    let metadata = metadata()?;
    let mut found: Vec<String> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|package| package["name"] == "tidepool-bench")
        .flat_map(|package| package["targets"].as_array().cloned().unwrap_or_default())
        .filter(|target| {
            target["kind"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"))
        })
        .filter_map(|target| target["name"].as_str().map(str::to_string))
        .collect();
    found.sort();
    Ok(found)
}

fn metadata() -> Result<serde_json::Value> {
    let output = Command::new(cargo())
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("parsing cargo metadata")
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Builds `binary` of `package` in release and runs it with `args`, passing its exit code on.
fn cargo_run(package: &str, binary: &str, args: &[String]) -> Result<ExitCode> {
    let status = Command::new(cargo())
        .args([
            "run",
            "--quiet",
            "--release",
            "--package",
            package,
            "--bin",
            binary,
            "--",
        ])
        .args(args)
        .status()
        .with_context(|| format!("running cargo run for {binary}"))?;
    let code = status.code().unwrap_or(2);
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(2)))
}
