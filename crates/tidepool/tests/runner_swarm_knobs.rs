//! Swarm knobs: a workload parameter swarm testing varies per seed. Without
//! swarm it keeps its default; with swarm, half the seeds draw it from its
//! range; a seed keeps its value (replays, a second request); the report's
//! swarm table counts the seeds that varied it and the failures among them;
//! an empty range fails the seed saying so.

use std::time::Duration;

use tidepool::prelude::*;
use tidepool::runner::SwarmTable;

/// A workload with a bug behind a parameter its simulation never sets: a
/// depth of 9 or 10 (its range is 1 to 10, its default 0).
struct Deep;

impl Workload for Deep {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let depth = ctx.swarm_knob("depth", 0, 1..=10);
        let again = ctx.swarm_knob("depth", 5, 0..=0);
        if again != depth {
            return Err(format!("asked again, depth {again} instead of {depth}").into());
        }
        ctx.sleep(Duration::from_millis(10)).await;
        if depth >= 9 {
            return Err(format!("depth {depth} breaks it").into());
        }
        Ok(())
    }
}

fn simulation() -> SimulationBuilder {
    SimulationBuilder::new("knobs")
        .process("node", |ctx| async move {
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(|_| Deep)
        .iterations(200)
        .base_seed(11)
}

fn depth_row(table: &SwarmTable) -> (u64, u64) {
    let row = table
        .knobs
        .iter()
        .find(|row| row.name == "depth")
        .expect("a row for the knob");
    (row.seeds_varied, row.failures_varied)
}

#[test]
fn swarm_varies_a_knob_in_half_the_seeds_and_counts_its_failures() {
    let report = simulation().swarm(true).run().unwrap();
    assert_eq!(report.swarm.knobs.len(), 1, "{report}");
    let (varied, failures) = depth_row(&report.swarm);
    assert!((70..=130).contains(&varied), "varied in {varied} of 200");
    // A fifth of the varied seeds draw 9 or 10.
    assert!((5..=40).contains(&report.failed), "{report}");
    assert_eq!(failures, report.failed, "every failure had the knob varied");
    assert!(
        report
            .failures
            .iter()
            .all(|failure| failure.reason.contains("breaks it")),
        "{report}"
    );
    let table = report.swarm.to_string();
    assert!(table.contains("KNOB") && table.contains("depth"), "{table}");
}

#[test]
fn without_swarm_a_knob_keeps_its_default() {
    let report = simulation().run().unwrap();
    assert_eq!(report.failed, 0, "{report}");
    assert!(report.swarm.knobs.is_empty());
}

#[test]
fn a_seed_keeps_its_knob_on_replay() {
    let report = simulation().swarm(true).iterations(60).run().unwrap();
    let failure = report.failures.first().expect("a failing seed in 60");
    let replay = simulation()
        .swarm(true)
        .seeds([failure.seed])
        .run()
        .unwrap();
    assert_eq!(replay.failures[0].reason, failure.reason, "{replay}");
    let fixed = simulation().seeds([failure.seed]).run().unwrap();
    assert_eq!(fixed.failed, 0, "without swarm the seed runs the default");
}

#[test]
fn shards_merge_into_the_whole_campaign_s_knob_rows() {
    let whole = simulation().swarm(true).iterations(30).run().unwrap();
    let mut merged = simulation()
        .swarm(true)
        .iterations(30)
        .shard(0, 2)
        .run()
        .unwrap();
    let other = simulation()
        .swarm(true)
        .iterations(30)
        .shard(1, 2)
        .run()
        .unwrap();
    merged.merge(&other).unwrap();
    assert_eq!(merged.swarm, whole.swarm);
    assert_eq!(depth_row(&merged.swarm), depth_row(&whole.swarm));
}

struct Empty;

impl Workload for Empty {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        // Written the wrong way round, as a computed range can end up.
        let (low, high) = (5, 4);
        let _ = ctx.swarm_knob("backwards", 3, low..=high);
        Ok(())
    }
}

#[test]
fn an_empty_range_fails_the_seed_and_says_how_to_write_it() {
    let report = simulation()
        .workload(|_| Empty)
        .iterations(2)
        .run()
        .unwrap();
    assert_eq!(report.failed, 2, "{report}");
    let reason = &report.failures[0].reason;
    assert!(
        reason.contains("\"backwards\"") && reason.contains("is empty"),
        "{reason}"
    );
}
