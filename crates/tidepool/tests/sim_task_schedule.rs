//! Tasks as the executor schedules them: the seeded pick among ready tasks,
//! and spawning where nothing may run.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::rc::Rc;

use tidepool::sim::{self, Sim};

/// Tasks that are all ready at once and draw nothing: the order in which
/// they first run depends on the executor's pick alone.
const RACERS: u32 = 4;

/// The order in which `RACERS` tasks, spawned together, first run.
fn first_poll_order(seed: u64) -> Vec<u32> {
    Sim::new(seed)
        .run(async {
            let log = Rc::new(RefCell::new(Vec::new()));
            let handles: Vec<_> = (0..RACERS)
                .map(|id| {
                    let log = log.clone();
                    sim::spawn(format!("racer-{id}"), async move {
                        log.borrow_mut().push(id);
                    })
                })
                .collect();
            for handle in handles {
                handle.await.unwrap();
            }
            log.take()
        })
        .outcome
        .unwrap()
}

#[test]
fn every_ready_task_can_be_picked_first() {
    // The executor picks at random among ready tasks, from the seed (the docs
    // promise it). Tasks that neither sleep nor draw, spawned together, must
    // then start in an order that changes with the seed, and each of them must
    // start first under some seed: always polling the first (or the last)
    // ready task would give one order for every seed.
    let orders: Vec<Vec<u32>> = (0..64).map(first_poll_order).collect();
    let distinct: BTreeSet<&Vec<u32>> = orders.iter().collect();
    assert!(
        distinct.len() >= 8,
        "only {} start orders over 64 seeds: {distinct:?}",
        distinct.len()
    );
    let firsts: BTreeSet<u32> = orders.iter().map(|order| order[0]).collect();
    assert_eq!(
        firsts,
        (0..RACERS).collect(),
        "some racer never started first"
    );
    let lasts: BTreeSet<u32> = orders
        .iter()
        .map(|order| order[RACERS as usize - 1])
        .collect();
    assert_eq!(
        lasts,
        (0..RACERS).collect(),
        "some racer never started last"
    );
}

#[test]
fn one_seed_gives_one_start_order() {
    // The pick is the seed's: the same seed starts the racers in the same order.
    for seed in [0, 1, 0x2026] {
        assert_eq!(first_poll_order(seed), first_poll_order(seed));
    }
}

#[test]
fn spawning_on_a_dead_host_with_no_free_task_slot_cancels_the_task() {
    // Regression: spawning on a dead host when no task slot was free panicked
    // with an index out of bounds (the wake state was not sized for the new
    // slot before the task was ended), once its handle was awaited or dropped.
    let run = Sim::new(3).run(async {
        let host = sim::add_host("gone", IpAddr::from([10, 7, 0, 1]));
        sim::kill(host);
        let awaited = sim::spawn_on(host, "awaited", async { 1 }).await;
        drop(sim::spawn_on(host, "dropped", async { 2 }));
        let mut results = vec![awaited];
        // Again, with slots now free to reuse.
        results.push(sim::spawn_on(host, "reused", async { 3 }).await);
        results
    });
    let results = run.outcome.expect("the run ends normally");
    assert_eq!(results.len(), 2);
    for result in results {
        assert!(
            matches!(result, Err(sim::JoinError::Cancelled { .. })),
            "{result:?}"
        );
    }
}
