//! The key-value server of the tutorial: a [`tidepool::Process`] that keeps
//! keys in memory, its client, and a real binary that serves it on tokio.
//!
//! - [`KvServer`]: the server, configured by a [`KvConfig`] (bounds, and
//!   planted [`Bugs`] for the simulation to catch).
//! - [`KvClient`]: get, set and delete over any [`tidepool::providers::Providers`].
//! - [`protocol`]: the length-framed binary protocol and its codecs.
//!
//! The same server code runs in a simulation (`SimProviders`) and in
//! production (`TokioProviders`): `cargo run -p kv -- serve --listen 127.0.0.1:7000`.
#![warn(missing_docs, unreachable_pub)]

mod bound_address;
mod bugs;
mod client;
mod config;
mod connection;
pub mod protocol;
mod server;
mod store;

pub use bound_address::BoundAddress;
pub use bugs::Bugs;
pub use client::{ClientError, KvClient, REQUEST_TIMEOUT_DEFAULT};
pub use config::{
    ACCEPT_RETRY_DELAY_DEFAULT, CONNECTIONS_MAX_DEFAULT, KEYS_MAX_DEFAULT, KvConfig,
    SHUTDOWN_GRACE_DEFAULT,
};
pub use server::KvServer;
