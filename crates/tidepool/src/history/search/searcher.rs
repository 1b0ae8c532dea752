//! [`Searcher`]: the depth-first search itself, its phases and its moves.

mod optional;

use super::entries::Entries;
use super::fingerprint::Fingerprints;
use super::reached::{Reached, Visit};
use super::{Search, SearchOp};
use crate::history::model::Model;
use crate::history::operation::Stamp;

/// Which operations of the window the search is trying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The one whose return ends the window, when it is required: it must be
    /// linearized now or never, and most often now is right (Lowe's "just in
    /// time" linearization: trying the others first linearizes writes early,
    /// and reads then miss their values).
    Due,
    /// The other operations with an output after which the due one fits,
    /// first: applying others first is how a search goes astray.
    Helping,
    /// The other operations with an output.
    Required,
    /// Those that may never take effect and have no deadline, once every
    /// required one failed: latest called first.
    Optional,
    /// Those that may never take effect and have a deadline.
    Bounded,
    /// Skipping the optional operation whose return ends the window.
    Skip,
}

/// A move of the search, to backtrack from: an operation linearized, or an
/// optional one skipped, and what was before it.
struct Frame<State> {
    op: usize,
    /// The phase it was made in.
    phase: Phase,
    /// The window's end before it.
    window_end: u32,
    /// Whether the due operation did not fit before it.
    misfit: bool,
    /// Whether an operation was found before it that lets the due one fit.
    helped: bool,
    state: State,
}

/// Which linearizations a search looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pass {
    /// Those in which an optional operation, one of the latest
    /// [`optional::GUIDED_HORIZON`] called, is linearized only right before
    /// a required one that it lets fit. A linearization found is one; none
    /// found proves nothing.
    Guided,
    /// All.
    Full,
}

pub(super) struct Searcher<'a, M: Model> {
    model: &'a M,
    ops: &'a [SearchOp<'a, M::Op, M::Out>],
    explored_max: u64,
    explored: u64,
    pass: Pass,
    entries: Entries,
    fingerprints: Fingerprints,
    /// The fingerprint of the required operations linearized.
    linearized: u128,
    /// The bitset of the optional operations linearized or skipped.
    used: Vec<u64>,
    /// Their fingerprint.
    used_fingerprint: u128,
    /// Each optional operation's bit in `used`.
    used_bit: Vec<u32>,
    state: M::State,
    stack: Vec<Frame<M::State>>,
    reached: Reached<M::State>,
    /// The optional operations without a deadline (unbounded), by call: they
    /// are not in the list of entries.
    optional: Vec<usize>,
    required_total: usize,
    required_linearized: usize,
    phase: Phase,
    /// The return that ends the window, once the due phase found it.
    window_end: u32,
    /// The latest window's end found.
    frontier: u32,
    /// Whether the due operation does not fit (its output is not the model's).
    misfit: bool,
    /// Whether an operation of the window was found after which the due one
    /// fits, in the helping phase.
    helped: bool,
    /// The entry the search looks at.
    cursor: u32,
}

