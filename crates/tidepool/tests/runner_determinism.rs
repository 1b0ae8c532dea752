//! `--check-determinism`: a clean simulation passes it; one that iterates a
//! `std::collections::HashMap` (randomly seeded per map) fails it, and the
//! failure names the first event where the two runs of the seed part.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use tidepool::providers::Providers;
use tidepool::runner::FailureKind;
use tidepool::{BoxError, Process, ProcessContext, SimulationBuilder, Workload, WorkloadContext};

/// Sleeps for the delays of a map, in the map's iteration order.
struct Sleeper {
    hashed: bool,
}

impl Process for Sleeper {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let delays: Vec<u64> = if self.hashed {
            // The planted bug: HashMap's order changes from run to run.
            let map: HashMap<u64, ()> = (1..=16).map(|key| (key, ())).collect();
            map.keys().copied().collect()
        } else {
            let map: BTreeMap<u64, ()> = (1..=16).map(|key| (key, ())).collect();
            map.keys().copied().collect()
        };
        for delay in delays {
            ctx.providers().sleep(Duration::from_millis(delay)).await;
        }
        ctx.shutdown().requested().await;
        Ok(())
    }
}

struct Idle;

impl Workload for Idle {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        ctx.providers().sleep(Duration::from_secs(1)).await;
        Ok(())
    }
}

fn sleeper_sim(hashed: bool) -> SimulationBuilder {
    SimulationBuilder::new("sleeper")
        .processes("server", 1, move || Sleeper { hashed })
        .workload(|_| Idle)
        .iterations(4)
        .base_seed(9)
        .check_determinism(true)
        // The sanitizer would deny the map's OS randomness before the check
        // sees its order (`sanitizer_leaks.rs`); `warn` lets it through.
        .sanitizer(tidepool::sanitizer::SanitizerMode::Warn)
}

#[test]
fn a_deterministic_simulation_passes_the_check() {
    let report = sleeper_sim(false).run().unwrap();
    assert_eq!(report.failed, 0, "{report}");
}

#[test]
fn hashmap_iteration_is_caught_and_the_parting_event_named() {
    let report = sleeper_sim(true).run().unwrap();
    assert!(
        report.failed > 0,
        "the planted nondeterminism went unseen:\n{report}"
    );
    let failure = &report.failures[0];
    assert_eq!(failure.kind, FailureKind::Nondeterminism);
    assert!(
        failure.reason.contains("parted at event #"),
        "{}",
        failure.reason
    );
    assert!(
        failure.reason.contains("Timer") || failure.reason.contains("Poll"),
        "{}",
        failure.reason
    );
    assert!(
        failure.reason.contains("before it in the first run"),
        "{}",
        failure.reason
    );
    assert!(
        failure.replay.ends_with("--check-determinism"),
        "{}",
        failure.replay
    );
}
