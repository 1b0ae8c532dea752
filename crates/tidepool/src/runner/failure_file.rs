//! The failure file: every failure a campaign finds, kept across campaigns,
//! so that the next campaign of the same simulation runs those seeds first.
//!
//! The file holds JSON Lines, one [`KeptFailure`] per line, appended to and
//! never rewritten: lines from older runs, other simulations and other
//! configurations stay as they are. A campaign re-runs the kept seeds whose
//! simulation *and* replay command (the simulation's own flags, such as
//! `--bug NAME`) are its own, the most recent [`KEPT_SEEDS_MAX`] of them.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::builder::{CampaignOptions, Plan, SeedSource};
use super::failure::{Failure, FailureKind};
use super::report::SimulationReport;
use super::seeds::ShardSeeds;

/// The failure file's format version, in each line's `format` field.
pub const FAILURE_FILE_FORMAT: u32 = 1;

/// Kept seeds a campaign re-runs first, at most (the most recent ones).
pub const KEPT_SEEDS_MAX: usize = 20;

/// The failure file's path under the workspace, as the command line uses it
/// unless given `--failure-file`: inside `.tidepool/`, which git ignores.
pub const FAILURE_FILE_DEFAULT: &str = ".tidepool/failures.jsonl";

/// One line of the failure file: a failure a campaign found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptFailure {
    /// The line's format version ([`FAILURE_FILE_FORMAT`]).
    pub format: u32,
    /// The simulation's name.
    pub simulation: String,
    /// The command that replays a seed of this configuration, without `--seed`.
    pub command: String,
    /// The failing seed.
    pub seed: u64,
    /// What kind of failure.
    pub kind: FailureKind,
    /// Where it came from: an assertion site, `host/task`, an invariant.
    pub origin: String,
    /// What went wrong, in words.
    pub reason: String,
    /// The exact command that replays it.
    pub replay: String,
    /// The shrunk replay file of this failure, when one was written.
    #[serde(default)]
    pub shrunk: Option<PathBuf>,
    /// The code revision the campaign ran (e.g. a git commit), when known.
    #[serde(default)]
    pub revision: Option<String>,
}

/// What re-running the kept seeds found, in the report as `kept`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KeptRerun {
    /// The failure file they came from.
    pub file: PathBuf,
    /// The kept seeds re-run, in the file's order.
    pub seeds: Vec<u64>,
    /// Those that fail again, each with its failure; any fails the campaign.
    pub still_failing: Vec<Failure>,
    /// Those that pass now.
    pub now_passing: Vec<u64>,
    /// Lines of the file that are not failures (edited or truncated), each
    /// named with its line number and why; they are skipped, never rewritten.
    #[serde(default)]
    pub skipped_lines: Vec<String>,
}

/// Where a campaign keeps its failures, and the revision it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Keeping {
    pub(crate) path: PathBuf,
    pub(crate) revision: Option<String>,
}

/// The kept entries of a file, and its lines that are not entries.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub(crate) entries: Vec<KeptFailure>,
    pub(crate) skipped_lines: Vec<String>,
}

/// Reads the failure file at `path`; a missing file holds nothing.
///
/// # Errors
///
/// When the file exists but cannot be read.
pub(crate) fn load(path: &Path) -> io::Result<Loaded> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(error) => return Err(error),
    };
    let mut loaded = Loaded::default();
    for (number, line) in io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<KeptFailure>(&line) {
            Ok(entry) if entry.format == FAILURE_FILE_FORMAT => loaded.entries.push(entry),
            Ok(entry) => loaded.skipped_lines.push(format!(
                "line {}: format {} (this tidepool reads format {FAILURE_FILE_FORMAT})",
                number + 1,
                entry.format
            )),
            Err(error) => loaded.skipped_lines.push(format!(
                "line {}: not a failure entry ({error})",
                number + 1
            )),
        }
    }
    Ok(loaded)
}

/// The seeds to re-run for `simulation` run as `command`: distinct, the most
/// recent [`KEPT_SEEDS_MAX`], in the file's order.
pub(crate) fn seeds_for(entries: &[KeptFailure], simulation: &str, command: &str) -> Vec<u64> {
    let mut seen = BTreeSet::new();
    let mut seeds: Vec<u64> = entries
        .iter()
        .rev()
        .filter(|entry| entry.simulation == simulation && entry.command == command)
        .filter(|entry| seen.insert(entry.seed))
        .map(|entry| entry.seed)
        .take(KEPT_SEEDS_MAX)
        .collect();
    seeds.reverse();
    seeds
}

