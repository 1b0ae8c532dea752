//! `Restart`: the error a process returns to be restarted rather than failed.

use std::fmt;

/// Returned from [`Process::run`](crate::Process::run) (boxed as any error),
/// it asks to be restarted: the process exits as if killed (kill -9: its
/// memory is gone, its disk keeps what it wrote) and a fresh instance boots
/// after a short delay, as a supervisor such as systemd would restart a
/// server that exited with an error. Any other error fails the iteration.
///
/// This is how a server that can no longer trust its own state (a failed
/// `fsync`, a corrupt page, a broken invariant it can recover from) does what
/// real databases do: crash on purpose and recover from disk at the next boot.
///
/// # Examples
///
/// ```
/// use tidepool_core::{BoxError, Restart};
///
/// fn sync_failed(error: std::io::Error) -> BoxError {
///     Restart::new(format!("the log's fsync failed: {error}")).into()
/// }
/// let error = sync_failed(std::io::Error::other("EIO"));
/// assert!(error.downcast_ref::<Restart>().is_some());
/// assert_eq!(error.to_string(), "restart requested: the log's fsync failed: EIO");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restart {
    reason: String,
}

impl Restart {
    /// A restart request, for `reason`.
    pub fn new(reason: impl Into<String>) -> Restart {
        Restart {
            reason: reason.into(),
        }
    }

    /// Why the process asked to be restarted.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Restart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "restart requested: {}", self.reason)
    }
}

impl std::error::Error for Restart {}
