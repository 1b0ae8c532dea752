//! `Process`: the system under test.

use std::error::Error;

use crate::ProcessContext;
use crate::providers::Providers;

/// The error type processes and workloads return: any error, boxed.
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// The port a simulated process is told to listen on ([`ProcessContext::address`]).
///
/// A production server chooses its own address and passes it to
/// [`ProcessContext::new`].
pub const PROCESS_PORT: u16 = 4500;

/// The system under test: real server code, written against [`Providers`] so
/// that it runs unchanged in a simulation and in production.
///
/// The simulation builds a fresh instance with its factory on every boot and
/// every reboot, so whatever a process keeps in memory is lost when it reboots.
/// `run` serves until [`ProcessContext::shutdown`] is requested, then returns.
///
/// # Examples
///
/// A process that accepts connections and answers each byte with its double:
///
/// ```
/// use tidepool_core::providers::{Listener, Providers};
/// use tidepool_core::{BoxError, Process, ProcessContext};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// struct Doubler;
///
/// impl Process for Doubler {
///     async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
///         let listener = ctx.providers().bind(ctx.address()).await?;
///         loop {
///             let (mut stream, _) = tidepool_core::select! {
///                 accepted = listener.accept() => accepted?,
///                 () = ctx.shutdown().requested() => return Ok(()),
///             };
///             ctx.providers().spawn("doubler-conn", async move {
///                 let mut byte = [0u8; 1];
///                 while stream.read_exact(&mut byte).await.is_ok() {
///                     let _ = stream.write_all(&[byte[0].wrapping_mul(2)]).await;
///                 }
///             });
///         }
///     }
/// }
/// ```
#[allow(async_fn_in_trait)]
pub trait Process: 'static {
    /// Runs the process until shutdown is requested (or it fails).
    ///
    /// # Errors
    ///
    /// Any error ends this incarnation of the process; in a simulation it fails
    /// the iteration, naming the process.
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError>;
}
