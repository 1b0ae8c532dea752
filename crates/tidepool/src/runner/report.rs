//! `SimulationReport`: what a campaign found, as text and as JSON.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::attrition::FaultCounts;
use super::failure::{Failure, FailureKind};
use super::failure_file::KeptRerun;
use crate::assertions::AssertionTable;
use crate::sanitizer::LeakTable;

/// The outcome of a campaign.
///
/// The JSON form (`write_json`, `--json`) has these same field names; they are
/// stable. Wall-clock figures (`wall_time_s` and what derives from it) are the
/// only fields that differ between two runs of the same campaign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimulationReport {
    /// The simulation's name.
    pub name: String,
    /// The base seed iteration seeds were derived from; `None` for explicit seeds.
    pub base_seed: Option<u64>,
    /// The shard this report covers, as (index, count); `None` for the whole
    /// campaign (run whole, or merged from all its shards).
    pub shard: Option<(u64, u64)>,
    /// The shard indices this report holds (one for a shard's own report, more
    /// once merged); empty for a campaign run whole.
    #[serde(default)]
    pub merged_shards: Vec<u64>,
    /// Iterations of the whole campaign, every shard included.
    #[serde(default)]
    pub campaign_iterations: u64,
    /// Iterations run.
    pub iterations: u64,
    /// Iterations that passed.
    pub passed: u64,
    /// Iterations that failed.
    pub failed: u64,
    /// Wall-clock time of the campaign, in seconds.
    pub wall_time_s: f64,
    /// Simulated time of all iterations, summed, in seconds.
    pub sim_time_s: f64,
    /// Trace events of all iterations (scheduling picks and events fired).
    pub events: u64,
    /// Task polls of all iterations.
    pub polls: u64,
    /// Every iteration's trace hash folded in seed order: two runs of the same
    /// campaign have the same fingerprint, whatever the thread count.
    pub fingerprint: u64,
    /// Faults injected, summed over iterations.
    pub faults: FaultCounts,
    /// The first [`FAILURES_KEPT_MAX`] failed iterations, in seed order (all
    /// of them when fewer failed; `failed` counts every one).
    pub failures: Vec<Failure>,
    /// Every failed iteration counted by kind (kept in detail or not).
    #[serde(default)]
    pub failures_by_kind: BTreeMap<FailureKind, u64>,
    /// Why the campaign stopped before its last seed, if it did.
    pub stopped_early: Option<String>,
    /// What the campaign changed or noticed on its own, in words: `--jobs`
    /// capped, a shard with no seed, threads the OS refused.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Every assertion site of the program with its counts over the campaign.
    pub assertions: AssertionTable,
    /// What the determinism sanitizer saw: real clocks, OS randomness and
    /// threads reached from simulated code, by site ([`crate::sanitizer`]).
    #[serde(default)]
    pub leaks: LeakTable,
    /// Under swarm testing, per fault family: seeds that had it on, and
    /// failures among them ([`SwarmTable`](crate::runner::SwarmTable)).
    #[serde(default)]
    pub swarm: crate::runner::SwarmTable,
    /// Whether coverage gaps (a sometimes never true, a reachable never reached)
    /// fail the campaign (`--strict-coverage`).
    pub strict_coverage: bool,
    /// The seeds kept in the failure file from earlier campaigns of this
    /// simulation, re-run before this campaign's own, and what they did;
    /// `None` when no failure file is kept or it holds none of them.
    #[serde(default)]
    pub kept: Option<KeptRerun>,
    /// The first failure shrunk (`--shrink`): what remained of it, beside
    /// the original, and its replay file; `None` when not asked or nothing failed.
    #[serde(default)]
    pub shrunk: Option<super::shrink::Shrunk>,
    /// What exploration did (`--explore`): plain seeds, branches, and the
    /// rare sites branched from; `None` when the campaign did not explore.
    #[serde(default)]
    pub exploration: Option<super::Exploration>,
}

