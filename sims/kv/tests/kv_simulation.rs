//! The tutorial's KV simulation end to end: it passes with chaos on, catches
//! a planted bug whose replay reproduces the failure, is deterministic, and
//! its command line reports and rejects as documented.

use std::process::Command;

use kv::Bugs;
use tidepool::runner::FailureKind;

#[test]
fn the_correct_server_passes_a_chaos_campaign() {
    let report = sim_kv::simulation(Bugs::default())
        .iterations(1000)
        .base_seed(0x2026)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
    assert!(
        report.faults.reboots_graceful > 0 && report.faults.reboots_crash > 0,
        "{:?}",
        report.faults
    );
    assert!(
        report.faults.partial_reads > 0 && report.faults.clogs > 0,
        "{:?}",
        report.faults
    );
    assert_eq!(report.coverage_gaps(), 0, "{report}");
    // The assertion table shows the linearizability check, passed every seed.
    let table = report.to_string();
    let check = table
        .lines()
        .find(|line| line.contains("the history is linearizable"))
        .unwrap_or_else(|| panic!("no linearizability check in the table:\n{table}"));
    assert!(check.starts_with("PASS"), "{check}");
}

#[test]
fn a_planted_bug_fails_and_its_replay_reproduces_the_failure() {
    let bugs = Bugs::only("ack_set_without_store").unwrap();
    let report = sim_kv::simulation(bugs)
        .iterations(20)
        .base_seed(7)
        .run()
        .unwrap();
    assert!(report.failed > 0, "{report}");
    let failure = &report.failures[0];
    assert_eq!(failure.kind, FailureKind::Assertion);
    // The failure shows the check and the operations no order explains.
    assert!(
        failure.reason.contains(": the history is linearizable (")
            && failure.reason.contains("has no linearization")
            && failure.reason.contains("client "),
        "{}",
        failure.reason
    );
    let replay = sim_kv::simulation(bugs)
        .seeds([failure.seed])
        .run()
        .unwrap();
    assert_eq!(replay.failures.len(), 1);
    assert_eq!(replay.failures[0].reason, failure.reason);
    assert_eq!(replay.failures[0].time, failure.time);
}

#[test]
fn the_kv_simulation_is_deterministic() {
    let report = sim_kv::simulation(Bugs::default())
        .iterations(10)
        .base_seed(11)
        .check_determinism(true)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
}

fn sim_kv(args: &[&str]) -> std::process::Output {
    // Hermetic: no failures kept from other campaigns run first, none kept.
    Command::new(env!("CARGO_BIN_EXE_sim-kv"))
        .args(args)
        .args(["--failure-file", "off"])
        .output()
        .expect("running sim-kv")
}

#[test]
fn the_binary_prints_json_and_replays_with_the_bug_flag() {
    let output = sim_kv(&["--iterations", "4", "--base-seed", "3", "--json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["iterations"], 4);
    assert_eq!(report["name"], "kv");

    let output = sim_kv(&[
        "--bug",
        "ack_set_without_store",
        "--iterations",
        "6",
        "--base-seed",
        "3",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let reason = report["failures"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("has no linearization"), "{reason}");
    let replay = report["failures"][0]["replay"].as_str().unwrap();
    assert!(
        replay.starts_with("cargo xtask sim run kv --bug ack_set_without_store --seed 0x"),
        "{replay}"
    );
}

#[test]
fn bad_flags_and_unknown_bugs_are_usage_errors() {
    let output = sim_kv(&["--iterations", "many"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("invalid value 'many'"));
    let output = sim_kv(&["--bug", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no bug named 'nope'"));
    let output = sim_kv(&["--iterations", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("0 iterations is out of range"));
    let output = sim_kv(&["--bug", "list"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("ack_set_without_store"));
}
