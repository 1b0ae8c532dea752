//! The simulated network: TCP between hosts, with its failures.
//!
//! Each connection is an ordered, reliable byte stream in each direction. Bytes
//! arrive after a latency drawn from [`NetworkConfig::latency`]; a bounded buffer
//! makes writers wait for readers; a graceful close gives the peer EOF after the
//! data in flight, a killed process gives it a reset. Faults (partial reads and
//! writes, resets, refused connections, clogs, partitions) fire at the rates of
//! the [`NetworkConfig`], each drawn from the world's RNG.

mod config;
mod handshake;
mod link_state;
mod links;
mod listener;
pub(crate) mod model;
mod stream;
mod transfer;
mod udp;

pub use config::{DeadHostConnect, Latency, NetworkConfig, NetworkConfigError};
pub use links::{
    clog, heal, heal_all, isolate, partition, partition_one_way, set_faults_active,
    set_link_latency, stats, unclog,
};
pub(crate) use links::{clog_host, unclog_host};
pub use listener::{TcpListener, bind, connect};
pub use model::NetStats;
pub use stream::TcpStream;
pub use udp::{RECEIVE_BUFFER_BYTES, UdpSocket, bind_udp};

pub(crate) use model::Net;

/// The fault code of a wall-clock step in the trace.
pub(crate) const CLOCK_STEP_FAULT: u64 = model::fault_code::CLOCK_STEP;

pub(crate) fn nanos(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
