//! A report is bounded and proves what it holds: a campaign where every seed
//! fails keeps the first FAILURES_KEPT_MAX failures in detail and counts all
//! by kind; merging shards keeps that bound, and refuses a report whose shard
//! index was edited out of range, whose counts do not add up, or that lost
//! iterations without saying it stopped early.

use tidepool::runner::{FAILURES_KEPT_MAX, FailureKind, MergeError};
use tidepool::{BoxError, SimulationBuilder, SimulationReport, Workload, WorkloadContext};

/// Fails at once.
struct Failing;

impl Workload for Failing {
    async fn run(&mut self, _: &WorkloadContext) -> Result<(), BoxError> {
        Err("always".into())
    }
}

fn failing(iterations: u64, shard: Option<(u64, u64)>) -> SimulationReport {
    let mut builder = SimulationBuilder::new("bounds")
        .process("idle", |ctx| async move {
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(|_| Failing)
        .iterations(iterations)
        .base_seed(9)
        .jobs(2);
    if let Some((index, count)) = shard {
        builder = builder.shard(index, count);
    }
    builder.run().unwrap()
}

#[test]
fn a_campaign_where_every_seed_fails_keeps_the_first_failures_and_counts_all() {
    let report = failing(150, None);
    assert_eq!(report.failed, 150);
    assert_eq!(report.failures.len(), FAILURES_KEPT_MAX);
    assert_eq!(report.failures_by_kind[&FailureKind::Workload], 150);
    let iterations: Vec<u64> = report.failures.iter().map(|f| f.iteration).collect();
    assert_eq!(
        iterations,
        (0..FAILURES_KEPT_MAX as u64).collect::<Vec<_>>()
    );
    let text = report.to_string();
    assert!(
        text.contains(
            "... and 140 more (--json keeps the first 100 in detail); by kind: 150 workload error"
        ),
        "{text}"
    );
    report.validate().unwrap();
}

#[test]
fn merged_shards_keep_the_campaign_s_first_failures_and_every_count() {
    let mut merged = failing(240, Some((0, 2)));
    let other = failing(240, Some((1, 2)));
    merged.merge(&other).unwrap();
    assert_eq!(merged.shard, None);
    assert_eq!(merged.failed, 240);
    assert_eq!(merged.failures_by_kind[&FailureKind::Workload], 240);
    let iterations: Vec<u64> = merged.failures.iter().map(|f| f.iteration).collect();
    assert_eq!(
        iterations,
        (0..FAILURES_KEPT_MAX as u64).collect::<Vec<_>>()
    );
    merged.validate().unwrap();
}

#[test]
fn an_edited_shard_index_is_refused() {
    let first = failing(4, Some((0, 2)));
    let mut edited = failing(4, Some((1, 2)));
    // Before: merging this printed PASSED with shard 1 missing.
    edited.shard = Some((5, 2));
    edited.merged_shards = vec![5];
    let mut merged = first.clone();
    let error = merged.merge(&edited).unwrap_err();
    assert!(
        matches!(&error, MergeError::Inconsistent { what } if what.contains("out of range")),
        "{error}"
    );
    assert_eq!(merged, first, "nothing is merged on an error");
}

#[test]
fn a_report_that_does_not_add_up_is_refused() {
    let first = failing(4, Some((0, 2)));
    let mut cut = failing(4, Some((1, 2)));
    cut.iterations -= 1;
    cut.failed -= 1;
    cut.failures.pop();
    *cut.failures_by_kind
        .get_mut(&FailureKind::Workload)
        .unwrap() -= 1;
    let error = first.clone().merge(&cut).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("without saying it stopped early"),
        "{error}"
    );
    let mut miscounted = failing(4, Some((1, 2)));
    miscounted.passed += 1;
    let error = first.clone().merge(&miscounted).unwrap_err();
    assert!(error.to_string().contains("passed"), "{error}");
    let mut foreign = failing(4, Some((1, 2)));
    foreign.failures[0].iteration = 2;
    let error = first.clone().merge(&foreign).unwrap_err();
    assert!(
        error.to_string().contains("of none of its shards"),
        "{error}"
    );
}

#[test]
fn a_merge_missing_a_shard_is_not_a_whole_campaign() {
    let mut merged = failing(6, Some((0, 3)));
    merged.merge(&failing(6, Some((2, 3)))).unwrap();
    assert_eq!(merged.shard, Some((0, 3)));
    assert_eq!(merged.missing_shards(), vec![1]);
}

#[test]
fn shards_past_the_seeds_merge_into_the_whole_campaign() {
    // 3 iterations over 5 shards: shards 3 and 4 hold no seed, and pass.
    let mut merged = failing(3, Some((0, 5)));
    for index in 1..5 {
        let shard = failing(3, Some((index, 5)));
        if index >= 3 {
            assert_eq!(shard.iterations, 0);
            assert!(shard.is_success(), "{shard}");
        }
        merged.merge(&shard).unwrap();
    }
    assert_eq!(merged.shard, None);
    assert_eq!((merged.iterations, merged.failed), (3, 3));
    assert!(!merged.is_success());
    merged.validate().unwrap();
}
