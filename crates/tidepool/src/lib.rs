//! tidepool: deterministic simulation testing for distributed systems.
//!
//! Run real server code in a simulated world (time, network, randomness,
//! process reboots) where one 64-bit seed reproduces a run exactly.
//!
//! - [`sim`]: the deterministic world (executor, clock, RNG, network, trace).
//! - [`providers`]: what a process uses instead of the OS, with a simulated and
//!   a tokio implementation.
//! - [`prelude`]: what a simulation needs, in one import.
//!
//! What a production server links is the crate `tidepool-core`: the providers'
//! traits and tokio implementation, [`Process`], and the assertion and buggify
//! macros, which cost nothing there. This crate re-exports all of it at its own
//! paths and turns on `tidepool-core`'s feature `simulation`, through which the
//! macros reach the simulated world.
#![warn(missing_docs, unreachable_pub)]

#[doc(hidden)]
pub mod __private;
pub mod alloc;
pub mod assertions;
pub mod buggify;
pub mod cli;
mod core_serde;
pub mod history;
mod hooks;
pub mod logging;
pub mod prelude;
pub mod providers;
pub mod runner;
pub mod sanitizer;
pub mod sim;
pub mod timeline;

pub use runner::{
    Attrition, BoxError, ClockSkew, ConfigError, FaultHandle, PROCESS_PORT, Process,
    ProcessContext, Restart, SharedState, Shutdown, SimulationBuilder, SimulationReport, StateKey,
    StateView, Workload, WorkloadContext,
};
pub use tidepool_core::time;
// The macros, by their `#[macro_export]` names where a module of the same name
// would come along (`tidepool::buggify` is this crate's own module).
#[doc(inline)]
pub use tidepool_core::__buggify as buggify;
#[doc(inline)]
pub use tidepool_core::__select as select;
pub use tidepool_core::{
    assert_always, assert_reachable, assert_sometimes, assert_unreachable, buggify_with_prob,
};
