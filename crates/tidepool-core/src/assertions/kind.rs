//! The four kinds of assertion and what each one demands of a campaign.

use std::fmt;

/// Which assertion macro a site was written with.
///
/// # Examples
///
/// ```
/// use tidepool_core::assertions::AssertionKind;
///
/// assert_eq!(AssertionKind::Sometimes.to_string(), "sometimes");
/// assert!(AssertionKind::Always.fails_iteration());
/// assert!(!AssertionKind::Sometimes.fails_iteration());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AssertionKind {
    /// [`assert_always!`](crate::assert_always): true every time it is evaluated.
    Always,
    /// [`assert_sometimes!`](crate::assert_sometimes): true at least once in the campaign.
    Sometimes,
    /// [`assert_reachable!`](crate::assert_reachable): reached at least once in the campaign.
    Reachable,
    /// [`assert_unreachable!`](crate::assert_unreachable): never reached.
    Unreachable,
}

impl AssertionKind {
    /// The kind's name as the report prints it: `always`, `sometimes`,
    /// `reachable` or `unreachable`.
    pub const fn name(self) -> &'static str {
        match self {
            AssertionKind::Always => "always",
            AssertionKind::Sometimes => "sometimes",
            AssertionKind::Reachable => "reachable",
            AssertionKind::Unreachable => "unreachable",
        }
    }

    /// Whether one bad evaluation fails the iteration it happens in (`always`
    /// and `unreachable`); the other kinds are judged over the whole campaign.
    pub const fn fails_iteration(self) -> bool {
        matches!(self, AssertionKind::Always | AssertionKind::Unreachable)
    }

    /// Whether an evaluation with `condition` violates the assertion: a false
    /// `always`, or any `unreachable` that is reached. `reachable` and
    /// `unreachable` sites evaluate as `true` when reached.
    pub const fn is_violation(self, condition: bool) -> bool {
        match self {
            AssertionKind::Always => !condition,
            AssertionKind::Unreachable => true,
            AssertionKind::Sometimes | AssertionKind::Reachable => false,
        }
    }
}

impl fmt::Display for AssertionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}
