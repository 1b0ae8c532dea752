//! Exploration from rare states (`explore`): a bug that needs a rare state
//! and then one more unlucky draw is caught by far more runs when the
//! campaign branches from the first run to reach that state; each branch
//! replays exactly from its seed and branch points; an explored campaign is
//! as reproducible as any; with nothing rare, it is the plain campaign.

use std::time::Duration;

use clap::Parser;
use tidepool::cli::SimArgs;
use tidepool::prelude::*;
use tidepool::runner::{Branch, ConfigError, FailureKind};

/// One server that idles; a workload that reaches the rare state (one draw
/// in 32) and then, `after` a pause, fails on one draw in 4.
fn simulation(rare_site: bool, after: Duration) -> SimulationBuilder {
    SimulationBuilder::new("explore")
        .process("server", |ctx| async move {
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(move |_| Unlucky { rare_site, after })
        .iterations(200)
        .base_seed(0x2026)
        .jobs(1)
}

struct Unlucky {
    rare_site: bool,
    after: Duration,
}

impl Workload for Unlucky {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        ctx.sleep(Duration::from_millis(10)).await;
        let rare = ctx.random_below(32) == 0;
        if self.rare_site {
            tidepool::assert_sometimes!(rare, "the rare state is reached");
        }
        ctx.sleep(self.after).await;
        if rare && ctx.random_below(4) == 0 {
            return Err("the rare state met an unlucky draw".into());
        }
        Ok(())
    }
}

#[test]
fn exploration_catches_a_rare_state_bug_in_many_more_runs() {
    let plain = simulation(true, Duration::from_millis(10)).run().unwrap();
    let explored = simulation(true, Duration::from_millis(10))
        .explore(true)
        .run()
        .unwrap();
    assert_eq!(plain.iterations, 200);
    assert_eq!(explored.iterations, 200, "the same budget: {explored}");
    assert!(
        explored.failed >= 3 * plain.failed.max(1),
        "explored {} vs plain {}:\n{explored}",
        explored.failed,
        plain.failed
    );
    let exploration = explored.exploration.as_ref().expect("an explored campaign");
    assert_eq!(exploration.plain_seeds, 100);
    assert_eq!(exploration.branches, 100);
    let site = &exploration.sites[0];
    assert_eq!(site.message, "the rare state is reached");
    assert!(site.plain_seeds > 0 && site.plain_seeds < 10, "{site:?}");
    assert_eq!(site.branches, 100);
    // Each branch replays the prefix in which the site became true.
    assert_eq!(site.branch_hits, 100);
    assert_eq!(site.branch_failures, exploration.branch_failures);
    let text = explored.to_string();
    assert!(
        text.contains("exploration") && text.contains("the rare state is reached"),
        "{text}"
    );
    assert!(plain.exploration.is_none());
}

#[test]
fn a_branch_failure_replays_exactly_from_its_seed_and_branch_points() {
    let explored = simulation(true, Duration::from_millis(10))
        .explore(true)
        .run()
        .unwrap();
    let failure = explored
        .failures
        .iter()
        .find(|failure| !failure.branch.is_empty())
        .expect("a branch failed");
    assert_eq!(failure.kind, FailureKind::Workload);
    assert_eq!(failure.replayed, Some(true), "{failure:?}");
    let points = tidepool::runner::format_branches(&failure.branch);
    assert!(
        failure.replay.ends_with(&format!("--branch {points}")),
        "{}",
        failure.replay
    );
    let replay = simulation(true, Duration::from_millis(10))
        .seeds([failure.seed])
        .branch(failure.branch.clone())
        .run()
        .unwrap();
    assert_eq!(replay.failed, 1, "{replay}");
    assert_eq!(replay.failures[0].reason, failure.reason);
    assert_eq!(replay.failures[0].time, failure.time);
    // From the same point, other branch seeds draw otherwise: some fail, some pass.
    let step = failure.branch.last().unwrap().step;
    let failing = (0..16u64)
        .filter(|seed| {
            let report = simulation(true, Duration::from_millis(10))
                .seeds([failure.seed])
                .branch(vec![Branch { step, seed: *seed }])
                .run()
                .unwrap();
            report.failed == 1
        })
        .count();
    assert!(
        (1..16).contains(&failing),
        "{failing} of 16 branches failed"
    );
}

#[test]
fn an_explored_campaign_is_the_same_on_any_thread_count() {
    let one = simulation(true, Duration::from_millis(10))
        .explore(true)
        .run()
        .unwrap();
    let two = simulation(true, Duration::from_millis(10))
        .explore(true)
        .jobs(2)
        .run()
        .unwrap();
    assert_eq!(one.fingerprint, two.fingerprint);
    assert_eq!(one.failures, two.failures);
    assert_eq!(one.exploration, two.exploration);
}

#[test]
fn with_no_rare_site_an_explored_campaign_runs_plain_seeds() {
    let plain = simulation(false, Duration::from_millis(10)).run().unwrap();
    let explored = simulation(false, Duration::from_millis(10))
        .explore(true)
        .run()
        .unwrap();
    assert_eq!(explored.fingerprint, plain.fingerprint);
    assert_eq!(explored.failed, plain.failed);
    let exploration = explored.exploration.unwrap();
    assert_eq!((exploration.plain_seeds, exploration.branches), (200, 0));
    assert!(exploration.sites.is_empty());
}

#[test]
fn exploration_and_branches_refuse_what_they_cannot_run() {
    let base = || simulation(true, Duration::from_millis(10));
    let explicit = base().seeds([1, 2]).explore(true).run().unwrap_err();
    assert!(matches!(explicit, ConfigError::ExploreWithExplicitSeeds));
    assert!(explicit.to_string().contains("--iterations"), "{explicit}");
    let shard = base().shard(0, 2).explore(true).run().unwrap_err();
    assert!(matches!(shard, ConfigError::ExploreWithShard));
    let point = vec![Branch { step: 5, seed: 1 }];
    let unseeded = base().branch(point.clone()).run().unwrap_err();
    assert!(matches!(unseeded, ConfigError::BranchWithoutOneSeed));
    assert!(unseeded.to_string().contains("--seed"), "{unseeded}");
    let two = base().seeds([1, 2]).branch(point).run().unwrap_err();
    assert!(matches!(two, ConfigError::BranchWithoutOneSeed));
    for chain in [
        vec![Branch { step: 0, seed: 1 }],
        vec![Branch { step: 9, seed: 1 }, Branch { step: 9, seed: 2 }],
    ] {
        let error = base().seeds([1]).branch(chain).run().unwrap_err();
        assert!(matches!(error, ConfigError::BranchPoints(_)), "{error}");
        assert!(error.to_string().contains("must increase"), "{error}");
    }
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
}

fn parse(args: &[&str]) -> Result<SimArgs, String> {
    let argv = std::iter::once("sim-explore").chain(args.iter().copied());
    Cli::try_parse_from(argv)
        .map(|cli| cli.sim)
        .map_err(|error| error.to_string())
}

#[test]
fn the_command_line_takes_a_branch_chain_with_its_seed_and_explores_campaigns_only() {
    let args = parse(&["--seed", "0x2a", "--branch", "12:0xab,900:7"]).unwrap();
    assert_eq!(args.seed, Some(42));
    assert_eq!(
        args.branch,
        Some(vec![
            Branch {
                step: 12,
                seed: 0xab
            },
            Branch { step: 900, seed: 7 }
        ])
    );
    assert!(parse(&["--explore"]).unwrap().explore);
    let lone = parse(&["--branch", "12:1"]).unwrap_err();
    assert!(lone.contains("--seed"), "{lone}");
    let bad = parse(&["--seed", "1", "--branch", "12:1,5:2"]).unwrap_err();
    assert!(bad.contains("increasing"), "{bad}");
    for conflict in [
        ["--explore", "--seed", "1"],
        ["--explore", "--shard", "0/2"],
    ] {
        let error = parse(&conflict).unwrap_err();
        assert!(error.contains("cannot be used with"), "{error}");
    }
    // The flags reach the builder: a branch replays as the builder's own does.
    let builder = tidepool::cli::apply(
        simulation(true, Duration::from_millis(10)),
        &parse(&["--seed", "5", "--branch", "3:9"]).unwrap(),
    );
    let from_flags = builder.run().unwrap();
    let from_code = simulation(true, Duration::from_millis(10))
        .seeds([5])
        .branch(vec![Branch { step: 3, seed: 9 }])
        .run()
        .unwrap();
    assert_eq!(from_flags.fingerprint, from_code.fingerprint);
}

/// A rare state (one in 32), then a rarer one after it (one in 64 of
/// those), then a failure on one draw in 2.
struct Deeper;

impl Workload for Deeper {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        ctx.sleep(Duration::from_millis(10)).await;
        let rare = ctx.random_below(32) == 0;
        tidepool::assert_sometimes!(rare, "the first rare state");
        ctx.sleep(Duration::from_millis(10)).await;
        let rarer = rare && ctx.random_below(64) == 0;
        tidepool::assert_sometimes!(rarer, "the rarer state behind it");
        ctx.sleep(Duration::from_millis(10)).await;
        if rarer && ctx.random_below(2) == 0 {
            return Err("the rarer state met an unlucky draw".into());
        }
        Ok(())
    }
}

