//! Antithesis-style assertions: checks that never panic, counted per site
//! across every seed of a campaign.
//!
//! - [`assert_always!`](crate::assert_always): the condition holds every time it
//!   is evaluated; one `false` fails the iteration.
//! - [`assert_sometimes!`](crate::assert_sometimes): the condition holds at least
//!   once in the campaign; never holding is a coverage gap, not a failure.
//! - [`assert_reachable!`](crate::assert_reachable): the line runs at least once
//!   in the campaign.
//! - [`assert_unreachable!`](crate::assert_unreachable): the line never runs;
//!   reaching it fails the iteration.
//!
//! Every site is registered when the program starts (with `linkme`), so a site
//! that no seed ever reached still shows in the report. Inside a simulation each
//! evaluation is counted in the running world; the runner calls
//! [`first_violation`] after every step and [`take_run_results`] at the end of an
//! iteration, then merges the runs, in seed order, into an [`AssertionTable`].
//! Outside a simulation the macros evaluate their condition and do nothing
//! else: they count, log and panic nothing.
//!
//! The macros and the sites are `tidepool_core`'s (re-exported here), so
//! production code uses them without this crate; the counts, violations and
//! tables are this crate's.

mod registry;
pub(crate) mod run;
mod table;
mod violation;

pub use run::{RunAssertions, SiteCounts, first_violation, take_run_results};
pub use table::{AssertionRow, AssertionStatus, AssertionTable};
pub use tidepool_core::assertions::{AssertionKind, AssertionSite, Detail, SiteLocation, sites};
pub use violation::Violation;
