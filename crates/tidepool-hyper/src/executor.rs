//! `ProvidersExecutor`: hyper's executor over a [`Providers`] bundle.

use std::future::Future;
use std::sync::Arc;

use tidepool_core::providers::Providers;

/// The name of the tasks hyper spawns (HTTP/2 streams and connections), as a
/// simulation's trace shows them.
pub const HYPER_TASK_NAME: &str = "hyper";

/// A [`hyper::rt::Executor`] that spawns through the providers'
/// [`TaskProvider`](tidepool_core::providers::TaskProvider): in a simulation
/// the tasks belong to the host and die with it; on tokio they are
/// `tokio::spawn`ed tasks.
///
/// HTTP/2 (and so tonic) needs one: it runs each stream and the connection
/// in tasks of their own.
///
/// # Examples
///
/// ```
/// use hyper::rt::Executor;
/// use tidepool_core::providers::TokioProviders;
/// use tidepool_hyper::ProvidersExecutor;
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// runtime.block_on(async {
///     let (sender, receiver) = tokio::sync::oneshot::channel();
///     let executor = ProvidersExecutor::new(TokioProviders::new());
///     executor.execute(async move { sender.send(42).unwrap() });
///     assert_eq!(receiver.await, Ok(42));
/// });
/// ```
#[derive(Debug)]
pub struct ProvidersExecutor<P> {
    // An `Arc` keeps the executor `Unpin` (hyper's HTTP/2 client asks for it)
    // whatever `P` is.
    providers: Arc<P>,
}

impl<P> Clone for ProvidersExecutor<P> {
    fn clone(&self) -> Self {
        ProvidersExecutor {
            providers: Arc::clone(&self.providers),
        }
    }
}

impl<P: Providers> ProvidersExecutor<P> {
    /// An executor that spawns with `providers`.
    pub fn new(providers: P) -> ProvidersExecutor<P> {
        ProvidersExecutor {
            providers: Arc::new(providers),
        }
    }

    /// The providers it spawns with.
    pub fn providers(&self) -> &P {
        &self.providers
    }
}

impl<P, F> hyper::rt::Executor<F> for ProvidersExecutor<P>
where
    P: Providers,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        // Detached: hyper keeps no handle, and the task ends with its stream
        // or connection (or its host).
        drop(self.providers.spawn(HYPER_TASK_NAME, future));
    }
}
