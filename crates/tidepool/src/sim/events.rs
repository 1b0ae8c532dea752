//! The one event queue of a world, ordered by (time, sequence number).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// What an event does when its time comes.
#[derive(Clone, Copy, Debug)]
pub(crate) enum EventKind {
    /// Wake the sleeper of a timer slot, if the slot still has this generation.
    Timer { slot: u32, generation: u32 },
    /// Deliver what is due on one direction of a connection.
    Deliver { conn: u32, dir: u8 },
    /// Land a connection attempt at its listener.
    ConnectArrive { conn: u32 },
    /// Complete (or fail) a connection attempt at the client.
    ConnectReply { conn: u32 },
    /// A reset reaches one end of a connection.
    Reset { conn: u32, dir: u8 },
    /// A random partition between two hosts ends.
    HealPair { a: u32, b: u32 },
    /// A clog may have ended: stalled deliveries whose links are open resume.
    Unclog,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    pub(crate) time: u64,
    pub(crate) seq: u64,
    pub(crate) kind: EventKind,
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}

impl Eq for Event {}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Event {
    /// Reversed, so that the max-heap pops the earliest event first.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .time
            .cmp(&self.time)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Events not yet fired. Every event gets a fresh sequence number, so ties in
/// time fire in the order they were scheduled.
#[derive(Default)]
pub(crate) struct EventQueue {
    heap: BinaryHeap<Event>,
    next_seq: u64,
}

impl EventQueue {
    #[inline]
    pub(crate) fn push(&mut self, time: u64, kind: EventKind) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Event { time, seq, kind });
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<Event> {
        self.heap.pop()
    }

    pub(crate) fn peek_time(&self) -> Option<u64> {
        self.heap.peek().map(|event| event.time)
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_schedule_order() {
        let mut queue = EventQueue::default();
        for (time, slot) in [(5, 0), (1, 1), (5, 2), (3, 3), (1, 4)] {
            queue.push(
                time,
                EventKind::Timer {
                    slot,
                    generation: 0,
                },
            );
        }
        let order: Vec<u32> = std::iter::from_fn(|| queue.pop())
            .map(|event| match event.kind {
                EventKind::Timer { slot, .. } => slot,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(order, [1, 4, 3, 0, 2]);
    }
}
