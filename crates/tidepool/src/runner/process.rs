//! `Process`: the system under test.

use std::collections::BTreeMap;
use std::error::Error;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use std::borrow::Cow;
use std::io;
use std::time::Duration;

use super::{KeyOf, SharedState, Shutdown};
use crate::providers::{JoinHandle, ListenerOf, Providers, SimProviders, StreamOf};
use crate::time::Instant;

/// The error type processes and workloads return: any error, boxed.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// The port a simulated process is told to listen on ([`ProcessContext::address`]).
pub const PROCESS_PORT: u16 = 4500;

/// The system under test: real server code, written against [`Providers`] so
/// that it runs unchanged in a simulation and in production.
///
/// The simulation builds a fresh instance with its factory on every boot and
/// every reboot, so whatever a process keeps in memory is lost when it reboots.
/// `run` serves until [`ProcessContext::shutdown`] is requested, then returns.
///
/// # Examples
///
/// A process that accepts connections and answers each byte with its double:
///
/// ```
/// use tidepool::providers::{Listener, Providers};
/// use tidepool::{BoxError, Process, ProcessContext};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// struct Doubler;
///
/// impl Process for Doubler {
///     async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
///         let listener = ctx.providers().bind(ctx.address()).await?;
///         loop {
///             let (mut stream, _) = tidepool::select! {
///                 accepted = listener.accept() => accepted?,
///                 () = ctx.shutdown().requested() => return Ok(()),
///             };
///             ctx.providers().spawn("doubler-conn", async move {
///                 let mut byte = [0u8; 1];
///                 while stream.read_exact(&mut byte).await.is_ok() {
///                     let _ = stream.write_all(&[byte[0].wrapping_mul(2)]).await;
///                 }
///             });
///         }
///     }
/// }
/// ```
#[allow(async_fn_in_trait)]
pub trait Process: 'static {
    /// Runs the process until shutdown is requested (or it fails).
    ///
    /// # Errors
    ///
    /// Any error ends this incarnation of the process; in a simulation it fails
    /// the iteration, naming the process.
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError>;
}

/// What a process knows of its world: its providers, address, name, peers, and
/// the shutdown signal.
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

    /// Waits for `duration` (see [`TimeProvider::sleep`](crate::providers::TimeProvider::sleep)).
    pub fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send + use<'_, P> {
        self.providers().sleep(duration)
    }

    /// Spawns a task on this process's host (see [`TaskProvider::spawn`](crate::providers::TaskProvider::spawn)); it
    /// dies with the process.
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
    /// IP and port [`PROCESS_PORT`].
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
    /// [`SharedState::update`]); does nothing outside a simulation, so
    /// production code may publish freely.
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

/// A process's one run, boxed for the simulation's executor.
pub(crate) type ProcessRun = Pin<Box<dyn Future<Output = Result<(), BoxError>>>>;

/// Builds and runs a fresh process instance.
pub(crate) type ProcessFactory =
    Arc<dyn Fn(ProcessContext<SimProviders>) -> ProcessRun + Send + Sync>;

pub(crate) fn erase<F, Pr>(factory: F) -> ProcessFactory
where
    F: Fn() -> Pr + Send + Sync + 'static,
    Pr: Process,
{
    Arc::new(move |ctx| {
        let mut process = factory();
        Box::pin(async move { process.run(ctx).await })
    })
}

pub(crate) fn sim_context(
    address: SocketAddr,
    name: String,
    index: usize,
    incarnation: u64,
    shutdown: Shutdown,
    peers: Arc<BTreeMap<String, Vec<SocketAddr>>>,
) -> ProcessContext<SimProviders> {
    ProcessContext {
        providers: SimProviders,
        address,
        name,
        index,
        incarnation,
        shutdown,
        peers,
        state: Some(SharedState),
    }
}
