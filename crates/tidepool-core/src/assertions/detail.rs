//! `Detail`: one `key = value` given to an assertion macro, rendered to text.

use std::fmt;

/// A `key = value` detail given to an assertion macro, rendered to text.
///
/// # Examples
///
/// ```
/// use tidepool_core::assertions::Detail;
///
/// let detail = Detail { key: "got".into(), value: "Some(7)".into() };
/// assert_eq!(detail.to_string(), "got=Some(7)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
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

impl fmt::Display for Detail {
    /// `key=value`, as a violation prints its details.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}
