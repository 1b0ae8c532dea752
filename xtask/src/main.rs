//! `cargo xtask`: the project's commands.
//!
//! - `cargo xtask sim list`: the simulations of the workspace (packages under `sims/`).
//! - `cargo xtask sim run NAME [FLAGS]`: builds simulation NAME in release and runs it.
//! - `cargo xtask sim merge REPORT.json...`: merges shard reports into one.
//! - `cargo xtask bench NAME [FLAGS]`: builds and runs benchmark NAME in release.
//! - `cargo xtask bugs`: runs every simulation with planted bugs, one campaign
//!   per bug and mode (fixed fault mix, swarm, exploration), and tells the
//!   share of seeds that catch each, how soon, whether its seed replays the
//!   failure, and whether swarm or exploration meets the target.
//! - `cargo xtask mutants`: applies hand-made mutations of the engine one at a
//!   time (to a scratch copy) and tells which the tests catch.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};

mod bugs;
mod merge;
mod mutants;
mod mutations;
mod output;
mod workspace;

use bugs::{BUG_BASE_SEED_DEFAULT, BUG_SEEDS_DEFAULT, BugsArgs, Mode, bugs, parse_mode};
use merge::merge;
use mutants::{MUTANT_TIMEOUT_S_DEFAULT, MutantsArgs, mutants};
use workspace::{benchmarks, cargo_run, find_simulation, simulations};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "tidepool's project commands")]
struct Cli {
    #[command(subcommand)]
    command: Top,
}

#[derive(Subcommand)]
enum Top {
    /// Simulations: list them, run one, merge shard reports.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
    /// Builds a benchmark in release and runs it; it ends with one `key=value` line.
    Bench {
        /// The benchmark: one of `cargo xtask bench --list`.
        name: Option<String>,
        /// Lists the benchmarks.
        #[arg(long, conflicts_with_all = ["name", "args"])]
        list: bool,
        /// Flags passed to the benchmark (after `--`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Runs each simulation that has planted bugs (those answering
    /// `--bug list`) with each bug, once per mode with the same seeds: FIXED
    /// (`--no-swarm`), SWARM (the default) and EXPLORE (`--explore`). Prints,
    /// per bug and mode, the share of seeds that caught it and the seeds to
    /// the first failure (`9.8% (1st @4)`), whether each first failure
    /// replays, and TARGET: a bug that fewer than 10% of seeds catch under
    /// FIXED must be caught by at least 3x as many under SWARM or EXPLORE
    /// (the better). Then the correct server in each mode, each mode's wall
    /// time, `bugs under 10% today: K; meeting 3x: M`, and last a line
    /// `bugs_meeting_target=M/K`. Exits 1 when a bug is caught in no mode, a
    /// first failure does not replay, a bug misses the target, or the correct
    /// server fails. A binary that refuses `--explore` gets `-` in that column.
    Bugs {
        /// Seeds of every campaign, each mode's and the correct server's (1 to 2^48).
        #[arg(long, value_name = "N", default_value_t = BUG_SEEDS_DEFAULT,
              value_parser = tidepool::cli::parse_iterations)]
        iterations: u64,
        /// The base seed of every campaign (decimal or 0x-hex).
        #[arg(long, value_name = "SEED", default_value = BUG_BASE_SEED_DEFAULT,
              value_parser = check_seed)]
        base_seed: String,
        /// Only this simulation, as `cargo xtask sim list` names it [default: every one]
        #[arg(long, value_name = "NAME")]
        sim: Option<String>,
        /// Only these modes' columns: fixed, swarm or explore, repeatable or a comma list; the
        /// target is judged only with fixed and one of the others [default: all three]
        #[arg(long = "mode", value_name = "MODE", value_delimiter = ',',
              value_parser = parse_mode)]
        modes: Vec<Mode>,
        /// Also shrinks each bug's first failing seed (of the leftmost mode that caught it;
        /// `--shrink`), replays the shrunk run from its file, and prints each bug's faults,
        /// operations and simulated time before and after, and the medians
        #[arg(long)]
        shrink: bool,
    },
    /// Applies each hand-made mutation of the engine (xtask/src/mutations.rs)
    /// to a scratch copy of the workspace, runs the tests that must catch it,
    /// and prints CAUGHT, TIMEOUT, SURVIVED, UNVIABLE or STALE for each; exits
    /// 1 unless every one is caught. The working tree is never edited.
    Mutants {
        /// Only the mutations whose name contains NAME (repeatable) [default: all]
        #[arg(long, value_name = "NAME")]
        only: Vec<String>,
        /// Lists the mutations and their reasons instead of running them.
        #[arg(long)]
        list: bool,
        /// Seconds a mutant's tests may run before it counts as caught by the timeout.
        #[arg(long, value_name = "SECONDS", default_value_t = MUTANT_TIMEOUT_S_DEFAULT,
              value_parser = clap::value_parser!(u64).range(1..))]
        timeout_s: u64,
    },
}

