//! The contexts' shortcuts and typed shared-state keys, as a user writes them:
//! a process serves with `ctx.bind`/`ctx.spawn`/`ctx.timeout`, a workload talks
//! to it with `ctx.connect` and keeps a file on `ctx.storage()`, both publish
//! through a `StateKey`, and an invariant that `require`s a key nobody
//! published fails instead of passing.

use std::time::Duration;

use tidepool::providers::{Listener, Providers, RandomProvider, StorageFile, StorageProvider};
use tidepool::{
    BoxError, Process, ProcessContext, SimulationBuilder, StateKey, Workload, WorkloadContext,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ECHOED: StateKey<u64> = StateKey::new("echoed");
const HOUR: Duration = Duration::from_secs(3600);
const NEVER: StateKey<u64> = StateKey::new("never published");

/// Echoes one byte per connection, after a short nap.
struct Echo;

impl Process for Echo {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let listener = ctx.bind(ctx.address()).await?;
        loop {
            let (mut stream, _) = tidepool::select! {
                accepted = listener.accept() => accepted?,
                () = ctx.shutdown().requested() => return Ok(()),
            };
            let served = ctx.clone();
            ctx.spawn("echo", async move {
                let mut byte = [0u8; 1];
                if stream.read_exact(&mut byte).await.is_ok() {
                    let nap = served.timeout(Duration::from_millis(1), served.sleep(HOUR));
                    assert!(nap.await.is_err(), "an hour does not fit in a millisecond");
                    let _ = stream.write_all(&byte).await;
                    served.publish(ECHOED, |count| *count += 1);
                }
            });
        }
    }
}

/// Sends a byte drawn from the RNG, expects it back, notes it on its own disk.
struct Sender;

impl Workload for Sender {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let server = ctx.processes("echo")[0];
        let quick = ctx.timeout(HOUR, ctx.sleep(Duration::from_millis(1))).await;
        assert!(quick.is_ok(), "a millisecond fits in an hour");
        let byte = ctx.random().random_below(256) as u8;
        let started = ctx.now();
        let mut stream = ctx.connect(server).await?;
        stream.write_all(&[byte]).await?;
        let mut back = [0u8; 1];
        stream.read_exact(&mut back).await?;
        assert_eq!(back[0], byte);
        assert!(ctx.now() > started, "the round trip took simulated time");
        let file = ctx.storage().create("sent").await?;
        file.write_all_at(&[byte], 0).await?;
        assert_eq!(file.read_all().await?, [byte]);
        Ok(())
    }

    async fn check(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        assert_eq!(ctx.state().get(ECHOED), Some(1));
        Ok(())
    }
}

fn simulation() -> SimulationBuilder {
    SimulationBuilder::new("context")
        .processes("echo", 1, || Echo)
        .workload(|_| Sender)
        .iterations(10)
        .base_seed(3)
        .jobs(1)
}

#[test]
fn shortcuts_and_typed_keys_work_together() {
    let report = simulation()
        .invariant("echoes are counted", |state| {
            let echoed = state.get(ECHOED).copied().unwrap_or(0);
            if echoed <= 1 {
                Ok(())
            } else {
                Err(format!("{echoed} echoes"))
            }
        })
        .run()
        .unwrap();
    assert_eq!(report.failed, 0, "{report}");
}

#[test]
fn require_fails_on_a_missing_key() {
    let report = simulation()
        .invariant("never is there", |state| state.require(NEVER).map(|_| ()))
        .run()
        .unwrap();
    assert_eq!(report.failed, 10, "{report}");
    let reason = &report.failures[0].reason;
    assert!(
        reason.contains("shared-state key 'never published' is missing"),
        "{reason}"
    );
}

#[test]
fn require_names_a_key_of_another_type() {
    let report = simulation()
        .invariant("echoed as text", |state| {
            state.require::<String>("echoed").map(|_| ())
        })
        .run()
        .unwrap();
    assert!(report.failed > 0, "{report}");
    let reason = &report.failures[0].reason;
    assert!(
        reason.contains("holds another type than alloc::string::String"),
        "{reason}"
    );
}

/// Fails its iteration unless its context names the seed the campaign gave it.
struct SeedIs(std::collections::BTreeSet<u64>);

impl Workload for SeedIs {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        match self.0.contains(&ctx.seed()) {
            true => Err(format!("seed {:#x}", ctx.seed()).into()),
            false => Ok(()),
        }
    }
}

/// `WorkloadContext::seed` is the iteration's seed: a workload that fails on
/// seeds 5 and 9 fails exactly the iterations given those seeds, whichever
/// worker thread runs them.
#[test]
fn a_workload_knows_its_seed() {
    let failing: std::collections::BTreeSet<u64> = [5, 9].into();
    let report = SimulationBuilder::new("seeds")
        .processes("echo", 1, || Echo)
        .workload(move |_| SeedIs(failing.clone()))
        .seeds([4, 5, 6, 9])
        .jobs(2)
        .run()
        .unwrap();
    let failed: Vec<(u64, &str)> = report
        .failures
        .iter()
        .map(|failure| (failure.seed, failure.reason.as_str()))
        .collect();
    assert_eq!(failed.len(), 2, "{report}");
    for (seed, reason) in failed {
        assert!(
            reason.contains(&format!("seed {seed:#x}")),
            "{seed}: {reason}"
        );
    }
}
