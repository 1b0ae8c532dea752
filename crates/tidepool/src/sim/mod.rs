//! The deterministic world: executor, virtual clock, RNG, hosts, network and
//! disks and trace, one per run, on one thread.
//!
//! [`Sim::run`] builds a world from a seed and runs a future in it. Inside,
//! every source of nondeterminism is the world's: the executor polls ready tasks
//! in an order drawn from the seeded RNG, the clock jumps from event to event,
//! and the network draws its latencies and faults from the same RNG. The same
//! seed gives a bit-identical trace, summed up in [`SimRun::trace_hash`].
//!
//! Handles ([`JoinHandle`], [`HostId`], [`TcpStream`]) are small `Send` ids into
//! the thread's world, so two threads run two worlds without interfering.

/// Stops the run when an invariant of the engine does not hold: always on,
/// in every build. The check is inlined where the state changes; the panic,
/// cold and out of line, costs the hot path nothing but a branch.
macro_rules! invariant {
    ($holds:expr, $what:literal) => {
        if !$holds {
            $crate::sim::invariant_broken($what)
        }
    };
}

mod clock;
pub mod clock_skew;
mod context;
pub mod disk;
mod events;
mod host;
pub mod net;
mod random;
pub(crate) mod runtime;
mod seed;
mod task;
mod tasks;
mod timers;
mod trace;
mod waker;
pub(crate) mod world;

pub use clock::{Interval, Sleep, Timeout, interval, now, sleep, sleep_until, timeout};
pub use clock_skew::{WallClock, lookup_host, skew_clock, step_clock, system_time, wall_clock};
pub use context::in_simulation;
pub use disk::{StorageConfig, StorageConfigError};
pub use host::{
    HostId, add_host, current_host, host_ip, host_name, incarnation, is_alive, kill, revive,
};
pub use net::{Latency, NetworkConfig, NetworkConfigError, TcpListener, TcpStream};
pub use random::{random_below, random_bool, random_u64};
pub use runtime::{IDLE_STEPS_MAX_DEFAULT, Sim, SimError, SimRun, TaskPanic};
pub use seed::{derive_seed, splitmix64};
pub use task::{JoinHandle, spawn, spawn_on, yield_now};
pub use tidepool_core::providers::{Elapsed, JoinError};
pub use tidepool_core::select::{Either, Either3, first_branch, select, select_all, select3};
pub use trace::{TraceEvent, TraceKind, TraceNames};

pub(crate) use context::{try_with_world, with_world};

/// Panics for [`invariant!`]: the simulator's own state is wrong.
#[cold]
#[inline(never)]
#[track_caller]
pub(crate) fn invariant_broken(what: &'static str) -> ! {
    panic!("tidepool: an invariant of the simulator does not hold: {what}; this is a tidepool bug")
}
pub(crate) use host::log_stamp;
