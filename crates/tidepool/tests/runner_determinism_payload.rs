//! The fingerprint sees data, not only timing: nondeterminism that changes
//! only the bytes a process sends (a `HashMap`'s order of equal-length keys,
//! written in one message), the bytes it writes to disk, or a value it draws
//! fails `--check-determinism` on every seed, naming the event where the two
//! runs part.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use tidepool::prelude::*;
use tidepool::runner::FailureKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sixteen keys of one length: their order changes the bytes, never the sizes.
fn keys(hashed: bool) -> Vec<u8> {
    let letters = b'a'..=b'p';
    if hashed {
        let map: HashMap<u8, ()> = letters.map(|key| (key, ())).collect();
        map.keys().copied().collect()
    } else {
        let map: BTreeMap<u8, ()> = letters.map(|key| (key, ())).collect();
        map.keys().copied().collect()
    }
}

/// Sends its keys in one message to each connection, in its map's order.
struct Sender {
    hashed: bool,
}

impl Process for Sender {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let listener = ctx.bind(ctx.address()).await?;
        loop {
            let (mut stream, _) = tidepool::select! {
                accepted = listener.accept() => accepted?,
                () = ctx.shutdown().requested() => return Ok(()),
            };
            stream.write_all(&keys(self.hashed)).await?;
        }
    }
}

struct Receiver;

impl Workload for Receiver {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let mut stream = ctx.connect(ctx.processes("sender")[0]).await?;
        let mut bytes = [0u8; 16];
        stream.read_exact(&mut bytes).await?;
        Ok(())
    }
}

fn checked(builder: SimulationBuilder) -> SimulationBuilder {
    builder
        .iterations(6)
        .base_seed(21)
        .jobs(1)
        .check_determinism(true)
        // The sanitizer would deny the maps' OS randomness before the check
        // sees their order (`sanitizer_leaks.rs`); `warn` lets it through.
        .sanitizer(tidepool::sanitizer::SanitizerMode::Warn)
}

fn assert_every_seed_parts(report: &tidepool::SimulationReport, kind: &str) {
    assert_eq!(report.failed, 6, "{report}");
    for failure in &report.failures {
        assert_eq!(failure.kind, FailureKind::Nondeterminism, "{failure:?}");
        assert!(failure.reason.contains(kind), "{}", failure.reason);
    }
}

#[test]
fn message_bytes_in_hashmap_order_are_caught_on_every_seed() {
    let sim = |hashed| {
        SimulationBuilder::new("payload")
            .processes("sender", 1, move || Sender { hashed })
            .workload(|_| Receiver)
    };
    assert_eq!(checked(sim(false)).run().unwrap().failed, 0);
    assert_every_seed_parts(&checked(sim(true)).run().unwrap(), "NetDeliver");
}

#[test]
fn disk_bytes_in_hashmap_order_are_caught_on_every_seed() {
    let sim = |hashed: bool| {
        SimulationBuilder::new("disk")
            .workload(move |_| DiskWriter { hashed })
            .process("idle", |ctx| async move {
                ctx.shutdown().requested().await;
                Ok(())
            })
    };
    assert_eq!(checked(sim(false)).run().unwrap().failed, 0);
    assert_every_seed_parts(&checked(sim(true)).run().unwrap(), "Disk");
}

/// Writes its keys to its own disk, in its map's order.
struct DiskWriter {
    hashed: bool,
}

impl Workload for DiskWriter {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let file = ctx.storage().create("keys").await?;
        file.write_all_at(&keys(self.hashed), 0).await?;
        Ok(())
    }
}

/// Draws from the world's RNG a number of times that a per-run hasher decides.
struct Drawer;

impl Workload for Drawer {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        // The planted leak: OS randomness picks how many draws are made, and
        // the draws happen between two sleeps, so only the Draw events differ.
        let extra = RandomState::new().hash_one(1u8) % 1000;
        ctx.sleep(Duration::from_millis(1)).await;
        for _ in 0..16 + extra {
            ctx.random().random_below(100);
        }
        ctx.sleep(Duration::from_millis(1)).await;
        Ok(())
    }
}

#[test]
fn draws_are_in_the_fingerprint() {
    let report = checked(
        SimulationBuilder::new("draws")
            .workload(|_| Drawer)
            .process("idle", |ctx| async move {
                ctx.shutdown().requested().await;
                Ok(())
            }),
    )
    .run()
    .unwrap();
    // RandomState differs between the two runs of a seed (a fresh thread), so
    // the two runs draw the same number of times once in a thousand.
    assert!(report.failed >= 5, "{report}");
    for failure in &report.failures {
        assert!(failure.reason.contains("Draw"), "{}", failure.reason);
    }
}

#[test]
fn the_divergence_names_hosts_and_tasks() {
    let report = checked(
        SimulationBuilder::new("disk")
            .workload(|_| DiskWriter { hashed: true })
            .process("idle", |ctx| async move {
                ctx.shutdown().requested().await;
                Ok(())
            }),
    )
    .run()
    .unwrap();
    let reason = &report.failures[0].reason;
    assert!(
        reason.contains("Disk subject=") && reason.contains("(host workload-0)"),
        "{reason}"
    );
    assert!(
        reason.contains("(task '"),
        "the events before it name their tasks: {reason}"
    );
    assert!(
        reason.contains("spawned at crates/tidepool/tests/runner_determinism_payload.rs:")
            || reason.contains("spawned at crates/tidepool/src/runner/"),
        "and where they were spawned: {reason}"
    );
}
