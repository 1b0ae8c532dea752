//! The task provider: spawning and yielding.

use std::borrow::Cow;
use std::future::Future;

use super::JoinHandle;

/// Spawning tasks.
///
/// In a simulation a task belongs to the host that spawned it and dies with it;
/// on tokio it is a `tokio::spawn`ed task.
pub trait TaskProvider: Clone + Send + Sync + 'static {
    /// Spawns `future` as a task named `name`.
    ///
    /// A simulation shows the name in its trace and its panics; tokio does
    /// not keep it. A simulation also notes where the task was spawned (the
    /// caller's file and line), for a determinism check's divergence message.
    #[track_caller]
    fn spawn<F>(&self, name: impl Into<Cow<'static, str>>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Lets other tasks run before this one goes on.
    fn yield_now(&self) -> impl Future<Output = ()> + Send;
}