impl SimulationReport {
    /// Whether every iteration passed, and at least one ran, unless the
    /// report is of shards that hold no seed (more shards than iterations):
    /// with nothing to run, they pass.
    pub fn is_success(&self) -> bool {
        let covered = !self.strict_coverage || self.coverage_gaps() == 0;
        let ran = self.iterations > 0 || self.shard_iterations() == Some(0);
        let kept_pass = self
            .kept
            .as_ref()
            .is_none_or(|kept| kept.still_failing.is_empty());
        self.failed == 0 && ran && covered && kept_pass
    }

    /// Iterations the shards this report holds take of their campaign;
    /// `None` for a report that is not of shards.
    pub fn shard_iterations(&self) -> Option<u64> {
        let (_, count) = self.shard?;
        Some(
            self.merged_shards
                .iter()
                .map(|&index| super::seeds::shard_len(self.campaign_iterations, index, count))
                .sum(),
        )
    }

    /// Assertion sites that were never exercised as they should be: a sometimes
    /// never true, a reachable never reached, an always never evaluated.
    pub fn coverage_gaps(&self) -> usize {
        self.assertions.coverage_gaps().count()
    }

    /// Passed iterations as a percentage of those run.
    pub fn pass_rate(&self) -> f64 {
        if self.iterations == 0 {
            0.0
        } else {
            100.0 * self.passed as f64 / self.iterations as f64
        }
    }

    /// Trace events per wall-clock second.
    pub fn events_per_s(&self) -> f64 {
        per_second(self.events as f64, self.wall_time_s)
    }

    /// Iterations per wall-clock second.
    pub fn iterations_per_s(&self) -> f64 {
        per_second(self.iterations as f64, self.wall_time_s)
    }

    /// Simulated seconds per wall-clock second.
    pub fn sim_to_wall_ratio(&self) -> f64 {
        per_second(self.sim_time_s, self.wall_time_s)
    }

    /// Writes the report as pretty JSON.
    ///
    /// # Errors
    ///
    /// When writing fails.
    pub fn write_json(&self, writer: impl io::Write) -> io::Result<()> {
        serde_json::to_writer_pretty(writer, self).map_err(io::Error::other)
    }

    /// Counts a failed iteration, keeping it in detail when fewer than
    /// [`FAILURES_KEPT_MAX`] are kept; failures come in seed order.
    pub(crate) fn record_failure(&mut self, failure: Failure) {
        self.failed += 1;
        *self.failures_by_kind.entry(failure.kind).or_default() += 1;
        if self.failures.len() < FAILURES_KEPT_MAX {
            self.failures.push(failure);
        }
    }

    /// Adds the iterations of another shard's report of the same campaign into
    /// this one. When every shard is in, the report covers the whole campaign
    /// (`shard` becomes `None`).
    ///
    /// # Errors
    ///
    /// [`MergeError`] when the reports are not disjoint shards of one campaign;
    /// nothing is merged then.
    pub fn merge(&mut self, other: &SimulationReport) -> Result<(), MergeError> {
        self.check_mergeable(other)?;
        self.iterations += other.iterations;
        self.passed += other.passed;
        self.failed += other.failed;
        self.wall_time_s = self.wall_time_s.max(other.wall_time_s);
        self.sim_time_s += other.sim_time_s;
        self.events += other.events;
        self.polls += other.polls;
        self.fingerprint ^= other.fingerprint;
        self.faults.add(&other.faults);
        self.assertions.merge(&other.assertions);
        self.strict_coverage |= other.strict_coverage;
        self.failures.extend(other.failures.iter().cloned());
        self.leaks.merge(&other.leaks);
        self.swarm.merge(&other.swarm);
        self.failures.sort_by_key(|failure| failure.iteration);
        // Each shard kept its first ones: the campaign's first are among them.
        self.failures.truncate(FAILURES_KEPT_MAX);
        for (kind, count) in &other.failures_by_kind {
            *self.failures_by_kind.entry(*kind).or_default() += count;
        }
        self.merged_shards.extend(&other.merged_shards);
        self.merged_shards.sort_unstable();
        if let Some((_, count)) = self.shard {
            if self.merged_shards.len() as u64 == count {
                self.shard = None;
            }
        }
        if self.stopped_early.is_none() {
            self.stopped_early.clone_from(&other.stopped_early);
        }
        // Only the campaign's first shard re-runs the kept seeds.
        if self.kept.is_none() {
            self.kept.clone_from(&other.kept);
        }
        if self.shrunk.is_none() {
            self.shrunk.clone_from(&other.shrunk);
        }
        for note in &other.notes {
            if !self.notes.contains(note) {
                self.notes.push(note.clone());
            }
        }
        Ok(())
    }

