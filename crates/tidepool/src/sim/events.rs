//! The one event queue of a world, ordered by (time, sequence number).

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
    /// A UDP datagram in flight reaches its target host.
    Datagram { slot: u32 },
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    pub(crate) time: u64,
    pub(crate) kind: EventKind,
}

/// An event in the heap: its time and sequence number in one key, so that an
/// ordering test is one 128-bit comparison.
#[derive(Clone, Copy)]
struct Entry {
    /// `time << 64 | seq`.
    key: u128,
    kind: EventKind,
}

/// Children per heap node. Four halves the depth of a binary heap, and a
/// node's children share a cache line or two.
const ARITY: usize = 4;

/// Events not yet fired, in a min-heap on (time, sequence number). Every event
/// gets a fresh sequence number, so ties in time fire in the order they were
/// scheduled.
#[derive(Default)]
pub(crate) struct EventQueue {
    heap: Vec<Entry>,
    next_seq: u64,
}

impl EventQueue {
    #[inline]
    pub(crate) fn push(&mut self, time: u64, kind: EventKind) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry {
            key: (time as u128) << 64 | seq as u128,
            kind,
        };
        self.heap.push(entry);
        self.sift_up(self.heap.len() - 1, entry);
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<Event> {
        let last = self.heap.pop()?;
        let top = match self.heap.first_mut() {
            Some(first) => std::mem::replace(first, last),
            None => last,
        };
        if !self.heap.is_empty() {
            self.sift_down(last);
        }
        Some(Event {
            time: (top.key >> 64) as u64,
            kind: top.kind,
        })
    }

    /// The next event, left in the queue.
    #[inline]
    pub(crate) fn peek(&self) -> Option<Event> {
        self.heap.first().map(|entry| Event {
            time: (entry.key >> 64) as u64,
            kind: entry.kind,
        })
    }

