//! Shrinking a non-linearizable partition to the few operations a reader
//! needs to see the violation.
//!
//! Removing operations is not the way: it can make a history non-linearizable
//! for a new reason (drop the write of 2, and a read of 2 has no explanation),
//! so a sub-history shrunk by removal alone may show a violation that the
//! history does not have. Weakening is: making a completed operation
//! ambiguous (it took effect inside its interval with whatever output, or
//! never) keeps every linearization the history had, so what is still not
//! linearizable after weakening was already not.
//!
//! So shrinking has two steps:
//!
//! 1. Conflict: weaken operations while the history stays non-linearizable,
//!    in runs halving down to single operations, latest first. What stays is the conflict:
//!    operations whose outputs no order explains, whatever the others did; and
//!    weakening any one of them would leave the history linearizable.
//! 2. Context: drop weakened operations, the same way, as long as weakening any
//!    one conflicting operation still leaves a linearizable history. What stays
//!    is the context: what the conflicting operations need to be explained at
//!    all (the write whose value a read saw).
//!
//! Both steps are monotone (weakening more only adds linearizations, dropping
//! a weakened operation only removes some), so one pass of single operations
//! ends each: the result is minimal in that sense, not necessarily the
//! smallest there is.

use super::model::Model;
use super::search::{Search, SearchOp, search};

/// Runs the first pass of a step cuts its operations into, at least: few, so
/// that the passes of large runs that make a large history small quickly cost
/// little on a small history, where they would only weaken at once
/// operations that one at a time give a smaller violation.
const RUNS_PER_PASS_MIN: usize = 16;

/// The operations kept, by index into those shrunk.
#[derive(Debug)]
pub(crate) struct Shrunk {
    /// Operations whose outputs conflict, in their order.
    pub(crate) conflict: Vec<usize>,
    /// Operations kept, weakened, as what may have taken effect, in their order.
    pub(crate) context: Vec<usize>,
    /// Whether every check gave an answer, so both steps ended minimal.
    pub(crate) minimal: bool,
}

/// An operation's part in the shrunk history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Kept as recorded.
    Conflict,
    /// Kept, weakened.
    Context,
    Dropped,
}

/// Shrinks `ops`, which are not linearizable, spending at most `budget` steps
/// (each check costs the steps it tried, and at least its operations); each
/// check tries at most `explored_max` steps.
pub(crate) fn shrink<M: Model>(
    model: &M,
    ops: &[SearchOp<'_, M::Op, M::Out>],
    explored_max: u64,
    budget: u64,
) -> Shrunk {
    let roles = ops
        .iter()
        .map(|op| match op.output {
            Some(_) => Role::Conflict,
            None => Role::Context,
        })
        .collect();
    let mut shrinker = Shrinker {
        model,
        ops,
        explored_max,
        budget,
        undecided: false,
        roles,
        conflict: Vec::new(),
    };
    shrinker.in_chunks(Role::Conflict, Shrinker::weaken);
    shrinker.conflict = (0..ops.len())
        .filter(|&op| shrinker.roles[op] == Role::Conflict)
        .collect();
    shrinker.in_chunks(Role::Context, Shrinker::drop_context);
    let with_role = |role| {
        (0..ops.len())
            .filter(|&op| shrinker.roles[op] == role)
            .collect()
    };
    Shrunk {
        conflict: with_role(Role::Conflict),
        context: with_role(Role::Context),
        minimal: !shrinker.undecided,
    }
}

struct Shrinker<'a, 'o, M: Model> {
    model: &'a M,
    ops: &'a [SearchOp<'o, M::Op, M::Out>],
    explored_max: u64,
    /// Steps left.
    budget: u64,
    /// A check went without an answer: a change it would have allowed was not
    /// made.
    undecided: bool,
    roles: Vec<Role>,
    /// The conflicting operations, once step 1 found them.
    conflict: Vec<usize>,
}

impl<M: Model> Shrinker<'_, '_, M> {
    /// Tries `change` on runs of the operations of `role`, halving the runs'
    /// length down to one operation, until the budget is spent. Runs go from
    /// the latest operations to the earliest: a violation shows where the
    /// search got stuck, late, and weakening later operations first keeps the
    /// earlier ones that constrain it (the completed write a stale read
    /// missed) rather than intermediate observations.
    fn in_chunks(&mut self, role: Role, change: fn(&mut Self, &[usize])) {
        let mut chunk = (self.count(role) / RUNS_PER_PASS_MIN).max(1);
        loop {
            let candidates: Vec<usize> = (0..self.ops.len())
                .rev()
                .filter(|&op| self.roles[op] == role)
                .collect();
            for run in candidates.chunks(chunk) {
                if self.budget == 0 {
                    self.undecided = true;
                    return;
                }
                change(self, run);
            }
            if chunk == 1 {
                return;
            }
            chunk /= 2;
        }
    }

    /// Weakens `run` when the history stays non-linearizable.
    fn weaken(&mut self, run: &[usize]) {
        self.set(run, Role::Context);
        if self.fails(None) != Some(true) {
            self.set(run, Role::Conflict);
        }
    }

    /// Drops `run` when weakening any one conflicting operation still leaves a
    /// linearizable history.
    fn drop_context(&mut self, run: &[usize]) {
        self.set(run, Role::Dropped);
        let conflict = std::mem::take(&mut self.conflict);
        if !conflict
            .iter()
            .all(|&op| self.fails(Some(op)) == Some(false))
        {
            self.set(run, Role::Context);
        }
        self.conflict = conflict;
    }

    /// Whether the history as the roles make it, with `weakened` weakened too,
    /// is not linearizable; `None` when the check ran out of steps.
    fn fails(&mut self, weakened: Option<usize>) -> Option<bool> {
        if self.budget == 0 {
            self.undecided = true;
            return None;
        }
        let ops: Vec<_> = (0..self.ops.len())
            .filter_map(|op| match self.roles[op] {
                Role::Conflict if Some(op) != weakened => Some(self.ops[op]),
                Role::Conflict | Role::Context => Some(self.ops[op].weakened()),
                Role::Dropped => None,
            })
            .collect();
        let result = search(self.model, &ops, self.explored_max.min(self.budget));
        let cost = result.explored().max(ops.len() as u64);
        self.budget = self.budget.saturating_sub(cost);
        match result {
            Search::Linearizable { .. } => Some(false),
            Search::NotLinearizable { .. } => Some(true),
            Search::Unknown { .. } => {
                self.undecided = true;
                None
            }
        }
    }

    fn set(&mut self, run: &[usize], role: Role) {
        for &op in run {
            self.roles[op] = role;
        }
    }

    fn count(&self, role: Role) -> usize {
        self.roles.iter().filter(|&&kept| kept == role).count()
    }
}