/// Appends to the file at `path` the entries whose (simulation, command,
/// seed) it does not hold yet, creating the file and its directory if needed.
/// Each entry is one `write` of one line, so that campaigns appending at
/// once do not mix their lines.
///
/// # Errors
///
/// When the directory or the file cannot be created or written.
pub(crate) fn append(path: &Path, held: &[KeptFailure], new: &[KeptFailure]) -> io::Result<usize> {
    let mut keys: BTreeSet<(&str, &str, u64)> = held
        .iter()
        .map(|entry| {
            (
                entry.simulation.as_str(),
                entry.command.as_str(),
                entry.seed,
            )
        })
        .collect();
    let fresh: Vec<&KeptFailure> = new
        .iter()
        .filter(|entry| keys.insert((&entry.simulation, &entry.command, entry.seed)))
        .collect();
    if fresh.is_empty() {
        return Ok(0);
    }
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    for entry in &fresh {
        let mut line = serde_json::to_string(entry).map_err(io::Error::other)?;
        line.push('\n');
        file.write_all(line.as_bytes())?;
    }
    Ok(fresh.len())
}

/// The entry of `failure`, found by `simulation` run as `command`.
pub(crate) fn entry(
    simulation: &str,
    command: &str,
    failure: &Failure,
    revision: Option<&str>,
) -> KeptFailure {
    KeptFailure {
        format: FAILURE_FILE_FORMAT,
        simulation: simulation.to_string(),
        command: command.to_string(),
        seed: failure.seed,
        kind: failure.kind,
        origin: failure.origin.clone(),
        reason: failure.reason.clone(),
        replay: failure.replay.clone(),
        shrunk: None,
        revision: revision.map(str::to_string),
    }
}

/// Whether this campaign re-runs kept seeds and keeps its failures: a whole
/// campaign or its first shard, not a `--seed` replay or a determinism check.
fn keeps(options: &CampaignOptions) -> Option<&Keeping> {
    let first_shard = options.shard.is_none_or(|(index, _)| index == 0);
    let ordinary = !options.verbose_replay && !options.check_determinism;
    options.keeping.as_ref().filter(|_| first_shard && ordinary)
}

/// Re-runs the seeds the failure file keeps for this simulation and
/// configuration, before the campaign's own; `notes` gets what went wrong
/// with the file.
pub(crate) fn rerun_kept(
    plan: &Arc<Plan>,
    options: &CampaignOptions,
    notes: &mut Vec<String>,
) -> Option<KeptRerun> {
    let keeping = keeps(options)?;
    let loaded = match load(&keeping.path) {
        Ok(loaded) => loaded,
        Err(error) => {
            notes.push(format!(
                "the failure file {} could not be read ({error}); no kept seed re-ran",
                keeping.path.display()
            ));
            return None;
        }
    };
    let seeds = seeds_for(&loaded.entries, &plan.name, &plan.replay_command);
    if seeds.is_empty() && loaded.skipped_lines.is_empty() {
        return None;
    }
    let mut rerun_options = options.clone();
    rerun_options.seeds = SeedSource::Explicit(seeds.clone());
    rerun_options.shard = None;
    rerun_options.progress = false;
    let mut rerun = super::campaign::empty_report(plan, &rerun_options, None);
    if !seeds.is_empty() {
        let shard_seeds = ShardSeeds::new(&rerun_options.seeds, None);
        super::campaign::execute(
            plan,
            &rerun_options,
            shard_seeds,
            Vec::new(),
            None,
            &super::campaign::Pace::quiet(),
            &mut rerun,
        );
    }
    let failing: BTreeSet<u64> = rerun.failures.iter().map(|failure| failure.seed).collect();
    Some(KeptRerun {
        file: keeping.path.clone(),
        now_passing: seeds
            .iter()
            .copied()
            .filter(|seed| !failing.contains(seed))
            .collect(),
        seeds,
        still_failing: rerun.failures,
        skipped_lines: loaded.skipped_lines,
    })
}

