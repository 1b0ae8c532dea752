//! Exploration from rare states (`--explore`).
//!
//! A bug that needs a rare state and then one more unlucky turn is found by
//! a share of seeds that is the product of two small odds. Exploration
//! spends part of a campaign where the first odd has already been won: when
//! a run first makes a rare `assert_sometimes!` or `assert_reachable!` site
//! true, later runs replay that run up to the step it happened in (the
//! prefix is deterministic, so no process is forked) and go on from there
//! with fresh randomness: a *branch*.
//!
//! A branch is named by its seed and its [`Branch`] points (the step, from
//! 1, after which the world's randomness was replaced, and the seed of the
//! new stream); `--seed S --branch STEP:SEED` replays it exactly. A branch
//! of a branch keeps its parent's points and adds its own.
//!
//! The campaign runs in rounds, each planned from the results before it, in
//! seed order: the plan depends on neither the thread count nor timing, so
//! an explored campaign has a fingerprint like any other.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tidepool_core::assertions::{AssertionKind, SiteLocation, sites};

use super::builder::Plan;
use super::iteration::IterationResult;
use crate::sim::derive_seed;

/// The share of an explored campaign's iterations spent on branches, at
/// most: the rest are the plain seeds a campaign without `--explore` runs
/// first. When no site is rare, the whole campaign is plain seeds.
pub const EXPLORE_SHARE: f64 = 0.5;

/// A site is rare when fewer than this share of the plain seeds made it
/// true (a site only branches reached is rare too).
pub const RARE_SHARE: f64 = 0.1;

/// Runs a site keeps as sources of branches: its first ones, in seed order.
const SOURCES_PER_SITE: usize = 4;

/// The fewest branches an exploration round plans (when the budget allows).
const ROUND_MIN: u64 = 16;

/// Mixed into the base seed to draw branch seeds: a stream apart from the
/// campaign's seeds.
const BRANCH_SALT: u64 = 0x6272_616e_6368_6573;

/// One branch point of a run: after step `step` (from 1), the world's
/// randomness is replaced by a fresh stream seeded with `seed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Branch {
    /// The step (task poll, from 1) after which the run branches.
    pub step: u64,
    /// The seed of the randomness from that step on.
    pub seed: u64,
}

impl fmt::Display for Branch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{:#x}", self.step, self.seed)
    }
}

/// The chain of branch points as `--branch` takes it: `STEP:SEED[,STEP:SEED...]`.
pub fn format_branches(branches: &[Branch]) -> String {
    let points: Vec<String> = branches.iter().map(Branch::to_string).collect();
    points.join(",")
}

/// Parses `--branch`: one or more `STEP:SEED` points, comma-separated, with
/// steps from 1 and strictly increasing; a seed in decimal or `0x` hex.
///
/// # Errors
///
/// A message saying what is wrong and the form expected.
///
/// # Examples
///
/// ```
/// use tidepool::runner::{Branch, parse_branches};
///
/// let chain = parse_branches("1200:0x2a,4000:7").unwrap();
/// assert_eq!(chain, vec![Branch { step: 1200, seed: 42 }, Branch { step: 4000, seed: 7 }]);
/// assert!(parse_branches("4000:1,1200:2").unwrap_err().contains("increasing"));
/// ```
pub fn parse_branches(text: &str) -> Result<Vec<Branch>, String> {
    let form = "give STEP:SEED[,STEP:SEED...] as printed in a failure's replay, e.g. 1200:0x2a";
    let mut chain: Vec<Branch> = Vec::new();
    for point in text.split(',') {
        let (step, seed) = point
            .split_once(':')
            .ok_or_else(|| format!("invalid branch point '{point}'; {form}"))?;
        let step: u64 = step
            .trim()
            .parse()
            .ok()
            .filter(|step| *step > 0)
            .ok_or_else(|| {
                format!("invalid branch step '{step}' (a step counts from 1); {form}")
            })?;
        let seed = crate::cli::parse_seed(seed.trim())?;
        if chain.last().is_some_and(|last| last.step >= step) {
            return Err(format!(
                "branch steps must be increasing, but {step} follows {}; {form}",
                chain.last().map_or(0, |last| last.step)
            ));
        }
        chain.push(Branch { step, seed });
    }
    Ok(chain)
}

/// The replay command of `seed` run with `branches`.
pub(crate) fn replay_command(command: &str, seed: u64, branches: &[Branch]) -> String {
    if branches.is_empty() {
        format!("{command} --seed {seed:#018x}")
    } else {
        format!(
            "{command} --seed {seed:#018x} --branch {}",
            format_branches(branches)
        )
    }
}

