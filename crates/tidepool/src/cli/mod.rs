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
mod keep;
mod presets;
mod run;
mod timeline;

pub use args::{
    MEMORY_PER_SEED_MAX, MEMORY_PER_SEED_MIN, SHARD_INDEX_VARIABLE, SeedLimit, SimArgs,
    WALL_PER_SEED_MAX, parse_iterations, parse_jobs, parse_memory, parse_seed, parse_shard,
    parse_wall, shard_from_env,
};
pub use bugs::choose_bugs;
pub use keep::{
    FailureFileArg, REVISION_VARIABLE, failure_file_path, parse_failure_file, revision,
    shrink_dir_default,
};
pub use presets::{AttritionPreset, NetworkPreset, StoragePreset};
pub use run::{apply, main, run};
