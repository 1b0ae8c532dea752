//! Storage as a user of the runner sees it: each death kind keeps what it
//! should of a process's disk across reboots (crash: every write; power loss:
//! what was synced; wipe: nothing), the deaths and storage faults are counted
//! in the report and its JSON, storage faults stop with the chaos window, and
//! invalid storage or attrition settings are refused before anything runs.

use std::time::Duration;

use tidepool::providers::{OpenOptions, Providers, StorageFile, StorageProvider};
use tidepool::runner::{Death, FaultHandle};
use tidepool::sim::StorageConfig;
use tidepool::{
    Attrition, BoxError, ConfigError, Process, ProcessContext, SimulationBuilder, SimulationReport,
    Workload, WorkloadContext,
};

/// At every boot, reads its boot counter from disk, checks that it holds at
/// least what an earlier boot saw written (unsynced) or synced, and writes the
/// next value (synced or not). An incarnation that dies before its write
/// completes promises nothing, so the check is against what completed.
struct BootCounter {
    sync: bool,
}

/// The highest count whose write (or sync) completed, by process.
const DONE: tidepool::StateKey<std::collections::BTreeMap<String, u64>> =
    tidepool::StateKey::new("boot counts done");

impl Process for BootCounter {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let storage = ctx.providers().storage();
        let options = OpenOptions::new().read(true).write(true).create(true);
        let file = storage.open("boots", &options).await?;
        let mut bytes = [0u8; 8];
        let read = file.read_at(&mut bytes, 0).await?;
        let counted = if read == 8 {
            u64::from_le_bytes(bytes)
        } else {
            0
        };
        let done = ctx.state().and_then(|state| state.get(DONE));
        let done = done
            .and_then(|all| all.get(ctx.name()).copied())
            .unwrap_or(0);
        if counted < done {
            return Err(format!(
                "boot {} found {counted} boots on disk, after {done} were written",
                ctx.incarnation()
            )
            .into());
        }
        file.write_all_at(&ctx.incarnation().to_le_bytes(), 0)
            .await?;
        if self.sync {
            file.sync_data().await?;
            storage.sync_dir("").await?;
        }
        ctx.publish(DONE, |all| {
            all.insert(ctx.name().to_string(), ctx.incarnation());
        });
        ctx.shutdown().requested().await;
        Ok(())
    }
}

/// Sleeps through the chaos window.
struct Sleeper;

impl Workload for Sleeper {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        ctx.providers().sleep(Duration::from_secs(30)).await;
        Ok(())
    }
}

/// Attrition by `death` alone.
fn only(death: Death) -> Attrition {
    let weight = |kind| if death == kind { 1.0 } else { 0.0 };
    Attrition {
        graceful: weight(Death::Graceful),
        crash: weight(Death::Crash),
        power_loss: weight(Death::PowerLoss),
        wipe: weight(Death::Wipe),
        ..Attrition::default()
    }
}

fn campaign(sync: bool, attrition: Attrition) -> SimulationReport {
    SimulationBuilder::new("boot-counter")
        .processes("node", 2, move || BootCounter { sync })
        .workload(|_| Sleeper)
        .storage(StorageConfig::fault_free())
        .attrition(Attrition {
            interval: (Duration::from_millis(500), Duration::from_secs(2)),
            recovery_delay: (Duration::from_millis(100), Duration::from_millis(500)),
            ..attrition
        })
        .iterations(20)
        .base_seed(0xd15c)
        .jobs(1)
        .run()
        .expect("a valid configuration")
}

#[test]
fn crashes_keep_unsynced_writes() {
    let report = campaign(false, only(Death::Crash));
    assert!(report.faults.reboots_crash > 0, "{report}");
    assert_eq!(report.failed, 0, "{report}");
}

#[test]
fn power_losses_keep_synced_writes() {
    let report = campaign(true, only(Death::PowerLoss));
    assert!(report.faults.power_losses > 0, "{report}");
    assert_eq!(report.faults.reboots_crash + report.faults.wipes, 0);
    assert_eq!(report.failed, 0, "{report}");
}

#[test]
fn power_losses_lose_unsynced_writes() {
    let report = campaign(false, only(Death::PowerLoss));
    assert!(
        report.failed > 0,
        "unsynced counters survived every power loss: {report}"
    );
}

#[test]
fn wipes_lose_synced_writes() {
    let report = campaign(true, only(Death::Wipe));
    assert!(report.faults.wipes > 0, "{report}");
    assert!(
        report.failed > 0,
        "synced counters survived every wipe: {report}"
    );
}

