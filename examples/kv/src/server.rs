//! `KvServer`: the key-value server, a [`Process`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use std::time::Duration;

use futures_util::SinkExt;
use tidepool_core::providers::{Listener, NetworkProvider, Providers, TimeProvider};
use tidepool_core::{BoxError, Process, ProcessContext};
use tokio::sync::{Semaphore, watch};
use tokio_util::codec::Framed;

use crate::connection::Connection;
use crate::host_cache::HostCache;
use crate::protocol::{Reply, Response, ServerCodec, TOO_MANY_CONNECTIONS_PREFIX};
use crate::store::Store;
use crate::{BoundAddress, KvConfig};

/// Shared-state key under which every server publishes, at boot, its address
/// and incarnation (a `BTreeMap<SocketAddr, u64>`).
pub const INCARNATIONS_BOOTED: &str = "kv.incarnations.booted";

/// Shared-state key under which every server publishes, when its graceful
/// shutdown begins, its address and incarnation (a `BTreeMap<SocketAddr, u64>`):
/// a reply from that incarnation after it was sent while the server drained.
pub const INCARNATIONS_DRAINING: &str = "kv.incarnations.draining";

/// Connections refused at once with a reply saying why; past them, one more
/// is closed without a word, so that a flood costs no more than this.
const REFUSALS_MAX: usize = 16;

/// How long the reply refusing a connection may take to leave.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

type ListenerOf<P> = <<P as Providers>::Network as NetworkProvider>::TcpListener;
type StreamOf<P> = <<P as Providers>::Network as NetworkProvider>::TcpStream;

/// The key-value server: listens on [`ProcessContext::address`], serves each
/// connection on its own task, keeps its data in memory only or, with
/// [`KvConfig::durable`], in a write-ahead log and snapshots under the root of
/// its storage provider.
///
/// Build a fresh instance for every boot. Every reply carries
/// [`ProcessContext::incarnation`] and a store id, so clients can tell a
/// reboot and a lost store apart: in memory mode a reboot loses every key and
/// the store id is the incarnation; in durable mode an acknowledged write
/// survives crashes and power losses, and the store id changes only when the
/// data directory is lost.
///
/// On [`ProcessContext::shutdown`] it stops accepting, answers the requests
/// its connections have already read, closes them, and returns from `run`
/// (waiting at most [`KvConfig::shutdown_grace`] for them).
///
/// # Examples
///
/// Serving on tokio until asked to stop:
///
/// ```no_run
/// use kv::{KvConfig, KvServer};
/// use tidepool_core::providers::TokioProviders;
/// use tidepool_core::{Process, ProcessContext, Shutdown};
///
/// # async fn serve() -> Result<(), tidepool_core::BoxError> {
/// let shutdown = Shutdown::new();
/// let address = "127.0.0.1:7000".parse().unwrap();
/// let ctx = ProcessContext::new(TokioProviders::new(), "kv", address, shutdown.clone());
/// KvServer::new(KvConfig::default()).run(ctx).await
/// # }
/// ```
#[derive(Debug)]
pub struct KvServer {
    config: KvConfig,
    bound: watch::Sender<Option<SocketAddr>>,
    /// Whether the network has cut a connection of this instance off; read
    /// only by the planted bug `ignores_clients_after_reset`.
    cut_off: Arc<AtomicBool>,
}

impl KvServer {
    /// A server with `config`, not yet running.
    pub fn new(config: KvConfig) -> KvServer {
        KvServer {
            config,
            bound: watch::Sender::new(None),
            cut_off: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The server's configuration.
    pub fn config(&self) -> &KvConfig {
        &self.config
    }

    /// Where the server listens, once it has bound.
    pub fn bound_address(&self) -> BoundAddress {
        BoundAddress::new(self.bound.subscribe())
    }
}

impl Default for KvServer {
    /// A server with [`KvConfig::default`].
    fn default() -> KvServer {
        KvServer::new(KvConfig::default())
    }
}

impl Process for KvServer {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let listener = ctx.bind(ctx.address()).await?;
        let address = listener.local_addr()?;
        self.bound.send_replace(Some(address));
        tracing::info!(%address, incarnation = ctx.incarnation(), "kv server listening");
        // For the simulation's invariants; a no-op in production.
        ctx.publish::<BTreeMap<SocketAddr, u64>>(INCARNATIONS_BOOTED, |booted| {
            booted.insert(ctx.address(), ctx.incarnation());
        });
        let connections_max = self.config.connections_max.min(u32::MAX as usize);
        let connections = Arc::new(Semaphore::new(connections_max));
        let store = Store::open(&self.config, &ctx).await;
        self.accept_until_shutdown(&ctx, &listener, &connections, &store)
            .await;
        ctx.publish::<BTreeMap<SocketAddr, u64>>(INCARNATIONS_DRAINING, |draining| {
            draining.insert(ctx.address(), ctx.incarnation());
        });
        drop(listener);
        self.drain(&ctx, &connections, connections_max).await;
        tracing::info!(%address, "kv server stopped");
        Ok(())
    }
}

impl KvServer {
    async fn accept_until_shutdown<P: Providers>(
        &self,
        ctx: &ProcessContext<P>,
        listener: &ListenerOf<P>,
        connections: &Arc<Semaphore>,
        store: &Store<P>,
    ) {
        let refusals = Arc::new(Semaphore::new(REFUSALS_MAX));
        // Ends with the shutdown signal.
        loop {
            let accepted = tidepool_core::select! {
                accepted = listener.accept() => Some(accepted),
                () = ctx.shutdown().requested() => None,
            };
            match accepted {
                None => return,
                Some(Ok((stream, peer))) => {
                    let Ok(permit) = connections.clone().try_acquire_owned() else {
                        self.refuse(ctx, stream, peer, &refusals, store);
                        continue;
                    };
                    self.admit(ctx, stream, peer, permit, store);
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, "accept failed");
                    ctx.sleep(self.config.accept_retry_delay).await;
                }
            }
        }
    }

