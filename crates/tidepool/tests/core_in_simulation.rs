//! What `tidepool_core` holds, in a simulation: the examples its docs can only
//! show on tokio, run on the simulated providers, and its macros reaching the
//! world whichever crate the caller names (`tidepool` or `tidepool_core`).

use std::time::Duration;

use tidepool::providers::{
    JoinError, OpenOptions, Providers, RandomProvider, SimProviders, StorageFile, StorageProvider,
};
use tidepool::sim::{self, Either, Sim};
use tidepool::{SharedState, StateKey, assertions, buggify};

async fn roll_dice<P: Providers>(providers: P) -> u64 {
    let child = providers.spawn("roller", {
        let providers = providers.clone();
        async move {
            providers.sleep(Duration::from_millis(10)).await;
            1 + providers.random().random_below(6)
        }
    });
    child.await.expect("the roller does not panic")
}

#[test]
fn the_same_seed_rolls_the_same_dice() {
    // The `Providers` example, simulated: a seed replays the roll.
    let roll = |seed| Sim::new(seed).run(roll_dice(SimProviders)).outcome.unwrap();
    assert_eq!(roll(9), roll(9));
    assert!((1..=6).contains(&roll(9)));
}

#[test]
fn a_synced_write_reads_back_on_the_simulated_disk() {
    // The `StorageProvider` example, simulated.
    async fn save<P: Providers>(providers: P) -> std::io::Result<Vec<u8>> {
        let storage = providers.storage();
        storage.create_dir_all("data").await?;
        let options = OpenOptions::new().read(true).write(true).create(true);
        let file = storage.open("data/balance", &options).await?;
        file.write_all_at(b"42", 0).await?;
        file.sync_all().await?;
        storage.sync_dir("data").await?;
        file.read_all().await
    }
    let run = Sim::new(1).run(save(SimProviders));
    assert_eq!(run.outcome.unwrap().unwrap(), b"42");
}

#[test]
fn a_simulated_join_handle_awaits_and_aborts() {
    // The provider's handle wraps the simulator's task: output, abort, panic.
    let run = Sim::new(4).run(async {
        let done = SimProviders.spawn("adder", async { 40 + 2 });
        let stuck = SimProviders.spawn("stuck", std::future::pending::<()>());
        stuck.abort();
        let panicky = SimProviders.spawn("panicky", async { panic!("boom") });
        (done.await, stuck.await, panicky.await)
    });
    let (done, stuck, panicky) = run.outcome.unwrap();
    assert_eq!(done, Ok(42));
    assert_eq!(
        stuck,
        Err(JoinError::Cancelled {
            task: "stuck".into()
        })
    );
    assert!(matches!(panicky, Err(JoinError::Panicked { message, .. }) if message == "boom"));
}

#[test]
fn select_draws_its_winner_from_the_seed() {
    // The select examples, simulated: the earlier timer wins; two ready
    // branches give both winners over seeds, each seed its own every time.
    let run = Sim::new(3).run(async {
        let fast = sim::sleep(Duration::from_millis(1));
        let slow = sim::sleep(Duration::from_secs(1));
        let first = sim::select(fast, slow).await;
        let second = tidepool::select! {
            () = sim::sleep(Duration::from_secs(2)) => "slow",
            () = sim::sleep(Duration::from_secs(1)) => "fast",
        };
        (first, second)
    });
    assert_eq!(run.outcome.unwrap(), (Either::Left(()), "fast"));
    let winner = |seed| {
        Sim::new(seed)
            .run(async {
                tidepool_core::select! {
                    () = std::future::ready(()) => "left",
                    () = std::future::ready(()) => "right",
                }
            })
            .outcome
            .unwrap()
    };
    let winners: Vec<&str> = (0..20).map(winner).collect();
    assert!(winners.contains(&"left") && winners.contains(&"right"));
    assert_eq!(winner(5), winner(5));
}

#[test]
fn core_macros_reach_the_world() {
    // Named through tidepool_core, the macros record in the running world as
    // tidepool's do: a violation with its details, a buggify site's counts.
    let run = Sim::new(2).run(async {
        tidepool_core::assert_always!(1 + 1 == 3, "core arithmetic", left = 1 + 1);
        for _ in 0..10 {
            let _ = tidepool_core::buggify_with_prob!(1.0);
        }
        (assertions::first_violation(), buggify::take_run_counts())
    });
    let (violation, counts) = run.outcome.unwrap();
    let violation = violation.expect("the violation is kept");
    assert_eq!(violation.message, "core arithmetic");
    assert_eq!(violation.details[0].value, "2");
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].calls, 10);
}

#[test]
fn shared_state_reaches_the_world() {
    // The handle of tidepool_core reads and writes the world's map.
    const LEADER: StateKey<u32> = StateKey::new("leader");
    let run = Sim::new(6).run(async {
        assert_eq!(SharedState.get(LEADER), None);
        SharedState.set(LEADER, 2);
        let old = SharedState.update(LEADER, |leader| std::mem::replace(leader, 3));
        (old, SharedState.get(LEADER))
    });
    assert_eq!(run.outcome.unwrap(), (2, Some(3)));
}
