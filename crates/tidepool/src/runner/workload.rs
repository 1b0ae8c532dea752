//! `Workload`: the test driver.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::pin::Pin;
use std::sync::Arc;

use std::borrow::Cow;
use std::io;
use std::time::Duration;

use super::{BoxError, SharedState};
use crate::providers::{JoinHandle, Providers, SimProviders, SimRandom, SimStorage};
use crate::sim::TcpStream;
use crate::time::Instant;

/// The test driver of a simulation: it drives the system, keeps a reference
/// model of what the system should hold, and asserts.
///
/// Phases: every workload's `setup` finishes before any `run` starts; all `run`s
/// go concurrently, with chaos beside them; `check` runs once the system is
/// quiet (faults healed, processes back up, in-flight messages drained).
///
/// # Examples
///
/// ```
/// use tidepool::{BoxError, Workload, WorkloadContext};
///
/// struct Pinger {
///     sent: u32,
/// }
///
/// impl Workload for Pinger {
///     fn name(&self) -> &str {
///         "pinger"
///     }
///
///     async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
///         for _ in 0..3 {
///             let _addresses = ctx.processes("server");
///             self.sent += 1;
///         }
///         Ok(())
///     }
///
///     async fn check(&mut self, _ctx: &WorkloadContext) -> Result<(), BoxError> {
///         if self.sent == 3 { Ok(()) } else { Err("lost pings".into()) }
///     }
/// }
/// ```
#[allow(async_fn_in_trait)]
pub trait Workload: 'static {
    /// The workload's name, used in task names and failures. Default: `"workload"`.
    fn name(&self) -> &str {
        "workload"
    }

    /// Prepares the system before any workload runs. Default: nothing.
    ///
    /// # Errors
    ///
    /// An error fails the iteration.
    async fn setup(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let _ = ctx;
        Ok(())
    }

    /// Drives the system while chaos runs beside it.
    ///
    /// # Errors
    ///
    /// An error fails the iteration.
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError>;

    /// Checks the system once it is quiet. Default: nothing.
    ///
    /// # Errors
    ///
    /// An error fails the iteration.
    async fn check(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let _ = ctx;
        Ok(())
    }
}

/// What a workload knows of its world.
#[derive(Clone, Debug)]
pub struct WorkloadContext {
    seed: u64,
    client_id: usize,
    clients: usize,
    address: std::net::IpAddr,
    topology: Arc<BTreeMap<String, Vec<SocketAddr>>>,
}

impl WorkloadContext {
    /// The simulated providers: time, tasks, randomness (the world's seeded RNG), network.
    pub fn providers(&self) -> SimProviders {
        SimProviders
    }

    /// Counts one operation of the workload and says whether it may run:
    /// `true` unless a shrunk run caps the run's operations (see
    /// [`crate::runner::shrink`]) and the cap is reached, in which case the
    /// workload should stop issuing operations. A workload that calls it
    /// before each operation lets shrinking cut its operations and lets a
    /// shrunk run's summary count them; one that does not is never capped.
    /// Counting changes nothing of the run.
    ///
    /// # Panics
    ///
    /// Outside a simulation.
    pub fn take_operation(&self) -> bool {
        super::shrink::take_operation()
    }

    /// The simulated time now.
    pub fn now(&self) -> Instant {
        crate::sim::now()
    }

    /// Waits for `duration` of simulated time.
    pub fn sleep(&self, duration: Duration) -> crate::sim::Sleep {
        crate::sim::sleep(duration)
    }

    /// Runs `future` for at most `duration` of simulated time; when the time
    /// runs out, `future` is dropped and the result is `Err(Elapsed)`.
    pub fn timeout<F: Future>(&self, duration: Duration, future: F) -> crate::sim::Timeout<F> {
        crate::sim::timeout(duration, future)
    }

    /// Spawns a task on the workload's host.
    #[track_caller]
    pub fn spawn<F>(&self, name: impl Into<Cow<'static, str>>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        SimProviders.spawn(name, future)
    }

    /// Opens a connection from the workload's host.
    pub async fn connect(&self, addr: SocketAddr) -> io::Result<TcpStream> {
        crate::sim::net::connect(addr).await
    }

