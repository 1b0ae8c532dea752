//! `KvConfig`: the server's bounds and planted bugs.

use std::time::Duration;

use crate::{Bugs, DurableConfig};

/// Default of [`KvConfig::connections_max`].
pub const CONNECTIONS_MAX_DEFAULT: usize = 1024;

/// Default of [`KvConfig::keys_max`].
pub const KEYS_MAX_DEFAULT: usize = 100_000;

/// Default of [`KvConfig::stored_bytes_max`]: 64 MiB.
pub const STORED_BYTES_MAX_DEFAULT: usize = 64 * 1024 * 1024;

/// Default of [`KvConfig::idle_timeout`]: 30 seconds.
pub const IDLE_TIMEOUT_DEFAULT: Duration = Duration::from_secs(30);

/// Default of [`KvConfig::shutdown_grace`].
pub const SHUTDOWN_GRACE_DEFAULT: Duration = Duration::from_secs(5);

/// Default of [`KvConfig::accept_retry_delay`].
pub const ACCEPT_RETRY_DELAY_DEFAULT: Duration = Duration::from_millis(100);

/// How a [`KvServer`](crate::KvServer) behaves: its bounds, whether it keeps
/// its data on disk, and its planted bugs.
///
/// # Examples
///
/// ```
/// use kv::{KvConfig, KvServer};
///
/// let server = KvServer::new(KvConfig { keys_max: 10, ..KvConfig::default() });
/// assert_eq!(server.config().keys_max, 10);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvConfig {
    /// Connections served at once; one more gets an error reply saying the
    /// server has too many connections, and is closed. Default:
    /// [`CONNECTIONS_MAX_DEFAULT`].
    pub connections_max: usize,
    /// Keys stored at once; a SET of a new key beyond it gets an error reply.
    /// Default: [`KEYS_MAX_DEFAULT`].
    pub keys_max: usize,
    /// Bytes of keys and values stored at once; a SET that would take the
    /// store beyond it gets an error reply and stores nothing.
    /// Default: [`STORED_BYTES_MAX_DEFAULT`] (64 MiB).
    pub stored_bytes_max: usize,
    /// How long a connection may go without completing a request (from its
    /// accept, or from its last request) before the server closes it, so that
    /// idle or stalled peers cannot hold every one of the `connections_max`
    /// slots. Default: [`IDLE_TIMEOUT_DEFAULT`] (30 s).
    pub idle_timeout: Duration,
    /// How long a shutdown waits for connections to answer what they have read
    /// and close, before `run` returns anyway. Default: [`SHUTDOWN_GRACE_DEFAULT`].
    pub shutdown_grace: Duration,
    /// The pause after a failed accept, so that a persistent failure (out of
    /// file descriptors) does not spin. Default: [`ACCEPT_RETRY_DELAY_DEFAULT`].
    pub accept_retry_delay: Duration,
    /// Durable mode: `Some` keeps the data in a write-ahead log and snapshots
    /// under the storage provider's root, recovered at every boot; `None`
    /// keeps it in memory only, lost at every reboot. Default: `None`.
    pub durable: Option<DurableConfig>,
    /// Planted bugs. Default: none.
    pub bugs: Bugs,
}

impl Default for KvConfig {
    fn default() -> KvConfig {
        KvConfig {
            connections_max: CONNECTIONS_MAX_DEFAULT,
            keys_max: KEYS_MAX_DEFAULT,
            stored_bytes_max: STORED_BYTES_MAX_DEFAULT,
            idle_timeout: IDLE_TIMEOUT_DEFAULT,
            shutdown_grace: SHUTDOWN_GRACE_DEFAULT,
            accept_retry_delay: ACCEPT_RETRY_DELAY_DEFAULT,
            durable: None,
            bugs: Bugs::default(),
        }
    }
}
