//! `Shutdown`: the signal that asks a process to stop gracefully.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// A one-shot signal asking a process to stop: stop accepting, finish what it
/// has read, close its connections, return from `run`.
///
/// Works the same in a simulation and on tokio. Clones share the signal.
///
/// # Examples
///
/// ```
/// use tidepool::Shutdown;
///
/// let shutdown = Shutdown::new();
/// let watcher = shutdown.clone();
/// assert!(!watcher.is_requested());
/// shutdown.request();
/// assert!(watcher.is_requested());
/// ```
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    requested: AtomicBool,
    waiters: Mutex<Vec<Waker>>,
}

impl Shutdown {
    /// A signal not yet requested.
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Asks for shutdown and wakes every waiter. Idempotent.
    pub fn request(&self) {
        self.inner.requested.store(true, Ordering::SeqCst);
        let waiters = std::mem::take(
            &mut *self
                .inner
                .waiters
                .lock()
                .expect("shutdown waiters poisoned"),
        );
        waiters.into_iter().for_each(Waker::wake);
    }

    /// Whether shutdown was requested.
    pub fn is_requested(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }

    /// Waits until shutdown is requested.
    pub fn requested(&self) -> Requested {
        Requested {
            shutdown: self.clone(),
        }
    }
}

/// The future of [`Shutdown::requested`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Requested {
    shutdown: Shutdown,
}

impl Future for Requested {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.shutdown.is_requested() {
            return Poll::Ready(());
        }
        let mut waiters = self
            .shutdown
            .inner
            .waiters
            .lock()
            .expect("shutdown waiters poisoned");
        if self.shutdown.is_requested() {
            return Poll::Ready(());
        }
        if !waiters.iter().any(|waiter| waiter.will_wake(cx.waker())) {
            waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
