//! [`History`]: the recorder a workload writes operations into.

use std::collections::HashMap;

use super::FixedState;

use super::error::HistoryError;
use super::event::{Event, EventKind};
use super::operation::{ClientId, OpId, Operation, Outcome, Stamp};
use crate::time::Instant;

/// Operations a [`History`] holds unless told otherwise.
pub const OPERATIONS_MAX_DEFAULT: usize = 1_000_000;
/// Operations a client may have open at once unless told otherwise: one, as a
/// client that waits for each reply before its next request.
pub const OPEN_PER_CLIENT_MAX_DEFAULT: u32 = 1;

/// A record of operations: who invoked what and when, and how each ended.
///
/// `Op` is what a client asks (`Write(1)`, `Read`), `Out` what it gets back.
/// Record an operation with [`invoke`](History::invoke) when its request is
/// about to be sent and end it with [`complete`](History::complete) when its
/// reply is in, so its interval covers the moment it took effect. Then check
/// it with [`check`](super::check).
///
/// Events are ordered by time; events at the same instant in the order they
/// were recorded. In a simulation that is the order they happened in (one
/// thread, and time stands still while tasks run). A history assembled from
/// several threads or machines should give each event its own instant when
/// their recording order at equal instants could differ from what happened.
///
/// It is bounded: past [`operations_max`](History::operations_max) operations
/// (default [`OPERATIONS_MAX_DEFAULT`]), `invoke` returns
/// [`HistoryError::Full`] and records nothing.
///
/// # Examples
///
/// Two clients of a register; the second reads while the first writes:
///
/// ```
/// use tidepool::history::{ClientId, History};
/// use tidepool::time::Instant;
///
/// #[derive(Debug)]
/// enum Op {
///     Write(u32),
///     Read,
/// }
///
/// let at = Instant::from_nanos;
/// let mut history = History::<Op, Option<u32>>::new();
/// let write = history.invoke_at(ClientId(1), Op::Write(7), at(10)).unwrap();
/// let read = history.invoke_at(ClientId(2), Op::Read, at(11)).unwrap();
/// history.complete_at(read, Some(7), at(12)).unwrap();
/// history.complete_at(write, None, at(13)).unwrap();
/// assert_eq!(history.len(), 2);
/// ```
///
/// In a simulation, [`invoke`](History::invoke) and friends read the
/// simulated clock:
///
/// ```
/// use std::time::Duration;
/// use tidepool::history::{ClientId, History};
/// use tidepool::sim::{self, Sim};
///
/// let run = Sim::new(1).run(async {
///     let mut history = History::<&str, u32>::new();
///     let id = history.invoke(ClientId(0), "read").unwrap();
///     sim::sleep(Duration::from_millis(3)).await;
///     history.complete(id, 0).unwrap();
///     history
/// });
/// let history = run.outcome.unwrap();
/// let ended = history.operations()[0].ended_at().unwrap();
/// assert_eq!(ended.since_origin(), Duration::from_millis(3));
/// ```
#[derive(Clone, Debug)]
pub struct History<Op, Out> {
    operations: Vec<Operation<Op, Out>>,
    /// Open operations per client; a client with none has no entry, so this
    /// holds at most as many entries as there are open operations.
    open_per_client: HashMap<ClientId, u32, FixedState>,
    operations_max: usize,
    open_per_client_max: u32,
    /// Events recorded so far: the tie-breaker of events at one instant.
    events: u64,
}

impl<Op, Out> Default for History<Op, Out> {
    fn default() -> Self {
        History::new()
    }
}

impl<Op, Out> History<Op, Out> {
    /// An empty history that holds up to [`OPERATIONS_MAX_DEFAULT`] operations,
    /// [`OPEN_PER_CLIENT_MAX_DEFAULT`] open per client.
    pub fn new() -> History<Op, Out> {
        History {
            operations: Vec::new(),
            open_per_client: HashMap::default(),
            operations_max: OPERATIONS_MAX_DEFAULT,
            open_per_client_max: OPEN_PER_CLIENT_MAX_DEFAULT,
            events: 0,
        }
    }

