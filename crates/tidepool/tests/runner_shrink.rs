//! Shrinking: a failing seed re-run with edits (fault families off, a shorter
//! chaos window, discrete faults dropped, operations capped) keeps only the
//! edits under which the same failure (kind and origin) still happens; the
//! shrunk run has far fewer faults and operations, keeps the fault the bug
//! needs, and its replay file re-runs it exactly. A replay file of another
//! simulation or flags, an edited, truncated or older one is refused, naming
//! what does not match. Shrinking changes nothing of a run without edits.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tidepool::StateKey;
use tidepool::prelude::*;
use tidepool::runner::FaultHandle;
use tidepool::runner::shrink::{ReplayError, ReplayFileError};

/// Every boot: (address, incarnation).
const BOOTS: StateKey<Vec<(SocketAddr, u64)>> = StateKey::new("boots");

struct Node;

impl Process for Node {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let (address, incarnation) = (ctx.address(), ctx.incarnation());
        ctx.publish(BOOTS, |boots| boots.push((address, incarnation)));
        ctx.shutdown().requested().await;
        Ok(())
    }
}

/// The planted bug: once node-2 has rebooted, the 20th operation fails.
struct Client;

impl Workload for Client {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let node_2 = ctx.processes("node")[1];
        for operation in 0..400 {
            if !ctx.take_operation() {
                break;
            }
            ctx.sleep(Duration::from_millis(5)).await;
            let boots = ctx.state().get(BOOTS).unwrap_or_default();
            let rebooted = boots
                .iter()
                .any(|&(at, incarnation)| at == node_2 && incarnation > 1);
            if rebooted && operation >= 20 {
                return Err(format!("operation {operation} saw node-2 rebooted").into());
            }
        }
        Ok(())
    }
}