    /// Events queued.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Drops every event for which `keep` is false. The order of the rest is
    /// unchanged: it depends on their keys alone.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&EventKind) -> bool) {
        self.heap.retain(|entry| keep(&entry.kind));
        // Floyd's heap construction: sift every parent down, from the last up.
        let len = self.heap.len();
        if len < 2 {
            return;
        }
        for parent in (0..=(len - 2) / ARITY).rev() {
            self.sift_down_from(parent);
        }
    }

    /// Moves the entry at `hole` down below any smaller child, in a heap whose
    /// subtrees under it are heaps already.
    fn sift_down_from(&mut self, mut hole: usize) {
        let entry = self.heap[hole];
        let len = self.heap.len();
        loop {
            let first = hole * ARITY + 1;
            if first >= len {
                break;
            }
            let smallest = (first + 1..(first + ARITY).min(len)).fold(first, |smallest, child| {
                if self.heap[child].key < self.heap[smallest].key {
                    child
                } else {
                    smallest
                }
            });
            if entry.key <= self.heap[smallest].key {
                break;
            }
            self.heap[hole] = self.heap[smallest];
            hole = smallest;
        }
        self.heap[hole] = entry;
    }

    /// Moves `entry`, now at `hole`, up to its place.
    #[inline]
    fn sift_up(&mut self, mut hole: usize, entry: Entry) {
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            if self.heap[parent].key <= entry.key {
                break;
            }
            self.heap[hole] = self.heap[parent];
            hole = parent;
        }
        self.heap[hole] = entry;
    }

    /// The index of the smallest of the four entries from `first`, without
    /// branches: on random keys a branch here mispredicts half the time.
    #[inline]
    fn smallest_of_four(&self, first: usize) -> usize {
        let keys = &self.heap[first..first + ARITY];
        let low = (keys[1].key < keys[0].key) as usize;
        let high = 2 + (keys[3].key < keys[2].key) as usize;
        let pick_high = (keys[high].key < keys[low].key) as usize;
        first + low + (high - low) * pick_high
    }

    /// Moves `entry`, now at the root, down to its place: Floyd's way, first
    /// down the path of smallest children to a leaf, then up to where it fits
    /// (usually near the leaf it came from).
    #[inline]
    fn sift_down(&mut self, entry: Entry) {
        let len = self.heap.len();
        let mut hole = 0;
        loop {
            let first = hole * ARITY + 1;
            let smallest = if first + ARITY <= len {
                self.smallest_of_four(first)
            } else if first < len {
                (first + 1..len).fold(first, |smallest, child| {
                    if self.heap[child].key < self.heap[smallest].key {
                        child
                    } else {
                        smallest
                    }
                })
            } else {
                break;
            };
            self.heap[hole] = self.heap[smallest];
            hole = smallest;
        }
        self.sift_up(hole, entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_order_as_a_sorted_list_would() {
        let mut queue = EventQueue::default();
        let mut expected = Vec::new();
        let mut state = 7u64;
        for round in 0..2000u32 {
            state = crate::sim::splitmix64(state);
            let time = state % 50;
            queue.push(
                time,
                EventKind::Timer {
                    slot: round,
                    generation: 0,
                },
            );
            expected.push((time, round));
            if round % 3 == 0 {
                expected.sort();
                let (time, slot) = expected.remove(0);
                let event = queue.pop().unwrap();
                assert_eq!(event.time, time);
                assert!(matches!(event.kind, EventKind::Timer { slot: got, .. } if got == slot));
            }
        }
        expected.sort();
        assert_pops_in_order(&mut queue, expected);
    }

    /// Pops every event and checks each against `expected`, (time, timer slot) in order.
    fn assert_pops_in_order(queue: &mut EventQueue, expected: Vec<(u64, u32)>) {
        for (time, slot) in expected {
            let event = queue.pop().unwrap();
            assert_eq!(event.time, time);
            assert!(matches!(event.kind, EventKind::Timer { slot: got, .. } if got == slot));
        }
        assert!(queue.pop().is_none());
    }

    #[test]
    fn retain_keeps_the_order_of_what_is_left() {
        // Push random times, drop every third slot, then check the pops against
        // a sorted list of the survivors.
        let mut queue = EventQueue::default();
        let mut expected = Vec::new();
        let mut state = 11u64;
        for slot in 0..1000u32 {
            state = crate::sim::splitmix64(state);
            let time = state % 40;
            queue.push(
                time,
                EventKind::Timer {
                    slot,
                    generation: 0,
                },
            );
            if slot % 3 != 0 {
                expected.push((time, slot));
            }
        }
        queue.retain(|kind| !matches!(kind, EventKind::Timer { slot, .. } if slot % 3 == 0));
        assert_eq!(queue.len(), expected.len());
        expected.sort();
        assert_pops_in_order(&mut queue, expected);
    }

    /// What `retain` keeps in `queue_matches_a_sorted_list_at_every_size`.
    #[derive(Clone, Copy, Debug)]
    enum Keep {
        All,
        RandomHalf,
        Exactly(usize),
        AllButTheRoot,
    }

    /// Pushes `size` events with clashing times, applies `keep` through
    /// `retain`, pushes and pops a few more, then pops everything; checks
    /// every pop against a sorted list holding the same events.
    fn check_against_a_sorted_list(seed: u64, size: u32, keep: Keep) {
        let mut state = crate::sim::splitmix64(seed ^ (size as u64) << 32);
        let mut draw = |below: u64| {
            state = crate::sim::splitmix64(state);
            state % below
        };
        let mut queue = EventQueue::default();
        // (time, slot); slots grow with each push, so they order ties as the
        // queue's sequence numbers do.
        let mut model: Vec<(u64, u32)> = Vec::new();
        let times = size as u64 / 2 + 1;
        let mut next_slot = 0u32;
        let mut push = |queue: &mut EventQueue, model: &mut Vec<(u64, u32)>, time: u64| {
            queue.push(
                time,
                EventKind::Timer {
                    slot: next_slot,
                    generation: 0,
                },
            );
            model.push((time, next_slot));
            next_slot += 1;
        };
        for _ in 0..size {
            let time = draw(times);
            push(&mut queue, &mut model, time);
        }
        model.sort();
        let kept: Vec<(u64, u32)> = match keep {
            Keep::All => model.clone(),
            Keep::RandomHalf => model.iter().copied().filter(|_| draw(2) == 0).collect(),
            Keep::Exactly(count) => {
                let mut left = model.clone();
                while left.len() > count {
                    left.remove(draw(left.len() as u64) as usize);
                }
                left
            }
            Keep::AllButTheRoot => model.iter().copied().skip(1).collect(),
        };
        queue.retain(|kind| match kind {
            EventKind::Timer { slot, .. } => kept.iter().any(|&(_, kept)| kept == *slot),
            _ => unreachable!(),
        });
        assert_eq!(queue.len(), kept.len(), "seed {seed} size {size} {keep:?}");
        model = kept;
        // A few more pushes (never before the last pop) and pops.
        let mut now = 0;
        for _ in 0..draw(8) {
            if draw(2) == 0 {
                let time = now + draw(times);
                push(&mut queue, &mut model, time);
                model.sort();
            } else if !model.is_empty() {
                let (time, slot) = model.remove(0);
                let event = queue.pop().expect("the model holds events");
                assert_eq!(event.time, time, "seed {seed} size {size} {keep:?}");
                assert!(matches!(event.kind, EventKind::Timer { slot: got, .. } if got == slot));
                now = time;
            }
        }
        assert_pops_in_order(&mut queue, model);
    }

    #[test]
    fn queue_matches_a_sorted_list_at_every_size() {
        // Sizes 0 to 64 cover every shape of the top of a 4-ary heap (a root
        // with 0 to 4 children, partly filled last levels); each keep mode
        // rebuilds the heap from a different remainder, down to 0, 1 and 2
        // events, and without the root.
        let modes = [
            Keep::All,
            Keep::RandomHalf,
            Keep::Exactly(0),
            Keep::Exactly(1),
            Keep::Exactly(2),
            Keep::Exactly(5),
            Keep::AllButTheRoot,
        ];
        for seed in 0..40 {
            for size in 0..=64 {
                for keep in modes {
                    check_against_a_sorted_list(seed, size, keep);
                }
            }
        }
    }

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