    /// Holds at most `operations` operations; past them `invoke` returns
    /// [`HistoryError::Full`]. Default [`OPERATIONS_MAX_DEFAULT`].
    ///
    /// # Examples
    ///
    /// ```
    /// use tidepool::history::{ClientId, History};
    /// use tidepool::time::Instant;
    ///
    /// let mut history = History::<u8, u8>::new().operations_max(2);
    /// for op in 0..2 {
    ///     let id = history.invoke_at(ClientId(0), op, Instant::ZERO).unwrap();
    ///     history.complete_at(id, op, Instant::ZERO).unwrap();
    /// }
    /// assert!(history.invoke_at(ClientId(0), 2, Instant::ZERO).is_err());
    /// ```
    pub fn operations_max(mut self, operations: usize) -> History<Op, Out> {
        self.operations_max = operations;
        self
    }

    /// Lets a client have up to `open` operations open at once, as a client
    /// that pipelines requests on one connection; more make `invoke` return
    /// [`HistoryError::ClientBusy`]. Default [`OPEN_PER_CLIENT_MAX_DEFAULT`].
    /// The checker treats a client's open operations as concurrent: it assumes
    /// nothing about the order in which they take effect.
    ///
    /// # Panics
    ///
    /// When `open` is zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use tidepool::history::{ClientId, History};
    /// use tidepool::time::Instant;
    ///
    /// let mut history = History::<&str, u32>::new().open_per_client_max(2);
    /// let first = history.invoke_at(ClientId(0), "get a", Instant::ZERO).unwrap();
    /// let second = history.invoke_at(ClientId(0), "get b", Instant::ZERO).unwrap();
    /// assert!(history.invoke_at(ClientId(0), "get c", Instant::ZERO).is_err());
    /// history.complete_at(second, 2, Instant::from_nanos(1)).unwrap();
    /// history.complete_at(first, 1, Instant::from_nanos(1)).unwrap();
    /// ```
    pub fn open_per_client_max(mut self, open: u32) -> History<Op, Out> {
        assert!(open > 0, "a client may have at least one operation open");
        self.open_per_client_max = open;
        self
    }

    /// Records that `client` invokes `op` now, on the simulated clock.
    ///
    /// Call it before the request is sent: the operation cannot take effect
    /// before this.
    ///
    /// # Errors
    ///
    /// [`HistoryError::Full`] when the history holds its maximum,
    /// [`HistoryError::ClientBusy`] when `client` has its maximum open.
    ///
    /// # Panics
    ///
    /// Outside a running simulation; use [`invoke_at`](History::invoke_at)
    /// there.
    pub fn invoke(&mut self, client: ClientId, op: Op) -> Result<OpId, HistoryError> {
        self.invoke_at(client, op, crate::sim::now())
    }

    /// Records that `client` invokes `op` at `at`.
    ///
    /// # Errors
    ///
    /// [`HistoryError::Full`] when the history holds its maximum,
    /// [`HistoryError::ClientBusy`] when `client` has its maximum open.
    pub fn invoke_at(
        &mut self,
        client: ClientId,
        op: Op,
        at: Instant,
    ) -> Result<OpId, HistoryError> {
        if self.operations.len() >= self.operations_max {
            return Err(HistoryError::Full {
                limit: self.operations_max,
            });
        }
        // `operations_max` may exceed what an id holds; the id's width is the
        // true limit then.
        let id = OpId(
            u32::try_from(self.operations.len()).map_err(|_| HistoryError::Full {
                limit: self.operations.len(),
            })?,
        );
        let open = self.open_per_client.entry(client).or_insert(0);
        if *open >= self.open_per_client_max {
            return Err(HistoryError::ClientBusy {
                client,
                open: *open,
            });
        }
        *open += 1;
        let invoked = self.stamp(at);
        self.operations.push(Operation {
            client,
            op,
            invoked,
            ended: None,
            outcome: Outcome::Open,
        });
        Ok(id)
    }

