//! `Bugs`: mistakes the server and its client can be told to make, so a
//! simulation can show that it catches them.

/// Planted bugs, each a named flag, all off by default.
///
/// A simulation turns one on to check that its workload notices; production
/// leaves them all off. Server bugs take effect through
/// [`KvConfig::bugs`](crate::KvConfig::bugs), client bugs through
/// [`KvClient::with_bugs`](crate::KvClient::with_bugs).
///
/// # Examples
///
/// ```
/// use kv::{Bugs, KvConfig};
///
/// let honest = KvConfig::default();
/// assert_eq!(honest.bugs, Bugs::default());
/// let forgetful = KvConfig {
///     bugs: Bugs::only("ack_set_without_store").unwrap(),
///     ..KvConfig::default()
/// };
/// assert!(forgetful.bugs.ack_set_without_store);
/// assert!(Bugs::catalog().iter().all(|(name, _)| Bugs::only(name).is_some()));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bugs {
    /// Server: answer `Ok` to a SET without storing the value; a later GET sees
    /// the old value (or none). Default: off.
    pub ack_set_without_store: bool,
    /// Client: a request whose reply was lost (timeout, closed or failed
    /// connection) is sent again on a fresh connection, up to three times, and
    /// the last reply returned: a DELETE that was applied answers `NotFound`.
    /// Default: off.
    pub retry_after_lost_reply: bool,
    /// Server: GETs go through a read cache kept in the host's memory (the
    /// simulation's shared state), keyed by address and key, which a rebooted
    /// server reuses: it serves values its previous incarnation held. Default: off.
    pub cache_survives_reboot: bool,
    /// Server: DELETE leaves a tombstone that GET respects, but a second DELETE
    /// finds the key and answers `Ok`. Default: off.
    pub delete_hides_only_from_get: bool,
    /// Server: a connection takes each read for one whole request, and refuses
    /// a request split across reads as malformed. Default: off.
    pub one_read_one_request: bool,
    /// Server: a SET copies the map, awaits a journal append, then writes the
    /// copy back: a SET of another connection in between is lost. Default: off.
    pub lost_update_across_await: bool,
    /// Server: on a graceful shutdown, connections keep serving until their
    /// peers leave, but acknowledge SETs and DELETEs without applying them (a
    /// DELETE still answers whether the store holds its key). Default: off.
    pub drain_acks_dropped_writes: bool,
    /// Client: a SET that timed out is sent again after the first request
    /// that gets a reply once a second has passed, even when a newer SET of
    /// its key went through since. Default: off.
    pub resend_stale_set: bool,
    /// Server: the last GET's answer is memoised under a one-byte checksum of
    /// its key, so a GET of another client's key with the same checksum, right
    /// after, gets that answer. Default: off.
    pub read_memo_weak_key_check: bool,
    /// Server: re-checks every key against the protocol's limit with `>=`
    /// instead of `>`, refusing a key of exactly
    /// [`KEY_BYTES_MAX`](crate::protocol::KEY_BYTES_MAX) bytes. Default: off.
    pub key_limit_off_by_one: bool,
    /// Server: when several requests of a connection are buffered, answers the
    /// GETs among them first, then the writes, so pipelined replies come back
    /// out of order. Default: off.
    pub pipelined_replies_reordered: bool,
    /// Server: a GET of a present key awaits an access-log append, then
    /// writes the value it read back (to refresh the entry): a SET of the key
    /// by another client in between is overwritten. Default: off.
    pub get_rewrites_stale_value: bool,
    /// Server: once the network has cut a connection off (a read or write
    /// failed, e.g. on a reset), every new connection is accepted and then
    /// ignored, without a word, until the shutdown: the server keeps serving
    /// the connections it had and keeps running, but answers nobody new. Only
    /// faults cut connections off, and a client that gets no reply just times
    /// out (its request indeterminate), so only a liveness property catches
    /// it. Default: off.
    pub ignores_clients_after_reset: bool,
}

impl Bugs {
    /// Every bug by name, with what it does.
    pub fn catalog() -> &'static [(&'static str, &'static str)] {
        &[
            (
                "ack_set_without_store",
                "server answers Ok to a SET without storing the value",
            ),
            (
                "retry_after_lost_reply",
                "client resends a request whose reply was lost, and returns the resend's reply",
            ),
            (
                "cache_survives_reboot",
                "server's read cache lives in host memory and outlives a reboot",
            ),
            (
                "delete_hides_only_from_get",
                "server's DELETE leaves a tombstone that only GET respects",
            ),
            (
                "one_read_one_request",
                "server refuses a request that arrives split across reads",
            ),
            (
                "lost_update_across_await",
                "server's SET copies the map, awaits a journal append, writes the copy back",
            ),
            (
                "drain_acks_dropped_writes",
                "server keeps serving while shutting down, acknowledging writes it drops",
            ),
            (
                "resend_stale_set",
                "client resends a timed-out SET later, after newer SETs of the key",
            ),
            (
                "read_memo_weak_key_check",
                "server memoises the last GET under a one-byte key checksum",
            ),
            (
                "key_limit_off_by_one",
                "server refuses a key of exactly the protocol's limit (>= for >)",
            ),
            (
                "pipelined_replies_reordered",
                "server answers the buffered GETs of a connection before its writes",
            ),
            (
                "get_rewrites_stale_value",
                "server's GET writes the value it read back after an await, over a newer SET",
            ),
            (
                "ignores_clients_after_reset",
                "server silently ignores every new connection once the network cuts one off",
            ),
        ]
    }

    /// Only the bug named `name`, or `None` when no bug has that name.
    pub fn only(name: &str) -> Option<Bugs> {
        let mut bugs = Bugs::default();
        *bugs.flag_mut(name)? = true;
        Some(bugs)
    }

    fn flag_mut(&mut self, name: &str) -> Option<&mut bool> {
        let flag = match name {
            "ack_set_without_store" => &mut self.ack_set_without_store,
            "retry_after_lost_reply" => &mut self.retry_after_lost_reply,
            "cache_survives_reboot" => &mut self.cache_survives_reboot,
            "delete_hides_only_from_get" => &mut self.delete_hides_only_from_get,
            "one_read_one_request" => &mut self.one_read_one_request,
            "lost_update_across_await" => &mut self.lost_update_across_await,
            "drain_acks_dropped_writes" => &mut self.drain_acks_dropped_writes,
            "resend_stale_set" => &mut self.resend_stale_set,
            "read_memo_weak_key_check" => &mut self.read_memo_weak_key_check,
            "key_limit_off_by_one" => &mut self.key_limit_off_by_one,
            "pipelined_replies_reordered" => &mut self.pipelined_replies_reordered,
            "get_rewrites_stale_value" => &mut self.get_rewrites_stale_value,
            "ignores_clients_after_reset" => &mut self.ignores_clients_after_reset,
            _ => return None,
        };
        Some(flag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cataloged_bug_sets_its_own_flag() {
        let catalog = Bugs::catalog();
        for (index, (name, about)) in catalog.iter().enumerate() {
            assert!(!about.is_empty());
            let bugs = Bugs::only(name).unwrap();
            assert_ne!(bugs, Bugs::default(), "{name}");
            for (other, _) in &catalog[index + 1..] {
                assert_ne!(bugs, Bugs::only(other).unwrap(), "{name} and {other}");
            }
        }
        assert_eq!(Bugs::only("nope"), None);
    }
}
