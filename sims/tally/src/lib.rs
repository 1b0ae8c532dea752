//! The tally simulation: the configuration behind `cargo xtask sim run tally`.
//!
//! Three [`TallyNode`]s (node 0 the primary, two backups) serve an axum HTTP
//! API to four clients and speak tonic gRPC to each other, all over the
//! simulated network through `tidepool-hyper`. During the chaos window the
//! network cuts reads and writes short, resets, clogs and partitions
//! connections, and any node may be rebooted (gracefully or by a crash).
//! Every add and read is recorded in one history, which must be
//! linearizable against a counter: [`Counter`].
//!
//! The simulation runs the sanitizer in `virtualize` mode: hyper's HTTP/1
//! server reads the wall clock on every poll of a connection (for a cached
//! `Date` it does not send here), and h2's stream store and axum's `Router`
//! key their maps with std `RandomState`s, which draw OS randomness once per
//! thread. No configuration avoids them, and none changes what a seed does
//! (the maps are looked up or iterated in insertion order); `virtualize`
//! answers them from the simulation instead of failing the seed.
//! `tidepool-hyper`'s `tests/hyper_simulation.rs` pins each by its site.
#![warn(missing_docs, unreachable_pub)]

pub mod clients;
pub mod model;

use std::time::Duration;

use tally::{TALLY_GROUP, TallyBugs, TallyConfig, TallyNode};
use tidepool::prelude::*;
use tidepool::sanitizer::SanitizerMode;
use tidepool::sim::NetworkConfig;

pub use clients::{Clients, ClientsConfig};
pub use model::{Counter, CounterOp};

/// Nodes of the counter: a primary and two backups.
pub const NODES: usize = 3;
/// Iterations of `cargo xtask sim run tally` when `--iterations` is not given.
pub const ITERATIONS_DEFAULT: u64 = 200;
/// How long faults run at most, from the start of the clients.
pub const CHAOS_DURATION: Duration = Duration::from_secs(10);

/// The tally simulation, with `bugs` planted in the nodes.
pub fn simulation(bugs: TallyBugs) -> SimulationBuilder {
    let node = TallyConfig {
        bugs,
        ..TallyConfig::default()
    };
    let clients = clients_config();
    SimulationBuilder::new("tally")
        .processes(TALLY_GROUP, NODES, move || TallyNode::new(node))
        .workload(move |_| Clients::new(clients.clone()))
        .network(NetworkConfig::default())
        .chaos_duration(CHAOS_DURATION)
        .attrition(attrition())
        .sanitizer(SanitizerMode::Virtualize)
        .iterations(ITERATIONS_DEFAULT)
}

/// Four clients of 40 operations each, a third of them reads; adds of 1 to
/// 5; a 1 s call timeout; pauses up to 50 ms.
pub fn clients_config() -> ClientsConfig {
    ClientsConfig {
        clients: 4,
        operations_per_client: 40,
        amount_max: 5,
        read_ratio: 0.33,
        call_timeout: Duration::from_secs(1),
        pause_max: Duration::from_millis(50),
        final_read_attempts_max: 50,
    }
}

/// One node down at a time, gracefully or by a crash (nothing is on disk,
/// so a power loss would be a crash), back within 0.2 to 1 s.
pub fn attrition() -> Attrition {
    Attrition {
        max_dead: 1,
        graceful: 1.0,
        crash: 1.0,
        power_loss: 0.0,
        interval: (Duration::from_millis(300), Duration::from_secs(2)),
        recovery_delay: (Duration::from_millis(200), Duration::from_secs(1)),
        ..Attrition::default()
    }
}
