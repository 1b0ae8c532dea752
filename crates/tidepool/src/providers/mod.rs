//! Providers: the traits a process uses instead of the OS, so that the same
//! code runs in a simulation and in production.
//!
//! A process is generic over one [`Providers`] bundle. [`SimProviders`] sends
//! every call to the simulated world; [`TokioProviders`] (feature `tokio`, on
//! by default) to tokio and the OS.

mod bundle;
mod network;
mod random;
mod sim;
mod task;
mod time;
#[cfg(feature = "tokio")]
mod tokio;

pub use self::bundle::Providers;
pub use self::network::{Listener, NetworkProvider};
pub use self::random::RandomProvider;
pub use self::sim::{SimNetwork, SimProviders, SimRandom, SimTasks, SimTime};
pub use self::task::{JoinHandle, TaskProvider};
pub use self::time::TimeProvider;
#[cfg(feature = "tokio")]
pub use self::tokio::{TokioNetwork, TokioProviders, TokioRandom, TokioTasks, TokioTime};
