//! Wall clocks per host: `system_time()` is 2026-01-01 plus simulated time,
//! plus the host's offset, drift and steps; the monotonic clock and timers
//! never move with it. With `clock_skew`, process hosts boot with their own
//! offsets and drifts and step during chaos, backwards too; without it, no
//! wall clock ever goes back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tidepool::prelude::*;
use tidepool::runner::{ConfigError, FailureKind};
use tidepool::sanitizer::SanitizerMode;
use tidepool::sim::{self, Sim, clock_skew::WALL_CLOCK_EPOCH_S};
use tidepool::{ClockSkew, time::Instant};

fn wall(nanos_since_epoch_start: i128) -> SystemTime {
    let nanos = i128::from(WALL_CLOCK_EPOCH_S) * 1_000_000_000 + nanos_since_epoch_start;
    UNIX_EPOCH + Duration::from_nanos(u64::try_from(nanos).unwrap())
}

#[test]
fn offset_drift_and_steps_move_the_wall_clock_only() {
    Sim::new(1)
        .run(async {
            let host = sim::add_host("skewed", [10, 0, 0, 9].into());
            // The wall clock as a task of `host` reads it.
            let on = |f: fn() -> SystemTime| sim::spawn_on(host, "read", async move { f() });
            assert_eq!(on(sim::system_time).await.unwrap(), wall(0));
            // One second ahead, gaining 100 µs per second (100,000 ppb).
            sim::skew_clock(host, 1_000_000_000, 100_000);
            sim::sleep(Duration::from_secs(10)).await;
            assert_eq!(sim::now(), Instant::ZERO + Duration::from_secs(10));
            assert_eq!(
                on(sim::system_time).await.unwrap(),
                wall(10_000_000_000 + 1_000_000_000 + 1_000_000)
            );
            // A step back of three seconds: the wall clock goes back, timers do not.
            let before = on(sim::system_time).await.unwrap();
            sim::step_clock(host, -3_000_000_000);
            let after = on(sim::system_time).await.unwrap();
            assert_eq!(
                before.duration_since(after).unwrap(),
                Duration::from_secs(3)
            );
            let slept = sim::spawn_on(host, "sleep", async {
                let start = sim::now();
                sim::sleep(Duration::from_millis(250)).await;
                sim::now() - start
            });
            assert_eq!(slept.await.unwrap(), Duration::from_millis(250));
            // Other hosts keep exact clocks.
            assert_eq!(sim::system_time(), wall(10_000_000_000 + 250_000_000));
        })
        .outcome
        .unwrap();
}

/// A process that fails when its wall clock goes back between two reads.
fn watcher() -> SimulationBuilder {
    SimulationBuilder::new("clocks")
        .process("node", |ctx| async move {
            let mut last = ctx.system_time();
            loop {
                let shutdown = ctx.shutdown();
                let stopped = ctx
                    .timeout(Duration::from_millis(50), shutdown.requested())
                    .await;
                if stopped.is_ok() {
                    return Ok(());
                }
                let now = ctx.system_time();
                if now < last {
                    return Err(format!(
                        "the wall clock went back {:?}",
                        last.duration_since(now)?
                    )
                    .into());
                }
                last = now;
            }
        })
        .workload(|_| Idle)
        .iterations(20)
        .base_seed(3)
        .jobs(1)
}

struct Idle;

impl Workload for Idle {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        ctx.sleep(Duration::from_secs(20)).await;
        Ok(())
    }
}

#[test]
fn clock_skew_steps_clocks_back_during_chaos() {
    let exact = watcher().run().unwrap();
    assert!(exact.is_success(), "{exact}");
    assert_eq!(exact.faults.clock_steps, 0);

    let skewed = watcher()
        .chaos_duration(Duration::from_secs(15))
        .clock_skew(ClockSkew::default())
        .run()
        .unwrap();
    assert!(skewed.faults.clock_steps > 0, "{skewed}");
    assert!(skewed.failed > 0, "some step goes backwards: {skewed}");
    for failure in &skewed.failures {
        assert_eq!(failure.kind, FailureKind::Process, "{failure:?}");
        assert!(failure.reason.contains("went back"), "{}", failure.reason);
    }
    assert!(skewed.to_string().contains("clock steps"), "{skewed}");
}

#[test]
fn a_step_interval_out_of_order_is_refused() {
    let error = watcher()
        .clock_skew(ClockSkew {
            step_every: Some((Duration::from_secs(5), Duration::from_secs(1))),
            ..ClockSkew::default()
        })
        .run()
        .unwrap_err();
    assert!(matches!(error, ConfigError::Bounds { .. }), "{error}");
    assert!(
        error.to_string().contains("clock skew step interval"),
        "{error}"
    );
}

#[test]
fn a_virtualized_system_time_is_the_host_s_skewed_clock() {
    let report = SimulationBuilder::new("virtual")
        .process("node", |ctx| async move {
            ctx.sleep(Duration::from_millis(1500)).await;
            // Read by the standard library (intercepted) and by the provider.
            let real = SystemTime::now();
            let provided = ctx.system_time();
            if real != provided {
                return Err(format!("{real:?} != {provided:?}").into());
            }
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(|_| Idle)
        .clock_skew(ClockSkew {
            step_every: None,
            ..ClockSkew::default()
        })
        .sanitizer(SanitizerMode::Virtualize)
        .iterations(5)
        .base_seed(8)
        .jobs(1)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
}

#[test]
fn on_tokio_the_wall_clock_is_the_machine_s() {
    use tidepool::providers::{Providers, TokioProviders};
    // Not the simulation's epoch: the machine's clock (which steps are not
    // ruled out, hence an hour either way rather than an order).
    let machine = SystemTime::now();
    let read = TokioProviders::new().system_time();
    let apart = read
        .duration_since(machine)
        .or_else(|_| machine.duration_since(read))
        .unwrap();
    assert!(apart < Duration::from_secs(3600), "{machine:?} {read:?}");
}
