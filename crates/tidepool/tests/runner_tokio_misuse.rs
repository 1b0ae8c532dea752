//! Calling tokio's runtime directly inside a simulation (`tokio::time::sleep`,
//! `tokio::spawn`) fails the iteration with the provider to use instead:
//! `tokio::spawn` panics with tokio's message and the advice beside it;
//! `tokio::time::sleep` reads the real clock first, which the sanitizer
//! denies, naming the workload's line and the tokio function it called.

use std::time::Duration;

use tidepool::prelude::*;
use tidepool::runner::FailureKind;

struct Hasty {
    spawn: bool,
}

impl Workload for Hasty {
    async fn run(&mut self, _ctx: &WorkloadContext) -> Result<(), BoxError> {
        if self.spawn {
            drop(tokio::spawn(async {}));
        } else {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(())
    }
}

fn failure_of(spawn: bool) -> tidepool::runner::Failure {
    let report = SimulationBuilder::new("tokio-misuse")
        .process("node", |ctx| async move {
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(move |_| Hasty { spawn })
        .iterations(1)
        .run()
        .unwrap();
    assert_eq!(report.failed, 1, "{report}");
    report.failures[0].clone()
}

#[test]
fn tokio_calls_inside_a_simulation_name_the_provider_to_use() {
    for (spawn, provider, kind) in [
        (false, "ctx.sleep", FailureKind::DeterminismLeak),
        (true, "ctx.spawn for tokio::spawn", FailureKind::Panic),
    ] {
        let failure = failure_of(spawn);
        assert_eq!(failure.kind, kind, "{failure:?}");
        assert!(
            failure.reason.contains("use the providers"),
            "{}",
            failure.reason
        );
        assert!(failure.reason.contains(provider), "{}", failure.reason);
        if kind == FailureKind::DeterminismLeak {
            assert!(
                failure.origin.contains("runner_tokio_misuse.rs:")
                    && failure.origin.contains("via tokio::time::sleep"),
                "{}",
                failure.origin
            );
        }
    }
}
