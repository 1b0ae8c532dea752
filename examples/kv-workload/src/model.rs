//! `ServerModel`: what one client may expect of its keys on one server, honest
//! about the requests whose fate it does not know.

use std::collections::BTreeSet;

use bytes::Bytes;

/// A key's value as the model sees it: `None` is absent.
pub(crate) type Value = Option<Bytes>;

/// What one client expects of its own keys on one server.
///
/// A request that got no reply may have been applied, or may still be
/// applied later (its bytes can sit in a clogged link while newer requests
/// go through on a new connection). So each key holds the set of values it
/// may have `now`, and the set of values `lurking` in such requests, which
/// may land at any later moment. A reply from a new store means the server
/// lost everything, except what lurking requests sent since its previous
/// store last answered may still write. An in-memory server has a new store
/// at every boot; a durable one only when its disk is lost.
#[derive(Clone, Debug)]
pub(crate) struct ServerModel {
    incarnation: Option<u64>,
    store_id: Option<u64>,
    keys: Vec<KeyModel>,
    /// Writes without a reply since the last reply from this server: the only
    /// ones that may have reached a store we have not heard from yet.
    unconfirmed: Vec<(usize, Value)>,
}

#[derive(Clone, Debug)]
struct KeyModel {
    now: BTreeSet<Value>,
    lurking: BTreeSet<Value>,
}

impl KeyModel {
    fn absent() -> KeyModel {
        KeyModel {
            now: BTreeSet::from([None]),
            lurking: BTreeSet::new(),
        }
    }

    fn allows(&self, value: &Value) -> bool {
        self.now.contains(value) || self.lurking.contains(value)
    }
}

/// What a reply tells about the server: its incarnation, and whether it
/// answered from a new store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) incarnation: Incarnation,
    /// The reply came from another store than the last one: every key was lost.
    pub(crate) store_lost: bool,
}

/// What a reply's incarnation tells about the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Incarnation {
    /// The first reply from this server.
    First,
    /// The incarnation already known.
    Same,
    /// A newer incarnation: the server rebooted since it last answered.
    Rebooted,
    /// An older incarnation than one already seen: impossible.
    Older,
}

impl ServerModel {
    /// A server that holds none of the `keys` keys, not yet heard from.
    pub(crate) fn new(keys: usize) -> ServerModel {
        ServerModel {
            incarnation: None,
            store_id: None,
            keys: vec![KeyModel::absent(); keys],
            unconfirmed: Vec::new(),
        }
    }

    /// Takes in a reply's incarnation and store id (`None` when the reply
    /// carries no data); from a new store, forgets every key.
    pub(crate) fn observe(&mut self, incarnation: u64, store_id: Option<u64>) -> Seen {
        let seen = match self.incarnation {
            None => Incarnation::First,
            Some(known) if incarnation == known => Incarnation::Same,
            Some(known) if incarnation > known => Incarnation::Rebooted,
            Some(_) => {
                return Seen {
                    incarnation: Incarnation::Older,
                    store_lost: false,
                };
            }
        };
        let store_lost =
            matches!((self.store_id, store_id), (Some(known), Some(id)) if id != known);
        if store_lost {
            self.forget_all();
        }
        self.incarnation = Some(incarnation);
        if store_id.is_some() {
            self.store_id = store_id;
            // A reply from a known store: every write still unconfirmed went
            // out on a connection to this incarnation or an older one, so to
            // this store or an older one. From a store not known yet, they
            // may have reached that store, which may turn out to be new.
            self.unconfirmed.clear();
        }
        Seen {
            incarnation: seen,
            store_lost,
        }
    }

    fn forget_all(&mut self) {
        for key in &mut self.keys {
            *key = KeyModel::absent();
        }
        for (index, value) in &self.unconfirmed {
            let key = &mut self.keys[*index];
            key.now.insert(value.clone());
            key.lurking.insert(value.clone());
        }
    }

    /// Whether a GET of `key` may answer `got`; the model then holds `got`.
    pub(crate) fn read(&mut self, key: usize, got: Value) -> bool {
        let model = &mut self.keys[key];
        let allowed = model.allows(&got);
        model.now = BTreeSet::from([got]);
        allowed
    }

    /// Whether a DELETE of `key` may answer "present" (`Ok`) or "absent"
    /// (`NotFound`); the model then holds an absent key.
    pub(crate) fn delete(&mut self, key: usize, was_present: bool) -> bool {
        let model = &mut self.keys[key];
        let allowed = if was_present {
            model.now.iter().chain(&model.lurking).any(Option::is_some)
        } else {
            model.allows(&None)
        };
        model.now = BTreeSet::from([None]);
        allowed
    }

    /// A SET of `key` to `value` was acknowledged.
    pub(crate) fn set(&mut self, key: usize, value: Bytes) {
        self.keys[key].now = BTreeSet::from([Some(value)]);
    }

