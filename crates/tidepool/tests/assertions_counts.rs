//! Assertion counts per site across seeds: every kind is counted, runs merge
//! into a table in seed order, and a site no seed reached is still listed.

use std::thread;

use tidepool::assertions::{
    self, AssertionKind, AssertionRow, AssertionStatus, AssertionTable, RunAssertions,
};
use tidepool::sim::{self, Sim};

const SEEDS: u64 = 5;

/// One iteration: every kind of assertion, with counts known in advance.
fn iteration(seed: u64) -> RunAssertions {
    Sim::new(seed)
        .run(async {
            for n in 0..4u32 {
                tidepool::assert_always!(n < 4, "counter stays below four", n = n);
                tidepool::assert_sometimes!(n % 2 == 0, "counter is even");
                sim::yield_now().await;
            }
            tidepool::assert_reachable!("iteration reaches its end");
            if sim::random_below(10) > 100 {
                tidepool::assert_unreachable!("a draw below ten exceeds a hundred");
            }
            assertions::take_run_results()
        })
        .outcome
        .expect("the iteration finishes")
}

/// Sites no iteration reaches: they must be listed anyway.
#[allow(dead_code)]
fn never_called(flag: bool) {
    tidepool::assert_always!(flag, "never evaluated always");
    tidepool::assert_sometimes!(flag, "never evaluated sometimes");
    tidepool::assert_reachable!("never reached reachable");
    tidepool::assert_unreachable!("never reached unreachable");
}

fn row<'a>(table: &'a AssertionTable, message: &str) -> &'a AssertionRow {
    table
        .rows()
        .iter()
        .find(|row| row.message == message)
        .unwrap_or_else(|| panic!("no row for {message:?} in\n{table}"))
}

fn campaign(seeds: impl Iterator<Item = u64>) -> AssertionTable {
    let mut table = AssertionTable::new();
    for seed in seeds {
        table.add_run(&iteration(seed));
    }
    table
}

#[test]
fn every_kind_is_counted_across_seeds() {
    // Five seeds of one iteration each; every count is the per-iteration count
    // times five, and every exercised site passes.
    let table = campaign(0..SEEDS);
    assert_eq!(table.runs(), SEEDS);

    let always = row(&table, "counter stays below four");
    assert_eq!(
        (always.kind, always.status),
        (AssertionKind::Always, AssertionStatus::Pass)
    );
    assert_eq!((always.true_count, always.false_count), (4 * SEEDS, 0));

    let sometimes = row(&table, "counter is even");
    assert_eq!(sometimes.kind, AssertionKind::Sometimes);
    assert_eq!(sometimes.status, AssertionStatus::Pass);
    assert_eq!(
        (sometimes.true_count, sometimes.false_count),
        (2 * SEEDS, 2 * SEEDS)
    );

    let reachable = row(&table, "iteration reaches its end");
    assert_eq!(reachable.kind, AssertionKind::Reachable);
    assert_eq!(reachable.status, AssertionStatus::Pass);
    assert_eq!((reachable.true_count, reachable.false_count), (SEEDS, 0));

    let unreachable = row(&table, "a draw below ten exceeds a hundred");
    assert_eq!(unreachable.kind, AssertionKind::Unreachable);
    assert_eq!(unreachable.status, AssertionStatus::Pass);
    assert_eq!((unreachable.true_count, unreachable.false_count), (0, 0));
    assert_eq!(table.failures().count(), 0);
}

