//! `KvWorkload`: concurrent clients drive KV servers over shared keys; every
//! operation goes into one history, checked for linearizability at the end.

use std::cell::RefCell;

use futures_util::future::join_all;
use kv::protocol::Request;
use tidepool::history::{Checker, Verdict};
use tidepool::{BoxError, Workload, WorkloadContext};

use crate::KvWorkloadConfig;
use crate::client::{Client, Planned, Setting, Shared};
use crate::key_space::KeySpace;
use crate::model::{Kind, KvModel, KvOp};

/// States the shrinking of a violation may explore: a tenth of the checker's
/// default, since a campaign of a planted bug shrinks a violation in every
/// seed, and a shrink cut short still shows operations that conflict.
const SHRINK_EXPLORED_MAX: u64 = tidepool::history::SHRINK_EXPLORED_MAX_DEFAULT / 10;
/// Steps the search of one partition (a server's store's key) may take: ten
/// times the checker's default. A hot key with many writes left without a
/// reply (a durable server whose disk stalls them) once took past the
/// default in one seed of 1,000 under swarm testing; an unknown verdict
/// fails the seed, so a correct server must not meet it.
const EXPLORED_MAX: u64 = tidepool::history::EXPLORED_MAX_DEFAULT * 10;

/// The tutorial's workload: concurrent clients send random GETs, SETs and
/// DELETEs to the servers of a group, over keys they share, and every
/// operation goes into one [`History`](tidepool::history::History), which
/// `check` reads back every key into and then checks for linearizability
/// with [`tidepool::history`], key by key, store by store. Add it once
/// (`.workload`, not `.workloads(n, ..)`: `setup` refuses a second
/// instance) and set [`KvWorkloadConfig::clients`].
///
/// What it draws, so that no part of the server is out of its reach:
///
/// - **Shared, hot keys**: every client draws from one key space, the first
///   keys often ([`KvWorkloadConfig::hot_percent`]), so clients race on a key
///   all the time.
/// - **Boundary keys and values**: the empty key, one-byte keys that prefix
///   each other, a binary key of every byte value at exactly the protocol's
///   key limit and one a byte shorter; empty, one-byte, binary values, and
///   values a byte under and at the value limit. A few requests go a byte
///   over a limit, and the model says the server must refuse them, storing
///   nothing.
/// - **Pipelining**: a turn may send several requests on one connection
///   before reading the replies ([`kv::KvClient::pipeline`]), matched in order.
/// - **Draining servers**: clients keep sending while a server shuts down
///   gracefully, and what it answers then is in the history like the rest.
///
/// The history is honest about faults. A request without a reply (timeout,
/// lost connection) may have taken effect, at any point after it was sent,
/// or never: it is recorded indeterminate; with
/// [`KvWorkloadConfig::delivery_max`] a later reply from the same server
/// bounds it (ambiguous). A reply saying the server could not reach its data
/// counts as no reply. Reboots are expressed by the partition: each
/// operation is checked in the store its reply names (an in-memory server's
/// store is new, and empty, at every boot; a durable one's lasts until its
/// disk is wiped), one without a reply in every store it may have reached.
///
/// Checks, with `assert_always!`: the history is linearizable (on a
/// violation the failure shows the minimal sub-history that has no
/// linearization); a reply with data names its store; a server's
/// incarnation never goes back; a read returns a value a client wrote; the
/// server refuses no valid request. Coverage, with `assert_sometimes!`:
/// reads of present and missing keys, a delete of a present key, a timeout, a
/// fault, a reboot and a lost store noticed, a pipeline answered in full,
/// two clients in flight on one key, a reply from a draining server, a
/// request over a limit refused.
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
///     .workload(|_| KvWorkload::new(KvWorkloadConfig { clients: 3, ..KvWorkloadConfig::default() }))
///     .attrition(Attrition::default())
///     .iterations(100)
///     .run()
///     .expect("a valid configuration");
/// assert!(report.is_success(), "{report}");
/// ```
#[derive(Debug)]
pub struct KvWorkload {
    config: KvWorkloadConfig,
    setting: Option<Setting>,
    clients: Vec<Client>,
    shared: RefCell<Shared>,
}

