//! tidepool-core: what a production server links of tidepool.
//!
//! A server written for tidepool touches the world only through
//! [`providers`], so that the same code runs in a deterministic simulation and
//! in production. This crate holds that seam and nothing of the simulator:
//!
//! - [`providers`]: the [`Providers`](providers::Providers) traits (time,
//!   tasks, randomness, network, storage) and their tokio implementation,
//!   [`TokioProviders`](providers::TokioProviders) (feature `tokio`, on by
//!   default).
//! - [`Process`], [`ProcessContext`], [`Shutdown`]: the shape of a server, which
//!   a simulation boots and reboots and `main` runs in production.
//! - [`select!`] and [`select`](mod@select): racing futures with a first branch a
//!   simulation's seed decides.
//! - [`assert_always!`], [`assert_sometimes!`], [`assert_reachable!`],
//!   [`assert_unreachable!`] and [`buggify!`]: checks and fault injection
//!   written into the server, which cost nothing in production.
//! - [`time::Instant`], [`SharedState`] and [`StateKey`].
//!
//! # What a production server depends on, and why
//!
//! A production server depends on `tidepool-core` alone; the simulation of the
//! same server (a test, or a `sims/NAME` binary) depends on `tidepool`, which
//! re-exports everything here at its own paths (`tidepool::providers`,
//! `tidepool::Process`, `tidepool::assert_always!`, ...). `tidepool-core` needs
//! tokio, `linkme` (which registers the assertion and buggify sites) and
//! `thiserror`; the server so never compiles the simulator, clap, indicatif,
//! serde, serde_json or tracing-subscriber.
//!
//! # The `simulation` feature
//!
//! The `tidepool` crate turns on the feature `simulation`, through which it
//! reaches its simulated world from the macros, [`SharedState`] and
//! [`select!`]. Without it, `buggify!()` is the constant `false` and the
//! assertion macros only evaluate their condition: the decision is made when
//! this crate is compiled, in `#[inline(always)]` functions, so the optimizer
//! removes what they guard. With it, outside a simulation, each costs one check
//! of the installed hooks, and behaves the same.
//!
//! Cargo unifies features: a binary built in a workspace (or one `cargo build`)
//! where `tidepool` is also built gets a `tidepool-core` with `simulation` on.
//! That binary still behaves as in production (nothing fires or records outside
//! a simulation), but to get the constant-`false` build, build the server on its
//! own, e.g. `cargo build -p my-server --release`, or from a workspace whose
//! members do not depend on `tidepool`.
//!
//! # Examples
//!
//! A server's `main`, on tokio:
//!
//! ```no_run
//! use tidepool_core::providers::{Providers, TokioProviders};
//! use tidepool_core::{BoxError, Process, ProcessContext, Shutdown};
//!
//! struct Idle;
//!
//! impl Process for Idle {
//!     async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
//!         let _listener = ctx.bind(ctx.address()).await?;
//!         tidepool_core::assert_always!(!tidepool_core::buggify!(), "buggify is off in production");
//!         ctx.shutdown().requested().await;
//!         Ok(())
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), BoxError> {
//!     let providers = TokioProviders::new().with_data_dir("/var/lib/idle");
//!     let address = "0.0.0.0:4500".parse()?;
//!     let ctx = ProcessContext::new(providers, "idle-1", address, Shutdown::new());
//!     Idle.run(ctx).await
//! }
//! ```
#![warn(missing_docs, unreachable_pub)]

#[doc(hidden)]
pub mod __private;
pub mod assertions;
pub mod buggify;
#[doc(hidden)]
pub mod hooks;
mod process;
mod process_context;
pub mod providers;
mod restart;
pub mod select;
mod shared_state;
mod shutdown;
mod splitmix;
mod state_key;
pub mod time;

#[doc(inline)]
pub use crate::__buggify as buggify;
#[doc(inline)]
pub use crate::__select as select;
pub use process::{BoxError, PROCESS_PORT, Process};
pub use process_context::ProcessContext;
pub use restart::Restart;
pub use shared_state::SharedState;
pub use shutdown::{Requested, Shutdown};
pub use splitmix::splitmix64;
pub use state_key::{KeyOf, StateKey};
