//! `Server`: one server as one workload instance sees it, and the checks of
//! every reply it gives against the model of that server.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use tidepool::providers::SimProviders;
use tidepool::time::Instant;

use kv::protocol::{Response, STORE_ID_UNKNOWN};
use kv::{ClientError, KvClient, Reply};

use crate::kv_workload::is_written_value;
use crate::model::{Incarnation, ServerModel, Value};

/// Shared-state key under which workloads publish the highest incarnation
/// they have seen of each server (a `BTreeMap<SocketAddr, u64>`).
pub const INCARNATIONS_SEEN: &str = "kv.incarnations.seen";

/// One server as one workload instance sees it: its client, its model, and
/// the checks of every reply it gives.
#[derive(Debug)]
pub(super) struct Server {
    pub(super) address: SocketAddr,
    pub(super) client: KvClient<SimProviders>,
    model: ServerModel,
    /// Writes without a reply that may still land, and when they failed
    /// (the latest, for a value written more than once).
    lurking_since: BTreeMap<(usize, Value), Instant>,
}

impl Server {
    /// `address`, reached through `client`, holding none of the `keys` keys.
    pub(super) fn new(address: SocketAddr, client: KvClient<SimProviders>, keys: usize) -> Server {
        Server {
            address,
            client,
            model: ServerModel::new(keys),
            lurking_since: BTreeMap::new(),
        }
    }
}

impl Server {
    /// Notes that a write of `value` (`None`: a DELETE) to `key` got no reply
    /// at `failed_at`, and may land later.
    pub(super) fn lurk(&mut self, key: usize, value: Value, failed_at: Instant) {
        self.lurking_since.insert((key, value), failed_at);
    }

    /// A request sent at `sent_at` got a reply: writes that failed at least
    /// `delivery_max` before can no longer land (see
    /// [`KvWorkloadConfig::delivery_max`](crate::KvWorkloadConfig::delivery_max)).
    pub(super) fn settle_lurking(&mut self, sent_at: Instant, delivery_max: Option<Duration>) {
        let Some(delivery_max) = delivery_max else {
            return;
        };
        let model = &mut self.model;
        self.lurking_since.retain(|(key, value), failed_at| {
            let settled = *failed_at + delivery_max <= sent_at;
            if settled {
                model.settle(*key, value.clone());
            }
            !settled
        });
    }

    /// Checks a reply's incarnation and store, and that it is no refusal;
    /// `None` when there was no reply, or when the server could not reach its
    /// data (`Unavailable`).
    pub(super) fn take_reply(&mut self, result: Result<Reply, ClientError>) -> Option<Response> {
        tidepool::assert_sometimes!(result.is_err(), "a request failed by a fault");
        let reply = result.ok()?;
        let store_id = (reply.store_id != STORE_ID_UNKNOWN).then_some(reply.store_id);
        let unavailable = matches!(reply.response, Response::Unavailable(_));
        tidepool::assert_always!(
            store_id.is_some() || unavailable,
            "a reply with data names its store",
            server = %self.address,
            response = reply.response
        );
        let seen = self.model.observe(reply.incarnation, store_id);
        tidepool::assert_always!(
            seen.incarnation != Incarnation::Older,
            "a server's incarnation never goes back",
            server = %self.address,
            incarnation = reply.incarnation
        );
        let rebooted = seen.incarnation == Incarnation::Rebooted;
        tidepool::assert_sometimes!(rebooted, "a client notices a reboot");
        tidepool::assert_sometimes!(seen.store_lost, "a client notices a lost store");
        if matches!(seen.incarnation, Incarnation::First | Incarnation::Rebooted) {
            let (address, incarnation) = (self.address, reply.incarnation);
            tidepool::SharedState.update::<BTreeMap<SocketAddr, u64>, _>(
                INCARNATIONS_SEEN,
                |seen| {
                    let highest = seen.entry(address).or_default();
                    *highest = (*highest).max(incarnation);
                },
            );
        }
        tidepool::assert_always!(
            !matches!(reply.response, Response::Error(_)),
            "the server refuses no valid request",
            server = %self.address,
            response = reply.response
        );
        (!unavailable).then_some(reply.response)
    }

    pub(super) fn check_get(&mut self, key: usize, response: &Response, final_read: bool) {
        tidepool::assert_always!(
            matches!(response, Response::Value(_) | Response::NotFound),
            "a GET is answered with a value or not found",
            server = %self.address,
            response = response
        );
        let got = match response {
            Response::Value(value) => Some(value.clone()),
            Response::NotFound => None,
            Response::Ok | Response::Error(_) | Response::Unavailable(_) => return,
        };
        tidepool::assert_sometimes!(got.is_some(), "a read finds a present key");
        tidepool::assert_sometimes!(got.is_none(), "a read finds a missing key");
        // Before the model: a value no client wrote (torn, or read from the
        // wrong place) is a symptom of its own.
        tidepool::assert_always!(
            got.as_ref().is_none_or(|value| is_written_value(value)),
            "a read returns a value a client wrote",
            server = %self.address,
            key = key,
            got = got
        );
        let possible = self.model.possible(key);
        let allowed = self.model.read(key, got.clone());
        if final_read {
            tidepool::assert_always!(
                allowed,
                "a final read matches the model",
                server = %self.address,
                key = key,
                got = got,
                possible = possible
            );
        } else {
            tidepool::assert_always!(
                allowed,
                "a read matches the model",
                server = %self.address,
                key = key,
                got = got,
                possible = possible
            );
        }
    }

    pub(super) fn on_set(&mut self, key: usize, value: Bytes, result: Result<Reply, ClientError>) {
        let may_have_applied = may_have_applied(&result);
        let Some(response) = self.take_reply(result) else {
            if may_have_applied {
                self.model.unknown_write(key, Some(value));
            }
            return;
        };
        tidepool::assert_always!(
            response == Response::Ok,
            "a SET is answered with Ok",
            server = %self.address,
            response = response
        );
        if response == Response::Ok {
            self.model.set(key, value);
        }
    }

    pub(super) fn on_delete(&mut self, key: usize, result: Result<Reply, ClientError>) {
        let may_have_applied = may_have_applied(&result);
        let Some(response) = self.take_reply(result) else {
            if may_have_applied {
                self.model.unknown_write(key, None);
            }
            return;
        };
        tidepool::assert_always!(
            matches!(response, Response::Ok | Response::NotFound),
            "a DELETE is answered with Ok or not found",
            server = %self.address,
            response = response
        );
        let was_present = match response {
            Response::Ok => true,
            Response::NotFound => false,
            Response::Value(_) | Response::Error(_) | Response::Unavailable(_) => return,
        };
        tidepool::assert_sometimes!(was_present, "a delete removes a present key");
        let possible = self.model.possible(key);
        let allowed = self.model.delete(key, was_present);
        tidepool::assert_always!(
            allowed,
            "a DELETE matches the model",
            server = %self.address,
            key = key,
            was_present = was_present,
            possible = possible
        );
    }
}

/// Whether a write that was not acknowledged may have been applied anyway:
/// it got no reply once it may have left, or the server answered that it
/// could not reach its data (its storage failed mid-write).
pub(super) fn may_have_applied(result: &Result<Reply, ClientError>) -> bool {
    match result {
        Ok(reply) => matches!(reply.response, Response::Unavailable(_)),
        Err(error) => error.may_have_applied(),
    }
}
