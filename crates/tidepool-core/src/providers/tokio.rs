//! The production providers: tokio's clock, executor and sockets.

use std::borrow::Cow;
use std::cell::Cell;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::io;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use super::{
    DatagramSocket, Elapsed, JoinHandle, Listener, NetworkProvider, Providers, RandomProvider,
    TaskProvider, TimeProvider, TokioStorage,
};
use crate::splitmix::splitmix64;
use crate::time::Instant;

/// The providers of production: the real clock, `tokio::spawn`, OS-seeded
/// randomness, `tokio::net` and the file system under a data directory. Needs
/// a tokio runtime with time and IO enabled.
///
/// # Examples
///
/// ```
/// use tidepool_core::providers::TokioProviders;
///
/// let providers = TokioProviders::new().with_data_dir("/var/lib/kv");
/// assert_eq!(providers.data_dir(), std::path::Path::new("/var/lib/kv"));
/// assert_eq!(TokioProviders::new().data_dir(), std::path::Path::new("."));
/// ```
#[derive(Clone, Debug, Default)]
pub struct TokioProviders {
    storage: TokioStorage,
}

impl TokioProviders {
    /// Production providers whose storage is rooted at the working directory.
    pub fn new() -> TokioProviders {
        TokioProviders::default()
    }

    /// Roots the storage provider at `dir` (default: the working directory, `.`).
    pub fn with_data_dir(mut self, dir: impl Into<std::path::PathBuf>) -> TokioProviders {
        self.storage = TokioStorage::new(dir);
        self
    }

    /// The storage provider's root.
    pub fn data_dir(&self) -> &std::path::Path {
        self.storage.root()
    }
}

/// tokio's clock. [`Instant`]s count from the first clock read of the process.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioTime;

/// `tokio::spawn`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioTasks;

/// A per-thread xoshiro-style generator seeded from the OS.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioRandom;

/// `tokio::net`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioNetwork;

impl Providers for TokioProviders {
    type Time = TokioTime;
    type Task = TokioTasks;
    type Random = TokioRandom;
    type Network = TokioNetwork;
    type Storage = TokioStorage;

    fn time(&self) -> &TokioTime {
        &TokioTime
    }

    fn task(&self) -> &TokioTasks {
        &TokioTasks
    }

    fn random(&self) -> &TokioRandom {
        &TokioRandom
    }

    fn network(&self) -> &TokioNetwork {
        &TokioNetwork
    }

    fn storage(&self) -> &TokioStorage {
        &self.storage
    }
}

fn origin() -> std::time::Instant {
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    *ORIGIN.get_or_init(std::time::Instant::now)
}

impl TimeProvider for TokioTime {
    fn now(&self) -> Instant {
        let origin = origin();
        let since = std::time::Instant::now().duration_since(origin);
        Instant::from_nanos(u64::try_from(since.as_nanos()).unwrap_or(u64::MAX))
    }

    fn system_time(&self) -> std::time::SystemTime {
        std::time::SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }

    async fn timeout<F>(&self, duration: Duration, future: F) -> Result<F::Output, Elapsed>
    where
        F: Future + Send,
    {
        {
            tokio::time::timeout(duration, future)
                .await
                .map_err(|_| Elapsed)
        }
    }
}

impl TaskProvider for TokioTasks {
    fn spawn<F>(&self, name: impl Into<Cow<'static, str>>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // tokio names tasks only in its unstable builds; the name is for simulations.
        drop(name.into());
        JoinHandle::tokio(tokio::spawn(future))
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
}

impl RandomProvider for TokioRandom {
    fn next_u64(&self) -> u64 {
        thread_local! {
            static STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(std::thread::current().id()) | 1);
        }
        STATE.with(|state| {
            let next = state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
            state.set(next);
            splitmix64(next)
        })
    }
}

impl NetworkProvider for TokioNetwork {
    type TcpStream = tokio::net::TcpStream;
    type TcpListener = tokio::net::TcpListener;
    type UdpSocket = tokio::net::UdpSocket;

    fn bind(
        &self,
        addr: SocketAddr,
    ) -> impl Future<Output = io::Result<tokio::net::TcpListener>> + Send {
        tokio::net::TcpListener::bind(addr)
    }

    fn connect(
        &self,
        addr: SocketAddr,
    ) -> impl Future<Output = io::Result<tokio::net::TcpStream>> + Send {
        tokio::net::TcpStream::connect(addr)
    }

    fn bind_udp(
        &self,
        addr: SocketAddr,
    ) -> impl Future<Output = io::Result<tokio::net::UdpSocket>> + Send {
        tokio::net::UdpSocket::bind(addr)
    }

    async fn lookup_host(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }
}

impl DatagramSocket for tokio::net::UdpSocket {
    fn send_to(
        &self,
        buf: &[u8],
        target: SocketAddr,
    ) -> impl Future<Output = io::Result<usize>> + Send {
        tokio::net::UdpSocket::send_to(self, buf, target)
    }

    fn recv_from(
        &self,
        buf: &mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + Send {
        tokio::net::UdpSocket::recv_from(self, buf)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        tokio::net::UdpSocket::local_addr(self)
    }
}

impl Listener for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;

    fn accept(
        &self,
    ) -> impl Future<Output = io::Result<(tokio::net::TcpStream, SocketAddr)>> + Send {
        tokio::net::TcpListener::accept(self)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        tokio::net::TcpListener::local_addr(self)
    }
}
