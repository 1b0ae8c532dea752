//! `KvWorkloadConfig`: what a [`KvWorkload`](crate::KvWorkload) does, and
//! its defaults.

use std::time::Duration;

use kv::Bugs;

/// Default of [`KvWorkloadConfig::group`].
pub const SERVER_GROUP_DEFAULT: &str = "server";
/// Default of [`KvWorkloadConfig::operations`].
pub const OPERATIONS_DEFAULT: u64 = 100;
/// Default of [`KvWorkloadConfig::keys`].
pub const KEYS_DEFAULT: usize = 8;
/// Default of [`KvWorkloadConfig::value_letters_max`].
pub const VALUE_LETTERS_MAX_DEFAULT: usize = 16;
/// Default of [`KvWorkloadConfig::pause_max`].
pub const PAUSE_MAX_DEFAULT: Duration = Duration::from_millis(50);
/// Default of [`KvWorkloadConfig::request_timeout`].
pub const WORKLOAD_REQUEST_TIMEOUT_DEFAULT: Duration = Duration::from_secs(1);
/// Default of [`KvWorkloadConfig::check_attempts_max`].
pub const CHECK_ATTEMPTS_MAX_DEFAULT: u32 = 20;
/// Default of [`KvWorkloadConfig::check_retry_delay`].
pub const CHECK_RETRY_DELAY_DEFAULT: Duration = Duration::from_millis(250);

/// The relative weights of the operations a [`KvWorkload`](crate::KvWorkload) draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationWeights {
    /// GET. Default: 4.
    pub get: u64,
    /// SET. Default: 4.
    pub set: u64,
    /// DELETE. Default: 2.
    pub delete: u64,
}

impl Default for OperationWeights {
    fn default() -> OperationWeights {
        OperationWeights {
            get: 4,
            set: 4,
            delete: 2,
        }
    }
}

/// What a [`KvWorkload`](crate::KvWorkload) does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvWorkloadConfig {
    /// The process group of the servers. Default: [`SERVER_GROUP_DEFAULT`].
    pub group: String,
    /// Operations each workload instance performs. Default: [`OPERATIONS_DEFAULT`].
    pub operations: u64,
    /// Keys of each instance, so that operations keep hitting the same ones.
    /// Default: [`KEYS_DEFAULT`].
    pub keys: usize,
    /// Random letters in a value, at most. Default: [`VALUE_LETTERS_MAX_DEFAULT`].
    pub value_letters_max: usize,
    /// How often each operation is drawn. Default: [`OperationWeights::default`].
    pub weights: OperationWeights,
    /// A random pause of up to this long follows every operation.
    /// Default: [`PAUSE_MAX_DEFAULT`].
    pub pause_max: Duration,
    /// How long a request may take, connecting included.
    /// Default: [`WORKLOAD_REQUEST_TIMEOUT_DEFAULT`].
    pub request_timeout: Duration,
    /// Attempts of each final read in `check` before the server counts as
    /// unreachable. Default: [`CHECK_ATTEMPTS_MAX_DEFAULT`].
    pub check_attempts_max: u32,
    /// The pause between two attempts of a final read. Default: [`CHECK_RETRY_DELAY_DEFAULT`].
    pub check_retry_delay: Duration,
    /// The longest a message takes between a client and a server over a link
    /// that is not blocked: at least the network's longest latency (with any
    /// extra latency injected). With it, a write that got no reply stops
    /// lurking once a request sent this long after the failure gets a reply:
    /// that request crossed the same link, so any byte of the lost write has
    /// reached the server before it (a blocked link releases its stalled
    /// bytes when it opens), and the server applied it at once, or never.
    /// `None`: a lost write may land at any later moment. Default: `None`.
    pub delivery_max: Option<Duration>,
    /// Planted client bugs, given to every [`KvClient`](kv::KvClient). Default: none.
    pub client_bugs: Bugs,
}

impl Default for KvWorkloadConfig {
    fn default() -> KvWorkloadConfig {
        KvWorkloadConfig {
            group: SERVER_GROUP_DEFAULT.to_string(),
            operations: OPERATIONS_DEFAULT,
            keys: KEYS_DEFAULT,
            value_letters_max: VALUE_LETTERS_MAX_DEFAULT,
            weights: OperationWeights::default(),
            pause_max: PAUSE_MAX_DEFAULT,
            request_timeout: WORKLOAD_REQUEST_TIMEOUT_DEFAULT,
            check_attempts_max: CHECK_ATTEMPTS_MAX_DEFAULT,
            check_retry_delay: CHECK_RETRY_DELAY_DEFAULT,
            delivery_max: None,
            client_bugs: Bugs::default(),
        }
    }
}
