//! `cargo xtask bugs`: each planted bug of every simulation that has some,
//! against its default campaign: seeds to the first failure, its reason, its
//! replay.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use crate::output::{Killed, outln};
use crate::workspace::{Simulation, cargo, find_simulation, metadata, simulations};
use tidepool::SimulationReport;
use tidepool::runner::shrink::Shrunk;

/// Default of `cargo xtask bugs --iterations`.
pub(crate) const BUG_SEEDS_DEFAULT: u64 = 300;
/// Default of `cargo xtask bugs --base-seed`.
pub(crate) const BUG_BASE_SEED_DEFAULT: &str = "0x2026";
/// Characters of a failure's reason the table shows, at most.
const REASON_CHARS_MAX: usize = 48;
/// The narrowest the bug column is.
const NAME_CHARS_MIN: usize = 28;
/// The exit code of a simulation binary that does not know a flag: a
/// simulation without `--bug` has no planted bugs.
const USAGE_ERROR: i32 = 2;

/// One planted bug's campaign, as the table shows it.
struct BugRow {
    name: String,
    /// The first failure: seeds run until it, its seed, its reason.
    caught: Option<(u64, u64, String)>,
    reproduced: bool,
    /// With `--shrink`: the first failure shrunk, and whether its replay
    /// file re-runs it to the same failure.
    shrunk: Option<(Shrunk, bool)>,
}

/// How every campaign of one simulation is run.
struct Campaign<'a> {
    binary: &'a Path,
    iterations: u64,
    base_seed: &'a str,
    /// Shrinks each bug's first failure (`--shrink`).
    shrink: bool,
}

