//! What tidepool's exported macros expand to. Not a public API: names here may
//! change in any release.

pub use linkme;

pub use crate::assertions::registry::ASSERTION_SITES;
pub use crate::assertions::run::record_assertion;
pub use crate::assertions::violation::Detail;
pub use crate::buggify::{BUGGIFY_SITES, buggify_at};
