//! Swarm testing: each seed turns the configured fault families on or off
//! (on with probability 3/4) and draws their intensities; a family the simulation does not
//! configure is never on; the same seed has the same mix; the report counts
//! per family the seeds with it on and the failures among them. The command
//! line turns swarm on, `--no-swarm` off; a builder runs its fixed mix.

use std::time::Duration;

use clap::Parser;
use tidepool::cli::{self, SimArgs};
use tidepool::prelude::*;
use tidepool::runner::{Family, SwarmTable};

struct Idle;

impl Workload for Idle {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        ctx.sleep(Duration::from_secs(10)).await;
        Ok(())
    }
}

/// A process that fails on its second boot: only a seed whose crashes are on
/// (and that crashes it) fails.
fn simulation() -> SimulationBuilder {
    SimulationBuilder::new("swarm")
        .process("node", |ctx| async move {
            if ctx.incarnation() > 1 {
                return Err("booted again after a crash".into());
            }
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(|_| Idle)
        .network(tidepool::sim::NetworkConfig::default())
        .chaos_duration(Duration::from_secs(8))
        .attrition(Attrition {
            graceful: 0.0,
            crash: 1.0,
            interval: (Duration::from_secs(1), Duration::from_secs(4)),
            allow_all_dead: true,
            ..Attrition::default()
        })
        .iterations(200)
        .base_seed(5)
}

fn row(table: &SwarmTable, family: Family) -> Option<(u64, u64)> {
    table
        .rows
        .iter()
        .find(|row| row.family == family)
        .map(|row| (row.seeds_on, row.failures_on))
}

#[test]
fn each_seed_draws_its_families_and_the_report_counts_them() {
    let report = simulation().swarm(true).run().unwrap();
    let table = &report.swarm;
    assert_eq!(table.seeds, 200, "{report}");
    // Configured: partial I/O, resets, refused connects, clogs, crashes.
    for family in [
        Family::PartialIo,
        Family::Resets,
        Family::RefusedConnects,
        Family::Clogs,
        Family::Crashes,
    ] {
        let (on, _) = row(table, family).unwrap_or_else(|| panic!("{family:?}: {report}"));
        assert!(
            (120..=180).contains(&on),
            "{family:?} on in {on} of 200 seeds"
        );
    }
    // Not configured: never drawn, not in the table.
    for family in [
        Family::Partitions,
        Family::Graceful,
        Family::Swizzles,
        Family::Storage,
    ] {
        assert_eq!(row(table, family), None, "{family:?}");
    }
    // Only seeds with crashes on fail, and some of them do.
    let (_, crash_failures) = row(table, Family::Crashes).unwrap();
    assert!(report.failed > 0, "{report}");
    assert_eq!(crash_failures, report.failed, "{report}");
    assert!(
        report
            .to_string()
            .contains("swarm (each seed's fault families"),
        "{report}"
    );
}

#[test]
fn a_seed_keeps_its_mix_and_the_fixed_mix_fails_every_crashed_seed() {
    let swarm = simulation().swarm(true).iterations(40).run().unwrap();
    let again = simulation().swarm(true).iterations(40).run().unwrap();
    assert_eq!(swarm.fingerprint, again.fingerprint);
    assert_eq!(swarm.swarm, again.swarm);
    let fixed = simulation().iterations(40).run().unwrap();
    assert_eq!(fixed.swarm.seeds, 0, "a builder runs its fixed mix");
    assert!(
        fixed.failed > swarm.failed,
        "fixed {} vs swarm {}",
        fixed.failed,
        swarm.failed
    );
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
}

#[test]
fn the_command_line_swarms_unless_told_not_to() {
    let parse = |args: &[&str]| {
        Cli::try_parse_from(std::iter::once("sim-swarm").chain(args.iter().copied()))
            .unwrap()
            .sim
    };
    let on = cli::apply(simulation().iterations(10), &parse(&[]))
        .run()
        .unwrap();
    assert_eq!(on.swarm.seeds, 10);
    let off = cli::apply(simulation().iterations(10), &parse(&["--no-swarm"]))
        .run()
        .unwrap();
    assert_eq!(off.swarm.seeds, 0);
}

#[test]
fn shards_merge_into_the_whole_campaign_s_table() {
    let whole = simulation().swarm(true).iterations(30).run().unwrap();
    let mut merged = simulation()
        .swarm(true)
        .iterations(30)
        .shard(0, 2)
        .run()
        .unwrap();
    let other = simulation()
        .swarm(true)
        .iterations(30)
        .shard(1, 2)
        .run()
        .unwrap();
    assert!(merged.swarm.seeds > 0 && other.swarm.seeds > 0);
    merged.merge(&other).unwrap();
    assert_eq!(merged.swarm, whole.swarm);
}
