//! The names a simulation needs, in one import: `use tidepool::prelude::*;`.
//!
//! The types a first simulation names (`Process`, `ProcessContext`,
//! `Workload`, `WorkloadContext`, `SimulationBuilder`, `BoxError`, `Attrition`,
//! `StateKey`), the `Providers` bound of a process, and the provider traits
//! whose methods it calls (`accept`, `read_at`, `random_below`, ...), the
//! latter imported anonymously so they never clash with your own names: to
//! name one in a bound (`S: StorageProvider`), import it by name as well.
//! Also here: `Shutdown`, `OpenOptions`, `Elapsed` (a timeout's error), and
//! `ClockSkew`, and the aliases `StreamOf<P>`, `ListenerOf<P>`, `FileOf<P>`,
//! `UdpSocketOf<P>`.

pub use crate::providers::{
    DatagramSocket as _, Listener as _, NetworkProvider as _, RandomProvider as _,
    StorageFile as _, StorageProvider as _, TaskProvider as _, TimeProvider as _,
};
pub use crate::providers::{
    Elapsed, FileOf, ListenerOf, OpenOptions, Providers, StreamOf, UdpSocketOf,
};
pub use crate::runner::{
    Attrition, BoxError, ClockSkew, Process, ProcessContext, Shutdown, SimulationBuilder, StateKey,
    Workload, WorkloadContext,
};
