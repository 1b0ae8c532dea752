//! The command line's presets as a user sees them: `--attrition`, `--network`
//! and `--storage` replace the simulation's own settings (a power-loss-only
//! run cuts power and reboots nothing else; `off` reboots nothing), a preset
//! name that does not exist is refused with the list of valid ones, and
//! `run_test` panics with the report when a seed fails.

use std::time::Duration;

use clap::Parser;
use tidepool::cli::{self, AttritionPreset, NetworkPreset, SimArgs, StoragePreset};
use tidepool::providers::Providers;
use tidepool::{
    Attrition, BoxError, Process, ProcessContext, SimulationBuilder, Workload, WorkloadContext,
};

struct Idle;

impl Process for Idle {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        ctx.shutdown().requested().await;
        Ok(())
    }
}

struct Sleeper;

impl Workload for Sleeper {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        for _ in 0..20 {
            // Nothing listens: each attempt is refused after a round trip.
            let _ = ctx.connect(ctx.processes("node")[0]).await;
            ctx.sleep(Duration::from_secs(3)).await;
        }
        Ok(())
    }
}

fn simulation() -> SimulationBuilder {
    SimulationBuilder::new("presets")
        .processes("node", 3, || Idle)
        .workload(|_| Sleeper)
        .attrition(Attrition {
            interval: (Duration::from_secs(1), Duration::from_secs(3)),
            ..Attrition::default()
        })
        .iterations(10)
        .base_seed(7)
        .jobs(1)
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
}

fn parse(args: &[&str]) -> Result<SimArgs, String> {
    let argv = std::iter::once("sim-presets").chain(args.iter().copied());
    Cli::try_parse_from(argv)
        .map(|cli| cli.sim)
        .map_err(|error| error.to_string())
}

#[test]
fn presets_parse_by_name() {
    let args = parse(&[
        "--network",
        "harsh",
        "--attrition",
        "power-loss",
        "--storage",
        "fault-free",
    ]);
    let args = args.unwrap();
    assert_eq!(args.network, Some(NetworkPreset::Harsh));
    assert_eq!(args.attrition, Some(AttritionPreset::PowerLoss));
    assert_eq!(args.storage, Some(StoragePreset::FaultFree));
}

#[test]
fn an_unknown_preset_is_refused_with_the_valid_ones() {
    let error = parse(&["--network", "stormy"]).unwrap_err();
    assert!(error.contains("invalid value 'stormy'"), "{error}");
    assert!(error.contains("fault-free"), "{error}");
    assert!(error.contains("per-seed"), "{error}");
}

#[test]
fn the_attrition_preset_replaces_the_deaths() {
    let with = |preset| {
        let args = SimArgs {
            attrition: Some(preset),
            ..SimArgs::default()
        };
        cli::apply(simulation(), &args).run_test()
    };
    let own = simulation().run_test();
    assert!(own.faults.reboots_graceful + own.faults.reboots_crash > 0);
    let off = with(AttritionPreset::Off);
    assert_eq!(off.faults.total(), 0, "{off}");
    let power = with(AttritionPreset::PowerLoss);
    assert!(power.faults.power_losses > 0, "{power}");
    assert_eq!(
        power.faults.reboots_graceful + power.faults.reboots_crash,
        0
    );
}

#[test]
fn the_network_preset_replaces_the_network() {
    let args = SimArgs {
        network: Some(NetworkPreset::Harsh),
        ..SimArgs::default()
    };
    let harsh = cli::apply(simulation().no_attrition(), &args).run_test();
    let calm = simulation().no_attrition().run_test();
    assert_ne!(harsh.fingerprint, calm.fingerprint);
}

#[test]
#[should_panic(expected = "--seed")]
fn run_test_panics_with_the_replay_command() {
    struct Failing;
    impl Workload for Failing {
        async fn run(&mut self, _: &WorkloadContext) -> Result<(), BoxError> {
            Err("always".into())
        }
    }
    SimulationBuilder::new("failing")
        .processes("node", 1, || Idle)
        .workload(|_| Failing)
        .iterations(1)
        .run_test();
}