#[derive(Subcommand)]
enum SimCommand {
    /// Lists the simulations found in the workspace.
    List,
    #[command(disable_help_flag = true)]
    /// Builds simulation NAME in release and runs it with FLAGS (see `cargo xtask sim run NAME --help`).
    Run {
        /// The simulation, as `cargo xtask sim list` names it.
        name: String,
        /// Flags passed to the simulation binary.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Merges JSON reports of shards (`--shard K/N --json`) into one report.
    Merge {
        /// The shard reports.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Prints the merged report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A seed as `tidepool::cli::parse_seed` reads it, kept as given (the
/// simulations are handed the text).
fn check_seed(text: &str) -> Result<String, String> {
    tidepool::cli::parse_seed(text).map(|_| text.to_string())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            // A child killed by a signal is no usage error: 128 + N, as a shell says it.
            match error.downcast_ref::<output::Killed>() {
                Some(killed) => killed.exit_code(),
                None => ExitCode::from(2),
            }
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Top::Sim {
            command: SimCommand::List,
        } => {
            for sim in simulations()? {
                output::outln!("{:<12} {}", sim.name, sim.description)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Top::Sim {
            command: SimCommand::Run { name, args },
        } => {
            let sim = find_simulation(&name)?;
            cargo_run(&sim.package, &sim.binary, &args)
        }
        Top::Sim {
            command: SimCommand::Merge { reports, json },
        } => merge(&reports, json),
        Top::Bugs {
            iterations,
            base_seed,
            sim,
            modes,
            shrink,
        } => bugs(&BugsArgs {
            iterations,
            base_seed,
            sim,
            shrink,
            modes,
        }),
        Top::Mutants {
            only,
            list,
            timeout_s,
        } => mutants(&MutantsArgs {
            only,
            list,
            timeout_s,
        }),
        Top::Bench { list: true, .. } | Top::Bench { name: None, .. } => {
            for bench in benchmarks()? {
                output::outln!("{bench}")?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Top::Bench {
            name: Some(name),
            args,
            ..
        } => {
            let known = benchmarks()?;
            if !known.contains(&name) {
                bail!(
                    "no benchmark named '{name}'; the benchmarks are: {}",
                    known.join(", ")
                );
            }
            cargo_run("tidepool-bench", &format!("bench-{name}"), &args)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The modes `cargo xtask bugs ARGS` selects, or clap's error.
    fn modes_of(args: &[&str]) -> Result<Vec<Mode>, String> {
        let argv = ["cargo xtask", "bugs"].iter().chain(args);
        match Cli::try_parse_from(argv) {
            Ok(Cli {
                command: Top::Bugs { modes, .. },
            }) => Ok(modes),
            Ok(_) => Err("not the bugs command".to_string()),
            Err(error) => Err(error.to_string()),
        }
    }

    #[test]
    fn bugs_takes_modes_repeated_or_as_a_comma_list() {
        assert_eq!(modes_of(&[]), Ok(vec![]));
        assert_eq!(
            modes_of(&["--mode", "fixed,explore"]),
            Ok(vec![Mode::Fixed, Mode::Explore])
        );
        assert_eq!(
            modes_of(&["--mode", "swarm", "--mode", "fixed"]),
            Ok(vec![Mode::Swarm, Mode::Fixed])
        );
    }

    #[test]
    fn bugs_refuses_an_unknown_mode_naming_the_known_ones() {
        let error = modes_of(&["--mode", "fixed,fast"]).unwrap_err();
        assert!(error.contains("unknown mode 'fast'"), "{error}");
        assert!(error.contains("fixed, swarm or explore"), "{error}");
    }
}
