//! `TallyBugs`: mistakes planted on purpose, for the simulation to catch.

/// Planted bugs, each off by default; `sim-tally --bug NAME` turns one on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TallyBugs {
    /// The primary boots with a count of 0 instead of asking the backups for
    /// theirs: a primary that reboots forgets every add it acknowledged.
    pub skip_recovery: bool,
    /// A backup answers `GET /value` with its own state instead of sending
    /// the client to the primary: a backup that has just rebooted (and
    /// knows nothing) or that took an add the primary then failed shows a
    /// count the primary does not.
    pub backups_serve_reads: bool,
}

impl TallyBugs {
    /// Every planted bug, by name, with what it does.
    pub fn catalog() -> &'static [(&'static str, &'static str)] {
        &[
            (
                "skip_recovery",
                "primary boots at 0 instead of fetching the backups' state",
            ),
            (
                "backups_serve_reads",
                "backups answer reads from their own state instead of redirecting to the primary",
            ),
        ]
    }

    /// Only the bug named `name`; `None` for a name not in [`TallyBugs::catalog`].
    pub fn only(name: &str) -> Option<TallyBugs> {
        let mut bugs = TallyBugs::default();
        match name {
            "skip_recovery" => bugs.skip_recovery = true,
            "backups_serve_reads" => bugs.backups_serve_reads = true,
            _ => return None,
        }
        Some(bugs)
    }
}
