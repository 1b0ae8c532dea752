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
mod storage;
mod task;
mod time;
#[cfg(feature = "tokio")]
mod tokio;
#[cfg(feature = "tokio")]
mod tokio_storage;

pub use self::bundle::{FileOf, ListenerOf, Providers, StreamOf};
pub use self::network::{Listener, NetworkProvider};
pub use self::random::RandomProvider;
pub use self::sim::{SimNetwork, SimProviders, SimRandom, SimStorage, SimTasks, SimTime};
pub(crate) use self::storage::entry_path;
pub use self::storage::{
    OpenOptions, StorageFile, StoragePathError, StorageProvider, relative_path,
};
pub use self::task::{JoinHandle, TaskProvider};
pub use self::time::TimeProvider;
#[cfg(feature = "tokio")]
pub use self::tokio::{TokioNetwork, TokioProviders, TokioRandom, TokioTasks, TokioTime};
#[cfg(feature = "tokio")]
pub use self::tokio_storage::{TokioFile, TokioStorage};
