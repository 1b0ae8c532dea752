//! A process that returns `Restart` is restarted, not failed: it dies as by a
//! crash (its disk keeps even what it did not sync), a fresh instance boots
//! after `RESTART_DELAY`, the report counts the restart; one that returns it
//! after the final shutdown was asked simply stops; any other error still
//! fails the iteration.

use std::time::Duration;

use tidepool::prelude::*;
use tidepool::{Restart, StateKey};

/// Incarnations booted, and what each found on its disk.
const BOOTS: StateKey<Vec<(u64, Vec<u8>)>> = StateKey::new("boots");

/// Writes (without syncing) which incarnation it is, then asks for a restart
/// the first time; serves quietly afterwards.
struct Flaky {
    restart_on_shutdown: bool,
}

impl Process for Flaky {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let file = ctx
            .storage()
            .open(
                "mark",
                &OpenOptions::new().read(true).write(true).create(true),
            )
            .await?;
        let found = file.read_all().await?;
        ctx.publish(BOOTS, |boots| boots.push((ctx.incarnation(), found)));
        file.write_all_at(&[ctx.incarnation() as u8], 0).await?;
        if ctx.incarnation() == 1 {
            return Err(Restart::new("the first boot always gives up").into());
        }
        ctx.shutdown().requested().await;
        if self.restart_on_shutdown {
            return Err(Restart::new("asked to stop").into());
        }
        Ok(())
    }
}

/// Waits, then checks the restart happened.
struct Watcher;

impl Workload for Watcher {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        ctx.sleep(Duration::from_secs(2)).await;
        Ok(())
    }

    async fn check(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let boots = ctx.state().get(BOOTS).unwrap_or_default();
        assert_eq!(
            boots,
            [(1, vec![]), (2, vec![1])],
            "the restart kept the unsynced mark"
        );
        Ok(())
    }
}

fn simulation(restart_on_shutdown: bool) -> SimulationBuilder {
    SimulationBuilder::new("restart")
        .processes("node", 1, move || Flaky {
            restart_on_shutdown,
        })
        .workload(|_| Watcher)
        .iterations(5)
        .jobs(1)
}

#[test]
fn a_restart_request_reboots_the_process_and_keeps_its_disk() {
    let report = simulation(false).run_test();
    assert_eq!(report.faults.restarts, 5, "{report}");
    assert!(
        report.to_string().contains("5 restarts asked for"),
        "{report}"
    );
}

#[test]
fn a_restart_asked_during_the_final_shutdown_just_stops() {
    let report = simulation(true).run_test();
    assert_eq!(
        report.faults.restarts, 5,
        "only the first boots' restarts: {report}"
    );
}

#[test]
fn any_other_error_still_fails_the_iteration() {
    let report = SimulationBuilder::new("failing")
        .process("node", |_ctx| async move { Err("broken".into()) })
        .workload(|_| Watcher)
        .iterations(2)
        .jobs(1)
        .run()
        .unwrap();
    assert_eq!(report.failed, 2, "{report}");
    assert!(
        report.failures[0]
            .reason
            .contains("process node-1 failed: broken")
    );
    assert_eq!(report.faults.restarts, 0);
}
