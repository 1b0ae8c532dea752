//! `OperationLog`: what the clients asked and got, in the order it happened,
//! turned into a [`History`] once the run is over.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tidepool::history::{ClientId, History, HistoryError, OpId};
use tidepool::time::Instant;

use crate::model::{Kind, KvOp, KvOut};

/// Operations a client may have open in the history at once: a pipeline's,
/// each in every store it may have reached, and its lost writes waiting to
/// be settled. Far above what a client reaches.
const OPEN_PER_CLIENT_MAX: u32 = 100_000;

/// One operation as the log keeps it.
#[derive(Clone, Debug)]
struct Record {
    client: ClientId,
    op: KvOp,
    invoked_at: Instant,
    /// The server's latest incarnation when the request was invoked: the
    /// oldest it can reach.
    booted_at_invoke: u64,
    end: End,
}

/// How an operation ended, as the client saw it.
#[derive(Clone, Copy, Debug)]
enum End {
    Open,
    /// A reply; `out` is `None` when it says the server could not reach its
    /// data (it may have applied a write anyway, now or at a recovery).
    Replied {
        at: Instant,
        incarnation: u64,
        store: Option<u64>,
        out: Option<KvOut>,
    },
    /// No reply, and the request may have left. `booted` is the server's
    /// latest incarnation then, the newest it can have reached; `settled` is
    /// when a later reply showed it can no longer land.
    Lost {
        at: Instant,
        booted: u64,
        settled: Option<Instant>,
    },
    /// Nothing was sent.
    NotSent,
}

/// A step of the log, in the order they happened.
#[derive(Clone, Copy, Debug)]
enum Step {
    Invoked(usize),
    Ended(usize),
    Settled(usize),
}

/// What the clients of one workload asked and got, in order.
///
/// A request is logged when it is invoked, without its store: which store of
/// its server it reaches is known only from its reply, if any. [`history`]
/// then puts each operation in the stores it may have reached: the one its
/// reply names; for one without a reply, every store of the incarnations
/// booted between its invocation and its end (an in-memory server's
/// connection reaches one incarnation, and nothing of it survives a reboot;
/// a durable one's stores last across incarnations).
///
/// [`history`]: OperationLog::history
#[derive(Debug, Default)]
pub(crate) struct OperationLog {
    records: Vec<Record>,
    steps: Vec<Step>,
    /// The store of each (server, incarnation) a reply has named.
    stores: BTreeMap<(usize, u64), u64>,
    /// Lost writes not settled yet, per (client, server): the record and
    /// when it was lost.
    unsettled: BTreeMap<(ClientId, usize), Vec<(usize, Instant)>>,
}

impl OperationLog {
    /// Logs that `client` invokes `op` (its store not known yet) at `at`,
    /// when its server's latest incarnation is `booted`.
    pub(crate) fn invoke(&mut self, client: ClientId, op: KvOp, booted: u64, at: Instant) -> usize {
        let index = self.records.len();
        self.records.push(Record {
            client,
            op,
            invoked_at: at,
            booted_at_invoke: booted,
            end: End::Open,
        });
        self.steps.push(Step::Invoked(index));
        index
    }

    /// Logs the reply to operation `index`; `out` is `None` for a reply
    /// saying the server could not reach its data.
    pub(crate) fn replied(
        &mut self,
        index: usize,
        at: Instant,
        incarnation: u64,
        store: Option<u64>,
        out: Option<KvOut>,
    ) {
        let server = self.records[index].op.server;
        if let Some(store) = store {
            self.stores.insert((server, incarnation), store);
        }
        self.end(
            index,
            End::Replied {
                at,
                incarnation,
                store,
                out,
            },
        );
    }

    /// Logs that operation `index` got no reply at `at` though it may have
    /// left, when its server's latest incarnation was `booted`.
    pub(crate) fn lost(&mut self, index: usize, at: Instant, booted: u64) {
        let record = &self.records[index];
        if matches!(record.op.kind, Kind::Set(_) | Kind::Delete) && !record.op.over_limit {
            let link = (record.client, record.op.server);
            self.unsettled.entry(link).or_default().push((index, at));
        }
        let settled = None;
        self.end(
            index,
            End::Lost {
                at,
                booted,
                settled,
            },
        );
    }

