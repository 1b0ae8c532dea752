//! [`SearchOp`]: an operation as the search sees it.

use crate::history::operation::{Operation, Stamp};

/// An operation as the search sees it.
#[derive(Debug)]
pub(crate) struct SearchOp<'a, Op, Out> {
    pub(crate) op: &'a Op,
    pub(crate) invoked: Stamp,
    /// When it took effect by, if it took effect at all; `None` when it may
    /// take effect at any point after its invocation.
    pub(crate) deadline: Option<Stamp>,
    /// What it returned; `None` when that is unknown, and then it may also
    /// never have taken effect. Never without a deadline.
    pub(crate) output: Option<&'a Out>,
}

impl<Op, Out> Clone for SearchOp<'_, Op, Out> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Op, Out> Copy for SearchOp<'_, Op, Out> {}

impl<'a, Op, Out> SearchOp<'a, Op, Out> {
    /// `operation` as recorded: an open or indeterminate one has no deadline
    /// and no output.
    pub(crate) fn new(operation: &'a Operation<Op, Out>) -> Self {
        let output = operation.output();
        SearchOp {
            op: &operation.op,
            invoked: operation.invoked,
            deadline: operation.deadline(),
            output,
        }
    }

    /// The same operation with its output forgotten: it took effect inside its
    /// interval with whatever output, or never. A history with operations
    /// weakened has every linearization it had, and maybe more.
    pub(crate) fn weakened(self) -> Self {
        SearchOp {
            output: None,
            ..self
        }
    }

    /// Whether it has an output, so must be linearized before its return;
    /// otherwise it is optional: it may never have taken effect.
    pub(super) fn is_required(&self) -> bool {
        self.output.is_some()
    }
}
