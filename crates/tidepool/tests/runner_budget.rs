//! Per-seed budgets and a campaign bounded by its shard: a seed that
//! allocates without bound, or runs too long, fails alone (named, with its
//! budget) while the other seeds pass; a huge campaign's shard derives only
//! its own seeds; an empty shard passes with a note; `--jobs` is capped.
//! Each test builds a tiny simulation whose workload misbehaves on one seed.

use std::time::Duration;

use tidepool::runner::{FailureKind, ITERATIONS_MAX, JOBS_PER_CORE_MAX, jobs_max};
use tidepool::{BoxError, ConfigError, SimulationBuilder, Workload, WorkloadContext};

/// What the workload does on the seed it misbehaves on.
#[derive(Clone, Copy, PartialEq)]
enum Misdeed {
    /// Allocates 1 MiB a step, keeping it, yielding between steps.
    GrowYielding,
    /// Allocates 1 MiB at a time, keeping it, without ever yielding.
    GrowInOnePoll,
    /// Sleeps 1 ms at a time, forever.
    LoopForever,
}

struct Culprit {
    /// The seed it misbehaves on; every other seed sleeps 1 s and passes.
    seed: u64,
    misdeed: Misdeed,
}

impl Workload for Culprit {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        if ctx.seed() != self.seed {
            ctx.sleep(Duration::from_secs(1)).await;
            return Ok(());
        }
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            match self.misdeed {
                Misdeed::GrowYielding => {
                    hoard.push(vec![1u8; 1 << 20]);
                    ctx.sleep(Duration::from_millis(1)).await;
                }
                Misdeed::GrowInOnePoll => hoard.push(vec![1u8; 1 << 20]),
                Misdeed::LoopForever => ctx.sleep(Duration::from_millis(1)).await,
            }
        }
    }
}

