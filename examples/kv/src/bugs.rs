//! `Bugs`: mistakes the server can be told to make, so a simulation can show
//! that it catches them.

/// Planted bugs, each a named flag, all off by default.
///
/// A simulation turns one on to check that its workload notices; production
/// leaves them all off.
///
/// # Examples
///
/// ```
/// use kv::{Bugs, KvConfig};
///
/// let honest = KvConfig::default();
/// assert_eq!(honest.bugs, Bugs::default());
/// let forgetful = KvConfig {
///     bugs: Bugs { ack_set_without_store: true, ..Bugs::default() },
///     ..KvConfig::default()
/// };
/// assert!(forgetful.bugs.ack_set_without_store);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bugs {
    /// Answer `Ok` to a SET without storing the value: a later GET sees the old
    /// value (or none). Default: off.
    pub ack_set_without_store: bool,
}

impl Bugs {
    /// Every bug by name, with what it does.
    pub fn catalog() -> &'static [(&'static str, &'static str)] {
        &[(
            "ack_set_without_store",
            "answers Ok to a SET without storing the value",
        )]
    }

    /// Only the bug named `name`, or `None` when no bug has that name.
    pub fn only(name: &str) -> Option<Bugs> {
        let mut bugs = Bugs::default();
        match name {
            "ack_set_without_store" => bugs.ack_set_without_store = true,
            _ => return None,
        }
        Some(bugs)
    }
}