impl KvWorkload {
    /// A workload with `config`; its keys, clients and history are set up
    /// per iteration.
    pub fn new(config: KvWorkloadConfig) -> KvWorkload {
        KvWorkload {
            config,
            setting: None,
            clients: Vec::new(),
            shared: RefCell::default(),
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
        if let Some(problem) = self.config.problem() {
            return Err(problem.into());
        }
        if ctx.clients() > 1 {
            // Instances would share the keys but not the history, and each
            // would see the others' writes as values nobody wrote.
            let instances = ctx.clients();
            return Err(format!(
                "kv workload: {instances} instances; add one with `.workload` and set \
                 `KvWorkloadConfig::clients` instead, so that every client's operations go \
                 into one history"
            )
            .into());
        }
        let servers = ctx.processes(&self.config.group).to_vec();
        if servers.is_empty() {
            let group = &self.config.group;
            return Err(format!("kv workload: no process in group '{group}'").into());
        }
        // Under swarm testing, this seed's mix of the workload.
        let config = self.config.swarmed(ctx);
        let keys = KeySpace::new(config.keys, config.hot_keys);
        let setting = Setting {
            config,
            servers,
            keys,
        };
        self.clients = (0..self.config.clients as u64)
            .map(|id| Client::new(ctx, &setting, id))
            .collect();
        self.setting = Some(setting);
        self.shared = RefCell::default();
        Ok(())
    }

    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let setting = self
            .setting
            .as_ref()
            .ok_or("kv workload: run before setup")?;
        let shared = &self.shared;
        let clients = std::mem::take(&mut self.clients);
        let runs = clients.into_iter().map(|mut client| async move {
            for _ in 0..setting.config.operations {
                // A shrunk run may cap the operations (tidepool's --shrink).
                if !ctx.take_operation() {
                    break;
                }
                client.turn(ctx, setting, shared).await;
                let pause_ns = setting.config.pause_max.as_nanos() as u64;
                ctx.sleep(std::time::Duration::from_nanos(
                    ctx.random_below(pause_ns + 1),
                ))
                .await;
            }
            client
        });
        self.clients = join_all(runs).await;
        Ok(())
    }

    async fn check(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let setting = self
            .setting
            .as_ref()
            .ok_or("kv workload: check before setup")?;
        // The final reads come from a client of their own.
        let mut reader = Client::new(ctx, setting, self.clients.len() as u64);
        for server in 0..setting.servers.len() {
            for key in 0..setting.keys.keys().len() {
                read_back(ctx, setting, &self.shared, &mut reader, server, key).await?;
            }
        }
        let shared = self.shared.borrow();
        let history = shared.log.history()?;
        let model = KvModel {
            servers: &setting.servers,
            keys: setting.keys.keys(),
            values: &shared.values,
        };
        let verdict = Checker::new()
            .explored_max(EXPLORED_MAX)
            .shrink_explored_max(SHRINK_EXPLORED_MAX)
            .check(&model, &history);
        tracing::debug!(operations = shared.log.len(), %verdict, "linearizability check");
        tidepool::assert_always!(
            verdict.violation().is_none(),
            "the history is linearizable",
            verdict = %verdict
        );
        tidepool::assert_always!(
            !matches!(verdict, Verdict::Unknown { .. }),
            "the linearizability check reaches a verdict",
            verdict = %verdict
        );
        Ok(())
    }
}

/// Reads `key` back from `server`, retrying while the server is unreachable
/// or cannot reach its data; every attempt goes into the history.
async fn read_back(
    ctx: &WorkloadContext,
    setting: &Setting,
    shared: &RefCell<Shared>,
    reader: &mut Client,
    server: usize,
    key: usize,
) -> Result<(), BoxError> {
    let name = setting.keys.key(key).clone();
    for _ in 0..setting.config.check_attempts_max {
        let op = KvOp {
            server,
            store: 0,
            key,
            kind: Kind::Get,
            over_limit: false,
        };
        let request = Request::Get { key: name.clone() };
        let answered = reader
            .perform(ctx, setting, shared, vec![Planned { op, request }])
            .await;
        if answered == 1 && shared.borrow().log.last_answered_with_data() {
            return Ok(());
        }
        ctx.sleep(setting.config.check_retry_delay).await;
    }
    let address = setting.servers[server];
    let attempts = setting.config.check_attempts_max;
    Err(format!("kv workload: {address} gave no reply with data to a final GET {name:?} in {attempts} attempts").into())
}
