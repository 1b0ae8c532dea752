//! Assertions inside a simulation's workload: an always-violation fails its
//! iteration with the site, and the report's table counts every site, the
//! never-reached ones included; `strict_coverage` fails on gaps.

use std::time::Duration;

use tidepool::assertions::AssertionStatus;
use tidepool::providers::Providers;
use tidepool::runner::FailureKind;
use tidepool::{BoxError, Process, ProcessContext, SimulationBuilder, Workload, WorkloadContext};

struct Idle;

impl Process for Idle {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        ctx.shutdown().requested().await;
        Ok(())
    }
}

struct Roller {
    limit: u64,
}

impl Workload for Roller {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        for _ in 0..20 {
            let roll = ctx.random_below(6) + 1;
            tidepool::assert_always!(roll <= self.limit, "runner roll within limit", roll = roll);
            tidepool::assert_sometimes!(roll == 6, "runner rolled a six");
            if roll > 6 {
                tidepool::assert_reachable!("runner impossible roll");
            }
            ctx.providers().sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }
}

fn roller_sim(limit: u64) -> SimulationBuilder {
    SimulationBuilder::new("roller")
        .processes("server", 1, || Idle)
        .workload(move |_| Roller { limit })
        .iterations(6)
        .base_seed(3)
}

#[test]
fn an_always_violation_fails_its_iteration_with_its_site() {
    let report = roller_sim(5).run().unwrap();
    assert!(report.failed > 0, "{report}");
    let failure = &report.failures[0];
    assert_eq!(failure.kind, FailureKind::Assertion);
    assert!(
        failure.reason.contains("runner roll within limit"),
        "{}",
        failure.reason
    );
    assert!(failure.reason.contains("roll=6"), "{}", failure.reason);
    assert!(
        failure.origin.contains("runner_assertions.rs"),
        "{}",
        failure.origin
    );
}

#[test]
fn the_table_counts_sites_and_lists_the_unreached() {
    let report = roller_sim(6).run().unwrap();
    assert!(report.is_success(), "{report}");
    let row = |message: &str| {
        report
            .assertions
            .rows()
            .iter()
            .find(|row| row.message == message)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        row("runner roll within limit").status,
        AssertionStatus::Pass
    );
    assert_eq!(row("runner roll within limit").true_count, 6 * 20);
    assert_eq!(row("runner rolled a six").status, AssertionStatus::Pass);
    assert_eq!(row("runner impossible roll").status, AssertionStatus::Miss);
    assert!(report.to_string().contains("runner impossible roll"));
    let strict = roller_sim(6).strict_coverage(true).run().unwrap();
    assert_eq!(strict.failed, 0);
    assert!(!strict.is_success(), "a coverage gap fails a strict run");
}

#[test]
fn assertions_inside_an_invariant_count_and_fail() {
    // Regression: invariants ran inside the world's borrow, where assertions
    // were silently dropped and provider calls panicked as "a tidepool bug".
    let report = roller_sim(6)
        .invariant("the clock runs", |_| {
            tidepool::assert_always!(
                tidepool::sim::now() < tidepool::time::Instant::ZERO,
                "runner invariant clock check"
            );
            Ok(())
        })
        .run()
        .unwrap();
    assert!(report.failed > 0, "{report}");
    assert_eq!(report.failures[0].kind, FailureKind::Assertion);
    assert!(
        report.failures[0]
            .reason
            .contains("runner invariant clock check"),
        "{}",
        report.failures[0].reason
    );
}
