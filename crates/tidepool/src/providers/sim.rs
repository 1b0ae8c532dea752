//! The simulated providers: every call goes to the thread's world.

use std::borrow::Cow;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use std::path::Path;

use super::{
    DatagramSocket, JoinHandle, Listener, NetworkProvider, OpenOptions, Providers, RandomProvider,
    StorageProvider, TaskProvider, TimeProvider,
};
use crate::sim::{self, Elapsed, disk, net};
use crate::time::Instant;

/// The providers of a simulation. A zero-sized handle: every call reaches the
/// world running on this thread, on behalf of the host of the calling task.
///
/// # Panics
///
/// Every method panics when called outside a running simulation, saying so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimProviders;

/// The simulated clock (see [`sim::now`], [`sim::sleep`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SimTime;

/// The simulated executor (see [`sim::spawn`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SimTasks;

/// The world's seeded RNG (see [`sim::random_u64`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SimRandom;

/// The simulated network (see [`sim::net`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SimNetwork;

/// The simulated disk of the calling task's host (see [`sim::disk`]). Paths
/// are relative to the disk's root; the disk starts empty and survives the
/// host's reboots, not its power losses' unsynced writes nor a wipe.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimStorage;

impl Providers for SimProviders {
    type Time = SimTime;
    type Task = SimTasks;
    type Random = SimRandom;
    type Network = SimNetwork;
    type Storage = SimStorage;

    fn time(&self) -> &SimTime {
        &SimTime
    }

    fn task(&self) -> &SimTasks {
        &SimTasks
    }

    fn random(&self) -> &SimRandom {
        &SimRandom
    }

    fn network(&self) -> &SimNetwork {
        &SimNetwork
    }

    fn storage(&self) -> &SimStorage {
        &SimStorage
    }
}

impl TimeProvider for SimTime {
    fn now(&self) -> Instant {
        sim::now()
    }

    fn system_time(&self) -> std::time::SystemTime {
        sim::system_time()
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        sim::sleep(duration)
    }

    fn timeout<F>(
        &self,
        duration: Duration,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Elapsed>> + Send
    where
        F: Future + Send,
    {
        sim::timeout(duration, future)
    }
}

impl TaskProvider for SimTasks {
    #[track_caller]
    fn spawn<F>(&self, name: impl Into<Cow<'static, str>>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        JoinHandle::simulated(Box::new(sim::spawn(name, future)))
    }

    fn yield_now(&self) -> impl Future<Output = ()> + Send {
        sim::yield_now()
    }
}

impl RandomProvider for SimRandom {
    fn next_u64(&self) -> u64 {
        sim::random_u64()
    }

    fn random_below(&self, n: u64) -> u64 {
        sim::random_below(n)
    }
}

impl NetworkProvider for SimNetwork {
    type TcpStream = net::TcpStream;
    type TcpListener = net::TcpListener;
    type UdpSocket = net::UdpSocket;

    fn bind(&self, addr: SocketAddr) -> impl Future<Output = io::Result<net::TcpListener>> + Send {
        net::bind(addr)
    }

    fn connect(&self, addr: SocketAddr) -> impl Future<Output = io::Result<net::TcpStream>> + Send {
        net::connect(addr)
    }

    fn bind_udp(
        &self,
        addr: SocketAddr,
    ) -> impl Future<Output = io::Result<net::UdpSocket>> + Send {
        net::bind_udp(addr)
    }

    async fn lookup_host(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        sim::lookup_host(host, port)
    }
}

impl DatagramSocket for net::UdpSocket {
    fn send_to(
        &self,
        buf: &[u8],
        target: SocketAddr,
    ) -> impl Future<Output = io::Result<usize>> + Send {
        net::UdpSocket::send_to(self, buf, target)
    }

    fn recv_from(
        &self,
        buf: &mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + Send {
        net::UdpSocket::recv_from(self, buf)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        net::UdpSocket::local_addr(self)
    }
}

impl Listener for net::TcpListener {
    type Stream = net::TcpStream;

    fn accept(&self) -> impl Future<Output = io::Result<(net::TcpStream, SocketAddr)>> + Send {
        net::TcpListener::accept(self)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        net::TcpListener::local_addr(self)
    }
}

impl StorageProvider for SimStorage {
    type File = disk::SimFile;

    async fn open(
        &self,
        path: impl AsRef<Path> + Send,
        options: &OpenOptions,
    ) -> io::Result<disk::SimFile> {
        disk::open(path.as_ref(), *options).await
    }

    async fn rename(
        &self,
        from: impl AsRef<Path> + Send,
        to: impl AsRef<Path> + Send,
    ) -> io::Result<()> {
        disk::rename(from.as_ref(), to.as_ref()).await
    }

    async fn remove_file(&self, path: impl AsRef<Path> + Send) -> io::Result<()> {
        disk::remove(path.as_ref(), false).await
    }

    async fn remove_dir(&self, path: impl AsRef<Path> + Send) -> io::Result<()> {
        disk::remove(path.as_ref(), true).await
    }

    async fn create_dir_all(&self, path: impl AsRef<Path> + Send) -> io::Result<()> {
        disk::create_dir_all(path.as_ref()).await
    }

    async fn read_dir(&self, path: impl AsRef<Path> + Send) -> io::Result<Vec<String>> {
        disk::read_dir(path.as_ref()).await
    }

    async fn exists(&self, path: impl AsRef<Path> + Send) -> io::Result<bool> {
        disk::exists(path.as_ref()).await
    }

    async fn sync_dir(&self, path: impl AsRef<Path> + Send) -> io::Result<()> {
        disk::sync_dir(path.as_ref()).await
    }
}
