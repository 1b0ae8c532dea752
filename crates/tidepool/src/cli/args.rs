//! `SimArgs`: the flags of every simulation binary, and their parsers.

use std::time::Duration;

use super::presets::{AttritionPreset, NetworkPreset, StoragePreset};
use crate::runner::ITERATIONS_MAX;

/// The flags of every simulation binary.
#[derive(clap::Args, Clone, Debug, Default, PartialEq, Eq)]
pub struct SimArgs {
    /// Iterations to run, each with a seed derived from the base seed, 1 to 2^48
    /// [default: the simulation's own]
    #[arg(long, value_name = "N", value_parser = parse_iterations)]
    pub iterations: Option<u64>,
    /// Replays one seed alone (as printed in a failure, e.g. 0x2a), with debug logs of every
    /// process and workload stamped with simulated time and host
    #[arg(
        long,
        value_name = "SEED",
        value_parser = parse_seed,
        conflicts_with_all = ["iterations", "base_seed", "shard", "shard_from_env", "jobs"]
    )]
    pub seed: Option<u64>,
    /// The base seed of the campaign (decimal or 0x-hex) [default: random, printed in the report]
    #[arg(long, value_name = "SEED", value_parser = parse_seed)]
    pub base_seed: Option<u64>,
    /// Prints the report as JSON (stable field names) instead of text
    #[arg(long)]
    pub json: bool,
    /// Runs each seed twice and fails it if the trace hashes differ; such a seed runs twice more,
    /// recorded, to name the first event where they part
    #[arg(long)]
    pub check_determinism: bool,
    /// Log filter for tracing, e.g. `debug` or `kv=trace,tidepool=info` [default: `debug` with --seed, `off` otherwise]
    #[arg(long, value_name = "FILTER", value_parser = crate::logging::check_filter)]
    pub log: Option<String>,
    /// Threads running seeds in parallel, at least 1; more than 8 per core are capped, with a
    /// note in the report [default: the number of cores]
    #[arg(long, value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<usize>,
    /// Runs shard K of N: the seeds at positions i with i % N == K (needs --base-seed); a shard
    /// that holds no seed passes with a note
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Takes the shard index K from the environment variable JOB_COMPLETION_INDEX (set by a
    /// Kubernetes Indexed Job), with N from --shards
    #[arg(long, requires = "shards", conflicts_with = "shard")]
    pub shard_from_env: bool,
    /// The shard count N for --shard-from-env (only with it)
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..),
        requires = "shard_from_env"
    )]
    pub shards: Option<u64>,
    /// Memory one seed may hold (e.g. 512MiB, 2GiB, or off): past it the seed fails alone,
    /// naming the budget, and the campaign goes on; counted by tidepool's allocator
    /// [default: 1GiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_memory)]
    pub max_memory_per_seed: Option<SeedLimit<u64>>,
    /// Wall-clock time one seed may take (e.g. 90s, 10m, or off): past it the seed fails alone
    /// [default: 10m]
    #[arg(long, value_name = "DURATION", value_parser = parse_wall)]
    pub max_wall_per_seed: Option<SeedLimit<Duration>>,
    /// Fails the run when an assertion site was never exercised (a sometimes never true,
    /// a reachable never reached)
    #[arg(long)]
    pub strict_coverage: bool,
    /// Replaces the simulation's network: fault-free, default, harsh, or per-seed
    /// (each seed draws its own) [default: the simulation's own]
    #[arg(long, value_name = "PRESET", value_enum)]
    pub network: Option<NetworkPreset>,
    /// Replaces the deaths attrition deals: off, default (graceful and crash),
    /// graceful, crashes, power-loss, or all [default: the simulation's own]
    #[arg(long, value_name = "PRESET", value_enum)]
    pub attrition: Option<AttritionPreset>,
    /// Replaces the disks' faults: fault-free, default, or harsh
    /// [default: the simulation's own]
    #[arg(long, value_name = "PRESET", value_enum)]
    pub storage: Option<StoragePreset>,
    /// What simulated code that reads the real clock, draws OS randomness or starts a
    /// thread meets: deny (the seed fails, naming the call's site), warn (listed in the
    /// report), virtualize (answered from the simulation), or off [default: deny]
    #[arg(long, value_name = "MODE", value_enum)]
    pub sanitizer: Option<crate::sanitizer::SanitizerMode>,
    /// Runs the simulation's fixed fault mix on every seed, instead of swarm testing (each
    /// seed turning whole fault families on or off and drawing their intensities)
    #[arg(long)]
    pub no_swarm: bool,
    /// Explores from rare states: half the iterations run plain seeds, the rest branch from
    /// the first runs to make a rare assert_sometimes!/assert_reachable! site true (fewer than
    /// 10% of plain seeds did), replaying it to that step and going on with fresh randomness;
    /// a failing branch prints its replay as --seed SEED --branch STEP:SEED
    #[arg(long, conflicts_with_all = ["seed", "replay", "shard", "shard_from_env"])]
    pub explore: bool,
    /// With --seed: replays the branch of that seed that exploration ran, from the failure's
    /// replay command (STEP:SEED[,STEP:SEED...]: after task poll STEP, fresh randomness from SEED)
    #[arg(long, value_name = "POINTS", requires = "seed", value_parser = parse_branch_points)]
    // Spelled out so that clap takes the chain as one value, not a list of values.
    pub branch: Option<::std::vec::Vec<crate::runner::Branch>>,
    /// Where the campaign keeps its failures (JSON Lines, appended to), whose seeds the next
    /// campaign of the same simulation and flags runs first; `off` keeps none
    /// [default: .tidepool/failures.jsonl in the workspace]
    #[arg(long, value_name = "PATH", value_parser = super::keep::parse_failure_file)]
    pub failure_file: Option<super::keep::FailureFileArg>,
    /// Also writes the report as JUnit XML to FILE: a test case for the campaign and one per
    /// failure, with its replay command
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,
    /// With --seed or --replay: writes the run's timeline to FILE as one self-contained HTML page (a lane
    /// per host, messages, faults, log lines on hover, the failure marked; zoom and pan)
    #[arg(long, value_name = "FILE")]
    pub timeline: Option<std::path::PathBuf>,
    /// With --seed or --replay: writes the run's timeline to FILE in the Chrome trace-event format
    /// (opens in Perfetto or chrome://tracing)
    #[arg(long, value_name = "FILE")]
    pub trace_out: Option<std::path::PathBuf>,
    /// Shrinks the first failure (of the campaign, or the --seed replayed): the same seed re-run
    /// with fewer faults, a shorter chaos window, fewer operations while it fails the same way;
    /// prints what remained and writes a replay file
    #[arg(long)]
    pub shrink: bool,
    /// Where --shrink writes replay files [default: .tidepool/shrunk in the workspace]
    #[arg(long, value_name = "DIR", requires = "shrink")]
    pub shrink_dir: Option<std::path::PathBuf>,
    /// Replays a shrunk run exactly from its replay file (written by --shrink); refused when
    /// the file is of another simulation or flags, edited, truncated, or of another format
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["seed", "iterations", "base_seed", "shard", "shard_from_env", "jobs", "shrink"]
    )]
    pub replay: Option<std::path::PathBuf>,
}

