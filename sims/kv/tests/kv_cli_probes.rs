//! The probes of issue 19, re-run against the `sim-kv` binary: each flag out
//! of range, ignored or malformed is a usage error (exit 2) saying what to
//! give; a huge campaign's shard runs its own seeds only; an empty shard
//! passes; a closed standard output changes nothing but the output; a seed
//! past its memory budget fails alone and the JSON report still comes out.

use std::process::{Command, Output, Stdio};

fn sim_kv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim-kv"))
        .args(args)
        .output()
        .expect("sim-kv runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Asserts `args` is refused as a usage error whose message contains `says`.
fn refused(args: &[&str], says: &str) {
    let output = sim_kv(args);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?}: {}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains(says),
        "{args:?} should say '{says}': {}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}

#[test]
fn out_of_range_ignored_and_malformed_flags_are_usage_errors() {
    refused(
        &["--iterations", "18446744073709551615"],
        "18446744073709551615 iterations is out of range",
    );
    refused(&["--iterations", "0"], "out of range");
    refused(&["--jobs", "0"], "give at least 1 thread");
    refused(&["--shards", "4"], "--shard-from-env");
    refused(&["--log", "=,="], "invalid log filter '=,='");
    refused(&["--seed", "0x1", "--jobs", "2"], "--jobs");
    refused(&["--max-memory-per-seed", "12"], "out of range");
    refused(&["--max-wall-per-seed", "forever"], "invalid duration");
    refused(&["--shard", "4/4"], "invalid shard");
}

#[test]
fn a_shard_of_a_huge_campaign_runs_its_own_seed() {
    let output = sim_kv(&[
        "--iterations",
        "1000000000",
        "--shard",
        "7/1000000000",
        "--base-seed",
        "0x2026",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["iterations"], 1);
    assert_eq!(report["campaign_iterations"], 1_000_000_000u64);
}

#[test]
fn an_empty_shard_passes_with_a_note() {
    let output = sim_kv(&["--iterations", "3", "--shard", "5/8", "--base-seed", "1"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(text.contains("simulation kv: PASSED"), "{text}");
    assert!(text.contains("shard 5/8 holds no seed"), "{text}");
}

#[test]
fn a_reader_that_closes_early_changes_nothing_but_the_output() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(env!("CARGO_BIN_EXE_sim-kv"))
        .args(["--iterations", "2", "--base-seed", "1"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
}

#[test]
fn a_seed_past_its_memory_budget_fails_and_the_json_comes_out() {
    let output = sim_kv(&[
        "--iterations",
        "3",
        "--base-seed",
        "1",
        "--max-memory-per-seed",
        "1MiB",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["iterations"], 3);
    let failure = &report["failures"][0];
    assert_eq!(failure["kind"], "memory_budget", "{failure}");
    let reason = failure["reason"].as_str().unwrap();
    assert!(reason.contains("memory budget of 1.0 MiB"), "{reason}");
    // The replay command keeps the budget: the seed fails again under it.
    let replay = failure["replay"].as_str().unwrap();
    assert!(replay.contains("--max-memory-per-seed 1MiB"), "{replay}");
}
