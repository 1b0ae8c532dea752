//! The command line every simulation binary shares.
//!
//! A simulation's `main` builds its [`SimulationBuilder`](crate::SimulationBuilder) and hands it to
//! [`main`]; a simulation with flags of its own flattens [`SimArgs`] into its
//! own `clap` parser and calls [`run`].
//!
//! # Examples
//!
//! ```no_run
//! # use tidepool::SimulationBuilder;
//! # fn builder() -> SimulationBuilder { SimulationBuilder::new("doc") }
//! fn main() -> std::process::ExitCode {
//!     tidepool::cli::main(builder())
//! }
//! ```

mod args;
mod bugs;
mod presets;
mod run;

pub use args::{SHARD_INDEX_VARIABLE, SimArgs, parse_seed, parse_shard, shard_from_env};
pub use bugs::choose_bugs;
pub use presets::{AttritionPreset, NetworkPreset, StoragePreset};
pub use run::{apply, main, run};
