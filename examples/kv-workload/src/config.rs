//! `KvWorkloadConfig`: what a [`KvWorkload`](crate::KvWorkload) does, and
//! its defaults.

use std::ops::RangeInclusive;
use std::time::Duration;

use kv::Bugs;
use tidepool::WorkloadContext;

/// Default of [`KvWorkloadConfig::group`].
pub const SERVER_GROUP_DEFAULT: &str = "server";
/// Default of [`KvWorkloadConfig::clients`].
pub const CLIENTS_DEFAULT: usize = 4;
/// Default of [`KvWorkloadConfig::operations`].
pub const OPERATIONS_DEFAULT: u64 = 100;
/// Default of [`KvWorkloadConfig::keys`].
pub const KEYS_DEFAULT: usize = 4;
/// Default of [`KvWorkloadConfig::hot_keys`].
pub const HOT_KEYS_DEFAULT: usize = 2;
/// Default of [`KvWorkloadConfig::hot_percent`].
pub const HOT_PERCENT_DEFAULT: u64 = 50;
/// Default of [`KvWorkloadConfig::boundary_percent`].
pub const BOUNDARY_PERCENT_DEFAULT: u64 = 10;
/// Default of [`KvWorkloadConfig::over_limit_percent`].
pub const OVER_LIMIT_PERCENT_DEFAULT: u64 = 2;
/// Default of [`KvWorkloadConfig::pipeline_percent`].
pub const PIPELINE_PERCENT_DEFAULT: u64 = 30;
/// Default of [`KvWorkloadConfig::pipeline_depth_max`].
pub const PIPELINE_DEPTH_MAX_DEFAULT: usize = 4;
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
    /// Concurrent clients in one workload instance, each with its own
    /// connection to every server, all sharing the keys and one history.
    /// Default: [`CLIENTS_DEFAULT`].
    pub clients: usize,
    /// Operations each client performs. Default: [`OPERATIONS_DEFAULT`].
    pub operations: u64,
    /// Plain keys (`key-0`, `key-1`, ...), besides the boundary keys every
    /// key space has (see [`KvWorkload`](crate::KvWorkload)). Default:
    /// [`KEYS_DEFAULT`].
    pub keys: usize,
    /// Keys drawn more often than the others, the first of the key space
    /// (`k` and `kk`, prefixes of each other). Default: [`HOT_KEYS_DEFAULT`].
    pub hot_keys: usize,
    /// The percentage of operations on a hot key. Default: [`HOT_PERCENT_DEFAULT`].
    pub hot_percent: u64,
    /// The percentage of SETs whose value is a boundary value (empty, one
    /// byte, every byte value, and just under and at the protocol's value
    /// limit). Default: [`BOUNDARY_PERCENT_DEFAULT`].
    pub boundary_percent: u64,
    /// The percentage of operations sent past a limit of the protocol (a key
    /// one byte over it, or a SET of a value one byte over it), which the
    /// server must refuse, storing nothing. Default: [`OVER_LIMIT_PERCENT_DEFAULT`].
    pub over_limit_percent: u64,
    /// The percentage of turns in which a client pipelines several requests
    /// on its connection before reading the replies. Default:
    /// [`PIPELINE_PERCENT_DEFAULT`].
    pub pipeline_percent: u64,
    /// The most requests a client pipelines at once, at least 2 for any
    /// pipelining. Default: [`PIPELINE_DEPTH_MAX_DEFAULT`].
    pub pipeline_depth_max: usize,
    /// Random letters in an ordinary value, at most. Default: [`VALUE_LETTERS_MAX_DEFAULT`].
    pub value_letters_max: usize,
    /// How often each operation is drawn. Default: [`OperationWeights::default`].
    pub weights: OperationWeights,
    /// A random pause of up to this long follows every turn of a client.
    /// Default: [`PAUSE_MAX_DEFAULT`].
    pub pause_max: Duration,
    /// How long a request (or a pipeline) may take, connecting included.
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
    /// lurking once a request of the same client to the same server, sent
    /// this long after the failure, gets a reply: that request crossed the
    /// same link, so any byte of the lost write reached the server before
    /// it, and the server applied it at once, or never. The history then
    /// records the lost write as ambiguous, ended by that reply. `None`: a
    /// lost write may land at any later moment (indeterminate). Default: `None`.
    pub delivery_max: Option<Duration>,
    /// Planted client bugs, given to every [`KvClient`](kv::KvClient). Default: none.
    pub client_bugs: Bugs,
    /// Whether swarm testing may vary the workload's mix from seed to seed
    /// ([`WorkloadContext::swarm_knob`](tidepool::WorkloadContext::swarm_knob)):
    /// each of these knobs keeps the value above in half the seeds and is
    /// drawn from its range in the other half: `kv.keys` (1 to twice
    /// `keys`), `kv.hot_percent` (0 to `hot_percent`: hotter keys would grow
    /// a history past what the check searches), `kv.pipeline_percent` (0 to 90),
    /// `kv.value_letters_max` (a quarter to three times `value_letters_max`),
    /// `kv.get_weight` and `kv.set_weight` (1 to twice theirs),
    /// `kv.delete_weight` (0 to twice its). Without swarm testing
    /// (`--no-swarm`) the workload runs as configured either way.
    /// Default: true.
    pub swarm_knobs: bool,
}

