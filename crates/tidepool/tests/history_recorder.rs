//! The history recorder: what it records and in which order, and what it
//! refuses (a full history, a busy client, an unknown or ended operation, an
//! end before its invocation), recording nothing then; its clock in a
//! simulation.

use std::time::Duration;

use tidepool::history::{
    ClientId, EventKind, History, HistoryError, OPEN_PER_CLIENT_MAX_DEFAULT, Outcome,
};
use tidepool::sim::{self, Sim};
use tidepool::time::Instant;

fn at(nanos: u64) -> Instant {
    Instant::from_nanos(nanos)
}

/// Each outcome is recorded with its time; `open` counts what has not ended.
#[test]
fn outcomes_are_recorded() {
    let mut history = History::<&str, u32>::new().open_per_client_max(4);
    let completed = history.invoke_at(ClientId(1), "a", at(1)).unwrap();
    let lost = history.invoke_at(ClientId(1), "b", at(2)).unwrap();
    let ambiguous = history.invoke_at(ClientId(1), "c", at(3)).unwrap();
    let refused = history.invoke_at(ClientId(1), "d", at(4)).unwrap();
    history.invoke_at(ClientId(2), "e", at(5)).unwrap();
    assert_eq!(history.open(), 5);
    history.complete_at(completed, 7, at(10)).unwrap();
    history.indeterminate_at(lost, at(11)).unwrap();
    history.ambiguous_at(ambiguous, at(12)).unwrap();
    history.fail_at(refused, at(13)).unwrap();
    assert_eq!(history.open(), 1);

    let outcomes: Vec<_> = history
        .operations()
        .iter()
        .map(|operation| operation.outcome().clone())
        .collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Completed(7),
            Outcome::Indeterminate,
            Outcome::Ambiguous,
            Outcome::Failed,
            Outcome::Open
        ]
    );
    let ended: Vec<_> = history
        .operations()
        .iter()
        .map(|operation| operation.ended_at())
        .collect();
    assert_eq!(
        ended,
        [Some(at(10)), Some(at(11)), Some(at(12)), Some(at(13)), None]
    );
    assert_eq!(history.len(), 5);
    assert!(!history.is_empty());
}

/// Events come by time, and at one instant in the order recorded.
#[test]
fn events_follow_time_then_recording_order() {
    let mut history = History::<&str, ()>::new().open_per_client_max(2);
    let late = history.invoke_at(ClientId(0), "late", at(5)).unwrap();
    let early = history.invoke_at(ClientId(0), "early", at(1)).unwrap();
    history.complete_at(early, (), at(5)).unwrap();
    history.complete_at(late, (), at(5)).unwrap();
    let events: Vec<_> = history
        .events()
        .map(|event| (event.id, event.kind, event.at))
        .collect();
    assert_eq!(
        events,
        [
            (early, EventKind::Invoked, at(1)),
            (late, EventKind::Invoked, at(5)),
            (early, EventKind::Ended, at(5)),
            (late, EventKind::Ended, at(5)),
        ]
    );
}

/// Past its limit a history refuses new operations, and says which limit.
#[test]
fn a_full_history_refuses_and_records_nothing() {
    let mut history = History::<u8, u8>::new().operations_max(2);
    for op in 0..2 {
        let id = history
            .invoke_at(ClientId(u64::from(op)), op, at(0))
            .unwrap();
        history.complete_at(id, op, at(1)).unwrap();
    }
    let refused = history.invoke_at(ClientId(9), 2, at(2));
    assert_eq!(refused, Err(HistoryError::Full { limit: 2 }));
    assert_eq!(history.len(), 2);
    assert_eq!(history.open(), 0);
}

/// A client has one operation open by default; more when it pipelines.
#[test]
fn a_busy_client_is_refused() {
    assert_eq!(OPEN_PER_CLIENT_MAX_DEFAULT, 1);
    let mut history = History::<u8, u8>::new();
    let first = history.invoke_at(ClientId(3), 0, at(0)).unwrap();
    let busy = history.invoke_at(ClientId(3), 1, at(1)).unwrap_err();
    assert_eq!(
        busy,
        HistoryError::ClientBusy {
            client: ClientId(3),
            open: 1
        }
    );
    assert_eq!(
        busy.to_string(),
        "client 3 has 1 operations open, the limit"
    );
    assert_eq!(history.len(), 1);
    // Another client is free; the first is once its operation ends.
    history.invoke_at(ClientId(4), 1, at(1)).unwrap();
    history.complete_at(first, 0, at(2)).unwrap();
    history.invoke_at(ClientId(3), 2, at(3)).unwrap();

    let mut pipelined = History::<u8, u8>::new().open_per_client_max(3);
    for op in 0..3 {
        pipelined.invoke_at(ClientId(3), op, at(0)).unwrap();
    }
    assert!(matches!(
        pipelined.invoke_at(ClientId(3), 3, at(0)),
        Err(HistoryError::ClientBusy { open: 3, .. })
    ));
}

/// Ending an operation twice, one of another history, or before its
/// invocation is refused, and leaves the operation as it was.
#[test]
fn bad_ends_are_refused() {
    let mut other = History::<u8, u8>::new();
    let mut history = History::<u8, u8>::new();
    for client in 0..3 {
        other.invoke_at(ClientId(client), 0, at(0)).unwrap();
    }
    let foreign = other.invoke_at(ClientId(9), 0, at(0)).unwrap();
    let id = history.invoke_at(ClientId(0), 0, at(10)).unwrap();

    let unknown = history.complete_at(foreign, 0, at(11)).unwrap_err();
    assert_eq!(
        unknown,
        HistoryError::UnknownOperation {
            id: foreign,
            len: 1
        }
    );
    assert_eq!(
        unknown.to_string(),
        "no operation #3 in this history of 1 operations"
    );

    let early = history.complete_at(id, 0, at(9)).unwrap_err();
    assert_eq!(
        early,
        HistoryError::EndsBeforeInvoked {
            id,
            invoked: at(10),
            ended: at(9)
        }
    );
    assert_eq!(history.operations()[0].outcome(), &Outcome::Open);

    history.indeterminate_at(id, at(12)).unwrap();
    let twice = history.complete_at(id, 0, at(13)).unwrap_err();
    assert_eq!(
        twice,
        HistoryError::AlreadyEnded {
            id,
            outcome: "indeterminate"
        }
    );
    assert_eq!(
        twice.to_string(),
        "operation #0 ended already: indeterminate"
    );
    assert_eq!(history.operations()[0].ended_at(), Some(at(12)));
}

/// In a simulation, `invoke` and the ends read the simulated clock.
#[test]
fn in_a_simulation_events_take_simulated_time() {
    let run = Sim::new(7).run(async {
        let mut history = History::<&str, ()>::new().open_per_client_max(4);
        let ids = [
            history.invoke(ClientId(0), "a").unwrap(),
            history.invoke(ClientId(0), "b").unwrap(),
            history.invoke(ClientId(0), "c").unwrap(),
            history.invoke(ClientId(0), "d").unwrap(),
        ];
        sim::sleep(Duration::from_millis(5)).await;
        history.complete(ids[0], ()).unwrap();
        history.indeterminate(ids[1]).unwrap();
        history.ambiguous(ids[2]).unwrap();
        history.fail(ids[3]).unwrap();
        history
    });
    let history = run.outcome.unwrap();
    for operation in history.operations() {
        assert_eq!(operation.invoked_at(), Instant::ZERO);
        assert_eq!(
            operation.ended_at(),
            Some(Instant::ZERO + Duration::from_millis(5))
        );
    }
}
