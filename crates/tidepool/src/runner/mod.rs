//! The runner: what the tutorial teaches. A [`Process`] is the system under
//! test, a [`Workload`] drives and checks it, and a [`SimulationBuilder`]
//! runs them over many seeds with chaos beside them, into a report.

mod attrition;
mod budget;
mod builder;
mod campaign;
mod chaos;
mod clock_skew;
mod config;
mod explore;
mod failure;
mod failure_file;
mod final_check;
mod iteration;
mod junit;
mod knobs;
mod liveness;
mod process;
mod processes;
mod progress;
mod replay_check;
mod report;
mod seeds;
pub mod shrink;
mod state;
mod swarm;
mod workload;

pub use attrition::{Attrition, FaultCounts};
pub use budget::{MEMORY_PER_SEED_DEFAULT, WALL_PER_SEED_DEFAULT};
pub(crate) use builder::Plan;
pub use builder::{
    GRACE_PERIOD_DEFAULT, ITERATIONS_DEFAULT, ProcessCount, SETTLE_DEFAULT, SimulationBuilder,
    TIME_BUDGET_DEFAULT, WATCHDOG_DEFAULT, jobs_default,
};
pub use campaign::{JOBS_PER_CORE_MAX, jobs_max};
pub use chaos::{FaultHandle, LookupError, ProcessId};
pub use clock_skew::ClockSkew;
pub use config::ConfigError;
pub use explore::{
    Branch, EXPLORE_SHARE, Exploration, ExploredSite, RARE_SHARE, format_branches, parse_branches,
};
pub use failure::{Failure, FailureKind};
pub use failure_file::{
    FAILURE_FILE_DEFAULT, FAILURE_FILE_FORMAT, KEPT_SEEDS_MAX, KeptFailure, KeptRerun,
};
pub(crate) use iteration::run_iteration;
pub use knobs::{KNOB_VARIED_PROBABILITY, KnobDraw};
pub use liveness::EVENTUALLY_RETRY;
pub use processes::{Death, RESTART_DELAY};
pub use replay_check::REPLAY_CHECKS_MAX;
pub use report::{FAILURES_KEPT_MAX, MergeError, SimulationReport};
pub use seeds::ITERATIONS_MAX;
pub use state::StateView;
pub(crate) use state::slots as state_slots;
pub use swarm::{
    FAMILY_ON_PROBABILITY, Family, FaultMix, INTENSITY_RANGE, KnobRow, SwarmRow, SwarmTable,
};
pub use tidepool_core::{
    BoxError, KeyOf, PROCESS_PORT, Process, ProcessContext, Requested, Restart, SharedState,
    Shutdown, StateKey,
};
pub use workload::{Workload, WorkloadContext};