    /// Records that operation `id` completed now, on the simulated clock,
    /// with `output`: call it once the reply is in.
    ///
    /// # Errors
    ///
    /// When `id` is not of this history or has ended already.
    ///
    /// # Panics
    ///
    /// Outside a running simulation; use
    /// [`complete_at`](History::complete_at) there.
    pub fn complete(&mut self, id: OpId, output: Out) -> Result<(), HistoryError> {
        self.complete_at(id, output, crate::sim::now())
    }

    /// Records that operation `id` completed at `at` with `output`.
    ///
    /// # Errors
    ///
    /// When `id` is not of this history, has ended already, or was invoked
    /// after `at`.
    pub fn complete_at(&mut self, id: OpId, output: Out, at: Instant) -> Result<(), HistoryError> {
        self.end(id, Outcome::Completed(output), at)
    }

    /// Records that operation `id`'s client gave up on it now, on the
    /// simulated clock, without knowing whether it took effect (a timeout, a
    /// lost connection, a server that rebooted mid-request). It may take
    /// effect at any point after its invocation, or never.
    ///
    /// # Errors
    ///
    /// When `id` is not of this history or has ended already.
    ///
    /// # Panics
    ///
    /// Outside a running simulation; use
    /// [`indeterminate_at`](History::indeterminate_at) there.
    pub fn indeterminate(&mut self, id: OpId) -> Result<(), HistoryError> {
        self.indeterminate_at(id, crate::sim::now())
    }

    /// Records that operation `id`'s client gave up on it at `at`, as
    /// [`indeterminate`](History::indeterminate) does.
    ///
    /// # Errors
    ///
    /// When `id` is not of this history, has ended already, or was invoked
    /// after `at`.
    pub fn indeterminate_at(&mut self, id: OpId, at: Instant) -> Result<(), HistoryError> {
        self.end(id, Outcome::Indeterminate, at)
    }

    /// Records that operation `id`'s client received, now, on the simulated
    /// clock, a reply that does not say whether it took effect ("unavailable,
    /// may have been applied"): it took effect before now, or never.
    ///
    /// # Errors
    ///
    /// When `id` is not of this history or has ended already.
    ///
    /// # Panics
    ///
    /// Outside a running simulation; use
    /// [`ambiguous_at`](History::ambiguous_at) there.
    pub fn ambiguous(&mut self, id: OpId) -> Result<(), HistoryError> {
        self.ambiguous_at(id, crate::sim::now())
    }

    /// Records that operation `id`'s client received, at `at`, a reply that
    /// does not say whether it took effect, as
    /// [`ambiguous`](History::ambiguous) does.
    ///
    /// # Errors
    ///
    /// When `id` is not of this history, has ended already, or was invoked
    /// after `at`.
    ///
    /// # Examples
    ///
    /// ```
    /// use tidepool::history::{ClientId, History, Outcome};
    /// use tidepool::time::Instant;
    ///
    /// let mut history = History::<&str, ()>::new();
    /// let id = history.invoke_at(ClientId(0), "set x 1", Instant::ZERO).unwrap();
    /// history.ambiguous_at(id, Instant::from_nanos(10)).unwrap();
    /// assert_eq!(history.operations()[0].outcome(), &Outcome::Ambiguous);
    /// ```
    pub fn ambiguous_at(&mut self, id: OpId, at: Instant) -> Result<(), HistoryError> {
        self.end(id, Outcome::Ambiguous, at)
    }

    /// Records that operation `id` certainly did not take effect (its server
    /// refused it before doing anything), now, on the simulated clock. The
    /// checker leaves it out.
    ///
    /// # Errors
    ///
    /// When `id` is not of this history or has ended already.
    ///
    /// # Panics
    ///
    /// Outside a running simulation; use [`fail_at`](History::fail_at) there.
    pub fn fail(&mut self, id: OpId) -> Result<(), HistoryError> {
        self.fail_at(id, crate::sim::now())
    }