/// [`Deeper`] over 300 seeds: no plain seed fails; only branches do.
fn deeper() -> SimulationBuilder {
    SimulationBuilder::new("explore-deeper")
        .process("server", |ctx| async move {
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(|_| Deeper)
        .iterations(300)
        .base_seed(0x2026)
        .jobs(1)
}

#[test]
fn a_state_only_branches_reach_is_branched_from_in_turn() {
    let plain = deeper().run().unwrap();
    let explored = deeper().explore(true).run().unwrap();
    assert_eq!(plain.failed, 0, "{plain}");
    let exploration = explored.exploration.as_ref().unwrap();
    let rarer = exploration
        .sites
        .iter()
        .find(|site| site.message == "the rarer state behind it")
        .expect("exploration reached the rarer state");
    assert!(rarer.only_explored() && rarer.branches > 0, "{rarer:?}");
    assert!(explored.to_string().contains("0 (new)"), "{explored}");
    // Its branches keep the point that reached it and add their own.
    let second = explored
        .failures
        .iter()
        .find(|failure| failure.branch.len() == 2)
        .expect("a branch of a branch failed");
    assert!(second.branch[0].step < second.branch[1].step);
    assert_eq!(second.replayed, Some(true), "{second:?}");
}

#[test]
fn a_branch_point_the_run_never_reaches_is_said() {
    let report = simulation(true, Duration::from_millis(10))
        .seeds([5])
        .branch(vec![Branch {
            step: 1_000_000,
            seed: 1,
        }])
        .run()
        .unwrap();
    assert!(
        report
            .notes
            .iter()
            .any(|note| note.contains("before its branch point 1000000:0x1")),
        "{report}"
    );
}

#[test]
fn a_branch_has_a_timeline_of_its_own_run() {
    let explored = simulation(true, Duration::from_millis(10))
        .explore(true)
        .run()
        .unwrap();
    // A failing branch of a seed whose own run passes.
    let failure = explored
        .failures
        .iter()
        .filter(|failure| !failure.branch.is_empty())
        .find(|failure| {
            let own = simulation(true, Duration::from_millis(10))
                .seeds([failure.seed])
                .run()
                .unwrap();
            own.is_success()
        })
        .expect("a branch failed where its seed's own run passes");
    let (report, timeline) = simulation(true, Duration::from_millis(10))
        .branch(failure.branch.clone())
        .run_with_timeline(failure.seed, "info")
        .unwrap();
    assert_eq!(report.failures[0].reason, failure.reason);
    let mark = timeline.failure.expect("the branch's failure is marked");
    assert_eq!(mark.time_ns, failure.time.since_origin().as_nanos() as u64);
}

#[test]
fn branch_failures_are_neither_kept_nor_shrunk_and_the_report_says_so() {
    let dir = std::env::temp_dir().join(format!("tidepool-explore-{}", std::process::id()));
    let file = dir.join("failures.jsonl");
    let report = deeper()
        .explore(true)
        .failure_file(Some(file.clone()), None)
        .shrink(Some(dir.join("shrunk")))
        .run()
        .unwrap();
    assert!(report.failed > 0, "{report}");
    assert!(report.failures.iter().all(|f| !f.branch.is_empty()));
    let said = |words: &str| report.notes.iter().any(|note| note.contains(words));
    assert!(said("found by exploration are not kept"), "{report}");
    assert!(
        said("not shrunk: a failure found by exploration"),
        "{report}"
    );
    assert!(report.shrunk.is_none());
    // Nothing kept: the file holds no line.
    let kept = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(kept.is_empty(), "{kept}");
    let _ = std::fs::remove_dir_all(&dir);
}