/// One site exploration branched from, or that only branches reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploredSite {
    /// The message given to the assertion.
    pub message: String,
    /// Where the assertion was written.
    #[serde(with = "crate::core_serde::SiteLocationDef")]
    pub site: SiteLocation,
    /// Plain seeds that made it true (0: only exploration reached it).
    pub plain_seeds: u64,
    /// Branches that made it true (each branch from it does, in its prefix).
    pub branch_hits: u64,
    /// Branches run from the state where it first became true.
    pub branches: u64,
    /// Of those branches, the ones that failed.
    pub branch_failures: u64,
}

impl ExploredSite {
    /// Whether no plain seed made the site true: only exploration reached it.
    pub fn only_explored(&self) -> bool {
        self.plain_seeds == 0
    }
}

/// What exploration did in a campaign (`--explore`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exploration {
    /// Plain seeds run (as a campaign without `--explore` runs them).
    pub plain_seeds: u64,
    /// Branches run.
    pub branches: u64,
    /// Failures among the branches.
    pub branch_failures: u64,
    /// The rare sites branched from, and every site only branches reached;
    /// rarest first.
    pub sites: Vec<ExploredSite>,
}

impl fmt::Display for Exploration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  {} plain seeds, {} branches from rare states ({} failed)",
            self.plain_seeds, self.branches, self.branch_failures
        )?;
        if self.sites.is_empty() {
            return writeln!(
                f,
                "  no rare sometimes/reachable site: every iteration ran a plain seed"
            );
        }
        writeln!(
            f,
            "  {:>11}  {:>8}  {:>6}  SITE",
            "PLAIN SEEDS", "BRANCHES", "FAILED"
        )?;
        for site in &self.sites {
            let plain = if site.only_explored() {
                "0 (new)".to_string()
            } else {
                site.plain_seeds.to_string()
            };
            writeln!(
                f,
                "  {plain:>11}  {:>8}  {:>6}  {} ({})",
                site.branches, site.branch_failures, site.message, site.site
            )?;
        }
        let new = self
            .sites
            .iter()
            .filter(|site| site.only_explored())
            .count();
        if new > 0 {
            writeln!(
                f,
                "  {new} site(s) reached only by exploration: no plain seed made them true"
            )?;
        }
        Ok(())
    }
}

/// A run a site may be branched from: its seed, its own branch points, and
/// the step in which it first made the site true.
#[derive(Clone, Debug)]
struct Source {
    seed: u64,
    branches: Arc<[Branch]>,
    step: u64,
}

#[derive(Clone, Debug, Default)]
struct SiteState {
    plain_seeds: u64,
    branch_hits: u64,
    sources: Vec<Source>,
    /// Branches planned from it, run or not.
    planned: u64,
    /// Branches from it that ran, and failed.
    branches: u64,
    branch_failures: u64,
}

/// One run an exploration round plans: its seed and branch points.
pub(crate) struct PlannedRun {
    pub(crate) seed: u64,
    pub(crate) branches: Arc<[Branch]>,
}

/// The exploring campaign's memory: every sometimes/reachable site some run
/// made true, with its sources, as results come in seed order.
pub(crate) struct Explorer {
    plan: Arc<Plan>,
    base_seed: u64,
    plain_seeds: u64,
    branches: u64,
    branch_failures: u64,
    sites: BTreeMap<usize, SiteState>,
    /// The site each planned branch came from, by iteration.
    origin: BTreeMap<u64, usize>,
}

impl Explorer {
    pub(crate) fn new(plan: Arc<Plan>, base_seed: u64) -> Explorer {
        Explorer {
            plan,
            base_seed,
            plain_seeds: 0,
            branches: 0,
            branch_failures: 0,
            sites: BTreeMap::new(),
            origin: BTreeMap::new(),
        }
    }

    /// Folds one finished run in (runs come in iteration order).
    pub(crate) fn observe(&mut self, result: &IterationResult) {
        let plain = result.branches.is_empty();
        let failed = result.failure.is_some();
        if plain {
            self.plain_seeds += 1;
        } else {
            self.branches += 1;
            self.branch_failures += u64::from(failed);
        }
        if let Some(site) = self.origin.remove(&result.index) {
            let state = self.sites.entry(site).or_default();
            state.branches += 1;
            state.branch_failures += u64::from(failed);
        }
        let all = sites();
        for (id, step) in result.assertions.first_true() {
            let site = &all[id];
            let kind_fits = matches!(
                site.kind,
                AssertionKind::Sometimes | AssertionKind::Reachable
            );
            let in_scope = self
                .plan
                .coverage_scope
                .as_ref()
                .is_none_or(|in_scope| in_scope(site));
            if !kind_fits || !in_scope {
                continue;
            }
            let state = self.sites.entry(id).or_default();
            if plain {
                state.plain_seeds += 1;
            } else {
                state.branch_hits += 1;
            }
            // A run that ended in that step (its last poll, or the one that
            // failed) has nothing after it to branch: its branches would be copies.
            if state.sources.len() < SOURCES_PER_SITE && result.polls > step {
                state.sources.push(Source {
                    seed: result.seed,
                    branches: result.branches.clone(),
                    step,
                });
            }
        }
    }

