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
//! # What it changes in hyper, and why
//!
//! A simulation replays a seed only when nothing in it reads the real clock
//! or draws OS randomness (its sanitizer fails a seed that does: see
//! `docs/determinism.md`). hyper does both in a few places, each turned off
//! here: the `Date` header of every response (the wall clock), a timer for
//! the HTTP/1 header timeout and HTTP/2 keep-alive (`std::time::Instant`),
//! and the HTTP/2 client's memory of streams it reset (`Instant` again).
//! Timeouts belong to the providers' clock instead: wrap a call in
//! `TimeProvider::timeout`.
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
