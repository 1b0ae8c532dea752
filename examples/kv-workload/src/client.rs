//! `Client`: one of a workload's concurrent clients, its connections to
//! every server, and the checks of every reply it gets.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::Bytes;
use kv::protocol::{Reply, Request, Response, STORE_ID_UNKNOWN};
use kv::{ClientError, INCARNATIONS_BOOTED, INCARNATIONS_DRAINING, KvClient, PipelineReplies};
use tidepool::history::ClientId;
use tidepool::providers::SimProviders;
use tidepool::{SharedState, WorkloadContext};

use crate::KvWorkloadConfig;
use crate::key_space::KeySpace;
use crate::model::{Kind, KvOp, KvOut};
use crate::operation_log::OperationLog;
use crate::values::{BOUNDARY_VALUES, Values, boundary_value, over_limit_value};

/// Shared-state key under which workloads publish the highest incarnation
/// they have seen of each server (a `BTreeMap<SocketAddr, u64>`).
pub const INCARNATIONS_SEEN: &str = "kv.incarnations.seen";

/// What a workload's clients know alike and never change during a run.
#[derive(Debug)]
pub(crate) struct Setting {
    pub(crate) config: KvWorkloadConfig,
    pub(crate) servers: Vec<SocketAddr>,
    pub(crate) keys: KeySpace,
}

/// What a workload's clients write to alike: the log and the values.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub(crate) log: OperationLog,
    pub(crate) values: Values,
    /// The clients with a request in flight on each (server, key).
    in_flight: BTreeMap<(usize, usize), Vec<ClientId>>,
}

/// One request of a turn: the operation as the model sees it, and what goes
/// on the wire.
#[derive(Debug)]
pub(crate) struct Planned {
    pub(crate) op: KvOp,
    pub(crate) request: Request,
}

/// One client: a connection to every server, and what it has seen of each.
#[derive(Debug)]
pub(crate) struct Client {
    id: ClientId,
    connections: Vec<KvClient<SimProviders>>,
    /// The latest incarnation and store each server answered this client from.
    seen: Vec<Option<(u64, Option<u64>)>>,
    /// Operations drawn, which makes every ordinary value it writes unique.
    drawn: u64,
}

impl Client {
    /// Client `id` of `setting`'s servers, not yet connected.
    pub(crate) fn new(ctx: &WorkloadContext, setting: &Setting, id: u64) -> Client {
        let config = &setting.config;
        let connections = setting
            .servers
            .iter()
            .map(|&address| {
                KvClient::new(ctx.providers(), address)
                    .with_timeout(config.request_timeout)
                    .with_bugs(config.client_bugs)
                    .with_unchecked_requests(true)
            })
            .collect();
        Client {
            id: ClientId(id),
            connections,
            seen: vec![None; setting.servers.len()],
            drawn: 0,
        }
    }

    /// One turn: a request, or a pipeline of several, to one server.
    pub(crate) async fn turn(
        &mut self,
        ctx: &WorkloadContext,
        setting: &Setting,
        shared: &RefCell<Shared>,
    ) {
        let config = &setting.config;
        let server = ctx.random_below(setting.servers.len() as u64) as usize;
        let depth = if percent(ctx, config.pipeline_percent) && config.pipeline_depth_max > 1 {
            2 + ctx.random_below(config.pipeline_depth_max as u64 - 1) as usize
        } else {
            1
        };
        let planned: Vec<Planned> = (0..depth)
            .map(|_| self.plan(ctx, setting, server, &mut shared.borrow_mut().values))
            .collect();
        self.perform(ctx, setting, shared, planned).await;
    }

