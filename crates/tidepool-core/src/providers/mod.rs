//! Providers: the traits a process uses instead of the OS, so that the same
//! code runs in a simulation and in production.
//!
//! A process is generic over one [`Providers`] bundle. [`TokioProviders`]
//! (feature `tokio`, on by default) sends every call to tokio and the OS; the
//! `tidepool` crate's `SimProviders` sends it to the simulated world.

mod bundle;
pub(crate) mod join_handle;
mod network;
mod open_options;
mod random;
mod storage;
mod storage_path;
mod task;
mod time;
#[cfg(feature = "tokio")]
mod tokio;
#[cfg(feature = "tokio")]
mod tokio_storage;

pub use self::bundle::{FileOf, ListenerOf, Providers, StreamOf, UdpSocketOf};
pub use self::join_handle::{JoinError, JoinHandle};
pub use self::network::{DatagramSocket, Listener, NetworkProvider};
pub use self::open_options::OpenOptions;
pub use self::random::RandomProvider;
pub use self::storage::{StorageFile, StorageProvider};
pub use self::storage_path::{StoragePathError, entry_path, relative_path};
pub use self::task::TaskProvider;
pub use self::time::{Elapsed, TimeProvider};
#[cfg(feature = "tokio")]
pub use self::tokio::{TokioNetwork, TokioProviders, TokioRandom, TokioTasks, TokioTime};
#[cfg(feature = "tokio")]
pub use self::tokio_storage::{TokioFile, TokioStorage};
