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

    /// This host's wall clock (see [`TimeProvider::system_time`]).
    fn system_time(&self) -> std::time::SystemTime {
        self.time().system_time()
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

    /// Binds a UDP socket (see [`NetworkProvider::bind_udp`]).
    fn bind_udp(
        &self,
        addr: SocketAddr,
    ) -> impl Future<Output = io::Result<UdpSocketOf<Self>>> + Send {
        self.network().bind_udp(addr)
    }

    /// The addresses of `host` with `port` (see [`NetworkProvider::lookup_host`]).
    fn lookup_host(
        &self,
        host: &str,
        port: u16,
    ) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send {
        self.network().lookup_host(host, port)
    }

    /// Opens a connection to `target`, a `host:port` such as `kv-1:4500`: the
    /// host is looked up ([`NetworkProvider::lookup_host`]) and its addresses
    /// tried in turn; the error is the last attempt's. A `target` without a
    /// port is an `InvalidInput` error.
    fn connect_host(
        &self,
        target: &str,
    ) -> impl Future<Output = io::Result<StreamOf<Self>>> + Send {
        let network = self.network().clone();
        let split = split_host_port(target);
        async move {
            let (host, port) = split?;
            let mut last = None;
            for addr in network.lookup_host(&host, port).await? {
                match network.connect(addr).await {
                    Ok(stream) => return Ok(stream),
                    Err(error) => last = Some(error),
                }
            }
            Err(last.unwrap_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("failed to lookup address information: {host} has no address"),
                )
            }))
        }
    }
}

/// `host:port` (or `[v6]:port`) as its host and port.
fn split_host_port(target: &str) -> io::Result<(String, u16)> {
    let invalid = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid address {target:?}: expected HOST:PORT, such as kv-1:4500"),
        )
    };
    let (host, port) = target.rsplit_once(':').ok_or_else(invalid)?;
    let port = port.parse::<u16>().map_err(|_| invalid())?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(invalid());
    }
    Ok((host.to_string(), port))
}

/// The stream type of a [`Providers`] bundle: `StreamOf<P>` instead of
/// `<<P as Providers>::Network as NetworkProvider>::TcpStream`.
pub type StreamOf<P> = <<P as Providers>::Network as NetworkProvider>::TcpStream;

/// The listener type of a [`Providers`] bundle.
pub type ListenerOf<P> = <<P as Providers>::Network as NetworkProvider>::TcpListener;

/// The UDP socket type of a [`Providers`] bundle.
pub type UdpSocketOf<P> = <<P as Providers>::Network as NetworkProvider>::UdpSocket;

/// The open-file type of a [`Providers`] bundle.
pub type FileOf<P> = <<P as Providers>::Storage as StorageProvider>::File;