#[test]
fn never_reached_sites_are_listed() {
    // The sites in `never_called` show in the table of a campaign that never
    // calls it: the ones that needed exercising as MISS, the unreachable as PASS.
    let table = campaign(0..2);
    let expected = [
        ("never evaluated always", AssertionStatus::Miss),
        ("never evaluated sometimes", AssertionStatus::Miss),
        ("never reached reachable", AssertionStatus::Miss),
        ("never reached unreachable", AssertionStatus::Pass),
    ];
    for (message, status) in expected {
        let row = row(&table, message);
        assert_eq!(row.status, status, "{message}");
        assert_eq!((row.true_count, row.false_count), (0, 0));
        assert!(
            row.site.file.ends_with("assertions_counts.rs"),
            "{}",
            row.site
        );
    }
    let gaps: Vec<&str> = table
        .coverage_gaps()
        .map(|row| row.message.as_str())
        .collect();
    assert!(gaps.contains(&"never evaluated always"));
    assert!(gaps.contains(&"never evaluated sometimes"));
    assert!(gaps.contains(&"never reached reachable"));
    assert!(!gaps.contains(&"counter is even"));
}

#[test]
fn a_sometimes_never_true_is_a_coverage_gap() {
    // A sometimes evaluated in every seed but never true is MISS, with its
    // false count, and never a failure.
    let mut table = AssertionTable::new();
    for seed in 0..3 {
        let run = Sim::new(seed).run(async {
            tidepool::assert_sometimes!(sim::random_below(4) == 9, "a draw below four is nine");
            assertions::take_run_results()
        });
        table.add_run(&run.outcome.unwrap());
    }
    let row = row(&table, "a draw below four is nine");
    assert_eq!(row.status, AssertionStatus::Miss);
    assert_eq!((row.true_count, row.false_count), (0, 3));
    assert!(table.coverage_gaps().any(|gap| gap.message == row.message));
}

#[test]
fn results_are_taken_once() {
    // take_run_results empties the world's counts: a second take sees only
    // what happened after the first.
    let (first, second) = Sim::new(4)
        .run(async {
            tidepool::assert_reachable!("taken twice, first half");
            let first = assertions::take_run_results();
            let second = assertions::take_run_results();
            (first, second)
        })
        .outcome
        .unwrap();
    assert_eq!(first.evaluated().count(), 1);
    assert_eq!(second.evaluated().count(), 0);
}

#[test]
fn merge_is_the_same_whatever_the_thread_count() {
    // Twelve seeds run on one thread and on three threads (merged in seed
    // order), and as two shards merged from JSON: the same table every way.
    let one_thread = campaign(0..12);

    let handles: Vec<_> = (0..3u64)
        .map(|worker| {
            thread::spawn(move || {
                (worker..12)
                    .step_by(3)
                    .map(|seed| (seed, iteration(seed)))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut runs: Vec<(u64, RunAssertions)> = handles
        .into_iter()
        .flat_map(|handle| handle.join().unwrap())
        .collect();
    runs.sort_by_key(|(seed, _)| *seed);
    let mut three_threads = AssertionTable::new();
    for (_, run) in &runs {
        three_threads.add_run(run);
    }
    assert_eq!(one_thread, three_threads);

    let shard_a: AssertionTable =
        serde_json::from_str(&serde_json::to_string(&campaign(0..5)).unwrap()).unwrap();
    let shard_b: AssertionTable =
        serde_json::from_str(&serde_json::to_string(&campaign(5..12)).unwrap()).unwrap();
    let mut merged = AssertionTable::default();
    merged.merge(&shard_a);
    merged.merge(&shard_b);
    assert_eq!(merged, one_thread);
}

#[test]
fn outside_a_simulation_nothing_is_counted() {
    // The macros run outside any simulation without panicking, and leave no
    // counts behind for the next world on the thread.
    tidepool::assert_always!(false, "violated outside a simulation", why = "no world");
    tidepool::assert_unreachable!("reached outside a simulation");
    tidepool::assert_sometimes!(true, "sometimes outside a simulation");
    assert!(assertions::first_violation().is_none());
    assert_eq!(assertions::take_run_results().evaluated().count(), 0);
    let inside = Sim::new(1).run(async { assertions::take_run_results() });
    assert_eq!(inside.outcome.unwrap().evaluated().count(), 0);
}