/// Appends the campaign's failures (those kept in detail in `report`) to the
/// failure file; what went wrong goes to the report's notes.
pub(crate) fn keep_new(plan: &Plan, options: &CampaignOptions, report: &mut SimulationReport) {
    let Some(keeping) = keeps(options) else {
        return;
    };
    // A kept entry is a seed: a branch of one (exploration) is replayed by
    // its own command instead.
    let branched = report
        .failures
        .iter()
        .filter(|failure| !failure.branch.is_empty())
        .count();
    if branched > 0 {
        report.notes.push(format!(
            "{branched} failure(s) found by exploration are not kept in the failure file \
             (it keeps seeds, not branches); replay each with its --branch command"
        ));
    }
    let new: Vec<KeptFailure> = report
        .failures
        .iter()
        .filter(|failure| failure.kind != FailureKind::Nondeterminism && failure.branch.is_empty())
        .map(|failure| {
            let mut entry = entry(
                &plan.name,
                &plan.replay_command,
                failure,
                keeping.revision.as_deref(),
            );
            entry.shrunk = report
                .shrunk
                .as_ref()
                .filter(|shrunk| shrunk.seed == failure.seed)
                .and_then(|shrunk| shrunk.file.clone());
            entry
        })
        .collect();
    if new.is_empty() {
        return;
    }
    let appended = load(&keeping.path).and_then(|held| append(&keeping.path, &held.entries, &new));
    match appended {
        Ok(0) => {}
        Ok(count) => report.notes.push(format!(
            "{count} new failing seed(s) kept in {}: the next campaign runs them first",
            keeping.path.display()
        )),
        Err(error) => report.notes.push(format!(
            "the failures could not be kept in {} ({error}); give --failure-file PATH or off",
            keeping.path.display()
        )),
    }
}

/// The report's section on the kept seeds.
pub(crate) fn write_kept(f: &mut fmt::Formatter<'_>, kept: &KeptRerun) -> fmt::Result {
    writeln!(
        f,
        "
kept failures (from {}): {} seed(s) re-run first, {} fail again, {} pass now",
        kept.file.display(),
        kept.seeds.len(),
        kept.still_failing.len(),
        kept.now_passing.len()
    )?;
    for failure in &kept.still_failing {
        writeln!(
            f,
            "  seed {:#018x} at {}: {}: {}",
            failure.seed,
            failure.time,
            failure.kind.label(),
            failure.reason
        )?;
        writeln!(f, "    replay {}", failure.replay)?;
    }
    for line in &kept.skipped_lines {
        writeln!(f, "  skipped {line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(simulation: &str, command: &str, seed: u64) -> KeptFailure {
        KeptFailure {
            format: FAILURE_FILE_FORMAT,
            simulation: simulation.into(),
            command: command.into(),
            seed,
            kind: FailureKind::Assertion,
            origin: "always at a.rs:1:1".into(),
            reason: "boom".into(),
            replay: format!("{command} --seed {seed:#x}"),
            shrunk: None,
            revision: Some("abc".into()),
        }
    }

    #[test]
    fn seeds_are_those_of_the_same_simulation_and_command_most_recent_first_kept() {
        let mut entries = vec![
            kept("kv", "run kv", 1),
            kept("kv", "run kv --bug x", 2),
            kept("bank", "run kv", 3),
            kept("kv", "run kv", 1),
        ];
        for seed in 10..40 {
            entries.push(kept("kv", "run kv", seed));
        }
        let seeds = seeds_for(&entries, "kv", "run kv");
        assert_eq!(seeds.len(), KEPT_SEEDS_MAX);
        assert_eq!(seeds, (20..40).collect::<Vec<u64>>());
        assert_eq!(seeds_for(&entries, "kv", "run kv --bug x"), vec![2]);
        assert!(seeds_for(&entries, "bank", "run bank").is_empty());
    }

    #[test]
    fn append_skips_what_the_file_holds_and_load_names_bad_lines() {
        let dir = std::env::temp_dir().join(format!("tidepool-ff-{}", std::process::id()));
        let path = dir.join("nested/failures.jsonl");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(load(&path).unwrap().entries.is_empty(), "a missing file");
        let first = [kept("kv", "c", 1), kept("kv", "c", 2)];
        assert_eq!(append(&path, &[], &first).unwrap(), 2);
        let held = load(&path).unwrap().entries;
        assert_eq!(held, first);
        assert_eq!(
            append(&path, &held, &[kept("kv", "c", 2), kept("kv", "c", 3)]).unwrap(),
            1
        );
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"format\": 1, \"simulation\": \"kv\"\n");
        text.push_str(
            &serde_json::to_string(&KeptFailure {
                format: 0,
                ..kept("kv", "c", 9)
            })
            .unwrap(),
        );
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        let loaded = load(&path).unwrap();
        assert_eq!(loaded.entries.len(), 3);
        assert_eq!(loaded.skipped_lines.len(), 2, "{:?}", loaded.skipped_lines);
        assert!(loaded.skipped_lines[0].starts_with("line 4: not a failure entry"));
        assert!(loaded.skipped_lines[1].contains("line 5: format 0"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