fn simulation(seed: u64, misdeed: Misdeed) -> SimulationBuilder {
    SimulationBuilder::new("budget")
        .process("idle", |ctx| async move {
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(move |_| Culprit { seed, misdeed })
        .seeds([11, 12, 13, 14])
        .jobs(2)
}

#[test]
fn a_seed_past_its_memory_budget_fails_alone_naming_seed_and_budget() {
    let report = simulation(13, Misdeed::GrowYielding)
        .memory_per_seed_max(Some(64 << 20))
        .run()
        .unwrap();
    assert_eq!((report.passed, report.failed), (3, 1), "{report}");
    let failure = &report.failures[0];
    assert_eq!(failure.kind, FailureKind::MemoryBudget, "{report}");
    assert_eq!(failure.seed, 13);
    assert!(
        failure.reason.contains("seed 0x000000000000000d")
            && failure.reason.contains("memory budget of 64.0 MiB")
            && failure.reason.contains("and was stopped"),
        "{}",
        failure.reason
    );
    assert!(report.notes.is_empty(), "{:?}", report.notes);
}

#[test]
fn a_seed_that_allocates_past_twice_its_budget_in_one_poll_is_given_up_on() {
    let report = simulation(12, Misdeed::GrowInOnePoll)
        .memory_per_seed_max(Some(16 << 20))
        .run()
        .unwrap();
    assert_eq!((report.passed, report.failed), (3, 1), "{report}");
    let failure = &report.failures[0];
    assert_eq!(
        (failure.kind, failure.seed),
        (FailureKind::MemoryBudget, 12)
    );
    assert!(failure.reason.contains("parked"), "{}", failure.reason);
    // The JSON report comes out whole, with the failure in it.
    let mut json = Vec::new();
    report.write_json(&mut json).unwrap();
    let parsed: tidepool::SimulationReport = serde_json::from_slice(&json).unwrap();
    assert_eq!(parsed.failures[0].kind, FailureKind::MemoryBudget);
}

#[test]
fn a_seed_past_its_wall_budget_fails_alone() {
    let report = simulation(14, Misdeed::LoopForever)
        .time_budget(Duration::from_secs(1_000_000_000))
        .wall_per_seed_max(Some(Duration::from_secs(2)))
        .run()
        .unwrap();
    assert_eq!((report.passed, report.failed), (3, 1), "{report}");
    let failure = &report.failures[0];
    assert_eq!((failure.kind, failure.seed), (FailureKind::WallBudget, 14));
    assert!(
        failure.reason.contains("wall-clock budget of 2s"),
        "{}",
        failure.reason
    );
}

#[test]
fn zero_budgets_and_too_many_iterations_are_configuration_errors() {
    let error = |builder: SimulationBuilder| builder.run().unwrap_err();
    assert_eq!(
        error(simulation(0, Misdeed::LoopForever).memory_per_seed_max(Some(0))),
        ConfigError::ZeroMemoryBudget
    );
    assert_eq!(
        error(simulation(0, Misdeed::LoopForever).wall_per_seed_max(Some(Duration::ZERO))),
        ConfigError::ZeroWallBudget
    );
    let too_many = error(simulation(0, Misdeed::LoopForever).iterations(u64::MAX));
    assert_eq!(
        too_many,
        ConfigError::TooManyIterations {
            iterations: u64::MAX
        }
    );
    assert!(
        too_many.to_string().contains("281474976710656"),
        "{too_many}"
    );
}

#[test]
fn a_shard_of_a_huge_campaign_holds_only_its_own_seeds() {
    // Before seeds were derived lazily, this shard listed all 10^9 seeds of
    // its campaign (16 GB) before dropping all but one.
    tidepool::alloc::reset_thread_peak();
    let before = tidepool::alloc::thread_live_bytes();
    let report = simulation(0, Misdeed::LoopForever)
        .iterations(1_000_000_000)
        .base_seed(5)
        .shard(3, 1_000_000_000)
        .run()
        .unwrap();
    let peak = tidepool::alloc::thread_peak_bytes() - before;
    assert!(tidepool::alloc::is_counting());
    assert!(peak < 32 << 20, "the campaign's thread held {peak} bytes");
    assert_eq!(report.iterations, 1, "{report}");
    assert_eq!(report.failures.len(), 0, "{report}");
    assert!(report.is_success());
    assert_eq!(report.campaign_iterations, 1_000_000_000);
    let shard_max = simulation(0, Misdeed::LoopForever)
        .iterations(ITERATIONS_MAX)
        .base_seed(5)
        .shard(ITERATIONS_MAX - 1, ITERATIONS_MAX)
        .run()
        .unwrap();
    assert_eq!(shard_max.iterations, 1, "{shard_max}");
}

#[test]
fn an_empty_shard_passes_with_a_note() {
    let report = simulation(0, Misdeed::LoopForever)
        .iterations(3)
        .base_seed(5)
        .shard(6, 8)
        .run()
        .unwrap();
    assert_eq!(report.iterations, 0);
    assert!(report.is_success(), "{report}");
    assert!(
        report.notes[0].contains("shard 6/8 holds no seed"),
        "{:?}",
        report.notes
    );
    assert!(report.to_string().contains("PASSED"), "{report}");
    // A shard that should have run seeds and ran none does not pass.
    let mut cut = report.clone();
    cut.shard = Some((2, 8));
    cut.merged_shards = vec![2];
    assert!(!cut.is_success());
}

#[test]
fn jobs_past_the_cap_are_capped_with_a_note() {
    let cap = jobs_max();
    let report = simulation(0, Misdeed::LoopForever)
        .iterations(cap as u64 + 3)
        .base_seed(5)
        .jobs(usize::MAX)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
    let expected = format!("capped at {cap} threads ({JOBS_PER_CORE_MAX} per core)");
    assert!(
        report.notes.iter().any(|note| note.contains(&expected)),
        "{:?}",
        report.notes
    );
}

/// Sleeps 1 µs at a time, `steps` times: two trace events or more each.
struct Ticker {
    steps: u32,
}

impl Workload for Ticker {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        for _ in 0..self.steps {
            ctx.sleep(Duration::from_micros(1)).await;
        }
        Ok(())
    }
}

#[test]
fn the_determinism_check_keeps_no_event_of_runs_that_agree() {
    // 300,000 sleeps give over 600,000 events: about 20 MB per recorded run.
    // Before, both runs were recorded in full, and this seed went past an
    // 8 MiB budget; runs that agree are now compared by trace hash alone.
    let report = SimulationBuilder::new("ticker")
        .process("idle", |ctx| async move {
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(|_| Ticker { steps: 300_000 })
        .seeds([21])
        .jobs(1)
        .memory_per_seed_max(Some(8 << 20))
        .check_determinism(true)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
    assert!(report.events > 600_000, "{}", report.events);
}
