//! `TallyNode`: one node of the counter, a `Process`. Node 0 of its group
//! is the primary; the others are its backups.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tidepool_core::providers::{Providers, TimeProvider};
use tidepool_core::{BoxError, Process, ProcessContext};
use tidepool_hyper::{Http2Channel, HttpServer};

use crate::pb::replica_client::ReplicaClient;
use crate::pb::{ApplyRequest, FetchReply, FetchRequest, State};
use crate::state::{newest, version};
use crate::{TallyBugs, http_api};

/// The group a tally's nodes are in: [`TallyNode`] finds its peers there.
pub const TALLY_GROUP: &str = "tally";
/// The index of the primary in its group: the first address of
/// [`TALLY_GROUP`] is the primary's.
pub const PRIMARY_INDEX: usize = 0;

/// How a node is set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TallyConfig {
    /// How long the primary waits for a backup to answer an `Apply` or a
    /// `Fetch`.
    pub call_timeout: Duration,
    /// How long a recovering primary waits before asking the backups again
    /// when none of them could tell it the count.
    pub recovery_retry: Duration,
    /// Planted bugs.
    pub bugs: TallyBugs,
}

impl Default for TallyConfig {
    /// A 300 ms call timeout, a 100 ms recovery retry, no bugs.
    fn default() -> TallyConfig {
        TallyConfig {
            call_timeout: Duration::from_millis(300),
            recovery_retry: Duration::from_millis(100),
            bugs: TallyBugs::default(),
        }
    }
}

/// A node of tally: it serves the HTTP API and the `tally.Replica` gRPC
/// service on one port ([`ProcessContext::address`]).
///
/// The primary takes every add: it sends its next state (the whole count,
/// with a version) to every backup and acknowledges the add once all of them
/// took it, so every acknowledged add is on every backup. It keeps nothing
/// on disk: when it boots it asks the backups for their states and starts
/// from the newest among those that have taken one since they booted. A
/// backup's first boot (incarnation 1) holds the initial state, a count of 0.
/// Reads are answered by the primary alone, from the last state every
/// backup took.
#[derive(Clone, Debug, Default)]
pub struct TallyNode {
    config: TallyConfig,
}

impl TallyNode {
    /// A node set up by `config`.
    pub fn new(config: TallyConfig) -> TallyNode {
        TallyNode { config }
    }
}

impl Process for TallyNode {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let group = ctx.peers(TALLY_GROUP);
        let primary = *group
            .get(PRIMARY_INDEX)
            .ok_or("tally has no primary: its group is empty")?;
        // By address, not `ctx.index()`: a production node knows its address
        // and its peers', and the first of them is the primary.
        let role = if ctx.address() == primary {
            let backups = group.iter().filter(|&&peer| peer != ctx.address());
            Role::Primary(Primary::new(ctx.providers(), backups))
        } else {
            // A first boot holds the initial state (count 0 at the oldest
            // version); a later one knows nothing until the primary sends
            // it a state. In production, pass a boot counter as the
            // incarnation (`ProcessContext::with_incarnation`).
            let first_boot = ctx.incarnation() == 1;
            Role::Backup {
                primary,
                held: Mutex::new(first_boot.then(State::default)),
            }
        };
        let node = Arc::new(Node {
            providers: ctx.providers().clone(),
            config: self.config,
            role,
        });
        let listener = ctx.bind(ctx.address()).await?;
        if let Role::Primary(_) = node.role {
            let recovering = Arc::clone(&node);
            let incarnation = ctx.incarnation();
            drop(ctx.spawn("tally-recovery", async move {
                recovering.recover(incarnation).await;
            }));
        }
        tracing::info!(
            index = ctx.index(),
            incarnation = ctx.incarnation(),
            "tally node up"
        );
        let router = http_api::router(Arc::clone(&node));
        let server = HttpServer::new(ctx.providers().clone());
        server.serve(listener, router, ctx.shutdown()).await?;
        Ok(())
    }
}

/// A node's shared state: what its HTTP and gRPC handlers reach.
#[derive(Debug)]
pub struct Node<P: Providers> {
    pub(crate) providers: P,
    pub(crate) config: TallyConfig,
    pub(crate) role: Role<P>,
}

/// What a node is.
#[derive(Debug)]
pub(crate) enum Role<P: Providers> {
    Primary(Primary<P>),
    Backup {
        /// The primary's address, for the clients it sends there.
        primary: SocketAddr,
        /// The newest state it took since it booted; `None` before the first.
        held: Mutex<Option<State>>,
    },
}

/// The primary's own state.
#[derive(Debug)]
pub(crate) struct Primary<P: Providers> {
    backups: Vec<ReplicaClient<Http2Channel<P, tonic::body::Body>>>,
    /// The last state every backup took; `None` while recovering.
    committed: Mutex<Option<State>>,
    /// The epoch of this incarnation's states, set by recovery.
    epoch: Mutex<u64>,
    /// One add at a time: each is sent to the backups, and decided, before
    /// the next one starts.
    writing: tokio::sync::Mutex<u64>,
}

