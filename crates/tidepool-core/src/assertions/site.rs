//! Where an assertion is written: the static each macro registers, and its
//! owned location.

use std::cmp::Ordering;
use std::fmt;

use super::kind::AssertionKind;

/// One assertion macro call in the source, registered when the program starts.
///
/// The macros build these as statics; a program never needs to. Every site of
/// every crate linked into the program is listed by [`sites`](super::sites),
/// reached or not.
#[derive(Debug)]
pub struct AssertionSite {
    /// Which macro the site was written with.
    pub kind: AssertionKind,
    /// The message given to the macro.
    pub message: &'static str,
    /// The source file, as `file!()` gives it.
    pub file: &'static str,
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1.
    pub column: u32,
}

impl AssertionSite {
    /// The site's location, owned, for reports.
    pub fn location(&self) -> SiteLocation {
        SiteLocation {
            file: self.file.to_owned(),
            line: self.line,
            column: self.column,
        }
    }

    /// The order reports list sites in: by file, line, column, then message.
    /// Unlike the registration order, it does not depend on how the program was
    /// linked.
    pub fn report_order(&self, other: &AssertionSite) -> Ordering {
        (self.file, self.line, self.column, self.message).cmp(&(
            other.file,
            other.line,
            other.column,
            other.message,
        ))
    }
}

/// A place in the source: file, line and column. Prints as `file:line:column`.
///
/// # Examples
///
/// ```
/// use tidepool_core::assertions::SiteLocation;
///
/// let location = SiteLocation { file: "src/kv.rs".into(), line: 42, column: 9 };
/// assert_eq!(location.to_string(), "src/kv.rs:42:9");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SiteLocation {
    /// The source file, as `file!()` gives it.
    pub file: String,
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1.
    pub column: u32,
}

impl fmt::Display for SiteLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}