    /// The shard indices of this report's campaign that it does not hold yet.
    pub fn missing_shards(&self) -> Vec<u64> {
        let Some((_, count)) = self.shard else {
            return Vec::new();
        };
        (0..count)
            .filter(|index| !self.merged_shards.contains(index))
            .collect()
    }

    /// Checks that the report is whole and consistent, as a run leaves it:
    /// its shard index within its shard count, its counts adding up, as many
    /// iterations as its shards take of the campaign (fewer only when it
    /// stopped early), each failure of one of its shards. A report edited by
    /// hand or cut short fails here.
    ///
    /// # Errors
    ///
    /// [`MergeError::Inconsistent`] saying what does not add up.
    pub fn validate(&self) -> Result<(), MergeError> {
        let inconsistent = |what: String| Err(MergeError::Inconsistent { what });
        let by_kind: u64 = self.failures_by_kind.values().sum();
        let kept = self.failures.len() as u64;
        if kept > self.failed.min(FAILURES_KEPT_MAX as u64)
            || (!self.failures_by_kind.is_empty() && by_kind != self.failed)
        {
            return inconsistent(format!(
                "its {kept} failures kept and {by_kind} counted by kind do not fit its {} failed",
                self.failed
            ));
        }
        if self.passed + self.failed != self.iterations {
            return inconsistent(format!(
                "{} passed + {} failed is not its {} iterations",
                self.passed, self.failed, self.iterations
            ));
        }
        if self.campaign_iterations > super::seeds::ITERATIONS_MAX {
            return inconsistent(format!(
                "its campaign of {} iterations is past the most a campaign may have, {}",
                self.campaign_iterations,
                super::seeds::ITERATIONS_MAX
            ));
        }
        if let Some((index, count)) = self.shard {
            let valid = |shard: u64| shard < count;
            if !valid(index) || !self.merged_shards.iter().all(|&shard| valid(shard)) {
                return inconsistent(format!(
                    "shard {index}/{count} (holding {:?}) is out of range: each index K of K/N is below N",
                    self.merged_shards
                ));
            }
            if !self.merged_shards.contains(&index) || !is_strictly_sorted(&self.merged_shards) {
                return inconsistent(format!(
                    "its shard {index}/{count} does not match the shards it holds, {:?}",
                    self.merged_shards
                ));
            }
            let foreign = self
                .failures
                .iter()
                .find(|failure| !self.merged_shards.contains(&(failure.iteration % count)));
            if let Some(failure) = foreign {
                return inconsistent(format!(
                    "iteration {} among its failures is of none of its shards {:?}",
                    failure.iteration, self.merged_shards
                ));
            }
        }
        let expected = self.shard_iterations().unwrap_or(self.campaign_iterations);
        let complete = self.stopped_early.is_some() || self.iterations == expected;
        if self.iterations > expected || !complete {
            return inconsistent(format!(
                "it ran {} iterations where its shards take {expected} of the campaign, without saying it stopped early",
                self.iterations
            ));
        }
        Ok(())
    }

    fn check_mergeable(&self, other: &SimulationReport) -> Result<(), MergeError> {
        self.validate()?;
        other.validate()?;
        if self.name != other.name {
            return Err(MergeError::Simulation {
                ours: self.name.clone(),
                theirs: other.name.clone(),
            });
        }
        if self.base_seed != other.base_seed
            || self.campaign_iterations != other.campaign_iterations
        {
            return Err(MergeError::Campaign {
                ours: (self.base_seed, self.campaign_iterations),
                theirs: (other.base_seed, other.campaign_iterations),
            });
        }
        let (Some((_, ours)), Some((_, theirs))) = (self.shard, other.shard) else {
            return Err(MergeError::NotAShard);
        };
        if ours != theirs {
            return Err(MergeError::ShardCount { ours, theirs });
        }
        if let Some(&index) = other
            .merged_shards
            .iter()
            .find(|index| self.merged_shards.contains(index))
        {
            return Err(MergeError::Duplicate { index, count: ours });
        }
        Ok(())
    }
}