    /// A write of `value` to `key` (a SET, or `None` for a DELETE) got no
    /// reply and may have been applied, now or later.
    pub(crate) fn unknown_write(&mut self, key: usize, value: Value) {
        let model = &mut self.keys[key];
        model.now.insert(value.clone());
        model.lurking.insert(value.clone());
        self.unconfirmed.push((key, value));
    }

    /// A write of `value` to `key` that got no reply can no longer land (it
    /// either landed or never will): `key` may hold it now, but it lurks no
    /// more, so a later acknowledged write or read rules it out.
    pub(crate) fn settle(&mut self, key: usize, value: Value) {
        let model = &mut self.keys[key];
        if model.lurking.remove(&value) {
            model.now.insert(value);
        }
    }

    /// Every value `key` may show, for failure details.
    pub(crate) fn possible(&self, key: usize) -> Vec<Value> {
        let model = &self.keys[key];
        model.now.union(&model.lurking).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &'static str) -> Value {
        Some(Bytes::from(text))
    }

    #[test]
    fn acknowledged_writes_are_exact() {
        let mut model = ServerModel::new(2);
        assert_eq!(model.observe(1, Some(1)).incarnation, Incarnation::First);
        assert!(model.read(0, None));
        model.set(0, Bytes::from("a"));
        assert!(model.read(0, value("a")));
        assert!(!model.read(0, None), "an acknowledged SET is lost");
        model.set(0, Bytes::from("a"));
        assert!(!model.read(0, value("b")), "a value never written");
        assert!(model.delete(1, false));
        assert!(!model.delete(1, true), "a DELETE finds a key never written");
    }

    #[test]
    fn a_lost_write_may_land_now_or_later() {
        let mut model = ServerModel::new(1);
        model.observe(1, Some(1));
        model.set(0, Bytes::from("old"));
        model.unknown_write(0, value("lost"));
        model.observe(1, Some(1));
        assert!(model.read(0, value("old")), "not applied yet");
        assert!(model.read(0, value("lost")), "applied late");
        model.set(0, Bytes::from("new"));
        assert!(model.read(0, value("lost")), "applied later still");
        assert!(!model.read(0, value("never written")));
    }

    #[test]
    fn a_reboot_forgets_all_but_writes_sent_since_the_last_reply() {
        let mut model = ServerModel::new(2);
        model.observe(1, Some(1));
        model.set(0, Bytes::from("kept?"));
        model.unknown_write(1, value("before the reply"));
        model.observe(1, Some(1));
        model.unknown_write(0, value("after the reply"));
        let seen = model.observe(2, Some(2));
        assert_eq!(seen.incarnation, Incarnation::Rebooted);
        assert!(seen.store_lost);
        assert!(
            !model.read(1, value("before the reply")),
            "died with incarnation 1"
        );
        assert!(model.read(0, None));
        assert!(
            model.read(0, value("after the reply")),
            "may have reached incarnation 2"
        );
        assert!(!model.read(0, value("kept?")));
    }

    #[test]
    fn a_settled_write_may_have_landed_but_lands_no_later() {
        let mut model = ServerModel::new(1);
        model.observe(1, Some(1));
        model.set(0, Bytes::from("old"));
        model.unknown_write(0, value("lost"));
        model.set(0, Bytes::from("new"));
        model.settle(0, value("lost"));
        assert!(
            model.read(0, value("lost")),
            "landed before the settling reply"
        );
        model.set(0, Bytes::from("newer"));
        assert!(!model.read(0, value("lost")), "lands after a newer SET");
    }

    #[test]
    fn incarnations_never_go_back() {
        let mut model = ServerModel::new(1);
        model.observe(3, Some(3));
        assert_eq!(model.observe(3, Some(3)).incarnation, Incarnation::Same);
        assert_eq!(model.observe(2, Some(3)).incarnation, Incarnation::Older);
    }

    #[test]
    fn a_reboot_on_the_same_store_keeps_every_key() {
        // A durable server: its store id outlives its incarnations.
        let mut model = ServerModel::new(2);
        model.observe(1, Some(0xd15c));
        model.set(0, Bytes::from("durable"));
        model.unknown_write(1, value("maybe"));
        let seen = model.observe(2, Some(0xd15c));
        assert_eq!(seen.incarnation, Incarnation::Rebooted);
        assert!(!seen.store_lost);
        assert_eq!(
            model.possible(0),
            [value("durable")],
            "an acknowledged SET survives a reboot"
        );
        assert!(model.read(1, value("maybe")), "landed before the crash");
    }

    #[test]
    fn a_new_store_forgets_every_key_but_writes_sent_since_its_last_known_reply() {
        let mut model = ServerModel::new(1);
        model.observe(1, Some(7));
        model.set(0, Bytes::from("wiped"));
        model.unknown_write(0, value("sent to the new store?"));
        let seen = model.observe(2, None);
        assert!(!seen.store_lost, "a server that does not know its store");
        let seen = model.observe(2, Some(8));
        assert!(seen.store_lost);
        assert!(!model.read(0, value("wiped")));
        assert!(
            model.read(0, value("sent to the new store?")),
            "unconfirmed until a reply from a known store"
        );
    }
}
