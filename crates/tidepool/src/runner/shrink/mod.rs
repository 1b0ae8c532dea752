//! Shrinking a failing run: the same seed re-run with edits that keep it
//! deterministic (a shorter chaos window, fault families off, single faults
//! dropped, fewer workload operations), each edit kept only while the same
//! failure (same kind and origin: the assertion site, the invariant, the
//! task) still happens. The result is saved as a replay file that
//! `--replay FILE` re-runs exactly.

mod edits;
mod replay_file;
mod run;
mod search;
mod summary;

pub use edits::{AppliedFault, Edits};
pub use replay_file::{REPLAY_FORMAT, ReplayFile, ReplayFileError};
pub use run::ReplayError;
pub(crate) use run::{after_campaign, check_replay, replay_plan};
pub use search::{FailureIdentity, RunSummary, SHRINK_RUNS_MAX, ShrinkError, Shrunk};

pub(crate) use edits::{admit, chaos_window, install, take_operation, take_run};
