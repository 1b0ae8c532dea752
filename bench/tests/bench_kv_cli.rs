//! bench-kv refuses seeds it cannot run, saying why, before it runs any.

use std::process::Command;

fn bench_kv(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_bench-kv"))
        .args(args)
        .output()
        .expect("bench-kv starts");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), stderr)
}

/// A range of seeds past `u64::MAX` is refused with both flags named.
#[test]
fn seeds_past_the_last_one_are_refused() {
    let (ok, stderr) = bench_kv(&["--start-seed", "18446744073709551615", "--iterations", "2"]);
    assert!(!ok);
    assert!(
        stderr.contains("--start-seed 18446744073709551615 with --iterations 2"),
        "{stderr}"
    );
    assert!(!stderr.contains("kv-bench-detail"), "nothing ran: {stderr}");
}

/// Zero iterations or servers are refused by the parser.
#[test]
fn zero_iterations_or_servers_are_refused() {
    for flag in ["--iterations", "--servers"] {
        let (ok, stderr) = bench_kv(&[flag, "0"]);
        assert!(!ok, "{flag} 0");
        assert!(stderr.contains(flag), "{flag}: {stderr}");
    }
}

/// The last seed may be `u64::MAX` itself: one iteration from there runs.
#[test]
fn the_last_seed_runs() {
    let (ok, stderr) = bench_kv(&["--start-seed", "18446744073709551615", "--iterations", "1"]);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("seeds=18446744073709551615..18446744073709551615 digest="),
        "{stderr}"
    );
}
