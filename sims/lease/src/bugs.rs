//! `LeaseBugs`: mistakes planted on purpose, for the simulation to catch.

/// Planted bugs, each off by default; `sim-lease --bug NAME` turns one on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LeaseBugs {
    /// A client believes its lease until the server's wall-clock expiry, read
    /// on its own wall clock: right while every clock agrees, wrong by the
    /// clocks' difference when they do not.
    pub trusts_wall_clock: bool,
}

impl LeaseBugs {
    /// Every planted bug, by name, with what it does.
    pub fn catalog() -> &'static [(&'static str, &'static str)] {
        &[(
            "trusts_wall_clock",
            "clients time their lease by the server's wall-clock expiry, read on their own wall clock",
        )]
    }

    /// Only the bug named `name`; `None` for a name not in [`LeaseBugs::catalog`].
    pub fn only(name: &str) -> Option<LeaseBugs> {
        match name {
            "trusts_wall_clock" => Some(LeaseBugs {
                trusts_wall_clock: true,
            }),
            _ => None,
        }
    }
}
