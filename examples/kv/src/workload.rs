//! `KvWorkload`: drives KV servers with random operations and checks every
//! reply against a model of what each server may hold.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use tidepool::providers::{Providers, SimProviders};
use tidepool::time::Instant;
use tidepool::{BoxError, Workload, WorkloadContext};

use crate::model::{Incarnation, ServerModel, Value};
use crate::protocol::Response;
use crate::{Bugs, ClientError, KvClient, Reply};

/// Shared-state key under which workloads publish the highest incarnation
/// they have seen of each server (a `BTreeMap<SocketAddr, u64>`).
pub const INCARNATIONS_SEEN: &str = "kv.incarnations.seen";

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

/// The relative weights of the operations a [`KvWorkload`] draws.
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

/// What a [`KvWorkload`] does.
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
    /// Planted client bugs, given to every [`KvClient`]. Default: none.
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

/// The tutorial's workload: random GETs, SETs and DELETEs against every
/// server of a group, each reply checked with `assert_always!` against a
/// model of that server, and every key read back from every server in `check`.
///
/// Each instance owns its keys (`c{client_id}-k{index}`), so instances never
/// race on a key and each keeps its own models, one per server: sound without
/// shared state. The model is honest about faults: a request without a reply
/// may have been applied, now or later, so it widens what a key may hold; a
/// reply from a new incarnation means the server rebooted and forgot.
///
/// Coverage, with `assert_sometimes!`: a read of a present key, a read of a
/// missing key, a delete of a present key, a request failed by a fault, a
/// reboot noticed by a client.
///
/// # Examples
///
/// ```no_run
/// use kv::{KvConfig, KvServer, KvWorkload, KvWorkloadConfig};
/// use tidepool::{Attrition, SimulationBuilder};
///
/// let report = SimulationBuilder::new("kv")
///     .processes("server", 2, || KvServer::new(KvConfig::default()))
///     .workloads(3, |_| KvWorkload::new(KvWorkloadConfig::default()))
///     .attrition(Attrition::default())
///     .iterations(100)
///     .run()
///     .expect("a valid configuration");
/// assert!(report.is_success(), "{report}");
/// ```
#[derive(Debug)]
pub struct KvWorkload {
    config: KvWorkloadConfig,
    keys: Vec<Bytes>,
    servers: Vec<Server>,
    /// Operations performed, which makes every value written unique.
    performed: u64,
}

/// One server as one workload instance sees it.
#[derive(Debug)]
struct Server {
    address: SocketAddr,
    client: KvClient<SimProviders>,
    model: ServerModel,
    /// Writes without a reply that may still land, and when they failed
    /// (the latest, for a value written more than once).
    lurking_since: BTreeMap<(usize, Value), Instant>,
}

#[derive(Clone, Copy, Debug)]
enum Operation {
    Get,
    Set,
    Delete,
}

impl KvWorkload {
    /// A workload with `config`; its keys and servers are set up per iteration.
    pub fn new(config: KvWorkloadConfig) -> KvWorkload {
        KvWorkload {
            config,
            keys: Vec::new(),
            servers: Vec::new(),
            performed: 0,
        }
    }

    /// The workload's configuration.
    pub fn config(&self) -> &KvWorkloadConfig {
        &self.config
    }
}

impl Workload for KvWorkload {
    fn name(&self) -> &str {
        "kv"
    }

    async fn setup(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let weights = self.config.weights;
        if weights.get + weights.set + weights.delete == 0 {
            return Err("kv workload: every operation weight is 0".into());
        }
        if self.config.keys == 0 {
            return Err("kv workload: keys is 0".into());
        }
        let addresses = ctx.processes(&self.config.group);
        if addresses.is_empty() {
            let group = &self.config.group;
            return Err(format!("kv workload: no process in group '{group}'").into());
        }
        let client_id = ctx.client_id();
        self.keys = (0..self.config.keys)
            .map(|index| Bytes::from(format!("c{client_id}-k{index}")))
            .collect();
        self.servers = addresses
            .iter()
            .map(|&address| Server {
                address,
                client: KvClient::new(ctx.providers(), address)
                    .with_timeout(self.config.request_timeout)
                    .with_bugs(self.config.client_bugs),
                model: ServerModel::new(self.config.keys),
                lurking_since: BTreeMap::new(),
            })
            .collect();
        Ok(())
    }

    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        for _ in 0..self.config.operations {
            let server = ctx.random_below(self.servers.len() as u64) as usize;
            let key = ctx.random_below(self.keys.len() as u64) as usize;
            let operation = self.draw(ctx);
            self.perform(ctx, server, key, operation).await;
            let pause_ns = self.config.pause_max.as_nanos() as u64;
            let pause = Duration::from_nanos(ctx.random_below(pause_ns + 1));
            ctx.providers().sleep(pause).await;
        }
        Ok(())
    }

    async fn check(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        for server in 0..self.servers.len() {
            for key in 0..self.keys.len() {
                self.read_back(ctx, server, key).await?;
            }
        }
        Ok(())
    }
}

