//! The search for a linearization of one partition: Wing & Gong's depth-first
//! search, with Lowe's memoization of the configurations explored and his
//! "just in time" order.
//!
//! A configuration is the set of operations linearized so far and the model's
//! state after them. From one, the search may linearize next any operation
//! whose call comes before the first return of an operation not yet
//! linearized (the window's end), and backtracks when none fits. A
//! configuration reached before is not explored again: it failed then
//! (configurations on the current path cannot recur, each holds more
//! operations than the one before).
//!
//! The order in which it tries the operations of the window decides how soon
//! it finds a linearization that exists ([`searcher`] has the phases): first
//! the one returning at the window's end, which must be linearized now or
//! never; if it does not fit, those after which it does; then the others.
//!
//! Some operations are optional: they may never take effect. An indeterminate
//! one has no deadline either; the search never has to linearize it (one that
//! takes effect after every other is the same as one that never does). An
//! ambiguous one has a deadline: when the search meets its return with it not
//! linearized, it skips it (decides it never took effect) and goes on. The
//! search tries optional operations only after every required one failed, so
//! that in a linearizable history they cost nothing until a read needs one,
//! and it does not explore a configuration that used more of them to reach
//! what another reached ([`reached`]).
//!
//! With optional operations there are two passes. The first, guided, looks
//! only for linearizations in which an optional operation, one of the latest
//! called, comes right before a required one it lets fit: linearizable
//! histories nearly always have one, and it is found without trying every
//! optional operation of the partition at every dead end, which with k of
//! them costs k steps there, and k grows with the partition. It has half the
//! limit. When it finds none, the full search runs with what is left.

mod entries;
mod fingerprint;
mod op;
mod reached;
mod searcher;
#[cfg(test)]
mod tests;

pub(crate) use op::SearchOp;
use searcher::{Pass, Searcher};

use super::model::Model;
use super::operation::Stamp;

/// What the search found, and the steps of the model it took: an operation
/// tried, or a probe of whether one would fit. A step in progress when the
/// limit is reached may take it a few steps past.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Search {
    Linearizable {
        explored: u64,
    },
    /// No linearization exists; the search never looked at an operation
    /// invoked at or after `frontier` (the latest window's end it reached),
    /// so those can be dropped and the rest is still not linearizable.
    NotLinearizable {
        explored: u64,
        frontier: Stamp,
    },
    /// It took `explored_max` steps without an answer.
    Unknown {
        explored: u64,
    },
}

impl Search {
    pub(crate) fn explored(self) -> u64 {
        match self {
            Search::Linearizable { explored }
            | Search::NotLinearizable { explored, .. }
            | Search::Unknown { explored } => explored,
        }
    }
}

/// Searches for a linearization of `ops` (one partition's, none failed),
/// taking about `explored_max` steps of the model at most (a guided pass, then
/// the full search; see the module's docs).
pub(crate) fn search<M: Model>(
    model: &M,
    ops: &[SearchOp<'_, M::Op, M::Out>],
    explored_max: u64,
) -> Search {
    if ops.iter().all(SearchOp::is_required) {
        return Searcher::new(model, ops, explored_max, Pass::Full).run();
    }
    let first = Searcher::new(model, ops, explored_max / 2, Pass::Guided).run();
    if let Search::Linearizable { .. } = first {
        return first;
    }
    let spent = first.explored();
    match Searcher::new(model, ops, explored_max - spent, Pass::Full).run() {
        Search::Linearizable { explored } => Search::Linearizable {
            explored: spent + explored,
        },
        Search::NotLinearizable { explored, frontier } => Search::NotLinearizable {
            explored: spent + explored,
            frontier,
        },
        Search::Unknown { explored } => Search::Unknown {
            explored: spent + explored,
        },
    }
}
