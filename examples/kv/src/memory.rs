//! `Memory`: the server's in-memory map, shared by its connection tasks.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;

use crate::host_cache::HostCache;
use crate::protocol::{Request, Response};
use crate::{Bugs, KvConfig};

/// The keys and values of one server incarnation, in memory; lost when it
/// stops. In durable mode it holds what the log and snapshots hold, and is
/// reloaded from them at boot.
///
/// A `BTreeMap`, so that anything that walks it does so in one order on every run.
/// Bounded twice: by its keys ([`KvConfig::keys_max`]) and by the bytes of its
/// keys and values ([`KvConfig::stored_bytes_max`]).
#[derive(Clone, Debug)]
pub(crate) struct Memory {
    entries: Arc<Mutex<Entries>>,
    keys_max: usize,
    stored_bytes_max: usize,
    bugs: Bugs,
    /// The read cache of the planted bug `cache_survives_reboot`.
    host_cache: Option<HostCache>,
}

#[derive(Debug, Default)]
struct Entries {
    map: BTreeMap<Bytes, Bytes>,
    /// The bytes of every key and value in `map`.
    stored_bytes: usize,
    /// Deleted keys still in `map`, under the planted bug `delete_hides_only_from_get`.
    tombstones: BTreeSet<Bytes>,
    /// The last GET's key checksum and answer, under the planted bug
    /// `read_memo_weak_key_check`.
    memo: Option<(u8, Response)>,
}

impl Memory {
    /// An empty map with the bounds and planted bugs of `config`.
    pub(crate) fn new(config: &KvConfig) -> Memory {
        Memory {
            entries: Arc::default(),
            keys_max: config.keys_max,
            stored_bytes_max: config.stored_bytes_max,
            bugs: config.bugs,
            host_cache: None,
        }
    }

    /// The same map, its GETs read through `host_cache` (a planted bug).
    pub(crate) fn with_host_cache(mut self, host_cache: HostCache) -> Memory {
        self.host_cache = Some(host_cache);
        self
    }