impl KvWorkload {
    fn draw(&self, ctx: &WorkloadContext) -> Operation {
        let weights = self.config.weights;
        let total = weights.get + weights.set + weights.delete;
        let drawn = ctx.random_below(total);
        if drawn < weights.get {
            Operation::Get
        } else if drawn < weights.get + weights.set {
            Operation::Set
        } else {
            Operation::Delete
        }
    }

    async fn perform(&mut self, ctx: &WorkloadContext, server: usize, key: usize, op: Operation) {
        self.performed += 1;
        let name = self.keys[key].clone();
        let value = matches!(op, Operation::Set).then(|| self.random_value(ctx));
        let delivery_max = self.config.delivery_max;
        let target = &mut self.servers[server];
        let sent_at = ctx.providers().now();
        let result = match &value {
            None if matches!(op, Operation::Get) => target.client.get(name.clone()).await,
            None => target.client.delete(name.clone()).await,
            Some(value) => target.client.set(name.clone(), value.clone()).await,
        };
        log_operation(
            ctx.client_id(),
            target.address,
            op,
            &name,
            value.as_ref(),
            &result,
        );
        let timed_out = matches!(result, Err(ClientError::Timeout { .. }));
        tidepool::assert_sometimes!(timed_out, "a request times out");
        let replied = result.is_ok();
        let lost = result.as_ref().is_err_and(ClientError::may_have_applied);
        match op {
            Operation::Get => {
                if let Some(response) = target.take_reply(result) {
                    target.check_get(key, &response, false);
                }
            }
            Operation::Set => target.on_set(key, value.clone().unwrap_or_default(), result),
            Operation::Delete => target.on_delete(key, result),
        }
        if lost && !matches!(op, Operation::Get) {
            target.lurk(key, value, ctx.providers().now());
        }
        if replied {
            target.settle_lurking(sent_at, delivery_max);
        }
    }

    /// Reads `key` back from `server`, retrying while the server is unreachable.
    async fn read_back(
        &mut self,
        ctx: &WorkloadContext,
        server: usize,
        key: usize,
    ) -> Result<(), BoxError> {
        let name = self.keys[key].clone();
        let mut last_error = None;
        for _ in 0..self.config.check_attempts_max {
            let sent_at = ctx.providers().now();
            let result = self.servers[server].client.get(name.clone()).await;
            let address = self.servers[server].address;
            log_operation(
                ctx.client_id(),
                address,
                Operation::Get,
                &name,
                None,
                &result,
            );
            match result {
                Ok(reply) => {
                    let target = &mut self.servers[server];
                    if let Some(response) = target.take_reply(Ok(reply)) {
                        target.check_get(key, &response, true);
                    }
                    target.settle_lurking(sent_at, self.config.delivery_max);
                    return Ok(());
                }
                Err(error) => last_error = Some(error),
            }
            ctx.providers().sleep(self.config.check_retry_delay).await;
        }
        let address = self.servers[server].address;
        let attempts = self.config.check_attempts_max;
        let why = last_error.map_or_else(|| "no attempt".to_string(), |error| error.to_string());
        Err(format!("kv workload: {address} gave no reply to a final GET {name:?} in {attempts} attempts: {why}").into())
    }

    /// A value never written before by this instance: its client id, its
    /// operation count, and random letters.
    fn random_value(&self, ctx: &WorkloadContext) -> Bytes {
        let letters = ctx.random_below(self.config.value_letters_max as u64 + 1) as usize;
        let mut value = format!("c{}-{}-", ctx.client_id(), self.performed).into_bytes();
        value.extend((0..letters).map(|_| b'a' + ctx.random_below(26) as u8));
        Bytes::from(value)
    }
}

/// One operation and its outcome, for `--seed` replays to read as a story.
fn log_operation(
    client: usize,
    server: SocketAddr,
    op: Operation,
    key: &Bytes,
    value: Option<&Bytes>,
    result: &Result<Reply, ClientError>,
) {
    match result {
        Ok(reply) => tracing::debug!(
            client,
            %server,
            ?op,
            ?key,
            ?value,
            incarnation = reply.incarnation,
            response = ?reply.response,
            "kv operation"
        ),
        Err(error) => tracing::debug!(
            client,
            %server,
            ?op,
            ?key,
            ?value,
            %error,
            may_have_applied = error.may_have_applied(),
            "kv operation failed"
        ),
    }
}

