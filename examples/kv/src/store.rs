//! `Store`: the server's in-memory map, shared by its connection tasks.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::Bugs;
use crate::protocol::{Request, Response};

/// The keys and values of one server incarnation; lost when it stops.
///
/// A `BTreeMap`, so that anything that walks it does so in one order on every run.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    map: Arc<Mutex<BTreeMap<Bytes, Bytes>>>,
    keys_max: usize,
    bugs: Bugs,
}

impl Store {
    pub(crate) fn new(keys_max: usize, bugs: Bugs) -> Store {
        Store {
            map: Arc::default(),
            keys_max,
            bugs,
        }
    }

    /// Applies `request` and says what to answer.
    pub(crate) fn apply(&self, request: Request) -> Response {
        // Never held across an await: every request is applied at once.
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match request {
            Request::Get { key } => match map.get(&key) {
                Some(value) => Response::Value(value.clone()),
                None => Response::NotFound,
            },
            Request::Set { key, value } => {
                if self.bugs.ack_set_without_store {
                    return Response::Ok;
                }
                if map.len() >= self.keys_max && !map.contains_key(&key) {
                    return Response::error(format!(
                        "store is full: {} keys, the limit is {}",
                        map.len(),
                        self.keys_max
                    ));
                }
                map.insert(key, value);
                Response::Ok
            }
            Request::Delete { key } => match map.remove(&key) {
                Some(_) => Response::Ok,
                None => Response::NotFound,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let store = Store::new(10, Bugs::default());
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
        let store = Store::new(1, Bugs::default());
        assert_eq!(store.apply(set("a", "1")), Response::Ok);
        assert!(
            matches!(store.apply(set("b", "1")), Response::Error(message)
            if message == "store is full: 1 keys, the limit is 1")
        );
        assert_eq!(store.apply(set("a", "2")), Response::Ok);
    }

    #[test]
    fn the_planted_bug_acknowledges_a_set_it_drops() {
        let bugs = Bugs {
            ack_set_without_store: true,
        };
        let store = Store::new(10, bugs);
        assert_eq!(store.apply(set("a", "1")), Response::Ok);
        assert_eq!(store.apply(get("a")), Response::NotFound);
    }
}