    /// The planted bugs the map was made with.
    pub(crate) fn bugs(&self) -> Bugs {
        self.bugs
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Applies `request` and says what to answer.
    pub(crate) fn apply(&self, request: Request) -> Response {
        // Never held across an await: every request is applied at once.
        let mut entries = self.lock();
        match request {
            Request::Get { key } => self.get(&mut entries, key),
            Request::Set { key, value } => self.set(&mut entries, key, value),
            Request::Delete { key } => self.delete(&mut entries, key),
        }
    }

    /// Whether `key` holds a value, as a DELETE of it would find.
    pub(crate) fn contains(&self, key: &Bytes) -> bool {
        let entries = self.lock();
        entries.map.contains_key(key) && !entries.tombstones.contains(key)
    }

    /// Why a SET of `key` to `value` would be refused, if it would be: a
    /// durable store asks before it logs the SET.
    pub(crate) fn check_set(&self, key: &Bytes, value: &Bytes) -> Option<Response> {
        let entries = self.lock();
        self.refuse_set(&entries, key, value)
    }

    /// A copy of every key and value, for a snapshot.
    pub(crate) fn entries(&self) -> BTreeMap<Bytes, Bytes> {
        self.lock().map.clone()
    }

    /// Replaces every key and value with `map` (recovered from disk), which
    /// may exceed the bounds if they were lowered since it was written: they
    /// hold for new SETs only.
    pub(crate) fn replace(&self, map: BTreeMap<Bytes, Bytes>) {
        let mut entries = self.lock();
        entries.stored_bytes = map.iter().map(|(key, value)| key.len() + value.len()).sum();
        entries.map = map;
        entries.tombstones.clear();
        entries.memo = None;
    }

    fn get(&self, entries: &mut Entries, key: Bytes) -> Response {
        if self.bugs.read_memo_weak_key_check {
            return self.get_through_memo(entries, key);
        }
        if let Some(value) = self.host_cache.and_then(|cache| cache.get(&key)) {
            return Response::Value(value);
        }
        if entries.tombstones.contains(&key) {
            return Response::NotFound;
        }
        match entries.map.get(&key) {
            Some(value) => {
                if let Some(cache) = self.host_cache {
                    cache.put(key, value.clone());
                }
                Response::Value(value.clone())
            }
            None => Response::NotFound,
        }
    }

    /// The planted bug `read_memo_weak_key_check`: the memo is matched by a
    /// checksum that two keys can share.
    fn get_through_memo(&self, entries: &mut Entries, key: Bytes) -> Response {
        let checksum = key.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte));
        if let Some((memo_checksum, response)) = &entries.memo {
            if *memo_checksum == checksum {
                return response.clone();
            }
        }
        let response = match entries.map.get(&key) {
            Some(value) => Response::Value(value.clone()),
            None => Response::NotFound,
        };
        entries.memo = Some((checksum, response.clone()));
        response
    }

    fn set(&self, entries: &mut Entries, key: Bytes, value: Bytes) -> Response {
        if self.bugs.ack_set_without_store {
            return Response::Ok;
        }
        if let Some(refusal) = self.refuse_set(entries, &key, &value) {
            return refusal;
        }
        entries.memo = None;
        entries.tombstones.remove(&key);
        if let Some(cache) = self.host_cache {
            cache.put(key.clone(), value.clone());
        }
        entries.stored_bytes = stored_bytes_after_set(entries, &key, &value);
        entries.map.insert(key, value);
        assert!(entries.stored_bytes <= self.stored_bytes_max);
        Response::Ok
    }

    /// Why a SET of `key` to `value` must not be applied, if it must not.
    fn refuse_set(&self, entries: &Entries, key: &Bytes, value: &Bytes) -> Option<Response> {
        if let Some(refusal) = self.refuse_new_key(entries, key) {
            return Some(refusal);
        }
        let stored_bytes = stored_bytes_after_set(entries, key, value);
        if stored_bytes > self.stored_bytes_max {
            return Some(Response::error(format!(
                "store full: this SET of {} bytes would hold {stored_bytes} bytes, the limit is {}",
                key.len() + value.len(),
                self.stored_bytes_max
            )));
        }
        None
    }

    fn refuse_new_key(&self, entries: &Entries, key: &Bytes) -> Option<Response> {
        let keys = entries.map.len();
        if keys >= self.keys_max && !entries.map.contains_key(key) {
            return Some(Response::error(format!(
                "store is full: {keys} keys, the limit is {}",
                self.keys_max
            )));
        }
        None
    }

    fn delete(&self, entries: &mut Entries, key: Bytes) -> Response {
        entries.memo = None;
        if let Some(cache) = self.host_cache {
            cache.remove(&key);
        }
        if self.bugs.delete_hides_only_from_get {
            // The planted bug: the tombstone is not consulted here.
            if !entries.map.contains_key(&key) {
                return Response::NotFound;
            }
            entries.tombstones.insert(key);
            return Response::Ok;
        }
        match entries.map.remove(&key) {
            Some(value) => {
                entries.stored_bytes -= key.len() + value.len();
                Response::Ok
            }
            None => Response::NotFound,
        }
    }

    /// The planted bug `lost_update_across_await`: a SET in two steps, a copy
    /// of the map with the new value, then, after `journal` (an append to a
    /// write-ahead journal), the copy written back over whatever other
    /// connections stored meanwhile.
    pub(crate) async fn set_through_copy(
        &self,
        key: Bytes,
        value: Bytes,
        journal: impl Future<Output = ()>,
    ) -> Response {
        let copy = {
            let entries = self.lock();
            if let Some(refusal) = self.refuse_set(&entries, &key, &value) {
                return refusal;
            }
            let mut copy = entries.map.clone();
            copy.insert(key, value);
            copy
        };
        journal.await;
        let mut entries = self.lock();
        entries.stored_bytes = copy
            .iter()
            .map(|(key, value)| key.len() + value.len())
            .sum();
        entries.map = copy;
        Response::Ok
    }
}

impl Memory {
    /// The planted bug `get_rewrites_stale_value`: a GET that, once `access_log`
    /// (an append to an access log) is done, writes the value it read back,
    /// over whatever other connections stored or deleted meanwhile.
    pub(crate) async fn get_then_rewrite(
        &self,
        key: Bytes,
        access_log: impl Future<Output = ()>,
    ) -> Response {
        let response = self.apply(Request::Get { key: key.clone() });
        let Response::Value(value) = &response else {
            return response;
        };
        access_log.await;
        let mut entries = self.lock();
        entries.stored_bytes = stored_bytes_after_set(&entries, &key, value);
        entries.map.insert(key, value.clone());
        response
    }
}

