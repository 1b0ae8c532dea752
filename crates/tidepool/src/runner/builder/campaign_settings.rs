//! The builder's campaign settings: seeds, budgets, threads, shards, checks.

use std::time::Duration;

use super::{SeedSource, SimulationBuilder};

impl SimulationBuilder {
    /// Runs `n` iterations with seeds derived from the base seed. Default: [`ITERATIONS_DEFAULT`](super::ITERATIONS_DEFAULT).
    pub fn iterations(mut self, n: u64) -> SimulationBuilder {
        let base = match self.options.seeds {
            SeedSource::Derived { base, .. } => base,
            SeedSource::Explicit(_) => None,
        };
        self.options.seeds = SeedSource::Derived {
            base,
            iterations: n,
        };
        self
    }

    /// Runs exactly these seeds, one iteration each, instead of derived ones. Default: derived seeds.
    pub fn seeds(mut self, seeds: impl IntoIterator<Item = u64>) -> SimulationBuilder {
        self.options.seeds = SeedSource::Explicit(seeds.into_iter().collect());
        self
    }

    /// The base seed from which iteration *i*'s seed is derived
    /// ([`derive_seed`](crate::sim::derive_seed)). Default: random, printed in the report.
    pub fn base_seed(mut self, base: u64) -> SimulationBuilder {
        let iterations = match self.options.seeds {
            SeedSource::Derived { iterations, .. } => iterations,
            SeedSource::Explicit(ref seeds) => seeds.len() as u64,
        };
        self.options.seeds = SeedSource::Derived {
            base: Some(base),
            iterations,
        };
        self
    }

    /// Simulated time an iteration may take; past it, the iteration fails.
    /// Default: [`TIME_BUDGET_DEFAULT`](super::TIME_BUDGET_DEFAULT) (600 s).
    pub fn time_budget(mut self, budget: Duration) -> SimulationBuilder {
        self.time_budget = budget;
        self
    }

    /// Wall-clock time the whole campaign may take; when it runs out, no new
    /// iteration starts and the report says so. Default: none.
    pub fn wall_budget(mut self, budget: Duration) -> SimulationBuilder {
        self.options.wall_budget = Some(budget);
        self
    }

    /// Wall-clock time an iteration may go without progress (a task that never
    /// yields) before it is stopped and reported. Default: [`WATCHDOG_DEFAULT`](super::WATCHDOG_DEFAULT) (30 s).
    pub fn watchdog(mut self, limit: Duration) -> SimulationBuilder {
        self.options.watchdog = limit;
        self
    }

    /// Memory one seed may hold, in bytes, counted by tidepool's allocator
    /// ([`crate::alloc`]); past it the seed fails alone and the campaign goes
    /// on. `None`: no limit. Default: [`MEMORY_PER_SEED_DEFAULT`](crate::runner::MEMORY_PER_SEED_DEFAULT) (1 GiB).
    pub fn memory_per_seed_max(mut self, bytes: Option<u64>) -> SimulationBuilder {
        self.options.budget.memory_bytes_max = bytes;
        self
    }

    /// Wall-clock time one seed may take; past it the seed fails alone and
    /// the campaign goes on. `None`: no limit. Default:
    /// [`WALL_PER_SEED_DEFAULT`](crate::runner::WALL_PER_SEED_DEFAULT) (10 minutes).
    pub fn wall_per_seed_max(mut self, wall: Option<Duration>) -> SimulationBuilder {
        self.options.budget.wall_max = wall;
        self
    }

    /// Threads that run seeds in parallel, one world each; the report is the
    /// same whatever the count (wall-clock figures aside). Default: the number
    /// of cores ([`jobs_default`](super::jobs_default)). More than
    /// [`JOBS_PER_CORE_MAX`](crate::runner::JOBS_PER_CORE_MAX) per core are
    /// capped when the campaign runs, with a note in the report.
    pub fn jobs(mut self, jobs: usize) -> SimulationBuilder {
        self.options.jobs = jobs;
        self
    }

    /// Runs only shard `index` of `count`: the seeds at positions `i` with
    /// `i % count == index`. Default: every seed.
    pub fn shard(mut self, index: u64, count: u64) -> SimulationBuilder {
        self.options.shard = Some((index, count));
        self
    }