/// Why two reports cannot be merged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Reports of different simulations.
    #[error("a report of simulation '{theirs}' cannot merge into one of '{ours}'")]
    Simulation {
        /// This report's simulation.
        ours: String,
        /// The other's.
        theirs: String,
    },
    /// Different campaigns (base seed or iteration count).
    #[error(
        "the reports are of different campaigns: base seed and iterations {ours:?} vs {theirs:?}; \
         shards of one campaign share --base-seed and --iterations"
    )]
    Campaign {
        /// This report's (base seed, iterations).
        ours: (Option<u64>, u64),
        /// The other's.
        theirs: (Option<u64>, u64),
    },
    /// A report that is not a shard (a whole campaign) cannot take more iterations.
    #[error("only shard reports (--shard K/N) merge; this one covers a whole campaign")]
    NotAShard,
    /// Shards of different splits.
    #[error("shards of {ours} and of {theirs} do not merge: every shard needs the same N")]
    ShardCount {
        /// This report's N.
        ours: u64,
        /// The other's.
        theirs: u64,
    },
    /// The same shard twice.
    #[error("shard {index}/{count} is given twice")]
    Duplicate {
        /// The shard.
        index: u64,
        /// Of how many.
        count: u64,
    },
    /// A report that does not add up (edited, truncated, or of another version).
    #[error("the report is inconsistent: {what}; give the JSON a run wrote, unedited")]
    Inconsistent {
        /// What does not add up.
        what: String,
    },
}

fn is_strictly_sorted(indices: &[u64]) -> bool {
    indices.windows(2).all(|pair| pair[0] < pair[1])
}

fn per_second(count: f64, seconds: f64) -> f64 {
    if seconds > 0.0 { count / seconds } else { 0.0 }
}

impl fmt::Display for SimulationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.is_success() {
            "PASSED"
        } else {
            "FAILED"
        };
        writeln!(f, "simulation {}: {verdict}", self.name)?;
        match (self.base_seed, self.shard) {
            (Some(base), Some((_, count))) => {
                let held: Vec<String> = self.merged_shards.iter().map(u64::to_string).collect();
                writeln!(
                    f,
                    "  base seed       {base:#018x} (shard {} of {count})",
                    held.join(", ")
                )?
            }
            (Some(base), None) => writeln!(f, "  base seed       {base:#018x}")?,
            (None, _) => writeln!(f, "  seeds           explicit")?,
        }
        writeln!(
            f,
            "  iterations      {} ({} passed, {} failed, {:.1}% pass rate)",
            self.iterations,
            self.passed,
            self.failed,
            self.pass_rate()
        )?;
        writeln!(
            f,
            "  wall time       {:.3?} ({:.0} iterations/s)",
            Duration::from_secs_f64(self.wall_time_s),
            self.iterations_per_s()
        )?;
        writeln!(
            f,
            "  simulated time  {:.1?} ({:.0}x wall time)",
            Duration::from_secs_f64(self.sim_time_s),
            self.sim_to_wall_ratio()
        )?;
        writeln!(
            f,
            "  events          {} ({:.0}/s), {} task polls",
            self.events,
            self.events_per_s(),
            self.polls
        )?;
        writeln!(f, "  fingerprint     {:#018x}", self.fingerprint)?;
        write_faults(f, &self.faults)?;
        if let Some(reason) = &self.stopped_early {
            writeln!(f, "  stopped early   {reason}")?;
        }
        for note in &self.notes {
            writeln!(f, "  note            {note}")?;
        }
        if !self.assertions.rows().is_empty() {
            write!(f, "\nassertions:\n{}", self.assertions)?;
            let gaps = self.coverage_gaps();
            if gaps > 0 {
                let effect = if self.strict_coverage {
                    "fails the run (--strict-coverage)"
                } else {
                    "pass --strict-coverage to fail on them"
                };
                writeln!(f, "  {gaps} coverage gap(s): MISS rows above; {effect}")?;
            }
        }
        if self.swarm.seeds > 0 {
            writeln!(
                f,
                "\nswarm (each seed's fault families; --no-swarm runs the fixed mix):"
            )?;
            write!(f, "{}", self.swarm)?;
        }
        if let Some(exploration) = &self.exploration {
            writeln!(
                f,
                "\nexploration (branches from the first runs to make a rare site true):"
            )?;
            write!(f, "{exploration}")?;
        }
        if !self.leaks.is_empty() {
            writeln!(
                f,
                "\ndeterminism leaks (the sanitizer saw simulated code reach outside the simulation):"
            )?;
            write!(f, "{}", self.leaks)?;
        }
        write_failures(f, self)?;
        if let Some(shrunk) = &self.shrunk {
            write!(f, "\n{shrunk}")?;
        }
        match &self.kept {
            Some(kept) => super::failure_file::write_kept(f, kept),
            None => Ok(()),
        }
    }
}