impl Default for KvWorkloadConfig {
    fn default() -> KvWorkloadConfig {
        KvWorkloadConfig {
            group: SERVER_GROUP_DEFAULT.to_string(),
            clients: CLIENTS_DEFAULT,
            operations: OPERATIONS_DEFAULT,
            keys: KEYS_DEFAULT,
            hot_keys: HOT_KEYS_DEFAULT,
            hot_percent: HOT_PERCENT_DEFAULT,
            boundary_percent: BOUNDARY_PERCENT_DEFAULT,
            over_limit_percent: OVER_LIMIT_PERCENT_DEFAULT,
            pipeline_percent: PIPELINE_PERCENT_DEFAULT,
            pipeline_depth_max: PIPELINE_DEPTH_MAX_DEFAULT,
            value_letters_max: VALUE_LETTERS_MAX_DEFAULT,
            weights: OperationWeights::default(),
            pause_max: PAUSE_MAX_DEFAULT,
            request_timeout: WORKLOAD_REQUEST_TIMEOUT_DEFAULT,
            check_attempts_max: CHECK_ATTEMPTS_MAX_DEFAULT,
            check_retry_delay: CHECK_RETRY_DELAY_DEFAULT,
            delivery_max: None,
            client_bugs: Bugs::default(),
            swarm_knobs: true,
        }
    }
}

impl KvWorkloadConfig {
    /// The configuration this seed runs: this one, with the knobs of
    /// [`KvWorkloadConfig::swarm_knobs`] as swarm testing draws them.
    pub(crate) fn swarmed(&self, ctx: &WorkloadContext) -> KvWorkloadConfig {
        if !self.swarm_knobs {
            return self.clone();
        }
        let knob = |name: &str, default: u64, range: RangeInclusive<u64>| {
            ctx.swarm_knob(name, default, range)
        };
        let percent = |name: &str, default: u64| knob(name, default, 0..=default.clamp(90, 100));
        // Hotter keys than configured would grow a hot key's history past
        // what the linearizability check searches (a correct durable server
        // failed a seed with 90% of operations on two keys, and pipelining).
        let cooler = |name: &str, default: u64| knob(name, default, 0..=default);
        let twice = |name: &str, default: u64, low: u64| {
            knob(name, default, low.min(default)..=(default * 2).max(low))
        };
        let letters = self.value_letters_max as u64;
        let weights = OperationWeights {
            get: twice("kv.get_weight", self.weights.get, 1),
            set: twice("kv.set_weight", self.weights.set, 1),
            delete: twice("kv.delete_weight", self.weights.delete, 0),
        };
        KvWorkloadConfig {
            keys: twice("kv.keys", self.keys as u64, 1) as usize,
            hot_percent: cooler("kv.hot_percent", self.hot_percent),
            pipeline_percent: percent("kv.pipeline_percent", self.pipeline_percent),
            value_letters_max: knob(
                "kv.value_letters_max",
                letters,
                (letters / 4).max(1).min(letters)..=letters * 3,
            ) as usize,
            weights,
            ..self.clone()
        }
    }

    /// Why the configuration cannot run, if it cannot.
    pub(crate) fn problem(&self) -> Option<String> {
        let weights = self.weights;
        let percents = [
            ("hot_percent", self.hot_percent),
            ("boundary_percent", self.boundary_percent),
            ("over_limit_percent", self.over_limit_percent),
            ("pipeline_percent", self.pipeline_percent),
        ];
        if let Some((name, percent)) = percents.iter().find(|(_, percent)| *percent > 100) {
            return Some(format!("kv workload: {name} is {percent}, over 100"));
        }
        if weights.get + weights.set + weights.delete == 0 {
            return Some("kv workload: every operation weight is 0".to_string());
        }
        if self.clients == 0 {
            return Some("kv workload: clients is 0".to_string());
        }
        if self.pipeline_depth_max == 0 {
            return Some("kv workload: pipeline_depth_max is 0".to_string());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_that_cannot_run_says_why() {
        assert_eq!(KvWorkloadConfig::default().problem(), None);
        let problem = |config: KvWorkloadConfig| config.problem().unwrap_or_default();
        let over = KvWorkloadConfig {
            hot_percent: 101,
            ..KvWorkloadConfig::default()
        };
        assert_eq!(problem(over), "kv workload: hot_percent is 101, over 100");
        let silent = KvWorkloadConfig {
            weights: OperationWeights {
                get: 0,
                set: 0,
                delete: 0,
            },
            ..KvWorkloadConfig::default()
        };
        assert_eq!(problem(silent), "kv workload: every operation weight is 0");
        let nobody = KvWorkloadConfig {
            clients: 0,
            ..KvWorkloadConfig::default()
        };
        assert_eq!(problem(nobody), "kv workload: clients is 0");
        let shallow = KvWorkloadConfig {
            pipeline_depth_max: 0,
            ..KvWorkloadConfig::default()
        };
        assert_eq!(problem(shallow), "kv workload: pipeline_depth_max is 0");
    }
}
