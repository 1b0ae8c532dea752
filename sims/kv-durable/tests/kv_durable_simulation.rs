//! The durable KV simulation end to end: the correct server passes with every
//! death and storage fault on, and every assertion exercised; it is
//! deterministic; its command line reports, replays with its bug flag, and
//! rejects as documented.

use std::process::Command;

use kv::DurableBugs;

#[test]
fn the_correct_server_passes_with_every_death_and_storage_fault() {
    let report = sim_kv_durable::simulation(DurableBugs::default())
        .iterations(200)
        .base_seed(0x2026)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
    let faults = report.faults;
    let deaths = [
        faults.reboots_graceful,
        faults.reboots_crash,
        faults.power_losses,
        faults.wipes,
    ];
    assert!(deaths.iter().all(|&count| count > 0), "{faults:?}");
    let storage = [
        faults.sync_failures,
        faults.disk_write_errors,
        faults.disk_read_errors,
        faults.disk_slow,
    ];
    assert!(storage.iter().all(|&count| count > 0), "{faults:?}");
    assert_eq!(report.coverage_gaps(), 0, "{report}");
}

#[test]
fn the_durable_simulation_is_deterministic() {
    let report = sim_kv_durable::simulation(DurableBugs::default())
        .iterations(8)
        .base_seed(11)
        .check_determinism(true)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
}

fn sim_kv_durable(args: &[&str]) -> std::process::Output {
    // Hermetic: no failures kept from other campaigns run first, none kept.
    Command::new(env!("CARGO_BIN_EXE_sim-kv-durable"))
        .args(args)
        .args(["--failure-file", "off"])
        .output()
        .expect("running sim-kv-durable")
}

#[test]
fn the_binary_prints_json_and_replays_with_the_bug_flag() {
    let output = sim_kv_durable(&["--iterations", "3", "--base-seed", "3", "--json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["iterations"], 3);
    assert_eq!(report["name"], "kv-durable");

    let bug = ["--bug", "recovery_drops_last_record"];
    let output = sim_kv_durable(
        &[
            &bug[..],
            &["--iterations", "6", "--base-seed", "3", "--json"],
        ]
        .concat(),
    );
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let replay = report["failures"][0]["replay"].as_str().unwrap();
    let expected = "cargo xtask sim run kv-durable --bug recovery_drops_last_record --seed 0x";
    assert!(replay.starts_with(expected), "{replay}");
}

#[test]
fn unknown_bugs_are_usage_errors_and_the_list_names_every_bug() {
    let output = sim_kv_durable(&["--bug", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no bug named 'nope'"), "{stderr}");
    let output = sim_kv_durable(&["--bug", "list"]);
    assert_eq!(output.status.code(), Some(0));
    let listing = String::from_utf8_lossy(&output.stdout);
    for (name, _) in DurableBugs::catalog() {
        assert!(listing.contains(name), "{listing}");
    }
}

/// A seed whose history's hot key took the linearizability search past the
/// checker's default bound (an unknown verdict failed the correct server);
/// the workload's larger bound decides it.
#[test]
fn a_costly_history_still_reaches_a_verdict() {
    let report = sim_kv_durable::simulation(DurableBugs::default())
        .swarm(true)
        .seeds([0x4464_b498_b4dd_16e0])
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
}