fn write_faults(f: &mut fmt::Formatter<'_>, faults: &FaultCounts) -> fmt::Result {
    if faults.total() == 0 {
        return writeln!(f, "  faults          none");
    }
    let parts = [
        ("graceful reboots", faults.reboots_graceful),
        ("crashes", faults.reboots_crash),
        ("kills", faults.kills),
        ("partitions", faults.partitions),
        ("clogs", faults.clogs),
        ("swizzles", faults.swizzles),
        ("resets", faults.resets),
        ("refused connects", faults.connect_failures),
        ("partial reads", faults.partial_reads),
        ("partial writes", faults.partial_writes),
        ("power losses", faults.power_losses),
        ("wipes", faults.wipes),
        ("disk read errors", faults.disk_read_errors),
        ("disk write errors", faults.disk_write_errors),
        ("sync failures", faults.sync_failures),
        ("disk full", faults.disk_full),
        ("corrupt reads", faults.corruptions),
        ("slow disk calls", faults.disk_slow),
        ("restarts asked for", faults.restarts),
        ("datagrams lost", faults.datagrams_lost),
        ("datagrams duplicated", faults.datagrams_duplicated),
        ("clock steps", faults.clock_steps),
    ];
    let listed: Vec<String> = parts
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(name, count)| format!("{count} {name}"))
        .collect();
    writeln!(f, "  faults          {}", listed.join(", "))
}

/// Failures shown in full in the text report; the rest are counted.
const FAILURES_SHOWN_MAX: usize = 10;

/// Failures a report keeps in detail (the first, in seed order); the rest are
/// counted by kind only, so that a campaign where every seed fails holds a
/// bounded report however many seeds it runs.
pub const FAILURES_KEPT_MAX: usize = 100;

fn write_failures(f: &mut fmt::Formatter<'_>, report: &SimulationReport) -> fmt::Result {
    let failures = &report.failures;
    if failures.is_empty() {
        return Ok(());
    }
    writeln!(f, "\nfailures:")?;
    for failure in failures.iter().take(FAILURES_SHOWN_MAX) {
        let branch = match failure.branch.is_empty() {
            true => String::new(),
            false => format!(
                " branch {}",
                super::explore::format_branches(&failure.branch)
            ),
        };
        writeln!(
            f,
            "  iteration {} seed {:#018x}{branch} at {}: {}",
            failure.iteration,
            failure.seed,
            failure.time,
            failure.kind.label()
        )?;
        writeln!(f, "    {}", failure.reason)?;
        writeln!(f, "    from   {}", failure.origin)?;
        writeln!(f, "    replay {}", failure.replay)?;
        if failure.replayed == Some(true) {
            writeln!(f, "    replays: checked, the same failure at the same time")?;
        }
    }
    let more = report.failed.saturating_sub(FAILURES_SHOWN_MAX as u64);
    if more > 0 {
        let by_kind: Vec<String> = report
            .failures_by_kind
            .iter()
            .map(|(kind, count)| format!("{count} {}", kind.label()))
            .collect();
        writeln!(
            f,
            "  ... and {more} more (--json keeps the first {FAILURES_KEPT_MAX} in detail); \
             by kind: {}",
            by_kind.join(", ")
        )?;
    }
    Ok(())
}
