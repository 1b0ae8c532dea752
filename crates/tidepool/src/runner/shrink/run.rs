//! Shrinking in a campaign, and replaying a replay file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::replay_file::{ReplayFile, ReplayFileError};
use super::search::shrink;
use crate::runner::builder::{CampaignOptions, Plan, SeedSource};
use crate::runner::config::ConfigError;
use crate::runner::failure::{Failure, FailureKind};
use crate::runner::report::SimulationReport;
use crate::sim::splitmix64;

/// Why a replay file was not replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The simulation's configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The file is not one this simulation can replay.
    #[error(transparent)]
    File(#[from] ReplayFileError),
}

/// Failures whose measure varies from run to run: not shrunk.
fn shrinkable(kind: FailureKind) -> bool {
    !matches!(
        kind,
        FailureKind::Watchdog
            | FailureKind::MemoryBudget
            | FailureKind::WallBudget
            | FailureKind::Nondeterminism
    )
}

/// Where a campaign writes the replay file of `seed`.
fn replay_path(dir: &Path, simulation: &str, seed: u64) -> PathBuf {
    dir.join(format!("{simulation}-{seed:#018x}.json"))
}

/// Shrinks the campaign's first failure, when asked, into `report.shrunk`,
/// writing its replay file.
pub(crate) fn after_campaign(
    plan: &Plan,
    options: &CampaignOptions,
    report: &mut SimulationReport,
) {
    let Some(dir) = &options.shrink_dir else {
        return;
    };
    let Some(first) = report
        .failures
        .iter()
        .find(|f| shrinkable(f.kind) && f.branch.is_empty())
    else {
        if report.failures.iter().any(|f| !f.branch.is_empty()) {
            report.notes.push(
                "not shrunk: a failure found by exploration (a branch) is not shrunk; \
                 its edits would move the step it branches at"
                    .into(),
            );
        } else if !report.failures.is_empty() {
            report
                .notes
                .push("no failure to shrink: each varies from run to run".into());
        }
        return;
    };
    let mut shrunk = match shrink(plan, first.seed) {
        Ok(shrunk) => shrunk,
        Err(error) => {
            report.notes.push(format!("not shrunk: {error}"));
            return;
        }
    };
    let path = replay_path(dir, &plan.name, shrunk.seed);
    match ReplayFile::of(&shrunk, &plan.name, &plan.replay_command).write(&path) {
        Ok(()) => {
            shrunk.replay = Some(format!(
                "{} --replay {}",
                plan.replay_command,
                path.display()
            ));
            shrunk.file = Some(path);
        }
        Err(error) => report
            .notes
            .push(format!("the shrunk run was not saved: {error}")),
    }
    report.shrunk = Some(shrunk);
}

/// The plan and options that replay `file` exactly.
pub(crate) fn replay_plan(
    plan: &Arc<Plan>,
    options: &CampaignOptions,
    path: &Path,
) -> Result<(Arc<Plan>, CampaignOptions, ReplayFile), ReplayFileError> {
    let file = ReplayFile::read(path, &plan.name, &plan.replay_command)?;
    let plan = Arc::new(super::search::edited_plan(plan, &file.edits));
    let mut options = options.clone();
    options.seeds = SeedSource::Explicit(vec![file.seed()]);
    options.jobs = 1;
    options.shard = None;
    options.verbose_replay = true;
    options.shrink_dir = None;
    options.progress = false;
    Ok((plan, options, file))
}

/// Checks that the replay's report is the file's run: the same failure,
/// the same trace; otherwise the report gets a failure saying what differs.
pub(crate) fn check_replay(file: &ReplayFile, path: &Path, report: &mut SimulationReport) {
    let expected = &file.expected;
    let failed_as_recorded = report
        .failures
        .first()
        .is_some_and(|f| f.kind == expected.kind && f.origin == expected.origin);
    // One iteration, index 0: its fingerprint is its trace hash, mixed.
    let fingerprint = splitmix64(file.expected_trace_hash() ^ splitmix64(0));
    if failed_as_recorded && report.fingerprint == fingerprint {
        report.notes.push(format!(
            "replay file {}: reproduced exactly (the same failure, the same trace)",
            path.display()
        ));
        return;
    }
    let got = report
        .failures
        .first()
        .map_or("no failure".to_string(), |f| {
            format!("{} at {}", f.kind.label(), f.origin)
        });
    report.record_failure(Failure {
        iteration: 0,
        seed: file.seed(),
        kind: FailureKind::Nondeterminism,
        reason: format!(
            "replay file {} did not reproduce its run: expected {} at {} with trace hash {}, got {got} \
             (fingerprint {:#018x}); the code or the simulation changed since it was written",
            path.display(),
            expected.kind.label(),
            expected.origin,
            file.trace_hash,
            report.fingerprint
        ),
        origin: "replay file".into(),
        time: crate::time::Instant::ZERO,
        replay: String::new(),
        replayed: None,
        branch: Vec::new(),
    });
}
