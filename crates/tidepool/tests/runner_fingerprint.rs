//! The fingerprint of one small campaign, pinned; and `--check-determinism`
//! comparing traces, not verdicts.
//!
//! The pinned campaign runs echo servers under network faults, partitions,
//! swizzles and reboots (graceful and crashes), with clients that draw their
//! message sizes and pauses: its fingerprint folds every pick of the
//! executor, every latency, fault and draw, every event time and every byte.
//! A change to any of them (a scheduler that always picks the first ready
//! task, a latency that ignores its draw, a partition that never lifts, a
//! reset that overtakes data, a different seed derivation, a trace hash that
//! skips times) moves it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tidepool::Attrition;
use tidepool::prelude::*;
use tidepool::runner::FailureKind;
use tidepool::sim::NetworkConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Echoes every connection's bytes until it closes.
struct Echo;

impl Process for Echo {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let listener = ctx.bind(ctx.address()).await?;
        loop {
            let (mut stream, _) = tidepool::select! {
                accepted = listener.accept() => accepted?,
                () = ctx.shutdown().requested() => return Ok(()),
            };
            drop(ctx.spawn("echo-conn", async move {
                let mut chunk = [0u8; 256];
                while let Ok(count @ 1..) = stream.read(&mut chunk).await {
                    if stream.write_all(&chunk[..count]).await.is_err() {
                        return;
                    }
                }
            }));
        }
    }
}

/// Sends messages of drawn sizes to drawn servers and reads their echoes,
/// giving up on a message at the first error or after a second.
struct Client;

impl Workload for Client {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let servers = ctx.processes("server").to_vec();
        for round in 0..20u64 {
            let server = servers[ctx.random_below(servers.len() as u64) as usize];
            let size = 1 + ctx.random_below(300) as usize;
            let message: Vec<u8> = (0..size).map(|at| (at as u64 + round) as u8).collect();
            let exchange = async {
                let mut stream = ctx.connect(server).await?;
                stream.write_all(&message).await?;
                let mut echo = vec![0u8; size];
                stream.read_exact(&mut echo).await?;
                Ok::<_, std::io::Error>(echo)
            };
            if let Ok(Ok(echo)) = ctx.timeout(Duration::from_secs(1), exchange).await {
                assert_eq!(echo, message, "an echo differs from its message");
            }
            ctx.sleep(Duration::from_millis(ctx.random_below(200)))
                .await;
        }
        Ok(())
    }
}

fn echo_campaign() -> SimulationBuilder {
    SimulationBuilder::new("echo-fingerprint")
        .processes("server", 3, || Echo)
        .workloads(3, |_| Client)
        .network(NetworkConfig {
            partition_probability: 0.002,
            ..NetworkConfig::default()
        })
        .chaos_duration(Duration::from_secs(3))
        .swizzle((Duration::from_millis(500), Duration::from_secs(2)))
        .attrition(Attrition {
            max_dead: 1,
            interval: (Duration::from_millis(300), Duration::from_secs(1)),
            recovery_delay: (Duration::from_millis(100), Duration::from_millis(500)),
            ..Attrition::default()
        })
        .iterations(12)
        .base_seed(0x2026)
        .jobs(1)
}

/// The fingerprint of `echo_campaign`. It changes when anything a run does
/// changes (see the module's doc): when that is on purpose, put the new value
/// here and say in the commit why every campaign's runs changed.
const ECHO_FINGERPRINT: u64 = 0x9eb6_e1f1_d0b3_c2fd;

#[test]
fn a_small_campaign_keeps_its_fingerprint() {
    let report = echo_campaign().run().unwrap();
    assert_eq!(report.failed, 0, "{report}");
    let faults = &report.faults;
    assert!(
        faults.reboots_crash > 0 && faults.reboots_graceful > 0,
        "{report}"
    );
    assert!(faults.swizzles > 0 && faults.partitions > 0, "{report}");
    assert_eq!(
        report.fingerprint, ECHO_FINGERPRINT,
        "the campaign's fingerprint moved: {:#018x}\n{report}",
        report.fingerprint
    );
}

/// Runs of the time-only planted nondeterminism, across every campaign of the test binary.
static RUNS: AtomicU64 = AtomicU64::new(0);

/// Sleeps 1 ms in one run of a seed and 2 ms in the other: the two runs do
/// the same things and pass, at different times.
struct Dawdler;

impl Workload for Dawdler {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let run = RUNS.fetch_add(1, Ordering::Relaxed);
        ctx.sleep(Duration::from_millis(1 + run % 2)).await;
        Ok(())
    }
}

#[test]
fn the_determinism_check_compares_traces_not_verdicts() {
    // Both runs of every seed pass; only an event's time differs. The check
    // must still fail every seed, naming nondeterminism.
    let report = SimulationBuilder::new("dawdler")
        .workload(|_| Dawdler)
        .process("idle", |ctx| async move {
            ctx.shutdown().requested().await;
            Ok(())
        })
        .iterations(4)
        .base_seed(5)
        .jobs(1)
        .check_determinism(true)
        .run()
        .unwrap();
    assert_eq!(report.failed, 4, "{report}");
    for failure in &report.failures {
        assert_eq!(failure.kind, FailureKind::Nondeterminism, "{failure:?}");
    }
}
