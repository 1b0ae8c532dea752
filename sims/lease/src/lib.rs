//! The lease simulation: the configuration behind `cargo xtask sim run lease`.
//!
//! One [`LeaseServer`] grants a single lease for a time-to-live it measures on
//! its monotonic clock. Three [`LeaseClient`]s contend for it: each holds the
//! lease while it believes it valid, then asks again. The rule of a lease:
//! never two clients believing they hold it at once. Every host's wall clock
//! is skewed (an offset of up to 2 s and a drift from boot, steps during the
//! chaos window), which a correct client never looks at: it counts its lease
//! from its request, on its monotonic clock. `--bug trusts_wall_clock` plants
//! a client that times its lease by the server's wall-clock expiry, which only
//! skewed clocks expose (`tests/lease.rs` runs it with exact clocks too).
//! Liveness: within [`LIVENESS_BOUND`] of the faults healing, a newcomer
//! (a client outside the three) is granted the lease.
#![warn(missing_docs, unreachable_pub)]

pub mod bugs;
pub mod client;
pub mod server;

use std::time::Duration;

use tidepool::prelude::*;
use tidepool::sim::NetworkConfig;

pub use bugs::LeaseBugs;
pub use client::{BELIEFS, ClientConfig, LeaseClient};
pub use server::LeaseServer;

/// The lease server's group.
pub const LEASE_GROUP: &str = "lease";
/// Clients contending for the lease.
pub const CLIENTS: usize = 3;
/// Iterations of `cargo xtask sim run lease` when `--iterations` is not given.
pub const ITERATIONS_DEFAULT: u64 = 300;
/// How long clocks step, from the start of the clients.
pub const CHAOS_DURATION: Duration = Duration::from_secs(20);
/// How soon after the faults heal a newcomer must be granted the lease.
pub const LIVENESS_BOUND: Duration = Duration::from_secs(10);

/// The lease simulation, with `bugs` planted in the clients.
pub fn simulation(bugs: LeaseBugs) -> SimulationBuilder {
    let config = client_config(bugs);
    SimulationBuilder::new("lease")
        .processes(LEASE_GROUP, 1, LeaseServer::default)
        .workloads(CLIENTS, move |_| LeaseClient::new(config.clone()))
        .network(NetworkConfig {
            partial_read_probability: 0.2,
            partial_write_probability: 0.2,
            ..NetworkConfig::fault_free()
        })
        .clock_skew(ClockSkew::default())
        .chaos_duration(CHAOS_DURATION)
        .eventually(
            "a newcomer is granted the lease",
            LIVENESS_BOUND,
            client::newcomer_is_granted,
        )
        .iterations(ITERATIONS_DEFAULT)
}

/// The clients: 8 leases of 1 s each, believed 50 ms less than asked,
/// a 500 ms request timeout, pauses of up to 200 ms after `HELD`.
pub fn client_config(bugs: LeaseBugs) -> ClientConfig {
    ClientConfig {
        leases: 8,
        ttl: Duration::from_secs(1),
        margin: Duration::from_millis(50),
        request_timeout: Duration::from_millis(500),
        retry_max: Duration::from_millis(200),
        bugs,
    }
}
