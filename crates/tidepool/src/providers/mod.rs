//! Providers: the traits a process uses instead of the OS, so that the same
//! code runs in a simulation and in production.
//!
//! A process is generic over one [`Providers`] bundle. [`SimProviders`] sends
//! every call to the simulated world; [`TokioProviders`] (feature `tokio`, on by
//! default) to tokio and the OS. Everything here but the simulated providers
//! is `tidepool_core::providers`, which a production server depends on alone.

mod sim;

pub use self::sim::{SimNetwork, SimProviders, SimRandom, SimStorage, SimTasks, SimTime};
pub use tidepool_core::providers::*;