    /// Runs each seed twice and fails it when the two traces differ, naming
    /// the first event where they part. Default: off.
    pub fn check_determinism(mut self, check: bool) -> SimulationBuilder {
        self.options.check_determinism = check;
        self
    }

    /// Fails the campaign when an assertion site was never exercised: a
    /// sometimes never true, a reachable never reached. Default: off (gaps are
    /// listed in the report only).
    pub fn strict_coverage(mut self, strict: bool) -> SimulationBuilder {
        self.options.strict_coverage = strict;
        self
    }

    /// Shows a progress bar on a terminal. Default: off (the CLI turns it on
    /// when standard error is a terminal and `--json` is not given).
    pub fn progress(mut self, progress: bool) -> SimulationBuilder {
        self.options.progress = progress;
        self
    }

    /// The command that replays a seed, without `--seed`, e.g.
    /// `cargo xtask sim run kv`. Default: `cargo xtask sim run {name}`.
    pub fn replay_command(mut self, command: impl Into<String>) -> SimulationBuilder {
        self.replay_command = Some(command.into());
        self
    }

    /// Keeps every failure of the campaign in the failure file at `path`
    /// (JSON Lines, appended to; see [`KeptFailure`](crate::runner::KeptFailure)),
    /// and first re-runs the seeds it keeps for this simulation and replay
    /// command (the most recent [`KEPT_SEEDS_MAX`](crate::runner::KEPT_SEEDS_MAX)),
    /// reporting them apart, in [`SimulationReport::kept`](crate::SimulationReport::kept):
    /// one that fails again fails the campaign. `revision` (a git commit, say)
    /// is written with each failure. A `--seed` replay, a determinism check and
    /// every shard but the first neither re-run nor keep. Default: no file.
    pub fn failure_file(
        mut self,
        path: Option<std::path::PathBuf>,
        revision: Option<String>,
    ) -> SimulationBuilder {
        self.options.keeping =
            path.map(|path| crate::runner::failure_file::Keeping { path, revision });
        self
    }

    /// Shrinks the campaign's first failure (or the `--seed` replayed) and
    /// writes its replay file into `dir` as `SIMULATION-SEED.json`; the
    /// report's [`shrunk`](crate::SimulationReport::shrunk) says what
    /// remained. `None`: no shrinking. Default: `None`.
    pub fn shrink(mut self, dir: Option<std::path::PathBuf>) -> SimulationBuilder {
        self.options.shrink_dir = dir;
        self
    }

    /// Explores from rare states: the campaign runs its first
    /// [`1 - EXPLORE_SHARE`](crate::runner::EXPLORE_SHARE) of its iterations
    /// as plain seeds, then spends the rest on *branches*: runs that replay a
    /// seed up to the step where it first made a rare `assert_sometimes!` or
    /// `assert_reachable!` site true (one that fewer
    /// than [`RARE_SHARE`](crate::runner::RARE_SHARE) of the plain seeds made true) and
    /// go on from there with fresh randomness. Rounds of branches are planned
    /// from the results in seed order, so an explored campaign is as
    /// reproducible as any; each failing branch replays with its seed and
    /// [`branch`](SimulationBuilder::branch) points. When no site is rare, the
    /// rest are plain seeds. The report's
    /// [`exploration`](crate::SimulationReport::exploration) lists the sites.
    /// Needs derived seeds (`iterations`), and no shard. Default: off.
    pub fn explore(mut self, on: bool) -> SimulationBuilder {
        self.options.explore = on;
        self
    }

    /// Replays the one explicit seed ([`seeds`](SimulationBuilder::seeds))
    /// branched at `points`, as exploration ran it (a failure's
    /// [`branch`](crate::Failure::branch); `--branch` on the command line).
    /// Default: none (the seed's own run).
    pub fn branch(mut self, points: Vec<crate::runner::Branch>) -> SimulationBuilder {
        self.options.branch = points;
        self
    }

    pub(crate) fn verbose_replay(mut self, verbose: bool) -> SimulationBuilder {
        self.options.verbose_replay = verbose;
        self
    }
}
