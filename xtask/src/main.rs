//! `cargo xtask`: the project's commands.
//!
//! - `cargo xtask sim list`: the simulations of the workspace (packages under `sims/`).
//! - `cargo xtask sim run NAME [FLAGS]`: builds simulation NAME in release and runs it.
//! - `cargo xtask sim merge REPORT.json...`: merges shard reports into one.
//! - `cargo xtask bench NAME [FLAGS]`: builds and runs benchmark NAME in release.
//! - `cargo xtask bugs`: runs the KV simulation once per planted bug, and tells
//!   how soon each is caught and whether its seed replays the failure.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use tidepool::SimulationReport;

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
    /// Runs the KV simulation with each planted bug (`sim-kv --bug list`) and
    /// prints how many seeds each took to fail, why, and whether replaying
    /// that seed fails the same way; then the correct server on the same seeds.
    Bugs {
        /// Seeds tried per bug, at most.
        #[arg(long, value_name = "N", default_value_t = BUG_SEEDS_DEFAULT)]
        iterations: u64,
        /// The base seed of every campaign.
        #[arg(long, value_name = "SEED", default_value = BUG_BASE_SEED_DEFAULT)]
        base_seed: String,
    },
}

/// Default of `cargo xtask bugs --iterations`.
const BUG_SEEDS_DEFAULT: u64 = 300;
/// Default of `cargo xtask bugs --base-seed`.
const BUG_BASE_SEED_DEFAULT: &str = "0x2026";
/// Characters of a failure's reason the table shows, at most.
const REASON_CHARS_MAX: usize = 48;

#[derive(Subcommand)]
enum SimCommand {
    /// Lists the simulations found in the workspace.
    List,
    #[command(disable_help_flag = true)]
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
            command: SimCommand::Merge { reports, json },
        } => merge(&reports, json),
        Top::Bugs {
            iterations,
            base_seed,
        } => bugs(iterations, &base_seed),
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
            cargo_run("tidepool-bench", &format!("bench-{name}"), &args)
        }
    }
}

/// Merges shard reports; exits 0 when the merged campaign passed, 1 otherwise.
fn merge(paths: &[PathBuf], json: bool) -> Result<ExitCode> {
    let merged = merge_reports(paths)?;
    if json {
        merged.write_json(std::io::stdout().lock())?;
        println!();
    } else {
        print!("{merged}");
    }
    Ok(if merged.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn merge_reports(paths: &[PathBuf]) -> Result<SimulationReport> {
    let mut merged: Option<SimulationReport> = None;
    for path in paths {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let report: SimulationReport = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a tidepool JSON report (make it with --json)",
                path.display()
            )
        })?;
        match &mut merged {
            Some(merged) => merged
                .merge(&report)
                .with_context(|| format!("merging {}", path.display()))?,
            None if report.shard.is_none() => bail!(
                "{} covers a whole campaign, not a shard (--shard K/N)",
                path.display()
            ),
            None => merged = Some(report),
        }
    }
    let merged = merged.context("no report to merge")?;
    let missing = merged.missing_shards();
    if !missing.is_empty() {
        let count = merged.shard.map_or(0, |(_, count)| count);
        let missing: Vec<String> = missing
            .iter()
            .map(|index| format!("{index}/{count}"))
            .collect();
        bail!(
            "shards missing: {}; give the report of every shard",
            missing.join(", ")
        );
    }
    Ok(merged)
}

/// One planted bug's campaign, as the table shows it.
struct BugRow {
    name: String,
    /// The first failure: seeds run until it, its seed, its reason.
    caught: Option<(u64, u64, String)>,
    reproduced: bool,
}

