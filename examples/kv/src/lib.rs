//! The key-value server of the tutorial: a [`tidepool::Process`] that keeps
//! keys in memory or, in durable mode, on disk; its client; and a real binary
//! that serves it on tokio.
//!
//! - [`KvServer`]: the server, configured by a [`KvConfig`] (bounds, durable
//!   mode with a [`DurableConfig`], and planted [`Bugs`] and [`DurableBugs`]
//!   for the simulations to catch).
//! - [`KvClient`]: get, set and delete over any [`tidepool::providers::Providers`].
//! - [`protocol`]: the length-framed binary protocol and its codecs.
//! - [`KvWorkload`]: the simulation's workload, with a model of every server
//!   that is honest about requests lost to faults.
//!
//! The same server code runs in a simulation (`SimProviders`) and in
//! production (`TokioProviders`): `cargo run -p kv -- serve --listen 127.0.0.1:7000`,
//! with `--data-dir DIR` for durable mode.
#![warn(missing_docs, unreachable_pub)]

mod bound_address;
mod bugs;
mod client;
mod config;
mod connection;
mod durable;
mod host_cache;
mod memory;
mod model;
pub mod protocol;
mod server;
mod store;
mod workload;

pub use bound_address::BoundAddress;
pub use bugs::Bugs;
pub use client::{ClientError, KvClient, REQUEST_TIMEOUT_DEFAULT};
pub use config::{
    ACCEPT_RETRY_DELAY_DEFAULT, CONNECTIONS_MAX_DEFAULT, IDLE_TIMEOUT_DEFAULT, KEYS_MAX_DEFAULT,
    KvConfig, SHUTDOWN_GRACE_DEFAULT, STORED_BYTES_MAX_DEFAULT,
};
pub use durable::{DurableBugs, DurableConfig, SNAPSHOT_RECORDS_DEFAULT};
pub use protocol::Reply;
pub use server::{INCARNATIONS_BOOTED, KvServer};
pub use workload::{
    CHECK_ATTEMPTS_MAX_DEFAULT, CHECK_RETRY_DELAY_DEFAULT, INCARNATIONS_SEEN, KEYS_DEFAULT,
    KvWorkload, KvWorkloadConfig, OPERATIONS_DEFAULT, OperationWeights, PAUSE_MAX_DEFAULT,
    SERVER_GROUP_DEFAULT, VALUE_LETTERS_MAX_DEFAULT, WORKLOAD_REQUEST_TIMEOUT_DEFAULT,
};