fn simulation(name: &str) -> SimulationBuilder {
    SimulationBuilder::new(name)
        .processes("node", 3, || Node)
        .workload(|_| Client)
        .chaos_duration(Duration::from_secs(2))
        .fault_injector("rebooter", |faults: FaultHandle| async move {
            let nodes = faults.group("node").expect("nodes");
            for _ in 0..40 {
                faults.sleep(Duration::from_millis(8)).await;
                let victim = faults.pick(&nodes).expect("a node");
                faults.reboot(victim, false, Duration::ZERO).await;
                let other = faults.pick(&nodes).expect("a node");
                faults.clog(victim, other, Duration::from_millis(3));
            }
        })
        .failure_file(None, None)
        .jobs(1)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tidepool-shrink-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The first seed (from base 1) that fails, and the report shrinking it.
fn shrunk_report(dir: &Path) -> tidepool::SimulationReport {
    simulation("shrinky")
        .iterations(20)
        .base_seed(1)
        .shrink(Some(dir.to_path_buf()))
        .run()
        .unwrap()
}

#[test]
fn the_shrunk_run_fails_the_same_way_with_far_fewer_faults_and_operations() {
    let dir = scratch("smaller");
    let report = shrunk_report(&dir);
    let first = report.failures.first().expect("a seed fails").clone();
    let shrunk = report.shrunk.as_ref().expect("the first failure shrunk");
    assert_eq!(shrunk.seed, first.seed);
    assert_eq!(shrunk.identity.kind, first.kind);
    assert_eq!(shrunk.identity.origin, first.origin);
    let (before, after) = (&shrunk.original, &shrunk.shrunk);
    assert!(before.fault_total() >= 10, "{before:?}");
    assert!(
        after.fault_total() * 5 <= before.fault_total(),
        "faults {} -> {}",
        before.fault_total(),
        after.fault_total()
    );
    // The bug needs node-2's reboot: it stays, and little else.
    assert!(
        after
            .faults
            .iter()
            .any(|f| f.kind == "crash reboot" && f.target == "node-2"),
        "{:?}",
        after.faults
    );
    let (ops_before, ops_after) = (before.operations.unwrap(), after.operations.unwrap());
    assert!(
        ops_after <= ops_before && ops_after >= 21,
        "{ops_before} -> {ops_after}"
    );
    assert!(
        shrunk.reason.contains("saw node-2 rebooted"),
        "{}",
        shrunk.reason
    );
    let text = report.to_string();
    assert!(
        text.contains(&format!("shrunk seed {:#018x}", first.seed)),
        "{text}"
    );
    assert!(
        text.contains("fault #"),
        "the faults that remained are listed: {text}"
    );
    assert!(text.contains("crash reboot of node-2 at"), "{text}");
    assert!(text.contains("x smaller)"), "{text}");
    let file = shrunk.file.as_ref().expect("a replay file");
    assert!(file.starts_with(&dir) && file.exists(), "{file:?}");
}

#[test]
fn the_replay_file_reruns_the_shrunk_run_exactly() {
    let dir = scratch("replay");
    let report = shrunk_report(&dir);
    let shrunk = report.shrunk.as_ref().unwrap();
    let file = shrunk.file.as_ref().unwrap();
    let (replayed, timeline) = simulation("shrinky")
        .run_replay(file, Some("info"))
        .unwrap();
    assert_eq!(replayed.failed, 1, "{replayed}");
    assert_eq!(replayed.failures[0].origin, shrunk.identity.origin);
    assert!(
        replayed
            .notes
            .iter()
            .any(|note| note.contains("reproduced exactly")),
        "{:?}",
        replayed.notes
    );
    let timeline = timeline.expect("asked for");
    assert_eq!(
        timeline.events, shrunk.shrunk.events,
        "the timeline is of the shrunk run"
    );
    // A simulation that changed since: the same file no longer reproduces.
    let changed = simulation("shrinky").processes("extra", 1, || Node);
    let (again, _) = changed.run_replay(file, None).unwrap();
    assert!(
        again.failures.iter().any(|f| f.origin == "replay file"),
        "{again}"
    );
}

fn refused(file: &Path, builder: SimulationBuilder) -> ReplayFileError {
    match builder.run_replay(file, None) {
        Err(ReplayError::File(error)) => error,
        other => panic!(
            "expected a refused file, got {:?}",
            other.map(|(r, _)| r.to_string())
        ),
    }
}

#[test]
fn a_replay_file_of_another_simulation_flags_edit_length_or_format_is_refused() {
    let dir = scratch("bad");
    let report = shrunk_report(&dir);
    let file = report.shrunk.as_ref().unwrap().file.clone().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();

    let error = refused(&file, simulation("other"));
    assert!(matches!(error, ReplayFileError::Simulation { .. }));
    assert!(
        error
            .to_string()
            .contains("of simulation 'shrinky', not 'other'"),
        "{error}"
    );

    let flags = simulation("shrinky").replay_command("cargo xtask sim run shrinky --bug x");
    let error = refused(&file, flags);
    assert!(
        error
            .to_string()
            .contains("replay it with the same simulation flags"),
        "{error}"
    );

    let edited = dir.join("edited.json");
    std::fs::write(
        &edited,
        text.replacen("\"attrition_off\": false", "\"attrition_off\": true", 1),
    )
    .unwrap();
    let error = refused(&edited, simulation("shrinky"));
    assert!(matches!(error, ReplayFileError::Edited { .. }), "{error}");
    assert!(
        error.to_string().contains("was edited or damaged"),
        "{error}"
    );

    let truncated = dir.join("truncated.json");
    std::fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let error = refused(&truncated, simulation("shrinky"));
    assert!(error.to_string().contains("is it truncated?"), "{error}");

    let older = dir.join("older.json");
    std::fs::write(&older, text.replacen("\"format\": 1", "\"format\": 0", 1)).unwrap();
    let error = refused(&older, simulation("shrinky"));
    assert!(error.to_string().contains("has format 0"), "{error}");
    assert!(error.to_string().contains("reads format 1"), "{error}");

    let missing = refused(&dir.join("none.json"), simulation("shrinky"));
    assert!(matches!(missing, ReplayFileError::Io { .. }), "{missing}");
}

#[test]
fn a_failure_kept_names_its_shrunk_replay_file() {
    let dir = scratch("kept");
    let failures = dir.join("failures.jsonl");
    let report = simulation("shrinky")
        .iterations(20)
        .base_seed(1)
        .shrink(Some(dir.clone()))
        .failure_file(Some(failures.clone()), None)
        .run()
        .unwrap();
    let shrunk = report.shrunk.as_ref().unwrap();
    let text = std::fs::read_to_string(&failures).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["seed"], shrunk.seed);
    assert_eq!(
        first["shrunk"],
        shrunk.file.as_ref().unwrap().to_str().unwrap()
    );
}

#[test]
fn a_passing_seed_is_not_shrunk_and_says_so_nowhere() {
    let report = SimulationBuilder::new("calm")
        .processes("node", 3, || Node)
        .workload(|_| Client)
        .iterations(2)
        .shrink(Some(scratch("calm")))
        .failure_file(None, None)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
    assert!(report.shrunk.is_none());
}
