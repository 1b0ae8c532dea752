//! Timer slots: the sleepers waiting for an event of the queue.
//!
//! A sleeper holds `(slot, generation)`. The queue's event carries the same pair,
//! so an event whose sleeper was dropped finds a newer generation and does nothing.

use std::task::Waker;

#[derive(Default)]
struct TimerSlot {
    generation: u32,
    waker: Option<Waker>,
}

#[derive(Default)]
pub(crate) struct Timers {
    slots: Vec<TimerSlot>,
    free: Vec<u32>,
}

impl Timers {
    /// A slot for a new sleeper whose waker is `waker`.
    #[inline]
    pub(crate) fn insert(&mut self, waker: Waker) -> (u32, u32) {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(TimerSlot::default());
                (self.slots.len() - 1) as u32
            }
        };
        let entry = &mut self.slots[slot as usize];
        entry.waker = Some(waker);
        (slot, entry.generation)
    }

    /// Replaces the waker of a live slot unless it would wake the same task.
    #[inline]
    pub(crate) fn update(&mut self, slot: u32, generation: u32, waker: &Waker) {
        let entry = &mut self.slots[slot as usize];
        debug_assert_eq!(entry.generation, generation);
        match &entry.waker {
            Some(current) if current.will_wake(waker) => {}
            _ => entry.waker = Some(waker.clone()),
        }
    }

    /// Frees a slot; its pending event, if any, becomes a no-op. Returns
    /// whether such an event is left in the queue (the timer had not fired).
    #[inline]
    pub(crate) fn remove(&mut self, slot: u32, generation: u32) -> bool {
        let entry = &mut self.slots[slot as usize];
        if entry.generation != generation {
            return false;
        }
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(slot);
        // The waker is taken when the timer fires, so a waker means a queued event.
        entry.waker.take().is_some()
    }

    /// Whether the event of `(slot, generation)` would still wake someone.
    #[inline]
    pub(crate) fn is_pending(&self, slot: u32, generation: u32) -> bool {
        self.slots
            .get(slot as usize)
            .is_some_and(|entry| entry.generation == generation && entry.waker.is_some())
    }

    /// The waker to call when the event of `(slot, generation)` fires.
    #[inline]
    pub(crate) fn fire(&mut self, slot: u32, generation: u32) -> Option<Waker> {
        let entry = self.slots.get_mut(slot as usize)?;
        if entry.generation != generation {
            return None;
        }
        entry.waker.take()
    }
}