impl<'a, M: Model> Searcher<'a, M> {
    pub(super) fn new(
        model: &'a M,
        ops: &'a [SearchOp<'a, M::Op, M::Out>],
        explored_max: u64,
        pass: Pass,
    ) -> Self {
        let entries = Entries::new(ops);
        let (cursor, head) = (entries.first(), entries.head());
        let mut optional = 0;
        let used_bit = ops
            .iter()
            .map(|op| {
                let bit = optional;
                optional += u32::from(!op.is_required());
                bit
            })
            .collect();
        let mut by_call: Vec<usize> = (0..ops.len())
            .filter(|&op| ops[op].deadline.is_none())
            .collect();
        by_call.sort_unstable_by_key(|&op| entries.call_of(op));
        let mut reached = Reached::new(optional as usize);
        let used = vec![0; (optional as usize).div_ceil(64)];
        let state = model.init();
        reached.visit(0, state.clone(), &used, 0, Visit::Dominance);
        Searcher {
            model,
            ops,
            explored_max,
            explored: 0,
            pass,
            entries,
            fingerprints: Fingerprints::new(ops.len()),
            linearized: 0,
            used,
            used_fingerprint: 0,
            used_bit,
            state,
            stack: Vec::new(),
            reached,
            optional: by_call,
            required_total: ops.iter().filter(|op| op.is_required()).count(),
            required_linearized: 0,
            phase: Phase::Due,
            window_end: head,
            frontier: head,
            misfit: false,
            helped: false,
            cursor,
        }
    }

    pub(super) fn run(mut self) -> Search {
        while self.required_linearized < self.required_total {
            if self.explored >= self.explored_max {
                return Search::Unknown {
                    explored: self.explored,
                };
            }
            if self.phase == Phase::Optional {
                match self.try_optional() {
                    Some(true) | None => continue,
                    Some(false) => self.cursor = self.entries.head(),
                }
            }
            let Some(op) = self.entries.call_at(self.cursor) else {
                if !self.window_ends() {
                    return Search::NotLinearizable {
                        explored: self.explored,
                        frontier: self.frontier_stamp(),
                    };
                }
                continue;
            };
            let tried = match self.phase {
                Phase::Due | Phase::Skip => false,
                Phase::Helping | Phase::Required => {
                    self.ops[op].is_required() && Some(op) != self.due()
                }
                Phase::Bounded => !self.ops[op].is_required(),
                Phase::Optional => unreachable!("the optional phase has its own scan"),
            };
            if tried && self.linearize(op) {
                continue;
            }
            self.cursor = self.entries.next(self.cursor);
        }
        Search::Linearizable {
            explored: self.explored,
        }
    }

    /// When the entry at the frontier happens: the return of an operation.
    fn frontier_stamp(&self) -> Stamp {
        let op = self
            .entries
            .return_at(self.frontier)
            .expect("the frontier is a return");
        self.ops[op]
            .deadline
            .expect("an operation with a return has a deadline")
    }

    /// The required operation whose return ends the window, once the due
    /// phase found it: the required phase leaves it out.
    fn due(&self) -> Option<usize> {
        let returning = self.entries.return_at(self.window_end)?;
        self.ops[returning].is_required().then_some(returning)
    }

    /// At the end of a phase's scan (the return that ends the window, or the
    /// head), moves on to the next phase: the operation returning at the
    /// window's end, if required; those after which it fits, if it does not;
    /// the other required ones; the unbounded optional ones, latest called
    /// first; the bounded ones; then skipping the operation returning at the
    /// window's end if it is optional, else backtracking. `false` when there
    /// is nothing to backtrack to.
    fn window_ends(&mut self) -> bool {
        if self.phase == Phase::Due {
            self.window_end = self.cursor;
            self.frontier = self.frontier.max(self.window_end);
        }
        let returning = self
            .entries
            .return_at(self.window_end)
            .expect("every required operation has a return");
        let required = self.ops[returning].is_required();
        match self.phase {
            Phase::Due => {
                if required {
                    self.misfit = !self.fits(returning);
                    if !self.misfit && self.linearize(returning) {
                        return true;
                    }
                }
                self.phase = if self.misfit {
                    Phase::Helping
                } else {
                    Phase::Required
                };
                self.cursor = self.entries.first();
                true
            }
            Phase::Helping => {
                // A guided pass gives up on a due operation that nothing
                // lets fit: only a chain of operations could.
                if self.pass == Pass::Guided && !self.helped && !self.any_helper() {
                    return self.backtrack();
                }
                self.phase = Phase::Required;
                self.cursor = self.entries.first();
                true
            }
            Phase::Required => {
                // Optional operations a read needs are most often recent:
                // the latest are tried first. A guided pass tries none right
                // after another.
                self.phase = Phase::Optional;
                let chained = self
                    .stack
                    .last()
                    .is_some_and(|last| matches!(last.phase, Phase::Optional | Phase::Bounded));
                self.cursor = if self.pass == Pass::Guided && chained {
                    self.entries.head()
                } else {
                    self.window_end
                };
                true
            }
            Phase::Optional => {
                self.phase = Phase::Bounded;
                let chained = self
                    .stack
                    .last()
                    .is_some_and(|last| matches!(last.phase, Phase::Optional | Phase::Bounded));
                if !(self.pass == Pass::Guided && chained) {
                    self.cursor = self.entries.first();
                }
                true
            }
            Phase::Bounded | Phase::Skip => {
                if required || !self.skip(returning) {
                    return self.backtrack();
                }
                true
            }
        }
    }

    /// Linearizes `op` next when the model agrees and the configuration it
    /// leads to is new; then starts over from the first entry.
    fn linearize(&mut self, op: usize) -> bool {
        self.explored += 1;
        let (state, output) = self.model.step(&self.state, self.ops[op].op);
        let fits = match self.ops[op].output {
            Some(observed) => output == *observed,
            // One that changes nothing can only lead where skipping it leads.
            None => state != self.state,
        };
        if !fits || self.absorbs(op, &state) || !self.in_phase(op, &state) {
            return false;
        }
        let phase = self.phase;
        self.advance(op, state, phase)
    }

    /// Decides that optional `op`, at its return, never took effect, when the
    /// configuration that leads to is new.
    fn skip(&mut self, op: usize) -> bool {
        let state = self.state.clone();
        self.advance(op, state, Phase::Skip)
    }

    /// Moves to the configuration with `op` linearized (or skipped, in the
    /// skip phase) and `state`, when it is new; then starts over from the
    /// first entry, in the due phase.
    fn advance(&mut self, op: usize, state: M::State, phase: Phase) -> bool {
        let skipped = phase == Phase::Skip;
        self.flip(op);
        // The configuration before a skip dominates the one after it, and is
        // its ancestor: only an identical one may stand for it.
        let visit = if skipped {
            Visit::Exact
        } else {
            Visit::Dominance
        };
        if !self.reached.visit(
            self.linearized,
            state.clone(),
            &self.used,
            self.used_fingerprint,
            visit,
        ) {
            self.flip(op);
            return false;
        }
        let before = std::mem::replace(&mut self.state, state);
        self.stack.push(Frame {
            op,
            phase,
            window_end: self.window_end,
            misfit: self.misfit,
            helped: self.helped,
            state: before,
        });
        self.entries.lift(op);
        if self.ops[op].is_required() {
            self.required_linearized += 1;
        }
        self.phase = Phase::Due;
        self.window_end = self.entries.head();
        self.misfit = false;
        self.helped = false;
        self.cursor = self.entries.first();
        true
    }

    /// Whether optional `op`, reaching `state` right after another optional
    /// operation was linearized, would have reached it without that one (a
    /// write over a write): the configuration is then the one the search
    /// reaches doing without the other (skipping it, if it has a return),
    /// from the same parent. Depth first, the search reaches large sets of
    /// optional operations before their subsets, so the dominance of
    /// [`Reached`] alone would not prune these.
    fn absorbs(&self, op: usize, state: &M::State) -> bool {
        let Some(last) = self.stack.last() else {
            return false;
        };
        if last.phase == Phase::Skip
            || self.ops[op].is_required()
            || self.ops[last.op].is_required()
        {
            return false;
        }
        // Part of trying `op`: not counted as an operation tried.
        let (without_last, _) = self.model.step(&last.state, self.ops[op].op);
        without_last == *state
    }

    /// Whether required `op` fits the state now (its output is the model's).
    fn fits(&mut self, op: usize) -> bool {
        self.explored += 1;
        let (_, output) = self.model.step(&self.state, self.ops[op].op);
        self.ops[op]
            .output
            .is_some_and(|observed| *observed == output)
    }
    /// Whether `op`, leading to `state`, belongs to the phase: in the
    /// helping phase, when the due operation fits after it; in the required
    /// phase, when it does not (the others were tried); in the bounded phase
    /// of a guided pass, when a required operation of the window fits after
    /// it that does not now.
    fn in_phase(&mut self, op: usize, state: &M::State) -> bool {
        let helping = match self.phase {
            Phase::Helping => true,
            Phase::Required if self.misfit => false,
            Phase::Bounded if self.pass == Pass::Guided => {
                let misfits = self.misfits();
                return self.lets_fit(state, &misfits);
            }
            // All required operations are tried when the due one fits; a
            // guided pass tries only unbounded helpers, found already.
            _ => return true,
        };
        let Some(due) = self.due() else {
            return true;
        };
        debug_assert_ne!(op, due, "the due operation is tried in its own phase");
        // Part of trying `op`: not counted as an operation tried.
        let (_, output) = self.model.step(state, self.ops[due].op);
        let helps = self.ops[due]
            .output
            .is_some_and(|observed| *observed == output);
        self.helped |= helps;
        helps == helping
    }

    /// Adds `op` to the set linearized, or removes it.
    fn flip(&mut self, op: usize) {
        if self.ops[op].is_required() {
            self.linearized ^= self.fingerprints.key(op);
        } else {
            let bit = self.used_bit[op] as usize;
            self.used[bit / 64] ^= 1 << (bit % 64);
            self.used_fingerprint ^= self.fingerprints.key(op);
        }
    }

    /// Undoes the latest move and goes on from the next one in its phase;
    /// `false` when there is none to undo.
    fn backtrack(&mut self) -> bool {
        loop {
            let Some(frame) = self.stack.pop() else {
                return false;
            };
            let op = frame.op;
            self.entries.unlift(op);
            self.flip(op);
            self.state = frame.state;
            self.window_end = frame.window_end;
            self.misfit = frame.misfit;
            self.helped = frame.helped;
            if self.ops[op].is_required() {
                self.required_linearized -= 1;
            }
            match frame.phase {
                // The due operation fit, and led nowhere: the others are
                // tried before it.
                Phase::Due => {
                    self.phase = Phase::Required;
                    self.cursor = self.entries.first();
                }
                Phase::Helping | Phase::Required | Phase::Bounded => {
                    self.phase = frame.phase;
                    self.cursor = self.entries.next(self.entries.call_of(op));
                }
                Phase::Optional => {
                    self.phase = frame.phase;
                    self.cursor = self.entries.call_of(op);
                }
                // A skip was the last thing to try where it was made.
                Phase::Skip => continue,
            }
            return true;
        }
    }
}
