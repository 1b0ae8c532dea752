//! A site's id: its place in the program-wide list of assertion sites.

use tidepool_core::assertions::{AssertionSite, sites};

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