    /// The world's seeded RNG.
    pub fn random(&self) -> SimRandom {
        SimRandom
    }

    /// The disk of the workload's own host.
    pub fn storage(&self) -> SimStorage {
        SimStorage
    }

    /// A parameter of the workload that swarm testing varies from seed to
    /// seed, as it varies the fault families: `default` without swarm
    /// testing (`--no-swarm`, and the builder's default); under swarm, in
    /// half the seeds ([`KNOB_VARIED_PROBABILITY`](crate::runner::KNOB_VARIED_PROBABILITY))
    /// a value drawn uniformly from `range` (both ends included), `default`
    /// in the others.
    ///
    /// Ask for the parameters a bug might hide behind: how often the
    /// workload pipelines, how long its values are, how its operations are
    /// mixed. The value comes from the seed and `name` alone, so a replay
    /// gets the same one; within a run, the first answer for `name` is the
    /// answer for every later request of it, from any workload instance,
    /// whatever default and range those give. A varied knob
    /// is named in the seed's replay log (`swarm knob NAME of seed ...`),
    /// and the report's swarm table counts the seeds that varied it and the
    /// failures among them.
    ///
    /// # Panics
    ///
    /// When `range` is empty (its start after its end).
    pub fn swarm_knob(&self, name: &str, default: u64, range: RangeInclusive<u64>) -> u64 {
        super::knobs::draw(name, default, range)
    }

    /// The seed of the iteration this workload runs in, as the report and
    /// `--seed` name it: for a generator of the workload's own that must
    /// draw what another tool draws from the same seed. Everything else
    /// draws from [`WorkloadContext::random`], which the seed already decides.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// This instance's index among the workloads of its factory, from 0.
    pub fn client_id(&self) -> usize {
        self.client_id
    }

    /// How many instances its factory made.
    pub fn clients(&self) -> usize {
        self.clients
    }

    /// The IP address of the workload's own host.
    pub fn ip(&self) -> std::net::IpAddr {
        self.address
    }

    /// The addresses of the processes of `group` (empty for an unknown group).
    pub fn processes(&self, group: &str) -> &[SocketAddr] {
        self.topology.get(group).map_or(&[], Vec::as_slice)
    }

    /// Every process group with its addresses.
    pub fn topology(&self) -> &BTreeMap<String, Vec<SocketAddr>> {
        &self.topology
    }

    /// The iteration's shared state, which invariants read.
    pub fn state(&self) -> SharedState {
        SharedState
    }

    /// A uniform draw from `0..n` from the world's RNG.
    ///
    /// # Panics
    ///
    /// When `n` is 0.
    pub fn random_below(&self, n: u64) -> u64 {
        crate::sim::random_below(n)
    }
}

pub(crate) fn workload_context(
    seed: u64,
    client_id: usize,
    clients: usize,
    address: std::net::IpAddr,
    topology: Arc<BTreeMap<String, Vec<SocketAddr>>>,
) -> WorkloadContext {
    WorkloadContext {
        seed,
        client_id,
        clients,
        address,
        topology,
    }
}

pub(crate) type PhaseFuture<'a> = Pin<Box<dyn Future<Output = Result<(), BoxError>> + 'a>>;

/// A workload with its phases boxed, for the runner.
pub(crate) trait DynWorkload {
    fn name(&self) -> String;
    fn phase<'a>(&'a mut self, phase: Phase, ctx: &'a WorkloadContext) -> PhaseFuture<'a>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Setup,
    Run,
    Check,
}

impl Phase {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Run => "run",
            Phase::Check => "check",
        }
    }
}

impl<W: Workload> DynWorkload for W {
    fn name(&self) -> String {
        Workload::name(self).to_string()
    }

    fn phase<'a>(&'a mut self, phase: Phase, ctx: &'a WorkloadContext) -> PhaseFuture<'a> {
        match phase {
            Phase::Setup => Box::pin(self.setup(ctx)),
            Phase::Run => Box::pin(self.run(ctx)),
            Phase::Check => Box::pin(self.check(ctx)),
        }
    }
}

/// Builds the workload of one client id.
pub(crate) type WorkloadFactory = Arc<dyn Fn(usize) -> Box<dyn DynWorkload> + Send + Sync>;
