//! The configurations a search has reached, so it explores none twice, nor
//! one that a configuration it reached before dominates.
//!
//! A configuration is the set of operations linearized and the model's state.
//! The set splits in two: required operations (with an output), remembered by
//! their fingerprint, and optional ones (which may never have taken effect),
//! by a bitset of those linearized or skipped. An optional operation is never
//! needed, only possible: of two configurations with the same state and the
//! same required operations linearized, the one that used fewer optional
//! operations can do all the other can, and more (it can still skip them).
//! So a configuration is not explored when one reached before used a subset
//! of its optional operations: that one failed, or is its ancestor, whose
//! other branches cover it. Not so for a skip, whose only alternative is its
//! ancestor's branch through the skip itself: it is checked for an identical
//! configuration only. Without this, k optional writes a search must rule out
//! cost it up to 2^k configurations.
//!
//! Identical configurations are found by fingerprints (the optional
//! operations used have one too, beside the bitset); dominating ones by
//! comparing bitsets, at most [`DOMINATING_SETS_MAX`] per fingerprint and
//! state, so that a visit costs a bounded number of comparisons.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use crate::history::FixedState;
use std::hash::Hash;

/// Bitsets of optional operations kept per (fingerprint, state) to find
/// dominating configurations by. Past it, new ones are not kept: fewer
/// configurations are pruned, none wrongly.
const DOMINATING_SETS_MAX: usize = 16;

/// The optional operations used by configurations reached with one
/// (fingerprint, state): bitsets of `words` words each.
#[derive(Debug)]
struct UsedSets {
    /// The bitsets, one after another.
    bits: Vec<u64>,
}

/// How a configuration reached before may stand for a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Visit {
    /// It used a subset of the new one's optional operations.
    Dominance,
    /// It is the same.
    Exact,
}

/// Every configuration reached, as [`visit`](Reached::visit) records them.
#[derive(Debug)]
pub(crate) struct Reached<State> {
    /// Words per bitset of optional operations.
    words: usize,
    /// Every configuration: (required fingerprint, optional fingerprint,
    /// state).
    identical: HashSet<(u128, u128, State), FixedState>,
    /// Some of them, for dominance: by (required fingerprint, state).
    dominating: HashMap<(u128, State), UsedSets, FixedState>,
}

impl<State: Clone + Eq + Hash> Reached<State> {
    /// For a search with `optional` optional operations.
    pub(crate) fn new(optional: usize) -> Reached<State> {
        Reached {
            words: optional.div_ceil(64),
            identical: HashSet::default(),
            dominating: HashMap::default(),
        }
    }

    /// Records the configuration of `linearized` (the fingerprint of the
    /// required operations linearized), `state`, and the optional operations
    /// linearized or skipped (`used` as a bitset, `used_fingerprint` as a
    /// fingerprint); `false` when a configuration reached before stands for
    /// it, as `visit` says.
    pub(crate) fn visit(
        &mut self,
        linearized: u128,
        state: State,
        used: &[u64],
        used_fingerprint: u128,
        visit: Visit,
    ) -> bool {
        debug_assert_eq!(used.len(), self.words, "a bitset of the search's width");
        let identical = (linearized, used_fingerprint, state);
        if self.identical.contains(&identical) {
            return false;
        }
        let (linearized, used_fingerprint, state) = identical;
        if self.words > 0 {
            let sets = match self.dominating.entry((linearized, state.clone())) {
                Entry::Vacant(vacant) => vacant.insert(UsedSets { bits: Vec::new() }),
                Entry::Occupied(occupied) => occupied.into_mut(),
            };
            if visit == Visit::Dominance
                && sets.bits.chunks(self.words).any(|set| subset(set, used))
            {
                return false;
            }
            sets.remove_supersets_of(used, self.words);
            if sets.bits.len() < DOMINATING_SETS_MAX * self.words {
                sets.bits.extend_from_slice(used);
            }
        }
        self.identical.insert((linearized, used_fingerprint, state));
        true
    }
}

impl UsedSets {
    /// Forgets the sets `used` is a subset of: it stands for them from now on.
    fn remove_supersets_of(&mut self, used: &[u64], words: usize) {
        let mut kept = 0;
        for at in 0..self.bits.len() / words {
            let set = at * words..(at + 1) * words;
            if !subset(used, &self.bits[set.clone()]) {
                self.bits.copy_within(set, kept * words);
                kept += 1;
            }
        }
        self.bits.truncate(kept * words);
    }
}

/// Whether every bit of `small` is in `large`.
fn subset(small: &[u64], large: &[u64]) -> bool {
    small
        .iter()
        .zip(large)
        .all(|(small, large)| small & !large == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A configuration is dominated by one with the same fingerprint and state
    /// that used a subset of its indeterminate operations, and by nothing
    /// else; a smaller set recorded later replaces the larger ones.
    #[test]
    fn subsets_dominate() {
        // A fingerprint for the tests: distinct for distinct bitsets here.
        let fp = |bits: &[u64]| {
            bits.iter()
                .fold(0u128, |fp, &word| fp * 31 + u128::from(word))
        };
        let mut reached = Reached::new(70);
        assert!(reached.visit(1, 'a', &[0b011, 0], fp(&[0b011, 0]), Visit::Dominance));
        assert!(
            !reached.visit(1, 'a', &[0b011, 0], fp(&[0b011, 0]), Visit::Dominance),
            "the same configuration"
        );
        assert!(
            !reached.visit(1, 'a', &[0b111, 1], fp(&[0b111, 1]), Visit::Dominance),
            "a superset"
        );
        assert!(
            reached.visit(1, 'a', &[0b101, 0], fp(&[0b101, 0]), Visit::Dominance),
            "incomparable"
        );
        assert!(
            reached.visit(1, 'b', &[0b111, 0], fp(&[0b111, 0]), Visit::Dominance),
            "another state"
        );
        assert!(
            reached.visit(2, 'a', &[0b111, 0], fp(&[0b111, 0]), Visit::Dominance),
            "another fingerprint"
        );
        assert!(
            reached.visit(1, 'a', &[0b001, 0], fp(&[0b001, 0]), Visit::Dominance),
            "a subset of both"
        );
        assert_eq!(reached.dominating[&(1, 'a')].bits, [0b001, 0]);

        assert!(!reached.visit(1, 'a', &[0b001, 0], fp(&[0b001, 0]), Visit::Exact));
        assert!(
            reached.visit(1, 'a', &[0b111, 0], fp(&[0b111, 0]), Visit::Exact),
            "a superset, exactly"
        );

        let mut required_only = Reached::new(0);
        assert!(required_only.visit(1, 'a', &[], fp(&[]), Visit::Dominance));
        assert!(!required_only.visit(1, 'a', &[], fp(&[]), Visit::Dominance));
    }
}