/// A per-seed limit as a flag gives it: a bound, or none at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedLimit<T> {
    /// At most this much.
    Max(T),
    /// No limit (`off`).
    Off,
}

impl<T> SeedLimit<T> {
    /// The bound; `None` for [`SeedLimit::Off`].
    pub fn max(self) -> Option<T> {
        match self {
            SeedLimit::Max(max) => Some(max),
            SeedLimit::Off => None,
        }
    }
}

/// Parses `--iterations`: 1 to [`ITERATIONS_MAX`].
pub fn parse_iterations(text: &str) -> Result<u64, String> {
    let iterations: u64 = text.replace('_', "").parse().map_err(|_| {
        format!("invalid iteration count '{text}'; give a whole number from 1 to {ITERATIONS_MAX}")
    })?;
    if !(1..=ITERATIONS_MAX).contains(&iterations) {
        return Err(format!(
            "{iterations} iterations is out of range; give 1 to {ITERATIONS_MAX} (2^48)"
        ));
    }
    Ok(iterations)
}

/// Parses `--jobs`: at least 1 (a count past the cores' cap is capped when the campaign runs).
pub fn parse_jobs(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("--jobs 0 runs nothing; give at least 1 thread".to_string()),
        Ok(jobs) => Ok(jobs),
        Err(_) => Err(format!(
            "invalid thread count '{text}'; give a whole number of at least 1"
        )),
    }
}

