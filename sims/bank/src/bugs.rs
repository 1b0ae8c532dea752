//! `BankBugs`: mistakes planted on purpose, for the simulation to catch.

/// Planted bugs, each off by default; `sim-bank --bug NAME` turns one on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BankBugs {
    /// The coordinator keeps no journal of intents and recovers nothing at
    /// boot: a coordinator that dies between a debit and its credit loses
    /// the money in flight.
    pub forget_intents: bool,
}

impl BankBugs {
    /// Every planted bug, by name, with what it does.
    pub fn catalog() -> &'static [(&'static str, &'static str)] {
        &[(
            "forget_intents",
            "coordinator keeps no journal of intents and recovers nothing at boot",
        )]
    }

    /// Only the bug named `name`; `None` for a name not in [`BankBugs::catalog`].
    pub fn only(name: &str) -> Option<BankBugs> {
        match name {
            "forget_intents" => Some(BankBugs {
                forget_intents: true,
            }),
            _ => None,
        }
    }
}
