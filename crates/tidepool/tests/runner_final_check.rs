//! Final checks and turning fault families off: a final check runs once per
//! iteration after every workload's `check`, while processes are still up; its
//! error fails the iteration under its name; `no_chaos` (and each `no_*`)
//! leaves a simulation with attrition and network faults fault-free.

use std::time::Duration;

use tidepool::providers::{Listener, Providers};
use tidepool::sim::NetworkConfig;
use tidepool::{
    Attrition, BoxError, Process, ProcessContext, SimulationBuilder, StateKey, Workload,
    WorkloadContext,
};

const CHECKED: StateKey<u64> = StateKey::new("workload checks done");
const FINAL_RUNS: StateKey<u64> = StateKey::new("final checks run");

/// Accepts connections until shutdown.
struct Listening;

impl Process for Listening {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let listener = ctx.bind(ctx.address()).await?;
        loop {
            tidepool::select! {
                accepted = listener.accept() => drop(accepted?),
                () = ctx.shutdown().requested() => return Ok(()),
            }
        }
    }
}

/// Talks to the server now and then; counts its `check`.
struct Client;

impl Workload for Client {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        for _ in 0..10 {
            let _ = ctx.connect(ctx.processes("server")[0]).await;
            ctx.sleep(Duration::from_secs(1)).await;
        }
        Ok(())
    }

    async fn check(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        ctx.state().update(CHECKED, |done| *done += 1);
        Ok(())
    }
}

fn simulation() -> SimulationBuilder {
    SimulationBuilder::new("final")
        .processes("server", 2, || Listening)
        .workloads(3, |_| Client)
        .iterations(10)
        .base_seed(11)
        .jobs(1)
}

#[test]
fn a_final_check_runs_once_after_every_check_with_servers_up() {
    let report = simulation()
        .final_check("after the checks", |ctx| async move {
            let done = ctx.state().get(CHECKED).unwrap_or(0);
            if done != 3 {
                return Err(format!("{done} workload checks before the final one").into());
            }
            for &server in ctx.processes("server") {
                ctx.connect(server).await?;
            }
            ctx.state().update(FINAL_RUNS, |runs| *runs += 1);
            Ok(())
        })
        .invariant("at most one final run", |state| {
            match state.get(FINAL_RUNS).copied().unwrap_or(0) {
                0 | 1 => Ok(()),
                runs => Err(format!("{runs} final runs")),
            }
        })
        .run_test();
    assert_eq!(report.passed, 10);
}

#[test]
fn a_failing_final_check_fails_the_iteration_under_its_name() {
    let report = simulation()
        .final_check("money is conserved", |_ctx| async move {
            Err("10 coins missing".into())
        })
        .run()
        .unwrap();
    assert_eq!(report.failed, 10, "{report}");
    let failure = &report.failures[0];
    assert!(
        failure.origin.contains("final-check money is conserved"),
        "{}",
        failure.origin
    );
    assert!(
        failure.reason.contains("10 coins missing"),
        "{}",
        failure.reason
    );
}

#[test]
fn no_chaos_turns_every_fault_family_off() {
    let chaotic = || {
        simulation()
            .network(NetworkConfig {
                connect_failure_probability: 0.3,
                ..NetworkConfig::default()
            })
            .attrition(Attrition::default())
            .swizzle((Duration::from_secs(1), Duration::from_secs(2)))
            .chaos_duration(Duration::from_secs(15))
    };
    let with = chaotic().run_test();
    assert!(with.faults.total() > 0, "{with}");
    let without = chaotic().no_chaos().run_test();
    assert_eq!(without.faults.total(), 0, "{without}");
    let no_network = chaotic()
        .no_network_faults()
        .no_attrition()
        .no_swizzle()
        .run_test();
    assert_eq!(no_network.faults.total(), 0, "{no_network}");
}

/// Reads a file of its own host's disk during the run: at a read-error rate
/// of 1, every read fails unless the storage faults are off.
struct DiskReader;

impl Workload for DiskReader {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        use tidepool::providers::{StorageFile, StorageProvider};
        let file = ctx.storage().create("data").await?;
        file.write_all_at(b"abc", 0).await?;
        assert_eq!(file.read_all().await?, b"abc");
        Ok(())
    }
}

#[test]
fn no_storage_faults_and_no_fault_injectors_turn_their_families_off() {
    let faulty = || {
        simulation()
            .workload(|_| DiskReader)
            .storage(tidepool::sim::StorageConfig {
                read_error_probability: 1.0,
                ..tidepool::sim::StorageConfig::fault_free()
            })
            .fault_injector("killer", |faults: tidepool::FaultHandle| async move {
                faults.kill(faults.processes()[0]);
            })
    };
    let with = faulty().run().unwrap();
    assert_eq!(with.failed, 10, "every read fails: {with}");
    assert!(
        with.faults.disk_read_errors > 0 && with.faults.kills > 0,
        "{with}"
    );
    let without = faulty().no_storage_faults().no_fault_injectors().run_test();
    assert_eq!(without.faults.total(), 0, "{without}");
}