#[test]
fn deaths_show_in_the_text_and_json_report() {
    let report = campaign(
        true,
        Attrition {
            wipe: 1.0,
            ..only(Death::PowerLoss)
        },
    );
    let text = report.to_string();
    assert!(text.contains("power losses"), "{text}");
    assert!(text.contains("wipes"), "{text}");
    let mut json = Vec::new();
    report.write_json(&mut json).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let faults = &json["faults"];
    assert_eq!(faults["power_losses"], report.faults.power_losses);
    assert_eq!(faults["wipes"], report.faults.wipes);
    assert!(report.faults.power_losses > 0 && report.faults.wipes > 0);
}

/// Reads a file on its own host's disk: during the chaos window every read
/// fails (read errors at probability 1); in `check`, after it, none does.
struct Reader;

impl Workload for Reader {
    async fn setup(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let file = ctx.providers().storage().create("data").await?;
        file.write_all_at(b"abc", 0).await?;
        Ok(())
    }

    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let file = ctx
            .providers()
            .storage()
            .open("data", &OpenOptions::new().read(true))
            .await?;
        match file.read_all().await {
            Err(error) if error.kind() == std::io::ErrorKind::Other => Ok(()),
            other => Err(format!("a read during chaos gave {other:?}, not EIO").into()),
        }
    }

    async fn check(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let file = ctx
            .providers()
            .storage()
            .open("data", &OpenOptions::new().read(true))
            .await?;
        assert_eq!(file.read_all().await?, b"abc");
        Ok(())
    }
}

/// Waits for its shutdown, touching no disk.
struct Idle;

impl Process for Idle {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        ctx.shutdown().requested().await;
        Ok(())
    }
}

#[test]
fn storage_faults_stop_with_the_chaos_window() {
    let report = SimulationBuilder::new("reader")
        .processes("node", 1, || Idle)
        .workload(|_| Reader)
        .storage(StorageConfig {
            read_error_probability: 1.0,
            ..StorageConfig::fault_free()
        })
        .iterations(5)
        .base_seed(1)
        .jobs(1)
        .run()
        .unwrap();
    assert_eq!(report.failed, 0, "{report}");
    assert!(report.faults.disk_read_errors >= 5, "{report}");
}

/// Cuts the power of node-1 once, then boots it again.
async fn power_cut(handle: FaultHandle) {
    let node = handle.process("node-1").expect("one node");
    assert_eq!(
        handle.process("node-9").map_err(|error| error.to_string()),
        Err("no process named 'node-9'; the processes are: node-1".to_string()),
        "a typo is an error naming the processes"
    );
    assert_eq!(
        handle.group("nodes").map_err(|error| error.to_string()),
        Err("no group named 'nodes'; the groups are: node".to_string()),
        "a typo is an error naming the groups"
    );
    handle.sleep(Duration::from_secs(1)).await;
    handle.power_loss(node);
    assert!(!handle.is_up(node));
    handle.restart(node);
    handle.sleep(Duration::from_secs(1)).await;
    handle.reboot_after(node, Death::Wipe, Duration::ZERO).await;
}

#[test]
fn injectors_cut_power_and_wipe() {
    let report = SimulationBuilder::new("injector")
        .processes("node", 1, || BootCounter { sync: true })
        .workload(|_| Sleeper)
        .storage(StorageConfig::fault_free())
        .fault_injector("power cut", power_cut)
        .iterations(3)
        .base_seed(2)
        .jobs(1)
        .run()
        .unwrap();
    assert_eq!(report.faults.power_losses, 3, "{report}");
    assert_eq!(report.faults.wipes, 3, "{report}");
    // The wipe makes boot 3 find no counter: each iteration fails there.
    assert_eq!(report.failed, 3, "{report}");
}

#[test]
fn invalid_storage_and_weights_are_refused() {
    let build = || {
        SimulationBuilder::new("bad")
            .processes("node", 2, || BootCounter { sync: true })
            .workload(|_| Sleeper)
            .iterations(1)
    };
    let zero = build()
        .storage(StorageConfig {
            capacity_bytes: 0,
            ..StorageConfig::default()
        })
        .run();
    assert!(matches!(zero, Err(ConfigError::Storage(_))), "{zero:?}");
    let probability = build()
        .storage(StorageConfig {
            sync_failure_probability: 1.5,
            ..StorageConfig::default()
        })
        .run();
    let message = probability.unwrap_err().to_string();
    assert!(
        message.contains("sync_failure_probability is 1.5"),
        "{message}"
    );
    let weights = build()
        .attrition(Attrition {
            graceful: 0.0,
            crash: 0.0,
            ..Attrition::default()
        })
        .run();
    assert!(
        matches!(weights, Err(ConfigError::AttritionWeights { .. })),
        "{weights:?}"
    );
    let nan = build()
        .attrition(Attrition {
            wipe: f64::NAN,
            ..Attrition::default()
        })
        .run();
    assert!(
        matches!(nan, Err(ConfigError::AttritionWeights { .. })),
        "{nan:?}"
    );
}