impl Server {
    /// Notes that a write of `value` (`None`: a DELETE) to `key` got no reply
    /// at `failed_at`, and may land later.
    fn lurk(&mut self, key: usize, value: Value, failed_at: Instant) {
        self.lurking_since.insert((key, value), failed_at);
    }

    /// A request sent at `sent_at` got a reply: writes that failed at least
    /// `delivery_max` before can no longer land (see
    /// [`KvWorkloadConfig::delivery_max`]).
    fn settle_lurking(&mut self, sent_at: Instant, delivery_max: Option<Duration>) {
        let Some(delivery_max) = delivery_max else {
            return;
        };
        let model = &mut self.model;
        self.lurking_since.retain(|(key, value), failed_at| {
            let settled = *failed_at + delivery_max <= sent_at;
            if settled {
                model.settle(*key, value.clone());
            }
            !settled
        });
    }

    /// Checks a reply's incarnation and that it is no refusal; `None` when
    /// there was no reply.
    fn take_reply(&mut self, result: Result<Reply, ClientError>) -> Option<Response> {
        tidepool::assert_sometimes!(result.is_err(), "a request failed by a fault");
        let reply = result.ok()?;
        let seen = self.model.observe(reply.incarnation);
        tidepool::assert_always!(
            seen != Incarnation::Older,
            "a server's incarnation never goes back",
            server = %self.address,
            incarnation = reply.incarnation
        );
        tidepool::assert_sometimes!(seen == Incarnation::Rebooted, "a client notices a reboot");
        if matches!(seen, Incarnation::First | Incarnation::Rebooted) {
            let (address, incarnation) = (self.address, reply.incarnation);
            tidepool::SharedState.update::<BTreeMap<SocketAddr, u64>, _>(
                INCARNATIONS_SEEN,
                |seen| {
                    let highest = seen.entry(address).or_default();
                    *highest = (*highest).max(incarnation);
                },
            );
        }
        tidepool::assert_always!(
            !matches!(reply.response, Response::Error(_)),
            "the server refuses no valid request",
            server = %self.address,
            response = reply.response
        );
        Some(reply.response)
    }

    fn check_get(&mut self, key: usize, response: &Response, final_read: bool) {
        tidepool::assert_always!(
            matches!(response, Response::Value(_) | Response::NotFound),
            "a GET is answered with a value or not found",
            server = %self.address,
            response = response
        );
        let got = match response {
            Response::Value(value) => Some(value.clone()),
            Response::NotFound => None,
            Response::Ok | Response::Error(_) => return,
        };
        tidepool::assert_sometimes!(got.is_some(), "a read finds a present key");
        tidepool::assert_sometimes!(got.is_none(), "a read finds a missing key");
        let possible = self.model.possible(key);
        let allowed = self.model.read(key, got.clone());
        if final_read {
            tidepool::assert_always!(
                allowed,
                "a final read matches the model",
                server = %self.address,
                key = key,
                got = got,
                possible = possible
            );
        } else {
            tidepool::assert_always!(
                allowed,
                "a read matches the model",
                server = %self.address,
                key = key,
                got = got,
                possible = possible
            );
        }
    }

    fn on_set(&mut self, key: usize, value: Bytes, result: Result<Reply, ClientError>) {
        let may_have_applied = result.as_ref().is_err_and(ClientError::may_have_applied);
        let Some(response) = self.take_reply(result) else {
            if may_have_applied {
                self.model.unknown_write(key, Some(value));
            }
            return;
        };
        tidepool::assert_always!(
            response == Response::Ok,
            "a SET is answered with Ok",
            server = %self.address,
            response = response
        );
        if response == Response::Ok {
            self.model.set(key, value);
        }
    }

    fn on_delete(&mut self, key: usize, result: Result<Reply, ClientError>) {
        let may_have_applied = result.as_ref().is_err_and(ClientError::may_have_applied);
        let Some(response) = self.take_reply(result) else {
            if may_have_applied {
                self.model.unknown_write(key, None);
            }
            return;
        };
        tidepool::assert_always!(
            matches!(response, Response::Ok | Response::NotFound),
            "a DELETE is answered with Ok or not found",
            server = %self.address,
            response = response
        );
        let was_present = match response {
            Response::Ok => true,
            Response::NotFound => false,
            Response::Value(_) | Response::Error(_) => return,
        };
        tidepool::assert_sometimes!(was_present, "a delete removes a present key");
        let possible = self.model.possible(key);
        let allowed = self.model.delete(key, was_present);
        tidepool::assert_always!(
            allowed,
            "a DELETE matches the model",
            server = %self.address,
            key = key,
            was_present = was_present,
            possible = possible
        );
    }
}
