//! `KvWorkload`: drives KV servers with random operations and checks every
//! reply against a model of what each server may hold.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use tidepool::{BoxError, Workload, WorkloadContext};

use kv::{ClientError, KvClient, Reply};

use crate::KvWorkloadConfig;
use crate::checks::{Server, may_have_applied};

/// The tutorial's workload: random GETs, SETs and DELETEs against every
/// server of a group, each reply checked with `assert_always!` against a
/// model of that server, and every key read back from every server in `check`.
///
/// Each instance owns its keys (`c{client_id}-k{index}`), so instances never
/// race on a key and each keeps its own models, one per server: sound without
/// shared state. The model is honest about faults: a request without a reply
/// (or answered `Unavailable` by a durable server whose disk failed) may have
/// been applied, now or later, so it widens what a key may hold; a reply from
/// a new store means the server forgot everything. The same model serves
/// in-memory servers, whose store is new at every boot, and durable ones,
/// whose acknowledged writes must survive every death but a wipe.
///
/// Coverage, with `assert_sometimes!`: a read of a present key, a read of a
/// missing key, a delete of a present key, a request failed by a fault, a
/// request timed out, a reboot and a lost store noticed by a client.
///
/// # Examples
///
/// ```no_run
/// use kv::{KvConfig, KvServer};
/// use kv_workload::{KvWorkload, KvWorkloadConfig};
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
            .map(|&address| {
                let client = KvClient::new(ctx.providers(), address)
                    .with_timeout(self.config.request_timeout)
                    .with_bugs(self.config.client_bugs);
                Server::new(address, client, self.config.keys)
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
            ctx.sleep(pause).await;
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
        let sent_at = ctx.now();
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
        let lost = may_have_applied(&result);
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
            target.lurk(key, value, ctx.now());
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
            let sent_at = ctx.now();
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
                    let answer = format!("the server answered {:?}", reply.response);
                    if let Some(response) = target.take_reply(Ok(reply)) {
                        target.check_get(key, &response, true);
                        target.settle_lurking(sent_at, self.config.delivery_max);
                        return Ok(());
                    }
                    // Unavailable: the server cannot reach its data yet.
                    last_error = Some(answer);
                }
                Err(error) => last_error = Some(error.to_string()),
            }
            ctx.sleep(self.config.check_retry_delay).await;
        }
        let address = self.servers[server].address;
        let attempts = self.config.check_attempts_max;
        let why = last_error.unwrap_or_else(|| "no attempt".to_string());
        Err(format!("kv workload: {address} gave no reply to a final GET {name:?} in {attempts} attempts: {why}").into())
    }

    /// A value never written before by this instance: its client id, its
    /// operation count, and random letters (see [`is_written_value`]).
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
            store_id = reply.store_id,
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

/// Whether `value` has the shape of a value some instance wrote:
/// `c{client id}-{operation count}-{lowercase letters}`. A torn write, or bytes
/// read from the wrong place, almost never has it.
pub(super) fn is_written_value(value: &[u8]) -> bool {
    let Some(rest) = value.strip_prefix(b"c") else {
        return false;
    };
    let mut fields = rest.splitn(3, |&byte| byte == b'-');
    let (Some(client), Some(count), Some(letters)) = (fields.next(), fields.next(), fields.next())
    else {
        return false;
    };
    let number = |field: &[u8]| !field.is_empty() && field.iter().all(u8::is_ascii_digit);
    number(client) && number(count) && letters.iter().all(u8::is_ascii_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_values_have_their_shape_and_torn_ones_do_not() {
        assert!(is_written_value(b"c0-17-"));
        assert!(is_written_value(b"c12-3-abcxyz"));
        assert!(!is_written_value(b"c12-3-abc\0\0"), "a torn tail of zeros");
        assert!(!is_written_value(b"c-3-abc"));
        assert!(!is_written_value(b"c1--abc"));
        assert!(!is_written_value(b"c1-3"));
        assert!(!is_written_value(b""));
        assert!(!is_written_value(b"x1-3-abc"));
    }
}
