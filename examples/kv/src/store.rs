//! `Store`: what a server's connections serve from: its keys in memory, and in
//! durable mode the log and snapshots every change goes through first.

use bytes::Bytes;
use tidepool_core::ProcessContext;
use tidepool_core::providers::Providers;

use crate::durable::DurableStore;
use crate::host_cache::HostCache;
use crate::memory::Memory;
use crate::protocol::{Request, Response};
use crate::{Bugs, KvConfig};

/// The store of one server incarnation, shared by its connection tasks.
///
/// In memory mode it is a fresh, empty map at every boot, and its store id is
/// the incarnation: every reboot loses the data. In durable mode it is
/// recovered from the storage provider at boot, and its store id is the one
/// kept in the data directory.
pub(crate) struct Store<P: Providers> {
    memory: Memory,
    durable: Option<DurableStore<P>>,
    incarnation: u64,
}

impl<P: Providers> Clone for Store<P> {
    fn clone(&self) -> Store<P> {
        Store {
            memory: self.memory.clone(),
            durable: self.durable.clone(),
            incarnation: self.incarnation,
        }
    }
}

impl<P: Providers> Store<P> {
    /// The store `config` asks for: in memory, or recovered from the storage
    /// root of `ctx`'s providers.
    pub(crate) async fn open(config: &KvConfig, ctx: &ProcessContext<P>) -> Store<P> {
        let memory = Memory::new(config);
        let durable = match &config.durable {
            Some(durable) => {
                let providers = ctx.providers().clone();
                let memory = memory.clone();
                Some(DurableStore::open(providers, memory, config, durable).await)
            }
            None => None,
        };
        Store {
            memory,
            durable,
            incarnation: ctx.incarnation(),
        }
    }

    /// The same store, its GETs read through `host_cache` (a planted bug).
    pub(crate) fn with_host_cache(mut self, host_cache: HostCache) -> Store<P> {
        self.memory = self.memory.with_host_cache(host_cache);
        self
    }

    /// The planted bugs the store was made with.
    pub(crate) fn bugs(&self) -> Bugs {
        self.memory.bugs()
    }

    /// The id replies carry: the incarnation in memory mode; in durable mode
    /// the data directory's, or [`crate::protocol::STORE_ID_UNKNOWN`] before
    /// it was read.
    pub(crate) fn store_id(&self) -> u64 {
        match &self.durable {
            Some(durable) => durable.store_id(),
            None => self.incarnation,
        }
    }

    /// Applies `request` and says what to answer.
    pub(crate) async fn apply(&self, request: Request) -> Response {
        match &self.durable {
            Some(durable) => durable.apply(request).await,
            None => self.memory.apply(request),
        }
    }

    /// Whether `key` holds a value, as a DELETE of it would find.
    pub(crate) fn contains(&self, key: &Bytes) -> bool {
        self.memory.contains(key)
    }

    /// Whether writes answered while draining skip the log: the planted
    /// durable bug `drain_writes_skip_the_log`.
    pub(crate) fn drain_skips_log(&self) -> bool {
        self.durable
            .as_ref()
            .is_some_and(|durable| durable.bugs().drain_writes_skip_the_log)
    }

    /// Applies `request` to memory alone, under the planted durable bug
    /// `drain_writes_skip_the_log`.
    pub(crate) fn apply_in_memory_only(&self, request: Request) -> Response {
        self.memory.apply(request)
    }

    /// The planted bug `get_rewrites_stale_value` (memory mode).
    pub(crate) async fn get_then_rewrite(
        &self,
        key: Bytes,
        access_log: impl Future<Output = ()>,
    ) -> Response {
        self.memory.get_then_rewrite(key, access_log).await
    }

    /// The planted bug `lost_update_across_await` (memory mode).
    pub(crate) async fn set_through_copy(
        &self,
        key: Bytes,
        value: Bytes,
        journal: impl Future<Output = ()>,
    ) -> Response {
        self.memory.set_through_copy(key, value, journal).await
    }
}
