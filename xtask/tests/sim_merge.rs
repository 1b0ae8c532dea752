//! `cargo xtask sim merge` as a user runs it: a reader that closes the output
//! early (`| head`) is no panic and keeps the verdict's exit status; a report
//! whose shard index was edited out of the campaign is refused (it merged to
//! PASSED with a shard missing); `bench --list NAME` is refused, not ignored.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tidepool::SimulationReport;

/// A shard's report of a 4-iteration campaign split in 2, all passed.
fn shard(index: u64) -> SimulationReport {
    let text = format!(
        r#"{{"name":"kv","base_seed":7,"shard":[{index},2],"merged_shards":[{index}],"campaign_iterations":4,
           "iterations":2,"passed":2,"failed":0,"wall_time_s":1.0,"sim_time_s":2.0,"events":10,"polls":5,
           "fingerprint":3,"faults":{{}},"failures":[],"stopped_early":null,
           "assertions":{{"runs":2,"rows":[]}},"strict_coverage":false}}"#
    );
    serde_json::from_str(&text).expect("a valid report")
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-merge-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, report: &SimulationReport) -> String {
    let path = dir.join(name);
    report
        .write_json(std::fs::File::create(&path).unwrap())
        .unwrap();
    path.display().to_string()
}

fn xtask(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.args(args);
    command
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_reader_that_closes_early_keeps_the_verdict() {
    let dir = scratch("pipe");
    let (a, b) = (
        write(&dir, "a.json", &shard(0)),
        write(&dir, "b.json", &shard(1)),
    );
    for json in [false, true] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut args = vec!["sim", "merge", &a, &b];
        if json {
            args.push("--json");
        }
        let output = xtask(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
    }
    let merged = xtask(&["sim", "merge", &a, &b]).output().unwrap();
    assert!(String::from_utf8_lossy(&merged.stdout).contains("simulation kv: PASSED"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_edited_shard_index_is_refused() {
    let dir = scratch("edited");
    let mut edited = shard(1);
    edited.shard = Some((3, 2));
    edited.merged_shards = vec![3];
    let (a, b) = (
        write(&dir, "a.json", &shard(0)),
        write(&dir, "b.json", &edited),
    );
    for order in [[&a, &b], [&b, &a]] {
        let output = xtask(&["sim", "merge", order[0], order[1]])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("out of range"),
            "{}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bench_list_with_a_name_is_refused() {
    let output = xtask(&["bench", "--list", "runtime"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot be used with"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bugs_refuses_a_bad_count_or_seed_before_building_anything() {
    for (args, says) in [
        (["bugs", "--iterations", "0"], "out of range"),
        (["bugs", "--base-seed", "forty-two"], "invalid seed"),
    ] {
        let output = xtask(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(stderr(&output).contains(says), "{}", stderr(&output));
    }
}
