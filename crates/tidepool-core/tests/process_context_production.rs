//! A `ProcessContext` built for production: no shared state, `publish` does
//! nothing, and `SharedState` itself says it needs a simulation.

use std::time::Duration;

use tidepool_core::providers::TokioProviders;
use tidepool_core::{ProcessContext, SharedState, Shutdown, StateKey};

const COUNT: StateKey<u64> = StateKey::new("count");

fn context() -> ProcessContext<TokioProviders> {
    let address = "127.0.0.1:0".parse().expect("an address");
    ProcessContext::new(TokioProviders::new(), "server-1", address, Shutdown::new())
}

#[test]
fn publish_does_nothing_in_production() {
    // The change never runs: there is no map to change.
    let ctx = context();
    assert!(ctx.state().is_none());
    let mut ran = false;
    ctx.publish(COUNT, |count| {
        *count += 1;
        ran = true;
    });
    assert!(!ran);
}

#[test]
#[should_panic(expected = "`SharedState::get` needs a running simulation")]
fn shared_state_outside_a_simulation_says_so() {
    let _ = SharedState.get(COUNT);
}

#[test]
fn the_context_serves_on_tokio() {
    // The forwarded provider calls work on a real runtime.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let ctx = context();
        let listener = ctx.bind(ctx.address()).await.expect("bind");
        let address = tidepool_core::providers::Listener::local_addr(&listener).expect("address");
        let client = ctx.connect(address).await;
        assert!(client.is_ok());
        let before = ctx.now();
        ctx.sleep(Duration::from_millis(2)).await;
        assert!(ctx.now() - before >= Duration::from_millis(2));
        let task = ctx.spawn("answer", async { 42 });
        assert_eq!(task.await, Ok(42));
    });
}
