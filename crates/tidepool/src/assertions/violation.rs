//! The first violation of an iteration: what failed, where, when, with what.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::kind::AssertionKind;
use super::site::SiteLocation;
use crate::time::Instant;

/// A `key = value` detail given to an assertion macro, rendered to text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detail {
    /// The key as written in the macro call.
    pub key: String,
    /// The value, rendered with `Debug` (or `Display` when written `key = %value`).
    pub value: String,
}

impl Detail {
    #[doc(hidden)]
    pub fn debug(key: &str, value: &dyn fmt::Debug) -> Detail {
        Detail {
            key: key.to_owned(),
            value: format!("{value:?}"),
        }
    }

    #[doc(hidden)]
    pub fn display(key: &str, value: &dyn fmt::Display) -> Detail {
        Detail {
            key: key.to_owned(),
            value: value.to_string(),
        }
    }
}

/// A violated `assert_always!` or a reached `assert_unreachable!`: the failure of
/// the iteration it happened in.
///
/// Prints as `always violated at src/kv.rs:42:9 at 1.500000s: read matches model
/// (key=3, got=Some(7))`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Which macro was violated.
    pub kind: AssertionKind,
    /// The message given to the macro.
    pub message: String,
    /// Where the macro was written.
    pub site: SiteLocation,
    /// Simulated time of the violation.
    pub time: Instant,
    /// The details given to the macro, in the order written.
    pub details: Vec<Detail>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = match self.kind {
            AssertionKind::Unreachable => "reached",
            _ => "violated",
        };
        write!(
            f,
            "{} {verb} at {} at {}: {}",
            self.kind, self.site, self.time, self.message
        )?;
        for (index, detail) in self.details.iter().enumerate() {
            let open = if index == 0 { " (" } else { ", " };
            write!(f, "{open}{}={}", detail.key, detail.value)?;
        }
        if !self.details.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}