/// The smallest `--max-memory-per-seed`: a world needs some to start.
pub const MEMORY_PER_SEED_MIN: u64 = 1 << 20;
/// The largest `--max-memory-per-seed` (1 PiB).
pub const MEMORY_PER_SEED_MAX: u64 = 1 << 50;

/// Parses `--max-memory-per-seed`: `off`, or a size in bytes with an optional
/// binary suffix (`KiB`, `MiB`, `GiB`, `TiB`, or `K`, `M`, `G`, `T`), from
/// 1 MiB to 1 PiB.
pub fn parse_memory(text: &str) -> Result<SeedLimit<u64>, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(SeedLimit::Off);
    }
    let invalid = || {
        format!(
            "invalid memory size '{text}'; give a size like 512MiB or 2GiB (suffixes KiB, MiB, GiB, TiB), or off"
        )
    };
    let digits = text
        .trim()
        .trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &text.trim()[digits.len()..];
    let unit: u64 = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        _ => return Err(invalid()),
    };
    let count: u64 = digits
        .trim()
        .replace('_', "")
        .parse()
        .map_err(|_| invalid())?;
    let bytes = count
        .checked_mul(unit)
        .filter(|bytes| (MEMORY_PER_SEED_MIN..=MEMORY_PER_SEED_MAX).contains(bytes))
        .ok_or_else(|| {
            format!("memory size '{text}' is out of range; give 1MiB to 1024TiB, or off")
        })?;
    Ok(SeedLimit::Max(bytes))
}

/// The longest `--max-wall-per-seed`: 30 days.
pub const WALL_PER_SEED_MAX: Duration = Duration::from_secs(30 * 24 * 3600);

/// Parses `--max-wall-per-seed`: `off`, or a whole number with a unit (`ms`,
/// `s`, `m`, `h`), from 1 ms to 30 days.
pub fn parse_wall(text: &str) -> Result<SeedLimit<Duration>, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(SeedLimit::Off);
    }
    let invalid = || {
        format!(
            "invalid duration '{text}'; give a number with a unit like 500ms, 90s, 10m or 2h, or off"
        )
    };
    let digits = text
        .trim()
        .trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let count: u64 = digits.replace('_', "").parse().map_err(|_| invalid())?;
    let millis_per_unit: u64 = match &text.trim()[digits.len()..] {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(invalid()),
    };
    let wall = count
        .checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .filter(|wall| !wall.is_zero() && *wall <= WALL_PER_SEED_MAX)
        .ok_or_else(|| format!("duration '{text}' is out of range; give 1ms to 30 days, or off"))?;
    Ok(SeedLimit::Max(wall))
}

/// Parses `--branch` (see [`crate::runner::parse_branches`]); a function of
/// its own so that clap takes the whole chain as one value.
fn parse_branch_points(text: &str) -> Result<Vec<crate::runner::Branch>, String> {
    crate::runner::parse_branches(text)
}

/// Parses a seed in decimal or `0x` hexadecimal.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
        None => text.replace('_', "").parse(),
    };
    parsed.map_err(|_| format!("invalid seed '{text}'; give a number like 42 or 0x2a"))
}

/// The variable a Kubernetes Indexed Job sets to each pod's index.
pub const SHARD_INDEX_VARIABLE: &str = "JOB_COMPLETION_INDEX";

