//! `KvModel`: the sequential specification of one store of one server, key
//! by key, that a history of the workload is checked against.

use std::net::SocketAddr;

use bytes::Bytes;
use tidepool::history::Model;

use crate::values::{ValueId, Values};

/// What a client asked: an operation on one key of one store of one server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KvOp {
    /// The server, by index in the workload's group.
    pub(crate) server: usize,
    /// The store the operation may have reached (see [`Partition`]).
    pub(crate) store: u64,
    /// The key, by index in the key space.
    pub(crate) key: usize,
    pub(crate) kind: Kind,
    /// Whether the request breaks a limit of the protocol: the server must
    /// refuse it and change nothing.
    pub(crate) over_limit: bool,
}

/// What an operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Get,
    Set(ValueId),
    Delete,
}

/// What a client received, as far as the model cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KvOut {
    Ok,
    NotFound,
    Value(ValueId),
    /// An error reply: the request was refused.
    Refused,
}

/// Which operations are checked together: one key of one store of one
/// server. Servers share nothing; an in-memory server starts a new, empty
/// store at every boot, so each of its incarnations is a register of its own
/// that starts absent, and a durable server keeps one store across its
/// incarnations until its disk is wiped. A reply names its store; an
/// operation without a reply is checked in every store it may have reached.
pub(crate) type Partition = (usize, u64, usize);

/// The sequential specification: a key holds a value or nothing; a GET
/// returns it, a SET replaces it and answers `Ok`, a DELETE removes it and
/// answers `Ok` when there was one, `NotFound` when not; a request past a
/// limit is refused and changes nothing.
#[derive(Debug)]
pub(crate) struct KvModel<'a> {
    pub(crate) servers: &'a [SocketAddr],
    pub(crate) keys: &'a [Bytes],
    pub(crate) values: &'a Values,
}

impl Model for KvModel<'_> {
    type Op = KvOp;
    type Out = KvOut;
    type State = Option<ValueId>;
    type Partition = Partition;

    fn init(&self) -> Option<ValueId> {
        None
    }

    fn step(&self, value: &Option<ValueId>, op: &KvOp) -> (Option<ValueId>, KvOut) {
        if op.over_limit {
            return (*value, KvOut::Refused);
        }
        match op.kind {
            Kind::Get => (*value, value.map_or(KvOut::NotFound, KvOut::Value)),
            Kind::Set(new) => (Some(new), KvOut::Ok),
            Kind::Delete if value.is_some() => (None, KvOut::Ok),
            Kind::Delete => (None, KvOut::NotFound),
        }
    }

    fn partition(&self, op: &KvOp) -> Partition {
        (op.server, op.store, op.key)
    }

    fn describe_op(&self, op: &KvOp) -> String {
        let key = self.describe_key(op.key);
        let refused = if op.over_limit { " (over a limit)" } else { "" };
        match op.kind {
            Kind::Get => format!("GET {key}{refused}"),
            Kind::Set(value) => format!("SET {key} {}{refused}", self.values.describe(value)),
            Kind::Delete => format!("DELETE {key}{refused}"),
        }
    }

    fn describe_output(&self, output: &KvOut) -> String {
        match output {
            KvOut::Ok => "Ok".to_string(),
            KvOut::NotFound => "NotFound".to_string(),
            KvOut::Value(value) => self.values.describe(*value),
            KvOut::Refused => "Error".to_string(),
        }
    }

    fn describe_partition(&self, &(server, store, key): &Partition) -> String {
        let server = self.servers[server];
        let key = self.describe_key(key);
        format!("server {server} store {store} key {key}")
    }
}

impl KvModel<'_> {
    fn describe_key(&self, key: usize) -> String {
        const SHOWN_BYTES: usize = 12;
        let Some(bytes) = self.keys.get(key) else {
            return "<a key over the limit>".to_string();
        };
        let shown = bytes[..bytes.len().min(SHOWN_BYTES)].escape_ascii();
        if bytes.len() > SHOWN_BYTES {
            format!("\"{shown}...\" ({} bytes)", bytes.len())
        } else {
            format!("\"{shown}\"")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidepool::history::{ClientId, History, check};
    use tidepool::time::Instant;

    fn op(store: u64, kind: Kind) -> KvOp {
        KvOp {
            server: 0,
            store,
            key: 0,
            kind,
            over_limit: false,
        }
    }

    #[test]
    fn the_model_is_a_register_per_key_that_refuses_what_is_over_a_limit() {
        let servers = [SocketAddr::from(([10, 0, 0, 1], 1))];
        let (keys, values) = ([Bytes::from_static(b"k")], Values::default());
        let model = KvModel {
            servers: &servers,
            keys: &keys,
            values: &values,
        };
        let one = ValueId(1);
        assert_eq!(
            model.step(&None, &op(1, Kind::Get)),
            (None, KvOut::NotFound)
        );
        assert_eq!(
            model.step(&None, &op(1, Kind::Set(one))),
            (Some(one), KvOut::Ok)
        );
        assert_eq!(
            model.step(&Some(one), &op(1, Kind::Delete)),
            (None, KvOut::Ok)
        );
        assert_eq!(
            model.step(&None, &op(1, Kind::Delete)),
            (None, KvOut::NotFound)
        );
        let refused = KvOp {
            over_limit: true,
            ..op(1, Kind::Set(ValueId(2)))
        };
        assert_eq!(
            model.step(&Some(one), &refused),
            (Some(one), KvOut::Refused)
        );
        assert_ne!(
            model.partition(&op(1, Kind::Get)),
            model.partition(&op(2, Kind::Get))
        );
    }

    #[test]
    fn a_new_store_starts_empty_and_an_old_store_keeps_its_value() {
        // An in-memory server: a SET acknowledged by store 1, then the server
        // reboots as store 2, where the key is absent; a read of store 1's
        // value from store 2 is a violation, an absent read is not.
        let servers = [SocketAddr::from(([10, 0, 0, 1], 1))];
        let (keys, mut values) = ([Bytes::from_static(b"k")], Values::default());
        let one = values.write(&Bytes::from("1"));
        let model = KvModel {
            servers: &servers,
            keys: &keys,
            values: &values,
        };
        let at = Instant::from_nanos;
        let mut history = History::new();
        let set = history
            .invoke_at(ClientId(0), op(1, Kind::Set(one)), at(0))
            .unwrap();
        history.complete_at(set, KvOut::Ok, at(1)).unwrap();
        let read = history
            .invoke_at(ClientId(0), op(2, Kind::Get), at(2))
            .unwrap();
        history.complete_at(read, KvOut::NotFound, at(3)).unwrap();
        assert!(check(&model, &history).is_linearizable());
        let stale = history
            .invoke_at(ClientId(1), op(2, Kind::Get), at(4))
            .unwrap();
        history
            .complete_at(stale, KvOut::Value(one), at(5))
            .unwrap();
        let verdict = check(&model, &history);
        let violation = verdict.violation().expect("store 2 never held it");
        assert_eq!(violation.partition, "server 10.0.0.1:1 store 2 key \"k\"");
    }
}
