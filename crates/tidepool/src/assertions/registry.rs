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
/// use tidepool::assertions;
///
/// fn check(balance: i64) {
///     tidepool::assert_always!(balance >= 0, "balance never negative");
/// }
///
/// check(5);
/// assert!(assertions::sites().iter().any(|site| site.message == "balance never negative"));
/// ```
pub fn sites() -> &'static [AssertionSite] {
    &ASSERTION_SITES
}

/// The id of `site`: its index in [`sites`].
///
/// The linker lays the sites out as one array, so the id is the distance from
/// the array's start; no lookup, no lock.
pub(crate) fn site_id(site: &'static AssertionSite) -> usize {
    let all = sites();
    let offset = site as *const AssertionSite as usize - all.as_ptr() as usize;
    let id = offset / size_of::<AssertionSite>();
    debug_assert!(id < all.len(), "an assertion site outside the registry");
    debug_assert!(std::ptr::eq(&all[id], site));
    id
}
