//! The optional phase: which unbounded optional operations the search tries,
//! latest called first. The full search tries all those called before the
//! window's end; a guided pass only those, among the latest called, after
//! which a required operation of the window fits that does not now.

use super::{Pass, Searcher};
use crate::history::model::Model;

/// Optional operations a guided pass considers at a dead end: the latest
/// called. An operation a read needs was most often called shortly before;
/// with more, each dead end would cost as many steps as there are optional
/// operations in the partition, which grow with it.
pub(super) const GUIDED_HORIZON: usize = 32;

impl<M: Model> Searcher<'_, M> {
    /// Whether an optional operation within the guided horizon, not
    /// linearized, lets the due one fit.
    pub(super) fn any_helper(&mut self) -> bool {
        let Some(due) = self.due() else {
            return true;
        };
        let (lowest, end) = self.horizon(self.window_end);
        for at in (lowest..end).rev() {
            let op = self.optional[at];
            if !self.is_used(op) && self.helps(op, &[due]) {
                return true;
            }
        }
        false
    }

    /// The optional operations the pass may try that are called before
    /// `cursor`: their range in `optional`. A guided pass only considers the
    /// latest [`GUIDED_HORIZON`] called before the window's end.
    fn horizon(&self, cursor: u32) -> (usize, usize) {
        let called_before = |bound: u32| {
            self.optional
                .partition_point(|&op| self.entries.call_of(op) < bound)
        };
        let lowest = match self.pass {
            Pass::Guided => called_before(self.window_end).saturating_sub(GUIDED_HORIZON),
            Pass::Full => 0,
        };
        (lowest, called_before(cursor).max(lowest))
    }

    /// Whether optional `op` changes the state into one where one of
    /// `misfits` (required operations that do not fit now) fits.
    fn helps(&mut self, op: usize, misfits: &[usize]) -> bool {
        self.explored += 1;
        let (state, _) = self.model.step(&self.state, self.ops[op].op);
        state != self.state && self.lets_fit(&state, misfits)
    }

    /// Whether one of `misfits` fits `state`.
    pub(super) fn lets_fit(&mut self, state: &M::State, misfits: &[usize]) -> bool {
        misfits.iter().any(|&misfit| {
            self.explored += 1;
            let (_, output) = self.model.step(state, self.ops[misfit].op);
            self.ops[misfit]
                .output
                .is_some_and(|observed| *observed == output)
        })
    }

    /// The required operations of the window that do not fit now.
    pub(super) fn misfits(&mut self) -> Vec<usize> {
        let mut misfits = Vec::new();
        let mut at = self.entries.first();
        while let Some(op) = self.entries.call_at(at) {
            if self.ops[op].is_required() && !self.fits(op) {
                misfits.push(op);
            }
            at = self.entries.next(at);
        }
        misfits
    }

    /// In the optional phase: linearizes the next optional operation the
    /// pass may try, latest call first, among those called before the cursor
    /// (in a guided pass, only one after which a required operation of the
    /// window fits that does not now). `Some(false)` when none is left, `None`
    /// when out of steps.
    pub(super) fn try_optional(&mut self) -> Option<bool> {
        let misfits = match self.pass {
            Pass::Guided => self.misfits(),
            Pass::Full => Vec::new(),
        };
        if self.pass == Pass::Guided && misfits.is_empty() {
            return Some(false);
        }
        let (lowest, end) = self.horizon(self.cursor);
        for at in (lowest..end).rev() {
            let op = self.optional[at];
            if self.is_used(op) {
                continue;
            }
            if self.explored >= self.explored_max {
                return None;
            }
            self.cursor = self.entries.call_of(op);
            let tried = self.pass == Pass::Full || self.helps(op, &misfits);
            if tried && self.linearize(op) {
                return Some(true);
            }
        }
        Some(false)
    }

    fn is_used(&self, op: usize) -> bool {
        let bit = self.used_bit[op] as usize;
        self.used[bit / 64] & (1 << (bit % 64)) != 0
    }
}
