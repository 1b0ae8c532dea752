//! `cargo xtask sim merge`: shard reports into the report of the whole campaign.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use tidepool::SimulationReport;

use crate::output::outln;

/// Merges shard reports; exits 0 when the merged campaign passed, 1 otherwise.
pub(crate) fn merge(paths: &[PathBuf], json: bool) -> Result<ExitCode> {
    let merged = merge_reports(paths)?;
    if json {
        let mut text = Vec::new();
        merged.write_json(&mut text)?;
        outln!("{}", String::from_utf8_lossy(&text))?;
    } else {
        crate::output::write_stdout(format_args!("{merged}"))?;
    }
    Ok(if merged.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn merge_reports(paths: &[PathBuf]) -> Result<SimulationReport> {
    let mut merged: Option<SimulationReport> = None;
    for path in paths {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let report: SimulationReport = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a tidepool JSON report (make it with --json)",
                path.display()
            )
        })?;
        match &mut merged {
            Some(merged) => merged
                .merge(&report)
                .with_context(|| format!("merging {}", path.display()))?,
            None if report.shard.is_none() => bail!(
                "{} covers a whole campaign, not a shard (--shard K/N)",
                path.display()
            ),
            None => {
                report
                    .validate()
                    .with_context(|| format!("reading {}", path.display()))?;
                merged = Some(report);
            }
        }
    }
    let merged = merged.context("no report to merge")?;
    let missing = merged.missing_shards();
    if !missing.is_empty() {
        let count = merged.shard.map_or(0, |(_, count)| count);
        let missing: Vec<String> = missing
            .iter()
            .map(|index| format!("{index}/{count}"))
            .collect();
        bail!(
            "shards missing: {}; give the report of every shard",
            missing.join(", ")
        );
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(
        name: &str,
        base_seed: u64,
        shard: u64,
        iterations: u64,
        failed: u64,
    ) -> SimulationReport {
        let text = format!(
            r#"{{"name":"{name}","base_seed":{base_seed},"shard":[{shard},2],"merged_shards":[{shard}],"campaign_iterations":22,
               "iterations":{iterations},"passed":{},"failed":{failed},
               "wall_time_s":1.0,"sim_time_s":2.0,"events":10,"polls":5,"fingerprint":3,"faults":{{"reboots_graceful":1,"reboots_crash":0,
               "kills":0,"partitions":0,"clogs":0,"swizzles":0,"resets":0,"connect_failures":0,"partial_reads":0,"partial_writes":0}},
               "failures":[],"stopped_early":null,"assertions":{{"runs":{iterations},"rows":[]}},"strict_coverage":false}}"#,
            iterations - failed
        );
        serde_json::from_str(&text).expect("a valid report")
    }

    fn write(dir: &std::path::Path, name: &str, report: &SimulationReport) -> PathBuf {
        let path = dir.join(name);
        report
            .write_json(std::fs::File::create(&path).unwrap())
            .unwrap();
        path
    }

    #[test]
    fn merge_sums_shards_and_refuses_mixed_campaigns() {
        let dir = std::env::temp_dir().join(format!("tidepool-merge-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = write(&dir, "a.json", &report("kv", 7, 0, 11, 1));
        let b = write(&dir, "b.json", &report("kv", 7, 1, 11, 0));
        let merged = merge_reports(&[a.clone(), b]).unwrap();
        assert_eq!(
            (merged.iterations, merged.passed, merged.failed),
            (22, 21, 1)
        );
        assert_eq!(merged.faults.reboots_graceful, 2);
        assert_eq!(merged.shard, None);
        let other = write(&dir, "c.json", &report("kv", 8, 1, 11, 0));
        let error = |paths: &[PathBuf]| format!("{:#}", merge_reports(paths).unwrap_err());
        assert!(error(&[a.clone(), other]).contains("different campaigns"));
        assert!(error(&[a.clone(), a.clone()]).contains("given twice"));
        assert!(error(std::slice::from_ref(&a)).contains("shards missing: 1/2"));
        let garbage = dir.join("garbage.json");
        std::fs::write(&garbage, "not json").unwrap();
        assert!(
            merge_reports(&[a, garbage])
                .unwrap_err()
                .to_string()
                .contains("not a tidepool JSON report")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