    /// Waits for every connection to close, at most the shutdown grace.
    async fn drain<P: Providers>(
        &self,
        ctx: &ProcessContext<P>,
        connections: &Semaphore,
        connections_max: usize,
    ) {
        let all = u32::try_from(connections_max).expect("connections_max is clamped to u32");
        let grace = self.config.shutdown_grace;
        let closed = ctx.timeout(grace, connections.acquire_many(all)).await;
        if closed.is_err() {
            let open = connections_max - connections.available_permits();
            tracing::warn!(open, ?grace, "shutdown grace ran out with connections open");
        }
    }

    /// The store as a connection sees it: under the planted bug
    /// `cache_survives_reboot`, reading through a cache in the host's memory
    /// (the simulation's shared state; none outside a simulation).
    fn connection_store<P: Providers>(
        &self,
        ctx: &ProcessContext<P>,
        store: &Store<P>,
    ) -> Store<P> {
        let store = store.clone();
        if !self.config.bugs.cache_survives_reboot {
            return store;
        }
        match ctx.state() {
            Some(state) => store.with_host_cache(HostCache::new(ctx.address(), state)),
            None => store,
        }
    }

    /// Tells a connection over [`KvConfig::connections_max`] why it is closed,
    /// in an error reply, on a task of its own; closes it at once when
    /// [`REFUSALS_MAX`] refusals are under way already.
    fn refuse<P: Providers>(
        &self,
        ctx: &ProcessContext<P>,
        stream: StreamOf<P>,
        peer: SocketAddr,
        refusals: &Arc<Semaphore>,
        store: &Store<P>,
    ) {
        let limit = self.config.connections_max;
        tracing::warn!(%peer, limit, "too many connections, refusing the new one");
        let Ok(refusal) = refusals.clone().try_acquire_owned() else {
            return;
        };
        let reply = Reply {
            incarnation: ctx.incarnation(),
            store_id: store.store_id(),
            response: Response::error(format!(
                "{TOO_MANY_CONNECTIONS_PREFIX}the server serves {limit} at once, try again later"
            )),
        };
        let providers = ctx.providers().clone();
        let _detached = ctx.spawn(format!("kv-refuse {peer}"), async move {
            let mut framed = Framed::new(stream, ServerCodec);
            let sent = async {
                framed.send(reply).await?;
                framed.close().await
            };
            let time = providers.time().clone();
            if let Ok(Err(error)) = time.timeout(REFUSAL_TIMEOUT, sent).await {
                tracing::debug!(%peer, %error, "could not send the refusal");
            }
            drop(refusal);
        });
    }

    /// Serves `stream` on a task of its own, holding `permit`, one of the
    /// [`KvConfig::connections_max`] slots.
    fn admit<P: Providers>(
        &self,
        ctx: &ProcessContext<P>,
        stream: StreamOf<P>,
        peer: SocketAddr,
        permit: tokio::sync::OwnedSemaphorePermit,
        store: &Store<P>,
    ) {
        let connection = Connection {
            store: self.connection_store(ctx, store),
            incarnation: ctx.incarnation(),
            idle_timeout: self.config.idle_timeout,
            shutdown: ctx.shutdown().clone(),
            peer,
            providers: ctx.providers().clone(),
        };
        let bug = self.config.bugs.ignores_clients_after_reset;
        let cut_off = self.cut_off.clone();
        let ignored = bug && cut_off.load(Ordering::Relaxed);
        let _detached = ctx.spawn(format!("kv-conn {peer}"), async move {
            if ignored {
                // The planted bug: held open, never read, until the shutdown.
                connection.shutdown.requested().await;
                drop(stream);
            } else if connection.serve(stream).await && bug {
                cut_off.store(true, Ordering::Relaxed);
            }
            drop(permit);
        });
    }
}
