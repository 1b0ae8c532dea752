//! The calls and returns of one partition's operations in time order, as a
//! list the search unlinks an operation from when it linearizes it and links
//! back when it backtracks (Knuth's dancing links, as in Lowe's algorithm).

use super::SearchOp;
use crate::history::operation::Stamp;

/// The list's head, before the first entry and after the last.
const HEAD: u32 = 0;
/// An operation with no return entry (indeterminate or open).
const NO_RETURN: u32 = u32::MAX;

/// One entry: an operation's call or its return.
#[derive(Clone, Copy, Debug)]
struct Entry {
    op: u32,
    is_return: bool,
}

/// The entries of a partition's operations, ordered by [`Stamp`]. An
/// operation without a deadline (unbounded) has a call entry only, and it is
/// never linked: such operations are found through the search's own list of
/// them, so that those never linearized do not pile up at the front of the
/// list for every scan to walk over.
#[derive(Debug)]
pub(crate) struct Entries {
    /// Index 0 is the head; its entry is never read.
    entries: Vec<Entry>,
    next: Vec<u32>,
    prev: Vec<u32>,
    /// Each operation's call entry.
    calls: Vec<u32>,
    /// Each operation's return entry, or [`NO_RETURN`].
    returns: Vec<u32>,
}

impl Entries {
    /// The entries of `ops`, all linked but the calls of unbounded ones.
    pub(crate) fn new<Op, Out>(ops: &[SearchOp<'_, Op, Out>]) -> Entries {
        let mut stamped: Vec<(Stamp, Entry)> = Vec::with_capacity(2 * ops.len());
        for (index, operation) in ops.iter().enumerate() {
            let op = u32::try_from(index).expect("a history's operations fit in u32");
            let call = Entry {
                op,
                is_return: false,
            };
            stamped.push((operation.invoked, call));
            if let Some(deadline) = operation.deadline {
                assert!(
                    operation.invoked < deadline,
                    "an operation returns after its call"
                );
                stamped.push((
                    deadline,
                    Entry {
                        op,
                        is_return: true,
                    },
                ));
            }
        }
        stamped.sort_unstable_by_key(|(stamp, _)| *stamp);

        let len = stamped.len() + 1;
        let head = Entry {
            op: u32::MAX,
            is_return: false,
        };
        let mut list = Entries {
            entries: Vec::with_capacity(len),
            next: (1..=len as u32).map(|next| next % len as u32).collect(),
            prev: (0..len as u32)
                .map(|at| (at + len as u32 - 1) % len as u32)
                .collect(),
            calls: vec![HEAD; ops.len()],
            returns: vec![NO_RETURN; ops.len()],
        };
        list.entries.push(head);
        for (position, (_, entry)) in stamped.into_iter().enumerate() {
            let at = position as u32 + 1;
            if entry.is_return {
                list.returns[entry.op as usize] = at;
            } else {
                list.calls[entry.op as usize] = at;
            }
            list.entries.push(entry);
        }
        for op in 0..ops.len() {
            if list.returns[op] == NO_RETURN {
                list.unlink(list.calls[op]);
            }
        }
        list
    }

    /// The head: before the first entry and after the last.
    pub(crate) fn head(&self) -> u32 {
        HEAD
    }

    /// The first linked entry, or the head when none is left.
    pub(crate) fn first(&self) -> u32 {
        self.next[HEAD as usize]
    }

    /// The linked entry after `at`, or the head after the last.
    pub(crate) fn next(&self, at: u32) -> u32 {
        self.next[at as usize]
    }

    /// The operation whose call `at` is; `None` at a return or the head,
    /// where the operations a search may linearize next end.
    pub(crate) fn call_at(&self, at: u32) -> Option<usize> {
        let entry = self.entries[at as usize];
        (at != HEAD && !entry.is_return).then_some(entry.op as usize)
    }

    /// The operation whose return `at` is; `None` at a call or the head.
    pub(crate) fn return_at(&self, at: u32) -> Option<usize> {
        let entry = self.entries[at as usize];
        (at != HEAD && entry.is_return).then_some(entry.op as usize)
    }

    /// The call entry of operation `op`.
    pub(crate) fn call_of(&self, op: usize) -> u32 {
        self.calls[op]
    }

    /// Unlinks operation `op`'s call and return: it is linearized. Nothing
    /// for an unbounded one, which is not linked.
    pub(crate) fn lift(&mut self, op: usize) {
        if self.returns[op] != NO_RETURN {
            self.unlink(self.calls[op]);
            self.unlink(self.returns[op]);
        }
    }

    /// Links operation `op`'s entries back, undoing the latest
    /// [`lift`](Entries::lift) (lifts are undone in reverse order).
    pub(crate) fn unlift(&mut self, op: usize) {
        if self.returns[op] != NO_RETURN {
            self.relink(self.returns[op]);
            self.relink(self.calls[op]);
        }
    }

    fn unlink(&mut self, at: u32) {
        let (prev, next) = (self.prev[at as usize], self.next[at as usize]);
        debug_assert_eq!(self.next[prev as usize], at, "an unlinked entry is linked");
        self.next[prev as usize] = next;
        self.prev[next as usize] = prev;
    }

    /// Links `at` back between the neighbours it had when unlinked, which are
    /// linked again since unlinks are undone in reverse order.
    fn relink(&mut self, at: u32) {
        let (prev, next) = (self.prev[at as usize], self.next[at as usize]);
        debug_assert_eq!(
            self.next[prev as usize], next,
            "a relinked entry's neighbours are adjacent"
        );
        self.next[prev as usize] = at;
        self.prev[next as usize] = at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{ClientId, History};
    use crate::time::Instant;

    /// The walk from the head, as (op, is_return) pairs.
    fn walk(list: &Entries) -> Vec<(u32, bool)> {
        let mut at = list.first();
        let mut seen = Vec::new();
        while at != HEAD {
            let entry = list.entries[at as usize];
            seen.push((entry.op, entry.is_return));
            at = list.next(at);
        }
        seen
    }

    /// Entries follow time, ties in recording order; an indeterminate
    /// operation has no return and is not linked; lift and unlift restore the
    /// list exactly.
    #[test]
    fn entries_follow_time_and_lift_restores() {
        let at = Instant::from_nanos;
        let mut history = History::<u8, u8>::new().open_per_client_max(3);
        let a = history.invoke_at(ClientId(0), 0, at(5)).unwrap();
        let b = history.invoke_at(ClientId(0), 1, at(1)).unwrap();
        let c = history.invoke_at(ClientId(0), 2, at(5)).unwrap();
        history.complete_at(a, 0, at(6)).unwrap();
        history.complete_at(b, 0, at(5)).unwrap();
        history.indeterminate_at(c, at(7)).unwrap();
        let ops: Vec<_> = history.operations().iter().map(SearchOp::new).collect();
        let mut list = Entries::new(&ops);
        let order = vec![(1, false), (0, false), (1, true), (0, true)];
        assert_eq!(walk(&list), order);
        assert!(
            list.call_of(0) < list.call_of(2),
            "at one instant, as recorded"
        );
        assert!(
            list.call_of(2) < list.call_of(1) + 3,
            "placed among the others"
        );

        list.lift(1);
        assert_eq!(walk(&list), vec![(0, false), (0, true)]);
        list.lift(2);
        list.lift(0);
        assert_eq!(walk(&list), vec![]);
        list.unlift(0);
        list.unlift(2);
        list.unlift(1);
        assert_eq!(walk(&list), order);
    }
}