/// `cargo xtask bugs`: for every simulation with planted bugs (only `sim`'s
/// when given), exits 0 when every bug is caught and replays, and the correct
/// server passes; 1 otherwise.
pub(crate) fn bugs(
    iterations: u64,
    base_seed: &str,
    sim: Option<&str>,
    shrink: bool,
) -> Result<ExitCode> {
    let sims = match sim {
        Some(name) => vec![find_simulation(name)?],
        None => simulations()?,
    };
    let mut all_caught = true;
    let mut with_bugs = 0;
    for sim in sims {
        let binary = build_release(&sim.package, &sim.binary)?;
        let Some(names) = planted_bugs(&binary)? else {
            continue;
        };
        if with_bugs > 0 {
            outln!()?;
        }
        with_bugs += 1;
        let campaign = Campaign {
            binary: &binary,
            iterations,
            base_seed,
            shrink,
        };
        all_caught &= bugs_of(&sim, &campaign, names)?;
    }
    if with_bugs == 0 {
        bail!("no simulation has planted bugs (none answers `--bug list`)");
    }
    Ok(if all_caught {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The planted bugs `binary` lists (`--bug list`), or `None` when it takes no
/// `--bug` flag.
fn planted_bugs(binary: &Path) -> Result<Option<Vec<String>>> {
    let output = Command::new(binary)
        .args(["--bug", "list"])
        .output()
        .with_context(|| format!("running {} --bug list", binary.display()))?;
    match output.status.code() {
        Some(0) => {}
        Some(USAGE_ERROR) => return Ok(None),
        None => return Err(killed(binary, output.status).into()),
        _ => bail!(
            "{} --bug list failed: {}",
            binary.display(),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
    let listing = String::from_utf8_lossy(&output.stdout);
    let names = listing
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect();
    Ok(Some(names))
}

/// Runs each of `names` and the correct server on `sim`, prints the table;
/// whether every bug was caught and replayed and the correct server passed.
fn bugs_of(sim: &Simulation, campaign: &Campaign<'_>, names: Vec<String>) -> Result<bool> {
    let mut rows = Vec::new();
    for name in names {
        let report = campaign.run(Some(&name))?;
        let first = report
            .failures
            .iter()
            .min_by_key(|failure| failure.iteration);
        let caught = first.map(|f| (f.iteration + 1, f.seed, f.reason.clone()));
        let reproduced = match &caught {
            Some((_, seed, reason)) => campaign.replays(&name, *seed, reason)?,
            None => false,
        };
        let shrunk = match &caught {
            Some((_, seed, _)) if campaign.shrink => campaign.shrunk(&name, *seed)?,
            _ => None,
        };
        rows.push(BugRow {
            name,
            caught,
            reproduced,
            shrunk,
        });
    }
    let honest = campaign.run(None)?;
    print_bug_table(&sim.name, &rows, campaign, &honest)?;
    if campaign.shrink {
        print_shrink_table(&rows)?;
    }
    let all_caught = rows.iter().all(|row| {
        let shrunk_ok = !campaign.shrink || row.shrunk.as_ref().is_some_and(|(_, same)| *same);
        row.caught.is_some() && row.reproduced && shrunk_ok
    });
    Ok(all_caught && honest.is_success())
}

impl Campaign<'_> {
    /// The campaign with `bug` planted, or the correct server's.
    fn run(&self, bug: Option<&str>) -> Result<SimulationReport> {
        let mut command = Command::new(self.binary);
        command.args(["--iterations", &self.iterations.to_string()]);
        command.args(["--base-seed", self.base_seed, "--json"]);
        // The table measures each campaign alone, not the seeds kept from earlier ones.
        command.args(["--failure-file", "off"]);
        if let Some(bug) = bug {
            command.args(["--bug", bug]);
        }
        report_of(&mut command)
    }

    /// Whether seed `seed` alone, with `bug` planted, fails for `reason` again.
    fn replays(&self, bug: &str, seed: u64, reason: &str) -> Result<bool> {
        let seed = format!("{seed:#x}");
        let mut replay = Command::new(self.binary);
        replay.args(["--seed", &seed, "--bug", bug, "--json"]);
        let replayed = report_of(&mut replay)?;
        Ok(replayed.failures.first().map(|f| f.reason.as_str()) == Some(reason))
    }
}

/// Directory of the replay files `--shrink` writes.
const SHRUNK_DIR: &str = "target/tidepool-bugs/shrunk";

impl Campaign<'_> {
    /// Seed `seed` with `bug` planted, shrunk; with whether its replay file
    /// re-runs to the same failure (kind and origin).
    fn shrunk(&self, bug: &str, seed: u64) -> Result<Option<(Shrunk, bool)>> {
        let seed = format!("{seed:#x}");
        let mut command = Command::new(self.binary);
        command.args(["--seed", &seed, "--bug", bug, "--json", "--shrink"]);
        command.args(["--shrink-dir", SHRUNK_DIR, "--log", "off"]);
        let Some(shrunk) = report_of(&mut command)?.shrunk else {
            return Ok(None);
        };
        let Some(file) = &shrunk.file else {
            return Ok(Some((shrunk, false)));
        };
        let mut replay = Command::new(self.binary);
        replay.args(["--bug", bug, "--json", "--log", "off", "--replay"]);
        replay.arg(file);
        let replayed = report_of(&mut replay)?;
        let same = replayed.failures.first().is_some_and(|failure| {
            failure.kind == shrunk.identity.kind && failure.origin == shrunk.identity.origin
        }) && replayed
            .notes
            .iter()
            .any(|note| note.contains("reproduced exactly"));
        Ok(Some((shrunk, same)))
    }
}

/// The median of `values` (the lower middle of an even count); 0 for none.
fn median(mut values: Vec<u64>) -> u64 {
    values.sort_unstable();
    values
        .get(values.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0)
}

/// Before and after shrinking, each bug's faults and operations, and the medians.
fn print_shrink_table(rows: &[BugRow]) -> Result<()> {
    let width = rows
        .iter()
        .map(|row| row.name.len())
        .max()
        .unwrap_or(0)
        .max(NAME_CHARS_MIN);
    outln!()?;
    outln!(
        "{:<width$} {:>14}  {:>14}  {:>16}  {:>5}  SAME FAILURE",
        "SHRUNK",
        "FAULTS",
        "OPERATIONS",
        "SIMULATED TIME",
        "RUNS"
    )?;
    let (mut faults, mut operations) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    for row in rows {
        let Some((shrunk, same)) = &row.shrunk else {
            outln!("{:<width$} {:>14}", row.name, "not shrunk")?;
            continue;
        };
        let (before, after) = (&shrunk.original, &shrunk.shrunk);
        faults.0.push(before.fault_total());
        faults.1.push(after.fault_total());
        let ops = match (before.operations, after.operations) {
            (Some(b), Some(a)) => {
                operations.0.push(b);
                operations.1.push(a);
                format!("{b} -> {a}")
            }
            _ => "-".to_string(),
        };
        outln!(
            "{:<width$} {:>14}  {:>14}  {:>16}  {:>5}  {}",
            row.name,
            format!("{} -> {}", before.fault_total(), after.fault_total()),
            ops,
            format!(
                "{:.1}s -> {:.1}s",
                before.sim_time_ns as f64 / 1e9,
                after.sim_time_ns as f64 / 1e9
            ),
            shrunk.runs,
            if *same { "yes (replays exactly)" } else { "NO" }
        )?;
    }
    let ratio = |(before, after): (Vec<u64>, Vec<u64>)| {
        if before.is_empty() {
            return "not counted".to_string();
        }
        let (before, after) = (median(before), median(after));
        match after {
            0 if before > 0 => format!("{before} -> 0 (all gone)"),
            0 => "0 -> 0".to_string(),
            _ => format!("{before} -> {after} ({:.1}x)", before as f64 / after as f64),
        }
    };
    outln!()?;
    outln!(
        "median faults {}, median operations {}",
        ratio(faults),
        ratio(operations)
    )?;
    Ok(())
}

fn print_bug_table(
    sim: &str,
    rows: &[BugRow],
    campaign: &Campaign<'_>,
    honest: &SimulationReport,
) -> Result<()> {
    let (iterations, base_seed) = (campaign.iterations, campaign.base_seed);
    outln!(
        "planted bugs of the {sim} simulation, {iterations} seeds each from base seed {base_seed}"
    )?;
    outln!()?;
    let width = rows
        .iter()
        .map(|row| row.name.len())
        .max()
        .unwrap_or(0)
        .max(NAME_CHARS_MIN);
    outln!(
        "{:<width$} {:>6}  {:<18}  {:<10}  REASON",
        "BUG",
        "SEEDS",
        "SEED",
        "REPLAYS"
    )?;
    for row in rows {
        match &row.caught {
            Some((seeds, seed, reason)) => outln!(
                "{:<width$} {:>6}  {:<18}  {:<10}  {}",
                row.name,
                seeds,
                format!("{seed:#018x}"),
                if row.reproduced { "yes" } else { "NO" },
                short_reason(reason)
            )?,
            None => outln!(
                "{:<width$} {:>6}  {:<18}  {:<10}  not caught",
                row.name,
                "-",
                "-",
                "-"
            )?,
        }
    }
    outln!()?;
    outln!(
        "correct server: {} seeds, {} failed",
        honest.iterations,
        honest.failed
    )?;
    Ok(())
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
    if output.status.code().is_none() {
        let program = command.get_program().to_string_lossy().into_owned();
        return Err(killed(std::path::Path::new(&program), output.status).into());
    }
    if !matches!(output.status.code(), Some(0 | 1)) {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The error of `binary`, killed by a signal (`status` has no exit code).
fn killed(binary: &Path, status: std::process::ExitStatus) -> Killed {
    crate::output::exit_of(&binary.display().to_string(), status)
        .expect_err("a status without an exit code is a signal's")
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
