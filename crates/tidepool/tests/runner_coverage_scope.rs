//! Scoping coverage to a variant: sites outside `coverage_scope` are no
//! coverage gaps (so `--strict-coverage` passes for the variant that cannot
//! reach them), and an out-of-scope site that a run evaluates still gets its
//! row. The simulation is written with the prelude and a closure process.

use tidepool::prelude::*;

/// Asserts on the variant-only path when `variant` is set.
struct Probe {
    variant: bool,
}

impl Workload for Probe {
    async fn run(&mut self, _ctx: &WorkloadContext) -> Result<(), BoxError> {
        tidepool::assert_reachable!("the probe ran");
        if self.variant {
            tidepool::assert_reachable!("variant only: the probe took the variant's path");
        }
        Ok(())
    }
}

fn simulation(variant: bool) -> SimulationBuilder {
    SimulationBuilder::new("scope")
        .process("idle", |ctx| async move {
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(move |_| Probe { variant })
        .strict_coverage(true)
        .iterations(3)
        .jobs(1)
}

/// Only this file's own sites: other test files' sites are linked in too.
fn this_file(message: &str) -> bool {
    message.starts_with("the probe") || message.starts_with("variant only")
}

#[test]
fn unscoped_the_other_variants_site_is_a_coverage_gap() {
    let report = simulation(false)
        .coverage_scope(|site| this_file(site.message))
        .run()
        .unwrap();
    let gaps: Vec<_> = report
        .assertions
        .coverage_gaps()
        .map(|row| row.message.clone())
        .collect();
    assert_eq!(gaps, ["variant only: the probe took the variant's path"]);
    assert!(!report.is_success(), "strict coverage fails on the gap");
}

#[test]
fn a_scope_drops_the_other_variants_sites() {
    let report = simulation(false)
        .coverage_scope(|site| this_file(site.message) && !site.message.starts_with("variant only"))
        .run()
        .unwrap();
    assert_eq!(report.assertions.coverage_gaps().count(), 0, "{report}");
    assert_eq!(report.assertions.rows().len(), 1);
    assert!(report.is_success(), "{report}");
}

#[test]
fn an_out_of_scope_site_that_runs_keeps_its_row() {
    let report = simulation(true)
        .coverage_scope(|site| site.message == "the probe ran")
        .run()
        .unwrap();
    let messages: Vec<_> = report
        .assertions
        .rows()
        .iter()
        .map(|row| row.message.as_str())
        .collect();
    assert!(
        messages.contains(&"variant only: the probe took the variant's path"),
        "{messages:?}"
    );
}