/// The bytes `entries` would hold once `key` is set to `value`.
fn stored_bytes_after_set(entries: &Entries, key: &Bytes, value: &Bytes) -> usize {
    let replaced = entries.map.get(key).map_or(0, |old| key.len() + old.len());
    entries.stored_bytes - replaced + key.len() + value.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(keys_max: usize, bugs: Bugs) -> Memory {
        Memory::new(&KvConfig {
            keys_max,
            bugs,
            ..KvConfig::default()
        })
    }

    fn set(key: &'static str, value: &'static str) -> Request {
        Request::Set {
            key: Bytes::from(key),
            value: Bytes::from(value),
        }
    }

    fn get(key: &'static str) -> Request {
        Request::Get {
            key: Bytes::from(key),
        }
    }

    fn delete(key: &'static str) -> Request {
        Request::Delete {
            key: Bytes::from(key),
        }
    }

    #[test]
    fn set_get_delete() {
        let store = memory(10, Bugs::default());
        assert_eq!(store.apply(get("a")), Response::NotFound);
        assert_eq!(store.apply(set("a", "1")), Response::Ok);
        assert_eq!(store.apply(get("a")), Response::Value(Bytes::from("1")));
        assert_eq!(store.apply(set("a", "2")), Response::Ok);
        assert_eq!(store.apply(get("a")), Response::Value(Bytes::from("2")));
        assert_eq!(store.apply(delete("a")), Response::Ok);
        assert_eq!(store.apply(delete("a")), Response::NotFound);
        assert_eq!(store.apply(get("a")), Response::NotFound);
    }

    #[test]
    fn a_full_store_refuses_new_keys_but_overwrites_old_ones() {
        let store = memory(1, Bugs::default());
        assert_eq!(store.apply(set("a", "1")), Response::Ok);
        assert!(
            matches!(store.apply(set("b", "1")), Response::Error(message)
            if message == "store is full: 1 keys, the limit is 1")
        );
        assert_eq!(store.apply(set("a", "2")), Response::Ok);
    }

    #[test]
    fn a_set_beyond_the_stored_bytes_limit_is_refused_and_stores_nothing() {
        // Keys and values count: "a" + "1234" is 5 bytes, "b" + "12" is 3.
        let store = Memory::new(&KvConfig {
            stored_bytes_max: 8,
            ..KvConfig::default()
        });
        assert_eq!(store.apply(set("a", "1234")), Response::Ok);
        assert_eq!(store.apply(set("b", "12")), Response::Ok);
        assert!(matches!(store.apply(set("c", "")), Response::Error(message)
            if message == "store full: this SET of 1 bytes would hold 9 bytes, the limit is 8"));
        assert_eq!(store.apply(get("c")), Response::NotFound);
        // An overwrite counts the new value instead of the old one.
        assert!(matches!(store.apply(set("a", "12345")), Response::Error(_)));
        assert_eq!(store.apply(get("a")), Response::Value(Bytes::from("1234")));
        assert_eq!(store.apply(set("a", "123")), Response::Ok);
        assert_eq!(store.apply(set("c", "")), Response::Ok);
        // A DELETE gives its bytes back.
        assert_eq!(store.apply(delete("b")), Response::Ok);
        assert_eq!(store.apply(set("d", "12")), Response::Ok);
        assert!(matches!(store.apply(set("e", "")), Response::Error(_)));
    }

    #[test]
    fn the_planted_bug_acknowledges_a_set_it_drops() {
        let bugs = Bugs::only("ack_set_without_store").unwrap();
        let store = memory(10, bugs);
        assert_eq!(store.apply(set("a", "1")), Response::Ok);
        assert_eq!(store.apply(get("a")), Response::NotFound);
    }

    #[test]
    fn the_planted_tombstone_bug_finds_a_deleted_key_again() {
        let store = memory(10, Bugs::only("delete_hides_only_from_get").unwrap());
        assert_eq!(store.apply(set("a", "1")), Response::Ok);
        assert_eq!(store.apply(delete("a")), Response::Ok);
        assert_eq!(store.apply(get("a")), Response::NotFound);
        assert_eq!(store.apply(delete("a")), Response::Ok, "the planted bug");
    }

    #[test]
    fn the_planted_memo_bug_answers_for_a_key_with_the_same_checksum() {
        let store = memory(10, Bugs::only("read_memo_weak_key_check").unwrap());
        assert_eq!(store.apply(set("c0-k3", "mine")), Response::Ok);
        assert_eq!(
            store.apply(get("c0-k3")),
            Response::Value(Bytes::from("mine"))
        );
        assert_eq!(
            store.apply(get("c1-k2")),
            Response::Value(Bytes::from("mine")),
            "the planted bug"
        );
        assert_eq!(store.apply(set("c1-k2", "yours")), Response::Ok);
        assert_eq!(
            store.apply(get("c1-k2")),
            Response::Value(Bytes::from("yours"))
        );
    }
}
