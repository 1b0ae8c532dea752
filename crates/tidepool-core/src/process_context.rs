//! `ProcessContext`: what a process knows of its world.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::providers::{
    Elapsed, JoinHandle, ListenerOf, Providers, StreamOf, TimeProvider, UdpSocketOf,
};
use crate::time::Instant;
use crate::{KeyOf, SharedState, Shutdown};

/// What a process knows of its world: its providers, address, name, peers, and
/// the shutdown signal.
///
/// A simulation builds one per boot; a production server builds one with
/// [`ProcessContext::new`].
///
/// # Examples
///
/// ```
/// use tidepool_core::providers::TokioProviders;
/// use tidepool_core::{ProcessContext, Shutdown, StateKey};
///
/// const REQUESTS: StateKey<u64> = StateKey::new("requests");
///
/// let address = "127.0.0.1:4000".parse().unwrap();
/// let ctx = ProcessContext::new(TokioProviders::new(), "kv", address, Shutdown::new());
/// assert_eq!((ctx.name(), ctx.incarnation(), ctx.index()), ("kv", 1, 0));
/// assert!(ctx.state().is_none());
/// ctx.publish(REQUESTS, |count| *count += 1); // no simulation: nothing happens
/// ```
#[derive(Clone, Debug)]
pub struct ProcessContext<P> {
    providers: P,
    address: SocketAddr,
    name: String,
    index: usize,
    incarnation: u64,
    shutdown: Shutdown,
    peers: Arc<BTreeMap<String, Vec<SocketAddr>>>,
    state: Option<SharedState>,
}

impl<P: Providers> ProcessContext<P> {
    /// A context for running a process outside a simulation (production, or a
    /// test on tokio): it listens on `address`, has no peers, is incarnation 1
    /// and is index 0 of its group.
    pub fn new(
        providers: P,
        name: impl Into<String>,
        address: SocketAddr,
        shutdown: Shutdown,
    ) -> ProcessContext<P> {
        ProcessContext {
            providers,
            address,
            name: name.into(),
            index: 0,
            incarnation: 1,
            shutdown,
            peers: Arc::default(),
            state: None,
        }
    }

    /// The context of a process booted by a simulation, with the shared state
    /// of its iteration. Not a public API: the simulator calls it.
    #[doc(hidden)]
    pub fn simulated(
        providers: P,
        address: SocketAddr,
        name: String,
        index: usize,
        incarnation: u64,
        shutdown: Shutdown,
        peers: Arc<BTreeMap<String, Vec<SocketAddr>>>,
    ) -> ProcessContext<P> {
        ProcessContext {
            providers,
            address,
            name,
            index,
            incarnation,
            shutdown,
            peers,
            state: Some(SharedState),
        }
    }

    /// Sets the incarnation (in production, e.g. a boot counter or timestamp).
    pub fn with_incarnation(mut self, incarnation: u64) -> ProcessContext<P> {
        self.incarnation = incarnation;
        self
    }

    /// Sets the addresses of other processes, by group.
    pub fn with_peers(mut self, peers: BTreeMap<String, Vec<SocketAddr>>) -> ProcessContext<P> {
        self.peers = Arc::new(peers);
        self
    }

    /// The providers: time, tasks, randomness, network.
    pub fn providers(&self) -> &P {
        &self.providers
    }

    /// The time now (see [`TimeProvider::now`](crate::providers::TimeProvider::now)).
    pub fn now(&self) -> Instant {
        self.providers().now()
    }

    /// This host's wall clock (see
    /// [`TimeProvider::system_time`](crate::providers::TimeProvider::system_time)):
    /// skewed per host in a simulation that skews clocks, unlike [`ProcessContext::now`].
    pub fn system_time(&self) -> std::time::SystemTime {
        self.providers().system_time()
    }

