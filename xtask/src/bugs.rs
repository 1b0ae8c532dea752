//! `cargo xtask bugs`: each planted bug of the KV simulation against the
//! default campaign: seeds to the first failure, its reason, its replay.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use crate::workspace::{cargo, metadata};
use tidepool::SimulationReport;

/// Default of `cargo xtask bugs --iterations`.
pub(crate) const BUG_SEEDS_DEFAULT: u64 = 300;
/// Default of `cargo xtask bugs --base-seed`.
pub(crate) const BUG_BASE_SEED_DEFAULT: &str = "0x2026";
/// Characters of a failure's reason the table shows, at most.
const REASON_CHARS_MAX: usize = 48;

/// One planted bug's campaign, as the table shows it.
struct BugRow {
    name: String,
    /// The first failure: seeds run until it, its seed, its reason.
    caught: Option<(u64, u64, String)>,
    reproduced: bool,
}

/// `cargo xtask bugs`: exits 0 when every bug is caught and replays, and the
/// correct server passes; 1 otherwise.
pub(crate) fn bugs(iterations: u64, base_seed: &str) -> Result<ExitCode> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
