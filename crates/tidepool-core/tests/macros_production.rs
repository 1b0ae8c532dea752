//! The macros outside a simulation, as a production server runs them on tokio:
//! `buggify!()` never fires, the assertion macros record, render and panic
//! nothing whatever their condition, and `select!` races fairly.

use std::cell::Cell;
use std::fmt;

use tidepool_core::providers::{Providers, TokioProviders};

/// A detail that counts how often it is rendered.
struct Counted<'a>(&'a Cell<u32>);

impl fmt::Debug for Counted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.set(self.0.get() + 1);
        f.write_str("counted")
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

#[test]
fn buggify_never_fires_in_production() {
    // Every site, at every probability, on the runtime's threads and this one.
    let fired = runtime().block_on(async {
        let task = TokioProviders::new().spawn("buggify", async {
            (0..1000).any(|_| tidepool_core::buggify!() || tidepool_core::buggify_with_prob!(1.0))
        });
        task.await.expect("the task does not panic")
    });
    assert!(!fired);
    assert!(!tidepool_core::buggify_with_prob!(f64::INFINITY));
    assert!(!tidepool_core::hooks::in_simulation());
}

#[test]
fn assertions_do_nothing_in_production() {
    // A violated always, a reached unreachable and sometimes of either value
    // neither panic nor render their details.
    let rendered = Cell::new(0);
    runtime().block_on(async {
        for value in [false, true] {
            tidepool_core::assert_always!(
                value,
                "always in production",
                detail = Counted(&rendered)
            );
            tidepool_core::assert_sometimes!(
                value,
                "sometimes in production",
                detail = Counted(&rendered)
            );
        }
        tidepool_core::assert_reachable!("reachable in production", detail = Counted(&rendered));
        tidepool_core::assert_unreachable!(
            "unreachable in production",
            detail = Counted(&rendered)
        );
    });
    assert_eq!(rendered.get(), 0);
    // The sites are registered all the same, for a simulation of the same code.
    let messages: Vec<&str> = tidepool_core::assertions::sites()
        .iter()
        .map(|site| site.message)
        .collect();
    assert!(messages.contains(&"unreachable in production"));
}

#[test]
fn an_assertion_condition_is_evaluated_once() {
    // The condition runs in production as in a simulation: side effects stay.
    let evaluations = Cell::new(0);
    let check = || {
        evaluations.set(evaluations.get() + 1);
        true
    };
    tidepool_core::assert_always!(check(), "the check runs");
    assert_eq!(evaluations.get(), 1);
}

#[test]
fn select_rotates_its_first_branch_in_production() {
    // Two futures ready at once: outside a simulation the winner alternates, so
    // neither branch starves.
    let winners: Vec<&str> = runtime().block_on(async {
        let mut winners = Vec::new();
        for _ in 0..4 {
            winners.push(tidepool_core::select! {
                () = std::future::ready(()) => "left",
                () = std::future::ready(()) => "right",
            });
        }
        winners
    });
    assert!(winners.contains(&"left"), "{winners:?}");
    assert!(winners.contains(&"right"), "{winners:?}");
}