    /// Logs that nothing of operation `index` was sent.
    pub(crate) fn not_sent(&mut self, index: usize) {
        self.end(index, End::NotSent);
    }

    fn end(&mut self, index: usize, end: End) {
        assert!(
            matches!(self.records[index].end, End::Open),
            "an operation ends once"
        );
        self.records[index].end = end;
        self.steps.push(Step::Ended(index));
    }

    /// A request of `client` to `server`, sent at `sent_at`, got a reply at
    /// `at`: the client's lost writes to that server that failed at least
    /// `delivery_max` before `sent_at` can no longer land (see
    /// [`KvWorkloadConfig::delivery_max`](crate::KvWorkloadConfig::delivery_max)).
    pub(crate) fn settle(
        &mut self,
        client: ClientId,
        server: usize,
        sent_at: Instant,
        at: Instant,
        delivery_max: Duration,
    ) {
        let Some(unsettled) = self.unsettled.get_mut(&(client, server)) else {
            return;
        };
        let mut settled = Vec::new();
        unsettled.retain(|&(index, failed_at)| {
            let done = failed_at + delivery_max <= sent_at;
            if done {
                settled.push(index);
            }
            !done
        });
        for index in settled {
            if let End::Lost { settled, .. } = &mut self.records[index].end {
                *settled = Some(at);
            }
            self.steps.push(Step::Settled(index));
        }
    }

    /// The log as a history: each operation in every store it may have
    /// reached; a lost write settled by a later reply as ambiguous up to that
    /// reply, an unsettled one as indeterminate.
    ///
    /// # Errors
    ///
    /// When the history refuses an event (past its bounds).
    pub(crate) fn history(&self) -> Result<History<KvOp, KvOut>, HistoryError> {
        let mut history = History::new().open_per_client_max(OPEN_PER_CLIENT_MAX);
        let mut ids: Vec<Vec<OpId>> = vec![Vec::new(); self.records.len()];
        for step in &self.steps {
            match *step {
                Step::Invoked(index) => {
                    let record = &self.records[index];
                    for store in self.stores_reached(record) {
                        let op = KvOp { store, ..record.op };
                        ids[index].push(history.invoke_at(record.client, op, record.invoked_at)?);
                    }
                }
                Step::Ended(index) => self.end_in(&mut history, &ids[index], index)?,
                Step::Settled(index) => {
                    if let End::Lost {
                        settled: Some(at), ..
                    } = self.records[index].end
                    {
                        for &id in &ids[index] {
                            history.ambiguous_at(id, at)?;
                        }
                    }
                }
            }
        }
        Ok(history)
    }

    fn end_in(
        &self,
        history: &mut History<KvOp, KvOut>,
        ids: &[OpId],
        index: usize,
    ) -> Result<(), HistoryError> {
        for &id in ids {
            match self.records[index].end {
                End::Replied {
                    at, out: Some(out), ..
                } => history.complete_at(id, out, at)?,
                End::Replied { at, out: None, .. } => history.indeterminate_at(id, at)?,
                End::Lost {
                    at, settled: None, ..
                } => history.indeterminate_at(id, at)?,
                // Ended when settled.
                End::Lost {
                    settled: Some(_), ..
                }
                | End::Open
                | End::NotSent => {}
            }
        }
        Ok(())
    }

    /// The stores `record` may have reached.
    fn stores_reached(&self, record: &Record) -> BTreeSet<u64> {
        let server = record.op.server;
        match record.end {
            End::Replied {
                store: Some(store),
                out: Some(_),
                ..
            } => BTreeSet::from([store]),
            End::Replied { incarnation, .. } => {
                self.stores_between(server, incarnation, incarnation)
            }
            End::Lost { booted, .. } => {
                self.stores_between(server, record.booted_at_invoke, booted)
            }
            End::Open => self.stores_between(server, record.booted_at_invoke, u64::MAX),
            End::NotSent => BTreeSet::new(),
        }
    }

