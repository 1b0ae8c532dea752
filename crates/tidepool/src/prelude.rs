//! The names a simulation needs, in one import: `use tidepool::prelude::*;`.
//!
//! The types a first simulation names (`Process`, `ProcessContext`,
//! `Workload`, `WorkloadContext`, `SimulationBuilder`, `BoxError`, `Attrition`,
//! `StateKey`), the `Providers` bound of a process, and the provider traits
//! whose methods it calls (`accept`, `read_at`, `random_below`, ...), the
//! latter imported anonymously so they never clash with your own names.

pub use crate::providers::Providers;
pub use crate::providers::{
    Listener as _, NetworkProvider as _, RandomProvider as _, StorageFile as _,
    StorageProvider as _, TaskProvider as _, TimeProvider as _,
};
pub use crate::runner::{
    Attrition, BoxError, Process, ProcessContext, SimulationBuilder, StateKey, Workload,
    WorkloadContext,
};
