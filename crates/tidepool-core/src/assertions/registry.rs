//! The program-wide list of assertion sites, filled by the linker.

use linkme::distributed_slice;

use super::site::AssertionSite;

/// Every assertion macro call linked into the program, in link order.
#[doc(hidden)]
#[distributed_slice]
pub static ASSERTION_SITES: [AssertionSite];

/// Every assertion site linked into the program, reached or not, in link order.
///
/// A site's position in this slice is its id within one build of the program;
/// reports sort sites with [`AssertionSite::report_order`] instead, which holds
/// across builds.
///
/// # Examples
///
/// ```
/// use tidepool_core::assertions;
///
/// fn check(balance: i64) {
///     tidepool_core::assert_always!(balance >= 0, "balance never negative");
/// }
///
/// check(5);
/// assert!(assertions::sites().iter().any(|site| site.message == "balance never negative"));
/// ```
pub fn sites() -> &'static [AssertionSite] {
    &ASSERTION_SITES
}
