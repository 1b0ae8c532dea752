//! Exploration from rare states (`explore`): a bug that needs a rare state
//! and then one more unlucky draw is caught by far more runs when the
//! campaign branches from the first run to reach that state; each branch
//! replays exactly from its seed and branch points; an explored campaign is
//! as reproducible as any; with nothing rare, it is the plain campaign.

use std::time::Duration;

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
}
