//! Many timers at once: each sleeper wakes exactly at its deadline, in
//! deadline order, however the event heap is shaped; a broken heap stops the
//! run (the clock would go back) instead of hanging it.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use tidepool::sim::{self, Sim};

/// Sleepers per run: enough for a heap several levels deep.
const SLEEPERS: u64 = 300;
/// A bound on each run: a run that would hang fails instead.
const TIME_BUDGET: Duration = Duration::from_secs(3600);

#[test]
fn hundreds_of_sleepers_wake_at_their_deadlines_in_order() {
    for seed in 0..8 {
        let run = Sim::new(seed).time_budget(TIME_BUDGET).run(async {
            let woken = Rc::new(RefCell::new(Vec::new()));
            let handles: Vec<_> = (0..SLEEPERS)
                .map(|index| {
                    let woken = woken.clone();
                    sim::spawn(format!("sleeper-{index}"), async move {
                        // Some sleep twice, so the heap takes pushes between pops.
                        for _ in 0..1 + index % 2 {
                            let start = sim::now();
                            let nap = Duration::from_micros(sim::random_below(50_000));
                            sim::sleep(nap).await;
                            assert_eq!(sim::now() - start, nap, "woke off its deadline");
                            woken.borrow_mut().push(sim::now());
                        }
                    })
                })
                .collect();
            for handle in handles {
                handle.await.unwrap();
            }
            woken.take()
        });
        let woken = run
            .outcome
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
        assert_eq!(woken.len() as u64, SLEEPERS + SLEEPERS / 2);
        assert!(
            woken.windows(2).all(|pair| pair[0] <= pair[1]),
            "seed {seed}: wake-ups out of time order"
        );
    }
}
