//! tidepool: deterministic simulation testing for distributed systems.
//!
//! Run real server code in a simulated world (time, network, randomness,
//! process reboots) where one 64-bit seed reproduces a run exactly.
//!
//! - [`sim`]: the deterministic world (executor, clock, RNG, network, trace).
//! - [`providers`]: what a process uses instead of the OS, with a simulated and
//!   a tokio implementation.
//! - [`prelude`]: what a simulation needs, in one import.
#![warn(missing_docs, unreachable_pub)]

#[doc(hidden)]
pub mod __private;
pub mod assertions;
pub mod buggify;
pub mod cli;
pub mod logging;
pub mod prelude;
pub mod providers;
pub mod runner;
pub mod sim;
pub mod time;

pub use runner::{
    Attrition, BoxError, ConfigError, FaultHandle, PROCESS_PORT, Process, ProcessContext,
    SharedState, Shutdown, SimulationBuilder, SimulationReport, StateKey, StateView, Workload,
    WorkloadContext,
};
