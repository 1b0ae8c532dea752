//! The invariant "clients see only booted incarnations" when a key is missing.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use kv::INCARNATIONS_BOOTED;
use kv_workload::INCARNATIONS_SEEN;
use tidepool::prelude::*;

const SERVER: &str = "10.0.1.1:7000";

/// Publishes what a client would have seen (and, when `booted`, the boot).
struct Publisher {
    seen: bool,
    booted: bool,
}

impl Workload for Publisher {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let server: SocketAddr = SERVER.parse()?;
        if self.booted {
            ctx.state()
                .set(INCARNATIONS_BOOTED, BTreeMap::from([(server, 1u64)]));
        }
        if self.seen {
            ctx.state()
                .set(INCARNATIONS_SEEN, BTreeMap::from([(server, 1u64)]));
        }
        ctx.sleep(Duration::from_millis(10)).await;
        Ok(())
    }
}

fn run(seen: bool, booted: bool) -> tidepool::SimulationReport {
    SimulationBuilder::new("incarnations")
        .process("idle", |ctx| async move {
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(move |_| Publisher { seen, booted })
        .invariant(
            "clients see only booted incarnations",
            sim_kv::seen_incarnations_were_booted,
        )
        .iterations(1)
        .run()
        .expect("a valid configuration")
}

#[test]
fn a_seen_incarnation_without_published_boots_fails_naming_the_key() {
    // Regression: the invariant passed when the boots' key was missing, so a
    // server that stopped publishing its boots disarmed it unseen.
    let report = run(true, false);
    assert_eq!(report.failed, 1, "{report}");
    let reason = &report.failures[0].reason;
    assert!(reason.contains(INCARNATIONS_BOOTED), "{reason}");
}

#[test]
fn nothing_seen_yet_or_seen_and_booted_passes() {
    assert_eq!(run(false, false).failed, 0);
    assert_eq!(run(true, true).failed, 0);
}
