//! What the simulation tests of the KV server share: one server host, one
//! client host, and booting a server the way the runner does.

use std::net::{IpAddr, SocketAddr};

use kv::{KvConfig, KvServer};
use tidepool::providers::SimProviders;
use tidepool::sim::{self, HostId};
use tidepool::{BoxError, PROCESS_PORT, Process, ProcessContext, Shutdown};

pub const SERVER_IP: [u8; 4] = [10, 0, 0, 2];
pub const CLIENT_IP: [u8; 4] = [10, 0, 0, 3];
/// Seeds each simulation test runs.
pub const SEEDS: u64 = 8;

pub fn server_address() -> SocketAddr {
    SocketAddr::from((SERVER_IP, PROCESS_PORT))
}

/// Adds the server host and the client host, in that order.
pub fn hosts() -> (HostId, HostId) {
    let server = sim::add_host("server", IpAddr::from(SERVER_IP));
    let client = sim::add_host("client", IpAddr::from(CLIENT_IP));
    (server, client)
}

/// Boots a fresh server with `config` on `host`, as the runner does: a new
/// instance, told the host's incarnation.
pub fn boot_with(
    host: HostId,
    shutdown: &Shutdown,
    config: KvConfig,
) -> sim::JoinHandle<Result<(), BoxError>> {
    let ctx = ProcessContext::new(SimProviders, "server", server_address(), shutdown.clone())
        .with_incarnation(u64::from(sim::incarnation(host)));
    sim::spawn_on(host, "kv-server", async move {
        KvServer::new(config).run(ctx).await
    })
}
