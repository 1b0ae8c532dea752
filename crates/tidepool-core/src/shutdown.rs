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
/// use tidepool_core::Shutdown;
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
    waiters: Mutex<Waiters>,
}

/// The wakers of pending [`Requested`] futures, each in its own slot so that a
/// dropped future takes its waker away: a long-lived server whose connections
/// each wait for shutdown does not pile up wakers.
#[derive(Debug, Default)]
struct Waiters {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
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
        waiters.slots.into_iter().flatten().for_each(Waker::wake);
    }

    /// Whether shutdown was requested.
    pub fn is_requested(&self) -> bool {
        self.inner.requested.load(Ordering::SeqCst)
    }

    /// Waits until shutdown is requested.
    pub fn requested(&self) -> Requested<'_> {
        Requested {
            shutdown: self,
            slot: None,
        }
    }
}

/// The future of [`Shutdown::requested`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Requested<'a> {
    shutdown: &'a Shutdown,
    slot: Option<usize>,
}

impl Future for Requested<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
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
        match self.slot {
            Some(slot) => match &mut waiters.slots[slot] {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                entry => *entry = Some(cx.waker().clone()),
            },
            None => {
                let slot = match waiters.free.pop() {
                    Some(slot) => slot,
                    None => {
                        waiters.slots.push(None);
                        waiters.slots.len() - 1
                    }
                };
                waiters.slots[slot] = Some(cx.waker().clone());
                drop(waiters);
                self.slot = Some(slot);
            }
        }
        Poll::Pending
    }
}

impl Drop for Requested<'_> {
    fn drop(&mut self) {
        let Some(slot) = self.slot else {
            return;
        };
        let Ok(mut waiters) = self.shutdown.inner.waiters.lock() else {
            return;
        };
        // After a request the slots were taken whole; nothing to give back.
        if let Some(entry) = waiters.slots.get_mut(slot) {
            *entry = None;
            waiters.free.push(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn dropped_waiters_give_their_slot_back() {
        // A thousand waits that end without a request leave one slot, not a thousand.
        let shutdown = Shutdown::new();
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..1000 {
            let mut wait = std::pin::pin!(shutdown.requested());
            assert!(wait.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(shutdown.inner.waiters.lock().unwrap().slots.len(), 1);
        let mut wait = std::pin::pin!(shutdown.requested());
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        shutdown.request();
        assert!(wait.as_mut().poll(&mut cx).is_ready());
    }
}
