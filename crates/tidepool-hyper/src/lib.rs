//! tidepool-hyper: hyper, axum and tonic over tidepool's providers.
//!
//! A server written against [`Providers`](tidepool_core::providers::Providers)
//! gets its connections from the providers: simulated ones in a simulation,
//! TCP sockets on tokio. Their streams are tokio `AsyncRead + AsyncWrite`,
//! which hyper reads through `hyper_util::rt::TokioIo`; this crate adds the
//! rest, so that the same axum router or tonic service runs in both:
//!
//! - [`ProvidersExecutor`]: hyper's executor (HTTP/2 needs one) over the
//!   providers' `spawn`, so hyper's tasks belong to the host that runs them.
//! - [`HttpServer`]: serves any tower service (an axum `Router`, a tonic
//!   server, or a router with a tonic server in it) on a providers' listener,
//!   HTTP/1.1 and HTTP/2 on one port, with a graceful shutdown.
//! - [`Http1Client`]: HTTP/1.1 requests, a connection each.
//! - [`Http2Channel`]: a shared HTTP/2 connection as a tower service, which a
//!   tonic client takes as its channel.
//!
//! It links only `tidepool-core`, hyper and hyper-util (no tonic, no axum):
//! what a production server links.
//!
//! # Determinism: what it changes in hyper, and what it cannot
//!
//! A simulation replays a seed only when nothing in it reads the real clock
//! or draws OS randomness; its sanitizer fails a seed that does (`--sanitizer
//! deny`, the default: see `docs/determinism.md`). [`HttpServer`] turns off
//! what configuration can: the `Date` header of every response, and any
//! hyper timer (the HTTP/1 header timeout and HTTP/2 keep-alive pings would
//! read `std::time::Instant`); timeouts belong to the providers' clock
//! instead (`TimeProvider::timeout`).
//!
//! What no setting turns off, as of hyper 1.12, h2 0.4 and axum 0.8 (pinned
//! by `tests/hyper_simulation.rs`):
//!
//! - hyper's HTTP/1 server refreshes its cached `Date` from the wall clock on
//!   every poll of a connection, whether or not it sends the header;
//! - h2 keys its stream store with a std `RandomState` (OS randomness, drawn
//!   once per thread), and reads `Instant` when it resets a stream;
//! - axum's `Router` keys its route maps with a `RandomState`.
//!
//! None of them changes what a seed does (the maps are looked up or iterated
//! in insertion order; the date is not sent), so a simulation of a hyper,
//! tonic or axum service runs its sanitizer in `virtualize`
//! (`SimulationBuilder::sanitizer(SanitizerMode::Virtualize)`), which answers
//! those calls from the simulation instead of failing the seed.
#![warn(missing_docs, unreachable_pub)]

mod error;
mod executor;
mod http1_client;
mod http2_channel;
mod server;

pub use error::ClientError;
pub use executor::{HYPER_TASK_NAME, ProvidersExecutor};
pub use http1_client::{CLIENT_CONNECTION_TASK_NAME, Http1Client};
pub use http2_channel::{CHANNEL_TASK_NAME, Http2Channel};
pub use server::{
    CONNECTION_TASK_NAME, CONNECTIONS_MAX_DEFAULT, HttpServer, SHUTDOWN_GRACE_DEFAULT,
};

/// Any error, boxed: what hyper and tower services return.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
