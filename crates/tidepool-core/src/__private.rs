//! What this crate's exported macros expand to, and what the simulator needs
//! of its internals. Not a public API: names here may change in any release.

pub use linkme;

pub use crate::assertions::Detail;
pub use crate::assertions::record::record_assertion;
pub use crate::assertions::registry::ASSERTION_SITES;
pub use crate::buggify::{BUGGIFY_SITES, buggify_at};
pub use crate::providers::join_handle::panic_message;