    /// Draws one request to `server`.
    fn plan(
        &mut self,
        ctx: &WorkloadContext,
        setting: &Setting,
        server: usize,
        values: &mut Values,
    ) -> Planned {
        let config = &setting.config;
        self.drawn += 1;
        let keys = &setting.keys;
        let mut key = if keys.hot() > 0 && percent(ctx, config.hot_percent) {
            ctx.random_below(keys.hot() as u64) as usize
        } else {
            ctx.random_below(keys.keys().len() as u64) as usize
        };
        let mut kind = draw_kind(ctx, config);
        let over_limit = percent(ctx, config.over_limit_percent);
        let value = matches!(kind, Kind::Set(_)).then(|| {
            if over_limit && ctx.random_below(2) == 0 {
                over_limit_value()
            } else if percent(ctx, config.boundary_percent) {
                boundary_value(
                    ctx.random_below(BOUNDARY_VALUES as u64) as usize,
                    self.drawn,
                )
            } else {
                self.ordinary_value(ctx, config)
            }
        });
        let over_limit_value = value
            .as_ref()
            .is_some_and(|value| value.len() > kv::protocol::VALUE_BYTES_MAX);
        if over_limit && !over_limit_value {
            key = keys.over_limit_index();
        }
        let name = keys.key(key).clone();
        let request = match &value {
            Some(value) => {
                kind = Kind::Set(values.write(value));
                Request::Set {
                    key: name,
                    value: value.clone(),
                }
            }
            None if kind == Kind::Get => Request::Get { key: name },
            None => Request::Delete { key: name },
        };
        let op = KvOp {
            server,
            store: 0,
            key,
            kind,
            over_limit,
        };
        Planned { op, request }
    }

    /// A value never written before by this client: its id, its draw count,
    /// and random letters.
    fn ordinary_value(&self, ctx: &WorkloadContext, config: &KvWorkloadConfig) -> Bytes {
        let letters = ctx.random_below(config.value_letters_max as u64 + 1) as usize;
        let mut value = format!("c{}-{}-", self.id, self.drawn).into_bytes();
        value.extend((0..letters).map(|_| b'a' + ctx.random_below(26) as u8));
        Bytes::from(value)
    }

    /// Sends `planned` (all to one server), one request alone or several
    /// pipelined, logging each and checking every reply. Returns how many
    /// got a reply.
    pub(crate) async fn perform(
        &mut self,
        ctx: &WorkloadContext,
        setting: &Setting,
        shared: &RefCell<Shared>,
        planned: Vec<Planned>,
    ) -> usize {
        let server = planned[0].op.server;
        let address = setting.servers[server];
        let sent_at = ctx.now();
        let indices: Vec<usize> = {
            let mut shared = shared.borrow_mut();
            let booted = latest_incarnation(INCARNATIONS_BOOTED, address);
            planned
                .iter()
                .map(|planned| shared.start(self.id, planned.op, booted, sent_at))
                .collect()
        };
        let depth = planned.len();
        let ops: Vec<KvOp> = planned.iter().map(|planned| planned.op).collect();
        let requests: Vec<Request> = planned.into_iter().map(|planned| planned.request).collect();
        // Cheap clones (the bytes are shared), for the log lines of replays.
        let sent = requests.clone();
        let PipelineReplies { replies, error } = self.send(server, requests).await;
        tidepool::assert_sometimes!(
            depth > 1 && error.is_none(),
            "a pipeline of several requests is answered in full"
        );
        let answered = replies.len();
        let mut shared = shared.borrow_mut();
        for (position, reply) in replies.into_iter().enumerate() {
            log_reply(self.id, address, &sent[position], &reply);
            self.take_reply(
                ctx,
                setting,
                &mut shared,
                indices[position],
                ops[position],
                reply,
            );
        }
        if let Some(error) = &error {
            for request in &sent[answered..] {
                log_failure(self.id, address, request, error);
            }
        }
        if let Some(error) = &error {
            self.take_failure(
                ctx,
                setting,
                &mut shared,
                &indices[answered..],
                &ops[answered..],
                error,
            );
        }
        if answered > 0 {
            if let Some(delivery_max) = setting.config.delivery_max {
                shared
                    .log
                    .settle(self.id, server, sent_at, ctx.now(), delivery_max);
            }
        }
        answered
    }

    async fn send(&mut self, server: usize, mut requests: Vec<Request>) -> PipelineReplies {
        let connection = &mut self.connections[server];
        if requests.len() > 1 {
            return connection.pipeline(requests).await;
        }
        // One request goes through `request`, where the planted client bugs live.
        let request = requests.pop().expect("a turn has a request");
        match connection.request(request).await {
            Ok(reply) => PipelineReplies {
                replies: vec![reply],
                error: None,
            },
            Err(error) => PipelineReplies {
                replies: Vec::new(),
                error: Some(error),
            },
        }
    }