    /// The stores of `server`'s incarnations `low..=high`; for an incarnation
    /// no reply named the store of, those of the nearest ones before and
    /// after it that a reply did (it may have been either: a durable server's
    /// store lasts until a wipe). An incarnation nobody heard from at all
    /// matters to no reply.
    fn stores_between(&self, server: usize, low: u64, high: u64) -> BTreeSet<u64> {
        let mut stores = BTreeSet::new();
        let known = self.stores.range((server, low)..=(server, high));
        stores.extend(known.map(|(_, &store)| store));
        // An unknown incarnation lies between known ones, or past them.
        let before = self.stores.range((server, 0)..(server, low)).next_back();
        let after = self
            .stores
            .range((server, high.saturating_add(1))..=(server, u64::MAX))
            .next();
        let named = self.stores.range((server, low)..=(server, high)).count() as u64;
        let span = high.saturating_sub(low).saturating_add(1);
        if named < span {
            stores.extend(before.map(|(_, &store)| store));
            stores.extend(after.map(|(_, &store)| store));
        }
        stores
    }

    /// Whether the operation logged last got a reply with data.
    pub(crate) fn last_answered_with_data(&self) -> bool {
        let last = self.records.last().map(|record| record.end);
        matches!(last, Some(End::Replied { out: Some(_), .. }))
    }

    /// Operations logged.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::ValueId;
    use tidepool::history::Outcome;

    fn op(kind: Kind) -> KvOp {
        KvOp {
            server: 0,
            store: 0,
            key: 0,
            kind,
            over_limit: false,
        }
    }

    const SET: Kind = Kind::Set(ValueId(1));

    #[test]
    fn an_operation_goes_to_the_store_its_reply_names() {
        let mut log = OperationLog::default();
        let at = Instant::from_nanos;
        let set = log.invoke(ClientId(0), op(SET), 1, at(0));
        log.replied(set, at(1), 1, Some(7), Some(KvOut::Ok));
        let history = log.history().unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history.operations()[0].op().store, 7);
        assert_eq!(
            history.operations()[0].outcome(),
            &Outcome::Completed(KvOut::Ok)
        );
    }

    #[test]
    fn a_lost_write_goes_to_every_store_it_may_have_reached() {
        // Incarnations 1 and 2 of an in-memory server (stores 1 and 2); a
        // write invoked while 1 ran and lost once 2 had booted may have
        // reached either; incarnation 3 booted after it failed.
        let mut log = OperationLog::default();
        let at = Instant::from_nanos;
        for (incarnation, time) in [(1, 0), (2, 10), (3, 30)] {
            let read = log.invoke(ClientId(1), op(Kind::Get), incarnation, at(time));
            log.replied(
                read,
                at(time + 1),
                incarnation,
                Some(incarnation),
                Some(KvOut::NotFound),
            );
        }
        let lost = log.invoke(ClientId(0), op(SET), 1, at(5));
        log.lost(lost, at(20), 2);
        let history = log.history().unwrap();
        let stores: Vec<u64> = (history.operations().iter())
            .filter(|operation| operation.op().kind == SET)
            .map(|operation| operation.op().store)
            .collect();
        assert_eq!(stores, [1, 2]);
        assert!(
            history
                .operations()
                .iter()
                .all(|operation| !matches!(operation.outcome(), Outcome::Open))
        );
    }

    #[test]
    fn a_settled_write_is_ambiguous_up_to_the_reply_that_settled_it() {
        let mut log = OperationLog::default();
        let at = Instant::from_nanos;
        let lost = log.invoke(ClientId(0), op(SET), 1, at(0));
        log.lost(lost, at(100), 1);
        let delivery_max = Duration::from_nanos(50);
        // Sent too soon after the failure: settles nothing.
        let early = log.invoke(ClientId(0), op(Kind::Get), 1, at(120));
        log.replied(early, at(130), 1, Some(1), Some(KvOut::NotFound));
        log.settle(ClientId(0), 0, at(120), at(130), delivery_max);
        // Another client's reply settles nothing either.
        log.settle(ClientId(9), 0, at(200), at(210), delivery_max);
        let late = log.invoke(ClientId(0), op(Kind::Get), 1, at(150));
        log.replied(late, at(160), 1, Some(1), Some(KvOut::NotFound));
        log.settle(ClientId(0), 0, at(150), at(160), delivery_max);
        let history = log.history().unwrap();
        let write = &history.operations()[0];
        assert_eq!(write.outcome(), &Outcome::Ambiguous);
        assert_eq!(write.ended_at(), Some(at(160)));
    }
}
