//! `HostCache`: the read cache of the planted bug `cache_survives_reboot`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::Bytes;
use tidepool_core::SharedState;

/// Shared-state key of the cache: one map for every server of an iteration.
const HOST_CACHE: &str = "kv.bug.host_cache";

type Entries = BTreeMap<(SocketAddr, Bytes), Bytes>;

/// A read cache in the host's memory, keyed by the server's address and a
/// key, as a cache in shared memory (`/dev/shm`) or a sidecar would be: it
/// outlives the server process, and a server booting at the same address
/// reuses it without knowing it came from an earlier incarnation.
///
/// In a simulation it lives in the iteration's [`SharedState`], which is fresh
/// every iteration: the stale entries a reboot exposes are this world's own,
/// never another seed's or another thread's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HostCache {
    address: SocketAddr,
    state: SharedState,
}

impl HostCache {
    pub(crate) fn new(address: SocketAddr, state: SharedState) -> HostCache {
        HostCache { address, state }
    }

    pub(crate) fn get(&self, key: &Bytes) -> Option<Bytes> {
        let entry = (self.address, key.clone());
        self.state
            .update::<Entries, _>(HOST_CACHE, |entries| entries.get(&entry).cloned())
    }

    pub(crate) fn put(&self, key: Bytes, value: Bytes) {
        let entry = (self.address, key);
        self.state.update::<Entries, _>(HOST_CACHE, |entries| {
            entries.insert(entry, value);
        });
    }

    pub(crate) fn remove(&self, key: &Bytes) {
        let entry = (self.address, key.clone());
        self.state.update::<Entries, _>(HOST_CACHE, |entries| {
            entries.remove(&entry);
        });
    }
}