    fn is_rare(&self, state: &SiteState) -> bool {
        (state.plain_seeds as f64) < RARE_SHARE * self.plain_seeds as f64
    }

    /// The rare sites with a source, rarest first (fewest plain seeds, then
    /// fewest branches planned, then site order).
    fn rare_sites(&self) -> Vec<usize> {
        let mut rare: Vec<(u64, u64, usize)> = self
            .sites
            .iter()
            .filter(|(_, state)| self.is_rare(state) && !state.sources.is_empty())
            .map(|(id, state)| (state.plain_seeds, state.planned, *id))
            .collect();
        rare.sort_unstable();
        rare.into_iter().map(|(_, _, id)| id).collect()
    }

    /// Plans `size` branches, the iterations from `first` on, spread over
    /// the rare sites in turn; none when no site is rare.
    pub(crate) fn plan_round(&mut self, first: u64, size: u64) -> Vec<PlannedRun> {
        let rare = self.rare_sites();
        if rare.is_empty() {
            return Vec::new();
        }
        let mut round = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        for offset in 0..size {
            let iteration = first + offset;
            let id = rare[(offset % rare.len() as u64) as usize];
            let state = self.sites.get_mut(&id).expect("a rare site is known");
            let source = &state.sources[(state.planned % state.sources.len() as u64) as usize];
            state.planned += 1;
            // Points past the source's step were taken after the site was
            // already true: the branch leaves them out.
            let mut branches: Vec<Branch> = source
                .branches
                .iter()
                .copied()
                .filter(|branch| branch.step < source.step)
                .collect();
            branches.push(Branch {
                step: source.step,
                seed: derive_seed(self.base_seed ^ BRANCH_SALT, iteration),
            });
            round.push(PlannedRun {
                seed: source.seed,
                branches: branches.into(),
            });
            self.origin.insert(iteration, id);
        }
        round
    }

    /// What exploration did, for the report.
    pub(crate) fn report(&self) -> Exploration {
        let all = sites();
        let mut rows: Vec<(u64, usize, ExploredSite)> = self
            .sites
            .iter()
            .filter(|(_, state)| state.planned > 0 || state.plain_seeds == 0)
            .map(|(id, state)| {
                let site = &all[*id];
                let row = ExploredSite {
                    message: site.message.to_owned(),
                    site: site.location(),
                    plain_seeds: state.plain_seeds,
                    branch_hits: state.branch_hits,
                    branches: state.branches,
                    branch_failures: state.branch_failures,
                };
                (state.plain_seeds, *id, row)
            })
            .collect();
        rows.sort_by_key(|(plain, id, _)| (*plain, *id));
        Exploration {
            plain_seeds: self.plain_seeds,
            branches: self.branches,
            branch_failures: self.branch_failures,
            sites: rows.into_iter().map(|(_, _, row)| row).collect(),
        }
    }
}

/// How an explored campaign of `total` iterations splits: the plain seeds
/// it runs first (at least one).
pub(crate) fn plain_first(total: u64) -> u64 {
    let branches = (total as f64 * EXPLORE_SHARE) as u64;
    (total - branches).max(1)
}

/// The size of the next round, with `done` iterations run of `total`: half
/// of what ran so far, at least [`ROUND_MIN`], at most what is left.
pub(crate) fn round_size(done: u64, total: u64) -> u64 {
    (done / 2).max(ROUND_MIN).min(total - done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branch_chains_print_as_they_parse() {
        let chain = vec![
            Branch {
                step: 12,
                seed: 0xab,
            },
            Branch {
                step: 900,
                seed: u64::MAX,
            },
        ];
        let text = format_branches(&chain);
        assert_eq!(text, "12:0xab,900:0xffffffffffffffff");
        assert_eq!(parse_branches(&text), Ok(chain));
    }

    #[test]
    fn malformed_branches_are_refused_with_the_form() {
        for bad in ["", "12", "0:1", "x:1", "12:zz", "5:1,5:2"] {
            let error = parse_branches(bad).unwrap_err();
            assert!(
                error.contains("STEP:SEED") || error.contains("invalid seed"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn rounds_grow_with_the_campaign_and_stop_at_its_end() {
        assert_eq!(plain_first(1000), 500);
        assert_eq!(plain_first(1), 1);
        assert_eq!(round_size(500, 1000), 250);
        assert_eq!(round_size(10, 1000), ROUND_MIN);
        assert_eq!(round_size(990, 1000), 10);
    }
}
