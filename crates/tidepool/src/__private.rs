//! What tidepool's exported macros expand to. Not a public API: names here may
//! change in any release.

pub use tidepool_core::__private::*;
