//! The command line of shrinking, replaying and drawing a planted bug's
//! failure: `--shrink` on a failing `--seed` writes a replay file and says
//! what remained; `--replay FILE` re-runs it exactly and `--timeline` draws
//! it; a replay under other simulation flags is refused (exit 2), and so is
//! `--timeline` without a seed or a replay file. Neither `--shrink` nor
//! `--replay` enters a replay command.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BUG: &str = "cache_survives_reboot";

fn sim_kv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim-kv"))
        .args(args)
        .args(["--failure-file", "off"])
        .output()
        .expect("sim-kv runs")
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("{error}: {}", String::from_utf8_lossy(&output.stderr)))
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-kv-shrink-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The first seed of a short campaign that the planted bug fails.
fn failing_seed() -> String {
    let campaign = sim_kv(&[
        "--bug",
        BUG,
        "--iterations",
        "40",
        "--base-seed",
        "0x2026",
        "--json",
    ]);
    let report = json(&campaign);
    let seed = report["failures"][0]["seed"]
        .as_u64()
        .expect("the bug is caught");
    format!("{seed:#x}")
}

fn shrink(seed: &str, dir: &Path) -> serde_json::Value {
    let dir = dir.to_str().unwrap();
    let output = sim_kv(&[
        "--bug",
        BUG,
        "--seed",
        seed,
        "--shrink",
        "--shrink-dir",
        dir,
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    json(&output)["shrunk"].clone()
}

#[test]
fn a_shrunk_failure_replays_exactly_from_its_file_and_draws_its_timeline() {
    let dir = scratch("replay");
    let seed = failing_seed();
    let shrunk = shrink(&seed, &dir);
    let file = shrunk["file"].as_str().expect("a replay file");
    assert!(Path::new(file).starts_with(&dir), "{file}");
    let replay = shrunk["replay"].as_str().unwrap();
    assert_eq!(
        replay,
        format!("cargo xtask sim run kv --bug {BUG} --replay {file}")
    );
    let (before, after) = (&shrunk["original"], &shrunk["shrunk"]);
    let total = |summary: &serde_json::Value| -> u64 {
        summary["fault_counts"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum()
    };
    assert!(total(after) <= total(before), "{before} {after}");
    assert!(after["operations"].as_u64() <= before["operations"].as_u64());

    let page = dir.join("timeline.html");
    let page_arg = page.to_str().unwrap();
    let output = sim_kv(&[
        "--bug",
        BUG,
        "--replay",
        file,
        "--json",
        "--timeline",
        page_arg,
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json(&output);
    let notes = report["notes"].to_string();
    assert!(notes.contains("reproduced exactly"), "{notes}");
    assert_eq!(
        report["failures"][0]["origin"],
        shrunk["identity"]["origin"]
    );
    let html = std::fs::read_to_string(&page).expect("the timeline is written");
    assert!(html.contains("id=\"timeline-data\""), "a timeline page");
    assert!(html.contains("{\"name\":\"server-1\""), "a lane per server");
}

#[test]
fn a_replay_under_other_flags_and_a_timeline_without_a_seed_are_usage_errors() {
    let dir = scratch("other");
    let shrunk = shrink(&failing_seed(), &dir);
    let file = shrunk["file"].as_str().unwrap();
    let output = sim_kv(&["--replay", file]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("replay it with the same simulation flags"),
        "{stderr}"
    );

    let output = sim_kv(&["--timeline", "x.html", "--iterations", "1"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("need --seed SEED or --replay FILE"),
        "{stderr}"
    );
    assert!(!Path::new("x.html").exists());
}
