//! `JoinHandle`: a spawned task's output, from either provider.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::hooks::SimulatedTask;

/// A handle to a spawned task, from either provider: await it for the task's
/// output, or [`JoinHandle::abort`] it. Dropping it detaches the task.
///
/// # Examples
///
/// ```
/// use tidepool_core::providers::{JoinError, Providers, TokioProviders};
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// runtime.block_on(async {
///     let providers = TokioProviders::new();
///     let done = providers.spawn("adder", async { 40 + 2 });
///     assert_eq!(done.await, Ok(42));
///
///     let stuck = providers.spawn("stuck", std::future::pending::<()>());
///     stuck.abort();
///     assert!(matches!(stuck.await, Err(JoinError::Cancelled { .. })));
/// });
/// ```
#[derive(Debug)]
pub struct JoinHandle<T> {
    inner: Inner<T>,
}

#[derive(Debug)]
enum Inner<T> {
    Simulated(Box<dyn SimulatedTask<T>>),
    #[cfg(feature = "tokio")]
    Tokio(tokio::task::JoinHandle<T>),
}

impl<T> JoinHandle<T> {
    /// The handle of a task of a simulation, which the simulator built.
    #[doc(hidden)]
    pub fn simulated(task: Box<dyn SimulatedTask<T>>) -> JoinHandle<T> {
        JoinHandle {
            inner: Inner::Simulated(task),
        }
    }

    #[cfg(feature = "tokio")]
    pub(crate) fn tokio(handle: tokio::task::JoinHandle<T>) -> JoinHandle<T> {
        JoinHandle {
            inner: Inner::Tokio(handle),
        }
    }

    /// Stops the task; awaiting the handle then gives [`JoinError::Cancelled`].
    /// A task that already finished keeps its output.
    pub fn abort(&self) {
        match &self.inner {
            Inner::Simulated(task) => task.abort(),
            #[cfg(feature = "tokio")]
            Inner::Tokio(handle) => handle.abort(),
        }
    }
}

impl<T: Send + 'static> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().inner {
            Inner::Simulated(task) => task.poll_join(cx),
            #[cfg(feature = "tokio")]
            Inner::Tokio(handle) => Pin::new(handle).poll(cx).map(|result| {
                result.map_err(|error| {
                    let task = format!("{:?}", error.id());
                    if error.is_panic() {
                        let message = panic_message(&*error.into_panic());
                        JoinError::Panicked { task, message }
                    } else {
                        JoinError::Cancelled { task }
                    }
                })
            }),
        }
    }
}

/// Why a task gave no output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// The task panicked; the panic was caught and the world went on.
    #[error("task '{task}' panicked: {message}")]
    Panicked {
        /// The task's name (on tokio: its id).
        task: String,
        /// The panic message.
        message: String,
    },
    /// The task was aborted, or killed with its host.
    #[error("task '{task}' was cancelled before it finished")]
    Cancelled {
        /// The task's name (on tokio: its id).
        task: String,
    },
}

/// The message of a caught panic: its `&str` or `String` payload, or a
/// placeholder for any other payload.
#[doc(hidden)]
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_string()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}
