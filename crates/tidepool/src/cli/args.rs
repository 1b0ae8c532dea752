//! `SimArgs`: the flags of every simulation binary, and their parsers.

use super::presets::{AttritionPreset, NetworkPreset, StoragePreset};

/// The flags of every simulation binary.
#[derive(clap::Args, Clone, Debug, Default, PartialEq, Eq)]
pub struct SimArgs {
    /// Iterations to run, each with a seed derived from the base seed [default: the simulation's own]
    #[arg(long, value_name = "N")]
    pub iterations: Option<u64>,
    /// Replays one seed alone (as printed in a failure, e.g. 0x2a), with debug logs of every
    /// process and workload stamped with simulated time and host
    #[arg(
        long,
        value_name = "SEED",
        value_parser = parse_seed,
        conflicts_with_all = ["iterations", "base_seed", "shard", "shard_from_env"]
    )]
    pub seed: Option<u64>,
    /// The base seed of the campaign (decimal or 0x-hex) [default: random, printed in the report]
    #[arg(long, value_name = "SEED", value_parser = parse_seed)]
    pub base_seed: Option<u64>,
    /// Prints the report as JSON (stable field names) instead of text
    #[arg(long)]
    pub json: bool,
    /// Runs each seed twice and fails it if the traces differ, naming the first event where they part
    #[arg(long)]
    pub check_determinism: bool,
    /// Log filter for tracing, e.g. `debug` or `kv=trace,tidepool=info` [default: `debug` with --seed, `off` otherwise]
    #[arg(long, value_name = "FILTER")]
    pub log: Option<String>,
    /// Threads running seeds in parallel [default: the number of cores]
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Runs shard K of N: the seeds at positions i with i % N == K
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Takes the shard index K from the environment variable JOB_COMPLETION_INDEX (set by a
    /// Kubernetes Indexed Job), with N from --shards
    #[arg(long, requires = "shards", conflicts_with = "shard")]
    pub shard_from_env: bool,
    /// The shard count N for --shard-from-env
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub shards: Option<u64>,
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
    fn shards_parse_and_reject_out_of_range() {
        assert_eq!(parse_shard("1/4"), Ok((1, 4)));
        assert!(parse_shard("4/4").is_err());
        assert!(parse_shard("0/0").is_err());
        assert!(parse_shard("x").unwrap_err().contains("K/N"));
    }
}
