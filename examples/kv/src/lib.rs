//! The key-value server of the tutorial: a [`tidepool_core::Process`] that keeps
//! keys in memory or, in durable mode, on disk; its client; and a real binary
//! that serves it on tokio.
//!
//! - [`KvServer`]: the server, configured by a [`KvConfig`] (bounds, durable
//!   mode with a [`DurableConfig`], and planted [`Bugs`] and [`DurableBugs`]
//!   for the simulations to catch).
//! - [`KvClient`]: get, set and delete over any [`tidepool_core::providers::Providers`].
//! - [`protocol`]: the length-framed binary protocol and its codecs.
//!
//! The same server code runs in a simulation (`SimProviders`) and in
//! production (`TokioProviders`): `cargo run -p kv -- serve --listen 127.0.0.1:7000`,
//! with `--data-dir DIR` for durable mode. This package depends on
//! `tidepool-core` alone, so the `kv` binary links none of the simulator; the
//! simulation's workload, which checks the server against a model, is the
//! `kv-workload` package.
#![warn(missing_docs, unreachable_pub)]

mod bound_address;
mod bugs;
mod client;
mod config;
mod connection;
mod durable;
mod host_cache;
mod memory;
pub mod protocol;
mod server;
mod store;

pub use bound_address::BoundAddress;
pub use bugs::Bugs;
pub use client::{ClientError, KvClient, PipelineReplies, REQUEST_TIMEOUT_DEFAULT};
pub use config::{
    ACCEPT_RETRY_DELAY_DEFAULT, CONNECTIONS_MAX_DEFAULT, IDLE_TIMEOUT_DEFAULT, KEYS_MAX_DEFAULT,
    KvConfig, SHUTDOWN_GRACE_DEFAULT, STORED_BYTES_MAX_DEFAULT,
};
pub use durable::{DurableBugs, DurableConfig, SNAPSHOT_RECORDS_DEFAULT};
pub use protocol::Reply;
pub use server::{INCARNATIONS_BOOTED, INCARNATIONS_DRAINING, KvServer};
