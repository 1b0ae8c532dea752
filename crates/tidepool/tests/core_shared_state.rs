//! `SharedState` when two parts of a simulation disagree about a key's type.

use tidepool::sim::{self, JoinError, Sim};
use tidepool::{SharedState, StateKey};

#[test]
fn updating_a_value_of_another_type_panics_naming_the_key_and_keeps_the_value() {
    // Regression: `update` silently replaced a value of another type with
    // `T::default()`, so a workload counting under a key another part had
    // filled with a string restarted from zero, unseen. It panics now, naming
    // the key and the type it wanted, and the value stays.
    const LEADER_NAME: StateKey<String> = StateKey::new("leader");
    let run = Sim::new(1).run(async {
        SharedState.set(LEADER_NAME, "server-2".to_string());
        let attempt = sim::spawn("updater", async {
            SharedState.update("leader", |term: &mut u64| *term += 1);
        })
        .await;
        (attempt, SharedState.get(LEADER_NAME))
    });
    let (attempt, kept) = run.outcome.unwrap();
    let Err(JoinError::Panicked { message, .. }) = attempt else {
        panic!("the update did not panic: {attempt:?}");
    };
    assert!(message.contains("'leader'"), "{message}");
    assert!(message.contains("u64"), "{message}");
    assert!(message.contains("StateKey"), "{message}");
    assert_eq!(kept.as_deref(), Some("server-2"));
}

#[test]
fn updating_an_absent_key_starts_from_the_default() {
    const RUNS: StateKey<u64> = StateKey::new("runs");
    let run = Sim::new(2).run(async {
        SharedState.update(RUNS, |runs| *runs += 1);
        SharedState.update(RUNS, |runs| *runs += 1);
        SharedState.get(RUNS)
    });
    assert_eq!(run.outcome.unwrap(), Some(2));
}
