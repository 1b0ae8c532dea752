//! Every failure proves it replays: after a campaign, each failing seed runs
//! again on a fresh thread. A real failure replays and says so; one caused by
//! state that outlives an iteration (a `static` counter) does not, and is
//! reported as a determinism leak instead of a failure of the system.

use std::sync::atomic::{AtomicU64, Ordering};

use tidepool::prelude::*;
use tidepool::runner::FailureKind;

struct Idle;

impl Workload for Idle {
    async fn run(&mut self, _ctx: &WorkloadContext) -> Result<(), BoxError> {
        Ok(())
    }
}

fn simulation(fail_when: impl Fn(u64) -> bool + Send + Sync + 'static) -> SimulationBuilder {
    let fail_when = std::sync::Arc::new(fail_when);
    SimulationBuilder::new("replays")
        .process("node", move |ctx| {
            let fail_when = fail_when.clone();
            async move {
                let draw = ctx.random().random_below(10);
                if fail_when(draw) {
                    return Err(format!("drew {draw}").into());
                }
                ctx.shutdown().requested().await;
                Ok(())
            }
        })
        .workload(|_| Idle)
        .iterations(20)
        .base_seed(8)
        .jobs(1)
}

#[test]
fn a_failure_of_the_seed_replays_and_says_so() {
    let report = simulation(|draw| draw == 0).run().unwrap();
    assert!(report.failed > 0, "{report}");
    for failure in &report.failures {
        assert_eq!(failure.kind, FailureKind::Process, "{failure:?}");
        assert_eq!(failure.replayed, Some(true), "{failure:?}");
    }
    assert!(report.to_string().contains("replays: checked"), "{report}");
}

static BOOTS: AtomicU64 = AtomicU64::new(0);

#[test]
fn a_failure_caused_by_a_static_is_reported_as_a_leak() {
    // The planted leak: a static counter, shared by every iteration and thread.
    let report = simulation(|_| BOOTS.fetch_add(1, Ordering::Relaxed) == 2)
        .run()
        .unwrap();
    assert_eq!(report.failed, 1, "{report}");
    let failure = &report.failures[0];
    assert_eq!(failure.kind, FailureKind::Nondeterminism, "{failure:?}");
    assert_eq!(failure.replayed, Some(false));
    assert!(
        failure.reason.contains("a determinism leak"),
        "{}",
        failure.reason
    );
    assert!(
        failure
            .reason
            .contains("its replay on a fresh thread passed"),
        "{}",
        failure.reason
    );
    assert!(
        failure
            .reason
            .contains("process error: process node-1 failed"),
        "{}",
        failure.reason
    );
}
