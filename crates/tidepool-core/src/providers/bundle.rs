//! `Providers`: the one type parameter a process is generic over.

use std::borrow::Cow;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use super::{
    JoinHandle, NetworkProvider, RandomProvider, StorageProvider, TaskProvider, TimeProvider,
};
use crate::time::Instant;

/// Everything a process may use of the world: time, tasks, randomness, network,
/// storage.
///
/// A process written against `P: Providers` runs unchanged in a simulation
/// (the `tidepool` crate's `SimProviders`) and in production
/// ([`TokioProviders`](super::TokioProviders), feature `tokio`). The shortcut
/// methods forward to the five providers.
///
/// # Examples
///
/// A task that sleeps, spawns and draws random numbers, here on tokio; the
/// `tidepool` crate runs the same function in a simulation with its
/// `SimProviders`, where a seed replays the roll:
///
/// ```
/// use std::time::Duration;
/// use tidepool_core::providers::{Providers, RandomProvider, TokioProviders};
///
/// async fn roll_dice<P: Providers>(providers: P) -> u64 {
///     let child = providers.spawn("roller", {
///         let providers = providers.clone();
///         async move {
///             providers.sleep(Duration::from_millis(10)).await;
///             1 + providers.random().random_below(6)
///         }
///     });
///     child.await.expect("the roller does not panic")
/// }
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let roll = runtime.block_on(roll_dice(TokioProviders::new()));
/// assert!((1..=6).contains(&roll));
/// ```
pub trait Providers: Clone + Send + Sync + 'static {
    /// The clock and timers.
    type Time: TimeProvider;
    /// Task spawning.
    type Task: TaskProvider;
    /// Randomness.
    type Random: RandomProvider;
    /// TCP.
    type Network: NetworkProvider;
    /// Files and directories.
    type Storage: StorageProvider;

    /// The time provider.
    fn time(&self) -> &Self::Time;
    /// The task provider.
    fn task(&self) -> &Self::Task;
    /// The random provider.
    fn random(&self) -> &Self::Random;
    /// The network provider.
    fn network(&self) -> &Self::Network;
    /// The storage provider.
    fn storage(&self) -> &Self::Storage;

    /// The time now (see [`TimeProvider::now`]).
    fn now(&self) -> Instant {
        self.time().now()
    }

    /// Waits for `duration` (see [`TimeProvider::sleep`]).
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        self.time().sleep(duration)
    }

    /// Spawns a task (see [`TaskProvider::spawn`]).
    #[track_caller]
    fn spawn<F>(&self, name: impl Into<Cow<'static, str>>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.task().spawn(name, future)
    }

    /// Binds a listener (see [`NetworkProvider::bind`]).
    fn bind(
        &self,
        addr: SocketAddr,
    ) -> impl Future<Output = io::Result<<Self::Network as NetworkProvider>::TcpListener>> + Send
    {
        self.network().bind(addr)
    }

    /// Opens a connection (see [`NetworkProvider::connect`]).
    fn connect(
        &self,
        addr: SocketAddr,
    ) -> impl Future<Output = io::Result<<Self::Network as NetworkProvider>::TcpStream>> + Send
    {
        self.network().connect(addr)
    }
}

/// The stream type of a [`Providers`] bundle: `StreamOf<P>` instead of
/// `<<P as Providers>::Network as NetworkProvider>::TcpStream`.
pub type StreamOf<P> = <<P as Providers>::Network as NetworkProvider>::TcpStream;

/// The listener type of a [`Providers`] bundle.
pub type ListenerOf<P> = <<P as Providers>::Network as NetworkProvider>::TcpListener;

/// The open-file type of a [`Providers`] bundle.
pub type FileOf<P> = <<P as Providers>::Storage as StorageProvider>::File;