/// The shard `(K, N)` from the value of [`SHARD_INDEX_VARIABLE`] and `--shards N`.
pub fn shard_from_env(index: Option<&str>, count: Option<u64>) -> Result<(u64, u64), String> {
    let count = count.ok_or("--shard-from-env needs --shards N")?;
    let index = index.ok_or(format!("--shard-from-env: {SHARD_INDEX_VARIABLE} is not set; run inside an Indexed Job or give --shard K/N"))?;
    let parsed: u64 = index
        .trim()
        .parse()
        .map_err(|_| format!("{SHARD_INDEX_VARIABLE}='{index}' is not a number"))?;
    if parsed >= count {
        return Err(format!(
            "{SHARD_INDEX_VARIABLE}={parsed} is out of range for --shards {count}"
        ));
    }
    Ok((parsed, count))
}

/// Parses `K/N`.
pub fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let invalid = || format!("invalid shard '{text}'; give K/N with 0 <= K < N, e.g. 0/4");
    let (index, count) = text.split_once('/').ok_or_else(invalid)?;
    let index: u64 = index.trim().parse().map_err(|_| invalid())?;
    let count: u64 = count.trim().parse().map_err(|_| invalid())?;
    if count == 0 || index >= count {
        return Err(invalid());
    }
    Ok((index, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_in_decimal_and_hex() {
        assert_eq!(parse_seed("42"), Ok(42));
        assert_eq!(parse_seed("0x2a"), Ok(42));
        assert_eq!(parse_seed("0x0000_002a"), Ok(42));
        assert!(
            parse_seed("forty-two")
                .unwrap_err()
                .contains("invalid seed 'forty-two'")
        );
    }

    #[test]
    fn shards_come_from_the_indexed_job_variable() {
        assert_eq!(shard_from_env(Some("2"), Some(4)), Ok((2, 4)));
        assert!(
            shard_from_env(Some("4"), Some(4))
                .unwrap_err()
                .contains("out of range")
        );
        assert!(
            shard_from_env(None, Some(4))
                .unwrap_err()
                .contains("is not set")
        );
        assert!(
            shard_from_env(Some("x"), Some(4))
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            shard_from_env(Some("1"), None)
                .unwrap_err()
                .contains("--shards")
        );
    }

    #[test]
    fn numeric_flags_are_range_checked() {
        assert_eq!(parse_iterations("1_000"), Ok(1000));
        assert!(
            parse_iterations("18446744073709551615")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(parse_iterations("0").unwrap_err().contains("out of range"));
        assert!(parse_iterations("-1").unwrap_err().contains("invalid"));
        assert_eq!(parse_jobs("4"), Ok(4));
        assert!(parse_jobs("0").unwrap_err().contains("at least 1"));
        assert_eq!(parse_memory("512MiB"), Ok(SeedLimit::Max(512 << 20)));
        assert_eq!(parse_memory("2G"), Ok(SeedLimit::Max(2 << 30)));
        assert_eq!(parse_memory("1048576"), Ok(SeedLimit::Max(1 << 20)));
        assert_eq!(parse_memory("off"), Ok(SeedLimit::Off));
        assert!(parse_memory("1KiB").unwrap_err().contains("out of range"));
        assert!(
            parse_memory("99999999999TiB")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(parse_memory("12 parsecs").unwrap_err().contains("invalid"));
        assert_eq!(
            parse_wall("90s"),
            Ok(SeedLimit::Max(Duration::from_secs(90)))
        );
        assert_eq!(
            parse_wall("250ms"),
            Ok(SeedLimit::Max(Duration::from_millis(250)))
        );
        assert_eq!(parse_wall("off"), Ok(SeedLimit::Off));
        assert!(parse_wall("0s").unwrap_err().contains("out of range"));
        assert!(parse_wall("31000h").unwrap_err().contains("out of range"));
        assert!(parse_wall("10").unwrap_err().contains("invalid"));
    }

    #[test]
    fn shards_parse_and_reject_out_of_range() {
        assert_eq!(parse_shard("1/4"), Ok((1, 4)));
        assert!(parse_shard("4/4").is_err());
        assert!(parse_shard("0/0").is_err());
        assert!(parse_shard("x").unwrap_err().contains("K/N"));
    }
}
