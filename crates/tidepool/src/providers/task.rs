//! The task provider: spawning, joining, aborting and yielding.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::sim::{self, JoinError};

/// Spawning tasks.
///
/// In a simulation a task belongs to the host that spawned it and dies with it;
/// on tokio it is a `tokio::spawn`ed task.
pub trait TaskProvider: Clone + Send + Sync + 'static {
    /// Spawns `future` as a task named `name`.
    fn spawn<F>(&self, name: impl Into<Cow<'static, str>>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Lets other tasks run before this one goes on.
    fn yield_now(&self) -> impl Future<Output = ()> + Send;
}

/// A handle to a spawned task, from either provider: await it for the task's
/// output, or [`JoinHandle::abort`] it. Dropping it detaches the task.
#[derive(Debug)]
pub struct JoinHandle<T> {
    inner: Inner<T>,
}

#[derive(Debug)]
enum Inner<T> {
    Sim(sim::JoinHandle<T>),
    #[cfg(feature = "tokio")]
    Tokio(tokio::task::JoinHandle<T>),
}

impl<T> JoinHandle<T> {
    pub(crate) fn sim(handle: sim::JoinHandle<T>) -> JoinHandle<T> {
        JoinHandle {
            inner: Inner::Sim(handle),
        }
    }

    #[cfg(feature = "tokio")]
    pub(crate) fn tokio(handle: tokio::task::JoinHandle<T>) -> JoinHandle<T> {
        JoinHandle {
            inner: Inner::Tokio(handle),
        }
    }

    /// Stops the task; awaiting the handle then gives [`JoinError::Cancelled`].
    pub fn abort(&self) {
        match &self.inner {
            Inner::Sim(handle) => handle.abort(),
            #[cfg(feature = "tokio")]
            Inner::Tokio(handle) => handle.abort(),
        }
    }
}

impl<T: Send + 'static> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().inner {
            Inner::Sim(handle) => Pin::new(handle).poll(cx),
            #[cfg(feature = "tokio")]
            Inner::Tokio(handle) => Pin::new(handle).poll(cx).map(|result| {
                result.map_err(|error| {
                    let task = format!("{:?}", error.id());
                    if error.is_panic() {
                        let message = crate::sim::world::panic_message(&*error.into_panic());
                        JoinError::Panicked { task, message }
                    } else {
                        JoinError::Cancelled { task }
                    }
                })
            }),
        }
    }
}