    /// Checks a reply and logs it as the end of operation `index`.
    fn take_reply(
        &mut self,
        ctx: &WorkloadContext,
        setting: &Setting,
        shared: &mut Shared,
        index: usize,
        op: KvOp,
        reply: Reply,
    ) {
        let address = setting.servers[op.server];
        let store = (reply.store_id != STORE_ID_UNKNOWN).then_some(reply.store_id);
        // A refusal or an unavailable reply may come before the server knows
        // its store; an answer from the data never does.
        let data = matches!(
            reply.response,
            Response::Value(_) | Response::NotFound | Response::Ok
        );
        tidepool::assert_always!(
            store.is_some() || !data,
            "a reply with data names its store",
            server = %address,
            response = reply.response
        );
        self.observe(op.server, address, reply.incarnation, store);
        let draining = latest_incarnation(INCARNATIONS_DRAINING, address) == reply.incarnation;
        tidepool::assert_sometimes!(draining, "a reply comes from a draining server");
        let out = self.output(shared, &op, address, &reply.response);
        shared.finish(self.id, op);
        shared
            .log
            .replied(index, ctx.now(), reply.incarnation, store, out);
    }

    /// What the model compares with `response`; `None` when the server could
    /// not reach its data.
    fn output(
        &self,
        shared: &mut Shared,
        op: &KvOp,
        address: SocketAddr,
        response: &Response,
    ) -> Option<KvOut> {
        let out = match response {
            Response::Value(value) => {
                let (id, written) = shared.values.read(value);
                tidepool::assert_always!(
                    written,
                    "a read returns a value a client wrote",
                    server = %address,
                    key = op.key,
                    got = %ShownBytes(value)
                );
                KvOut::Value(id)
            }
            Response::NotFound => KvOut::NotFound,
            Response::Ok => KvOut::Ok,
            Response::Error(message) => {
                tidepool::assert_always!(
                    op.over_limit,
                    "the server refuses no valid request",
                    server = %address,
                    message = message
                );
                KvOut::Refused
            }
            Response::Unavailable(_) => return None,
        };
        tidepool::assert_sometimes!(
            op.over_limit && out == KvOut::Refused,
            "the server refuses a request over a limit"
        );
        let found = matches!(out, KvOut::Value(_));
        tidepool::assert_sometimes!(op.kind == Kind::Get && found, "a read finds a present key");
        tidepool::assert_sometimes!(
            op.kind == Kind::Get && out == KvOut::NotFound,
            "a read finds a missing key"
        );
        tidepool::assert_sometimes!(
            op.kind == Kind::Delete && out == KvOut::Ok,
            "a delete removes a present key"
        );
        Some(out)
    }

    /// Takes in a reply's incarnation and store: they never go back, and a
    /// change is a reboot or a lost store noticed.
    fn observe(
        &mut self,
        server: usize,
        address: SocketAddr,
        incarnation: u64,
        store: Option<u64>,
    ) {
        let previous = self.seen[server];
        let older = previous.is_some_and(|(known, _)| incarnation < known);
        tidepool::assert_always!(
            !older,
            "a server's incarnation never goes back",
            server = %address,
            incarnation = incarnation,
            previous = previous
        );
        let rebooted = previous.is_some_and(|(known, _)| incarnation > known);
        tidepool::assert_sometimes!(rebooted, "a client notices a reboot");
        let known_store = previous.and_then(|(_, store)| store);
        let store_lost = matches!((known_store, store), (Some(known), Some(new)) if known != new);
        tidepool::assert_sometimes!(store_lost, "a client notices a lost store");
        if older {
            return;
        }
        self.seen[server] = Some((incarnation, store.or(known_store)));
        if previous.is_none() || rebooted {
            SharedState.update::<BTreeMap<SocketAddr, u64>, _>(INCARNATIONS_SEEN, |seen| {
                let highest = seen.entry(address).or_default();
                *highest = (*highest).max(incarnation);
            });
        }
    }

    /// Logs the end of the operations that got no reply, for `error`.
    fn take_failure(
        &mut self,
        ctx: &WorkloadContext,
        setting: &Setting,
        shared: &mut Shared,
        indices: &[usize],
        ops: &[KvOp],
        error: &ClientError,
    ) {
        let timed_out = matches!(error, ClientError::Timeout { .. });
        tidepool::assert_sometimes!(timed_out, "a request times out");
        tidepool::assert_sometimes!(error.may_have_applied(), "a request failed by a fault");
        for (&index, &op) in indices.iter().zip(ops) {
            let address = setting.servers[op.server];
            shared.finish(self.id, op);
            if error.may_have_applied() {
                let booted = latest_incarnation(INCARNATIONS_BOOTED, address);
                shared.log.lost(index, ctx.now(), booted);
            } else {
                shared.log.not_sent(index);
            }
        }
    }
}