    /// Waits for `duration` (see [`TimeProvider::sleep`](crate::providers::TimeProvider::sleep)).
    pub fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + use<'_, P> {
        self.providers().sleep(duration)
    }

    /// Runs `future` for at most `duration` (see
    /// [`TimeProvider::timeout`](crate::providers::TimeProvider::timeout)); when
    /// the time runs out, `future` is dropped and the result is `Err(Elapsed)`.
    pub fn timeout<F>(
        &self,
        duration: Duration,
        future: F,
    ) -> impl Future<Output = Result<F::Output, Elapsed>> + Send + use<'_, P, F>
    where
        F: Future + Send,
    {
        self.providers().time().timeout(duration, future)
    }

    /// Spawns a task on this process's host (see [`TaskProvider::spawn`](crate::providers::TaskProvider::spawn)); it
    /// dies with the process.
    #[track_caller]
    pub fn spawn<F>(&self, name: impl Into<Cow<'static, str>>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.providers().spawn(name, future)
    }

    /// Binds a listener (see [`NetworkProvider::bind`](crate::providers::NetworkProvider::bind)).
    pub fn bind(
        &self,
        addr: SocketAddr,
    ) -> impl Future<Output = io::Result<ListenerOf<P>>> + Send + use<'_, P> {
        self.providers().bind(addr)
    }

    /// Opens a connection (see [`NetworkProvider::connect`](crate::providers::NetworkProvider::connect)).
    pub fn connect(
        &self,
        addr: SocketAddr,
    ) -> impl Future<Output = io::Result<StreamOf<P>>> + Send + use<'_, P> {
        self.providers().connect(addr)
    }

    /// Opens a connection to `target`, a `host:port` such as `kv-1:4500` (see
    /// [`Providers::connect_host`](crate::providers::Providers::connect_host)).
    pub fn connect_host(
        &self,
        target: &str,
    ) -> impl Future<Output = io::Result<StreamOf<P>>> + Send {
        self.providers().connect_host(target)
    }

    /// The addresses of `host` with `port` (see
    /// [`NetworkProvider::lookup_host`](crate::providers::NetworkProvider::lookup_host)).
    pub fn lookup_host(
        &self,
        host: &str,
        port: u16,
    ) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send {
        self.providers().lookup_host(host, port)
    }

    /// Binds a UDP socket (see
    /// [`NetworkProvider::bind_udp`](crate::providers::NetworkProvider::bind_udp)).
    pub fn bind_udp(
        &self,
        addr: SocketAddr,
    ) -> impl Future<Output = io::Result<UdpSocketOf<P>>> + Send + use<'_, P> {
        self.providers().bind_udp(addr)
    }

    /// The random provider (the world's seeded RNG in a simulation).
    pub fn random(&self) -> &P::Random {
        self.providers().random()
    }

    /// The storage provider: this process's disk in a simulation, its data
    /// directory in production.
    pub fn storage(&self) -> &P::Storage {
        self.providers().storage()
    }

    /// The address this process should listen on. In a simulation: the host's
    /// IP and port [`PROCESS_PORT`](crate::PROCESS_PORT).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The process's name, e.g. `server-2`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process's index within its group, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// How many times this process has booted: 1 on its first boot, then one
    /// more on each reboot. A process can put it in its replies so clients
    /// notice a reboot.
    pub fn incarnation(&self) -> u64 {
        self.incarnation
    }

    /// The shutdown signal: when requested, stop accepting, finish the
    /// requests already read, close connections, return from `run`.
    pub fn shutdown(&self) -> &Shutdown {
        &self.shutdown
    }

    /// The addresses of the processes of `group` (empty for an unknown group).
    pub fn peers(&self, group: &str) -> &[SocketAddr] {
        self.peers.get(group).map_or(&[], Vec::as_slice)
    }

    /// Every group with its processes' addresses.
    pub fn topology(&self) -> &BTreeMap<String, Vec<SocketAddr>> {
        &self.peers
    }

    /// The iteration's shared state, which invariants and workloads read; `None`
    /// outside a simulation.
    pub fn state(&self) -> Option<SharedState> {
        self.state
    }

    /// Changes the value under `key` in the shared state (see
    /// [`SharedState::update`]); does nothing outside a simulation (`change`
    /// does not run), so production code may publish freely.
    pub fn publish<T: std::any::Any + Default>(
        &self,
        key: impl KeyOf<T>,
        change: impl FnOnce(&mut T),
    ) {
        if let Some(state) = self.state {
            state.update::<T, ()>(key.key_name(), change);
        }
    }
}