/// `cargo xtask bugs`: exits 0 when every bug is caught and replays, and the
/// correct server passes; 1 otherwise.
fn bugs(iterations: u64, base_seed: &str) -> Result<ExitCode> {
    let binary = build_release("sim-kv", "sim-kv")?;
    let listing = command_output(Command::new(&binary).args(["--bug", "list"]))?;
    let names: Vec<String> = listing
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect();
    let campaign = |bug: Option<&str>| -> Result<SimulationReport> {
        let mut command = Command::new(&binary);
        command.args(["--iterations", &iterations.to_string()]);
        command.args(["--base-seed", base_seed, "--json"]);
        if let Some(bug) = bug {
            command.args(["--bug", bug]);
        }
        report_of(&mut command)
    };
    let mut rows = Vec::new();
    for name in names {
        let report = campaign(Some(&name))?;
        let first = report
            .failures
            .iter()
            .min_by_key(|failure| failure.iteration);
        let caught = first.map(|f| (f.iteration + 1, f.seed, f.reason.clone()));
        let reproduced = match &caught {
            Some((_, seed, reason)) => {
                let seed = format!("{seed:#x}");
                let mut replay = Command::new(&binary);
                replay.args(["--seed", &seed, "--bug", &name, "--json"]);
                let replayed = report_of(&mut replay)?;
                replayed.failures.first().map(|f| &f.reason) == Some(reason)
            }
            None => false,
        };
        rows.push(BugRow {
            name,
            caught,
            reproduced,
        });
    }
    let honest = campaign(None)?;
    print_bug_table(&rows, iterations, base_seed, &honest);
    let all_caught = rows
        .iter()
        .all(|row| row.caught.is_some() && row.reproduced);
    Ok(if all_caught && honest.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_bug_table(rows: &[BugRow], iterations: u64, base_seed: &str, honest: &SimulationReport) {
    println!(
        "planted bugs of the KV simulation, {iterations} seeds each from base seed {base_seed}"
    );
    println!();
    println!(
        "{:<28} {:>6}  {:<18}  {:<10}  REASON",
        "BUG", "SEEDS", "SEED", "REPLAYS"
    );
    for row in rows {
        match &row.caught {
            Some((seeds, seed, reason)) => println!(
                "{:<28} {:>6}  {:<18}  {:<10}  {}",
                row.name,
                seeds,
                format!("{seed:#018x}"),
                if row.reproduced { "yes" } else { "NO" },
                short_reason(reason)
            ),
            None => println!(
                "{:<28} {:>6}  {:<18}  {:<10}  not caught",
                row.name, "-", "-", "-"
            ),
        }
    }
    println!();
    println!(
        "correct server: {} seeds, {} failed",
        honest.iterations, honest.failed
    );
}

/// The gist of a failure's reason: an assertion's message without its site,
/// time and details.
fn short_reason(reason: &str) -> String {
    let gist = match reason.split_once("s: ") {
        Some((_, message)) if reason.starts_with("always violated") => message,
        _ => reason,
    };
    let gist = gist.split(" (").next().unwrap_or(gist);
    gist.chars().take(REASON_CHARS_MAX).collect()
}

/// Runs `command`, which prints a JSON report, and reads the report.
fn report_of(command: &mut Command) -> Result<SimulationReport> {
    let stdout = command_output(command)?;
    serde_json::from_str(&stdout).context("reading the simulation's JSON report")
}

/// Runs `command` and returns its stdout; exit codes 0 and 1 (a failed
/// campaign) are both answers.
fn command_output(command: &mut Command) -> Result<String> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !matches!(output.status.code(), Some(0 | 1)) {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Builds `binary` of `package` in release and returns its path.
fn build_release(package: &str, binary: &str) -> Result<PathBuf> {
    let status = Command::new(cargo())
        .args(["build", "--quiet", "--release", "--package", package])
        .args(["--bin", binary])
        .status()
        .with_context(|| format!("building {binary}"))?;
    if !status.success() {
        bail!("building {binary} failed");
    }
    let metadata = metadata()?;
    let target = metadata["target_directory"]
        .as_str()
        .context("cargo metadata names no target directory")?;
    Ok(PathBuf::from(target).join("release").join(binary))
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

/// The benchmarks: binaries `bench-NAME` of the `tidepool-bench` package.
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
        .filter_map(|target| {
            target["name"]
                .as_str()?
                .strip_prefix("bench-")
                .map(str::to_string)
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report(
        name: &str,
        base_seed: u64,
        shard: u64,
        iterations: u64,
        failed: u64,
    ) -> SimulationReport {
        let text = format!(
            r#"{{"name":"{name}","base_seed":{base_seed},"shard":[{shard},2],"merged_shards":[{shard}],"campaign_iterations":22,
               "iterations":{iterations},"passed":{},"failed":{failed},
               "wall_time_s":1.0,"sim_time_s":2.0,"events":10,"polls":5,"fingerprint":3,"faults":{{"reboots_graceful":1,"reboots_crash":0,
               "kills":0,"partitions":0,"clogs":0,"swizzles":0,"resets":0,"connect_failures":0,"partial_reads":0,"partial_writes":0}},
               "failures":[],"stopped_early":null,"assertions":{{"runs":{iterations},"rows":[]}},"strict_coverage":false}}"#,
            iterations - failed
        );
        serde_json::from_str(&text).expect("a valid report")
    }

    fn write(dir: &std::path::Path, name: &str, report: &SimulationReport) -> PathBuf {
        let path = dir.join(name);
        report
            .write_json(std::fs::File::create(&path).unwrap())
            .unwrap();
        path
    }

    #[test]
    fn short_reasons_keep_an_assertion_message_only() {
        let reason = "always violated at examples/kv/src/workload.rs:505:9 at 4.472632s: \
                      a DELETE matches the model (server=10.1.0.1:4500, key=3)";
        assert_eq!(short_reason(reason), "a DELETE matches the model");
        assert_eq!(
            short_reason("workload kv: no reply"),
            "workload kv: no reply"
        );
    }

    #[test]
    fn merge_sums_shards_and_refuses_mixed_campaigns() {
        let dir = std::env::temp_dir().join(format!("tidepool-merge-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = write(&dir, "a.json", &report("kv", 7, 0, 10, 1));
        let b = write(&dir, "b.json", &report("kv", 7, 1, 12, 0));
        let merged = merge_reports(&[a.clone(), b]).unwrap();
        assert_eq!(
            (merged.iterations, merged.passed, merged.failed),
            (22, 21, 1)
        );
        assert_eq!(merged.faults.reboots_graceful, 2);
        assert_eq!(merged.shard, None);
        let other = write(&dir, "c.json", &report("kv", 8, 1, 5, 0));
        let error = |paths: &[PathBuf]| format!("{:#}", merge_reports(paths).unwrap_err());
        assert!(error(&[a.clone(), other]).contains("different campaigns"));
        assert!(error(&[a.clone(), a.clone()]).contains("given twice"));
        assert!(error(std::slice::from_ref(&a)).contains("shards missing: 1/2"));
        let garbage = dir.join("garbage.json");
        std::fs::write(&garbage, "not json").unwrap();
        assert!(
            merge_reports(&[a, garbage])
                .unwrap_err()
                .to_string()
                .contains("not a tidepool JSON report")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
