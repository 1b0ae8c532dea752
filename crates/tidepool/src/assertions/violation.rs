//! The first violation of an iteration: what failed, where, when, with what.

use std::fmt;

use serde::{Deserialize, Serialize};
use tidepool_core::assertions::{AssertionKind, Detail, SiteLocation};

use crate::core_serde;
use crate::time::Instant;

/// A violated `assert_always!` or a reached `assert_unreachable!`: the failure of
/// the iteration it happened in.
///
/// Prints as `always violated at src/kv.rs:42:9 at 1.500000s: read matches model
/// (key=3, got=Some(7))`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Which macro was violated.
    #[serde(with = "core_serde::AssertionKindDef")]
    pub kind: AssertionKind,
    /// The message given to the macro.
    pub message: String,
    /// Where the macro was written.
    #[serde(with = "core_serde::SiteLocationDef")]
    pub site: SiteLocation,
    /// Simulated time of the violation.
    #[serde(with = "core_serde::InstantDef")]
    pub time: Instant,
    /// The details given to the macro, in the order written.
    #[serde(with = "core_serde::details")]
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
            write!(f, "{open}{detail}")?;
        }
        if !self.details.is_empty() {
            f.write_str(")")?;
        }
        Ok(())
    }
}