    /// Records that operation `id` certainly did not take effect, at `at`, as
    /// [`fail`](History::fail) does.
    ///
    /// # Errors
    ///
    /// When `id` is not of this history, has ended already, or was invoked
    /// after `at`.
    pub fn fail_at(&mut self, id: OpId, at: Instant) -> Result<(), HistoryError> {
        self.end(id, Outcome::Failed, at)
    }

    /// The operations, in the order they were invoked ([`OpId::index`]).
    pub fn operations(&self) -> &[Operation<Op, Out>] {
        &self.operations
    }

    /// Every invocation and end, in the order the checker reads them: by
    /// time, and at one instant in the order they were recorded.
    ///
    /// # Examples
    ///
    /// ```
    /// use tidepool::history::{ClientId, EventKind, History};
    /// use tidepool::time::Instant;
    ///
    /// let mut history = History::<&str, ()>::new().open_per_client_max(2);
    /// let late = history.invoke_at(ClientId(0), "late", Instant::from_nanos(9)).unwrap();
    /// let early = history.invoke_at(ClientId(0), "early", Instant::from_nanos(1)).unwrap();
    /// history.complete_at(early, (), Instant::from_nanos(9)).unwrap();
    /// let order: Vec<_> = history.events().map(|event| (event.id, event.kind)).collect();
    /// let (invoked, ended) = (EventKind::Invoked, EventKind::Ended);
    /// assert_eq!(order, [(early, invoked), (late, invoked), (early, ended)]);
    /// ```
    pub fn events(&self) -> impl Iterator<Item = Event> + '_ {
        let mut events: Vec<(Stamp, Event)> = Vec::with_capacity(2 * self.operations.len());
        for (index, operation) in self.operations.iter().enumerate() {
            let id = OpId(index as u32);
            let invoked = Event {
                id,
                kind: EventKind::Invoked,
                at: operation.invoked.at,
            };
            events.push((operation.invoked, invoked));
            if let Some(ended) = operation.ended {
                let kind = EventKind::Ended;
                events.push((
                    ended,
                    Event {
                        id,
                        kind,
                        at: ended.at,
                    },
                ));
            }
        }
        events.sort_unstable_by_key(|(stamp, _)| *stamp);
        events.into_iter().map(|(_, event)| event)
    }

    /// The operations recorded.
    pub fn len(&self) -> usize {
        self.operations.len()
    }

    /// Whether no operation was recorded.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// The operations not ended yet.
    pub fn open(&self) -> usize {
        self.open_per_client
            .values()
            .map(|&open| open as usize)
            .sum()
    }

    fn end(&mut self, id: OpId, outcome: Outcome<Out>, at: Instant) -> Result<(), HistoryError> {
        let len = self.operations.len();
        let operation = self
            .operations
            .get(id.index())
            .ok_or(HistoryError::UnknownOperation { id, len })?;
        if operation.ended.is_some() {
            return Err(HistoryError::AlreadyEnded {
                id,
                outcome: operation.outcome.name(),
            });
        }
        if at < operation.invoked.at {
            return Err(HistoryError::EndsBeforeInvoked {
                id,
                invoked: operation.invoked.at,
                ended: at,
            });
        }
        let client = operation.client;
        let ended = self.stamp(at);
        let operation = &mut self.operations[id.index()];
        operation.ended = Some(ended);
        operation.outcome = outcome;
        self.close(client);
        Ok(())
    }

    /// One operation of `client` ended.
    fn close(&mut self, client: ClientId) {
        let open = self
            .open_per_client
            .get_mut(&client)
            .expect("a client with an open operation is counted");
        assert!(*open > 0, "client {client} has an operation open");
        *open -= 1;
        if *open == 0 {
            self.open_per_client.remove(&client);
        }
    }

    fn stamp(&mut self, at: Instant) -> Stamp {
        let seq = self.events;
        self.events += 1;
        Stamp { at, seq }
    }
}
