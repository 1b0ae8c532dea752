//! Antithesis-style assertions: checks that never panic, counted per site
//! across every seed of a simulation campaign.
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
//! that no seed ever reached still shows in a simulation's report. Inside a
//! simulation each evaluation is counted in the running world (the `tidepool`
//! crate keeps the counts, the first violation and the campaign's table).
//! Outside a simulation the macros evaluate their condition and do nothing
//! else: they never panic, count, log or render a detail, so they can stay in
//! production code.

mod detail;
mod kind;
mod macros;
pub(crate) mod record;
pub(crate) mod registry;
mod site;

pub use detail::Detail;
pub use kind::AssertionKind;
pub use registry::sites;
pub use site::{AssertionSite, SiteLocation};