impl Shared {
    /// Logs that `client` invokes `op`, and notes it in flight on its key.
    fn start(
        &mut self,
        client: ClientId,
        op: KvOp,
        booted: u64,
        at: tidepool::time::Instant,
    ) -> usize {
        let racers = self.in_flight.entry((op.server, op.key)).or_default();
        let raced = racers.iter().any(|&other| other != client);
        tidepool::assert_sometimes!(
            raced,
            "two clients have requests on one key in flight at once"
        );
        racers.push(client);
        self.log.invoke(client, op, booted, at)
    }

    /// `client`'s request `op` is no longer in flight.
    fn finish(&mut self, client: ClientId, op: KvOp) {
        if let Some(racers) = self.in_flight.get_mut(&(op.server, op.key)) {
            if let Some(position) = racers.iter().position(|&racer| racer == client) {
                racers.swap_remove(position);
            }
        }
    }
}

/// Whether a draw of `percent` in 100 comes out.
fn percent(ctx: &WorkloadContext, percent: u64) -> bool {
    ctx.random_below(100) < percent
}

fn draw_kind(ctx: &WorkloadContext, config: &KvWorkloadConfig) -> Kind {
    let weights = config.weights;
    let drawn = ctx.random_below(weights.get + weights.set + weights.delete);
    if drawn < weights.get {
        Kind::Get
    } else if drawn < weights.get + weights.set {
        // The value is drawn by the caller.
        Kind::Set(crate::values::ValueId(0))
    } else {
        Kind::Delete
    }
}

/// The incarnation of `address` last published under `key`
/// ([`INCARNATIONS_BOOTED`] or [`INCARNATIONS_DRAINING`]); 0 when none was.
fn latest_incarnation(key: &'static str, address: SocketAddr) -> u64 {
    let published = SharedState.get::<BTreeMap<SocketAddr, u64>>(key);
    published
        .and_then(|map| map.get(&address).copied())
        .unwrap_or(0)
}

/// One request and its reply, for `--seed` replays to read as a story.
fn log_reply(client: ClientId, server: SocketAddr, request: &Request, reply: &Reply) {
    tracing::debug!(
        client = %client,
        %server,
        request = %Shown(request),
        incarnation = reply.incarnation,
        store_id = reply.store_id,
        response = %ShownResponse(&reply.response),
        "kv operation"
    );
}

/// One request that got no reply, and why.
fn log_failure(client: ClientId, server: SocketAddr, request: &Request, error: &ClientError) {
    tracing::debug!(
        client = %client,
        %server,
        request = %Shown(request),
        %error,
        may_have_applied = error.may_have_applied(),
        "kv operation failed"
    );
}

/// Bytes shown in a log line, at most: keys and values can be 64 KiB.
const SHOWN_BYTES: usize = 24;

/// `bytes` escaped and quoted, cut to [`SHOWN_BYTES`] with its length after.
struct ShownBytes<'a>(&'a [u8]);

impl std::fmt::Display for ShownBytes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = &self.0[..self.0.len().min(SHOWN_BYTES)];
        write!(f, "\"{}\"", shown.escape_ascii())?;
        if self.0.len() > SHOWN_BYTES {
            write!(f, "...({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

/// A request as a log line shows it: `SET "k" "c0-3-abc"`.
struct Shown<'a>(&'a Request);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = ShownBytes(self.0.key());
        match self.0 {
            Request::Get { .. } => write!(f, "GET {key}"),
            Request::Set { value, .. } => write!(f, "SET {key} {}", ShownBytes(value)),
            Request::Delete { .. } => write!(f, "DELETE {key}"),
        }
    }
}

/// A response as a log line shows it.
struct ShownResponse<'a>(&'a Response);

impl std::fmt::Display for ShownResponse<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Response::Value(value) => write!(f, "Value({})", ShownBytes(value)),
            response => write!(f, "{response:?}"),
        }
    }
}