/// Why an add was not acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The primary is still recovering its count.
    #[error("the primary is recovering its count; try again")]
    Recovering,
    /// The count would pass `u64::MAX`.
    #[error("the count would overflow")]
    Overflow,
    /// Some backups did not take the new count: it may or may not stand.
    #[error("only {took} of {backups} backups took the add; it may or may not stand")]
    NotReplicated {
        /// Backups that took it.
        took: usize,
        /// Backups there are.
        backups: usize,
    },
}

impl<P: Providers> Primary<P> {
    fn new<'a>(providers: &P, backups: impl Iterator<Item = &'a SocketAddr>) -> Primary<P> {
        let backups = backups
            .map(|&address| ReplicaClient::new(Http2Channel::new(providers.clone(), address)))
            .collect();
        Primary {
            backups,
            committed: Mutex::new(None),
            epoch: Mutex::new(0),
            writing: tokio::sync::Mutex::new(0),
        }
    }

    /// The committed count; `None` while recovering.
    pub(crate) fn committed(&self) -> Option<u64> {
        lock(&self.committed).map(|state| state.value)
    }
}

impl<P: Providers> Node<P> {
    /// The primary's add: the count after it, once every backup took it.
    pub(crate) async fn add(&self, primary: &Primary<P>, amount: u64) -> Result<u64, AddError> {
        let mut attempt = primary.writing.lock().await;
        let committed = (*lock(&primary.committed)).ok_or(AddError::Recovering)?;
        let value = committed
            .value
            .checked_add(amount)
            .ok_or(AddError::Overflow)?;
        *attempt += 1;
        let next = State {
            epoch: *lock(&primary.epoch),
            attempt: *attempt,
            value,
        };
        let took = self.replicate(primary, next).await;
        let backups = primary.backups.len();
        if took < backups {
            return Err(AddError::NotReplicated { took, backups });
        }
        *lock(&primary.committed) = Some(next);
        Ok(value)
    }

    /// Sends `state` to every backup at once; how many took it.
    async fn replicate(&self, primary: &Primary<P>, state: State) -> usize {
        let timeout = self.config.call_timeout;
        let calls: Vec<_> = primary
            .backups
            .iter()
            .map(|client| {
                let (mut client, time) = (client.clone(), self.providers.time().clone());
                self.providers.spawn("tally-apply", async move {
                    let request = ApplyRequest { state: Some(state) };
                    let reply = time.timeout(timeout, client.apply(request)).await;
                    matches!(reply, Ok(Ok(reply)) if reply.get_ref().accepted)
                })
            })
            .collect();
        let mut took = 0;
        for call in calls {
            took += usize::from(call.await.unwrap_or(false));
        }
        took
    }

    /// Asks the backups for their states until one that has taken a state
    /// since it booted answers; then starts from the newest such state, in
    /// an epoch newer than any it saw (and at least `incarnation`).
    async fn recover(&self, incarnation: u64) {
        let Role::Primary(primary) = &self.role else {
            return;
        };
        let _writing = primary.writing.lock().await;
        loop {
            let replies = self.fetch_all(primary).await;
            let recovered = replies.iter().filter(|reply| reply.recovered);
            let start = if self.config.bugs.skip_recovery {
                Some(State::default())
            } else {
                newest(recovered.filter_map(|reply| reply.state.as_ref()))
            };
            if let Some(start) = start {
                let seen = replies.iter().filter_map(|reply| reply.state.as_ref());
                let epoch_seen = seen.map(|state| state.epoch).max().unwrap_or(0);
                *lock(&primary.epoch) = (epoch_seen + 1).max(incarnation);
                *lock(&primary.committed) = Some(start);
                tracing::info!(value = start.value, version = ?version(&start), "recovered");
                return;
            }
            self.providers.sleep(self.config.recovery_retry).await;
        }
    }

    /// Every backup's answer to `Fetch` that came within the call timeout.
    async fn fetch_all(&self, primary: &Primary<P>) -> Vec<FetchReply> {
        let timeout = self.config.call_timeout;
        let calls: Vec<_> = primary
            .backups
            .iter()
            .map(|client| {
                let (mut client, time) = (client.clone(), self.providers.time().clone());
                self.providers.spawn("tally-fetch", async move {
                    let reply = time.timeout(timeout, client.fetch(FetchRequest {})).await;
                    match reply {
                        Ok(Ok(reply)) => Some(reply.into_inner()),
                        _ => None,
                    }
                })
            })
            .collect();
        let mut replies = Vec::new();
        for call in calls {
            replies.extend(call.await.ok().flatten());
        }
        replies
    }
}

/// Locks `mutex`; a poisoned one (a handler panicked holding it) still
/// holds a whole state, since every change is one assignment.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
