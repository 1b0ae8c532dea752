//! `--bug NAME` and `--bug list`: choosing a simulation's planted bugs.

use std::ops::ControlFlow;
use std::process::ExitCode;

/// What a simulation's `--bug` flag asks for, given its planted bugs'
/// `catalog` (name, what it does) and `only`, which makes the bugs value with
/// just the named one planted:
/// - no flag: `Continue(B::default())`, no bug;
/// - `--bug list`: prints the catalog, one bug a line, and `Break(0)`;
/// - `--bug NAME`: `Continue` with that bug, or, for a name not in the
///   catalog, an error naming every bug on standard error and `Break(2)`.
///
/// # Examples
///
/// ```
/// use std::ops::ControlFlow;
/// use tidepool::cli::choose_bugs;
///
/// const CATALOG: [(&str, &str); 1] = [("lost_ack", "acknowledges before writing")];
/// let only = |name: &str| (name == "lost_ack").then_some(true);
/// assert!(matches!(choose_bugs(None, &CATALOG, only), ControlFlow::Continue(false)));
/// assert!(matches!(choose_bugs(Some("lost_ack"), &CATALOG, only), ControlFlow::Continue(true)));
/// assert!(matches!(choose_bugs(Some("nope"), &CATALOG, only), ControlFlow::Break(_)));
/// ```
pub fn choose_bugs<B: Default>(
    flag: Option<&str>,
    catalog: &[(&str, &str)],
    only: impl Fn(&str) -> Option<B>,
) -> ControlFlow<ExitCode, B> {
    match flag {
        None => ControlFlow::Continue(B::default()),
        Some("list") => {
            let width = catalog
                .iter()
                .map(|(name, _)| name.len())
                .max()
                .unwrap_or(0);
            for (name, about) in catalog {
                println!("{name:<width$}  {about}");
            }
            ControlFlow::Break(ExitCode::SUCCESS)
        }
        Some(name) => match only(name) {
            Some(bugs) => ControlFlow::Continue(bugs),
            None => {
                let names: Vec<&str> = catalog.iter().map(|(name, _)| *name).collect();
                eprintln!(
                    "error: no bug named '{name}'; the bugs are: {}",
                    names.join(", ")
                );
                ControlFlow::Break(ExitCode::from(2))
            }
        },
    }
}
