//! Configuration errors: what the builder rejects before anything runs.

/// An invalid simulation configuration, found before any iteration runs.
/// Each message says what to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// `iterations(0)`.
    #[error("iterations is 0; run at least one (e.g. .iterations(100) or --iterations 100)")]
    NoIterations,
    /// More iterations than a campaign may have.
    #[error(
        "iterations is {iterations}, past the most a campaign may have, {max}; \
         split a bigger search into campaigns of their own base seed",
        max = crate::runner::ITERATIONS_MAX
    )]
    TooManyIterations {
        /// The iterations asked for.
        iterations: u64,
    },
    /// `seeds([])`.
    #[error("the explicit seed list is empty; give at least one seed or use .iterations(n)")]
    NoSeeds,
    /// A process group's count range is empty.
    #[error(
        "process group '{group}' has an empty count range {range}; use a range like 3..=5 whose start is at most its end"
    )]
    EmptyCount {
        /// The group.
        group: String,
        /// The range as given.
        range: String,
    },
    /// Two process groups share a name.
    #[error("process group '{0}' is defined twice; give each group its own name")]
    DuplicateGroup(String),
    /// Workloads but no process to talk to.
    #[error(
        "the simulation has workloads but no process to talk to; add one with .processes(\"server\", 3, factory)"
    )]
    NoProcesses,
    /// No workload.
    #[error(
        "the simulation has no workload; add one with .workload(..) or .workloads(count, factory)"
    )]
    NoWorkloads,
    /// `workloads(0, ..)`.
    #[error("workloads(0, ..) adds no workload; give a count of at least 1")]
    ZeroWorkloads,
    /// Two invariants share a name.
    #[error("invariant '{0}' is defined twice; give each invariant its own name")]
    DuplicateInvariant(String),
    /// The network configuration is out of bounds.
    #[error("invalid network configuration: {0}")]
    Network(#[from] crate::sim::NetworkConfigError),
    /// Attrition targets a group that does not exist.
    #[error("attrition targets process group '{0}', which does not exist")]
    UnknownAttritionGroup(String),
    /// Attrition may take the whole group down.
    #[error(
        "attrition max_dead is {max_dead} but group '{group}' can have as few as {group_min} processes; \
         lower max_dead, or set allow_all_dead: true to let the whole group go down"
    )]
    MaxDeadTooHigh {
        /// The group.
        group: String,
        /// The attrition's max_dead.
        max_dead: usize,
        /// The smallest size of the group.
        group_min: usize,
    },
    /// Attrition with max_dead 0 never reboots anything.
    #[error(
        "attrition max_dead is 0, so it would never reboot anything; use at least 1 or drop .attrition(..)"
    )]
    MaxDeadZero,
    /// A weight is negative or not finite, or every weight is zero.
    #[error(
        "attrition weights graceful={graceful}, crash={crash}, power_loss={power_loss}, wipe={wipe} \
         must be finite, non-negative and not all zero"
    )]
    AttritionWeights {
        /// The graceful weight.
        graceful: f64,
        /// The crash weight.
        crash: f64,
        /// The power-loss weight.
        power_loss: f64,
        /// The wipe weight.
        wipe: f64,
    },
    /// The storage configuration is out of bounds.
    #[error("invalid storage configuration: {0}")]
    Storage(#[from] crate::sim::StorageConfigError),
    /// A bound whose min exceeds its max.
    #[error("{what} has min {min:?} above max {max:?}; give min <= max")]
    Bounds {
        /// Which setting.
        what: &'static str,
        /// Its min.
        min: std::time::Duration,
        /// Its max.
        max: std::time::Duration,
    },
    /// A shard index outside 0..count.
    #[error("shard {index}/{count} is out of range; use K/N with 0 <= K < N")]
    Shard {
        /// The shard index.
        index: u64,
        /// The shard count.
        count: u64,
    },
    /// `jobs(0)`.
    #[error("jobs is 0; use at least 1 thread")]
    NoJobs,
    /// A zero time budget.
    #[error("the simulated time budget is zero; give each iteration some time (default 600 s)")]
    ZeroTimeBudget,
    /// A zero per-seed memory budget.
    #[error(
        "the memory budget per seed is zero; give each seed some (default 1 GiB), or None for no limit"
    )]
    ZeroMemoryBudget,
    /// A zero per-seed wall-clock budget.
    #[error(
        "the wall-clock budget per seed is zero; give each seed some time (default 10 min), or None for no limit"
    )]
    ZeroWallBudget,
    /// A zero watchdog.
    #[error("the watchdog is zero; it would stop every iteration at once (default 30 s)")]
    ZeroWatchdog,
    /// A repeating chaos action whose shortest interval is zero would spin without the clock moving.
    #[error(
        "{what} has a zero minimum; it would repeat without the clock moving: give it at least 1 ms"
    )]
    ZeroInterval {
        /// Which setting.
        what: &'static str,
    },
    /// Shards need a base seed shared by every shard.
    #[error(
        "--shard K/N needs an explicit base seed shared by all shards (each shard would otherwise draw its own): \
         add --base-seed S (or .base_seed(S))"
    )]
    ShardWithoutBaseSeed,
    /// `explore` with an explicit seed list.
    #[error(
        "--explore plans its branches from a campaign of derived seeds, but the seeds are explicit; \
         use --iterations N (or .iterations(n)) instead of --seed / .seeds(..)"
    )]
    ExploreWithExplicitSeeds,
    /// `explore` on a shard.
    #[error(
        "--explore plans each round from the whole campaign's results, which a shard does not see; \
         run the explored campaign whole (without --shard)"
    )]
    ExploreWithShard,
    /// Branch points without exactly one explicit seed.
    #[error(
        "--branch replays one seed branched at its points; give exactly one --seed SEED \
         (or .seeds([seed])) with it, and no --explore"
    )]
    BranchWithoutOneSeed,
    /// Branch points with a step 0, or steps not increasing.
    #[error(
        "branch points {0} are not a chain: steps count from 1 and must increase; \
         copy them from a failure's replay command"
    )]
    BranchPoints(String),
}
