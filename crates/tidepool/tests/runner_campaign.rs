//! The runner as a user sees it: a small ping service simulated over many
//! seeds; a planted bug found and replayed; each failure kind reported without
//! aborting the campaign; invalid configurations rejected; the JSON report.

use std::time::Duration;

use tidepool::providers::{Listener, Providers};
use tidepool::runner::{FailureKind, SimulationReport};
use tidepool::{
    BoxError, ConfigError, Process, ProcessContext, SimulationBuilder, Workload, WorkloadContext,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Answers each 8-byte number with the number plus one; with `bug`, numbers
/// divisible by 16 get plus two.
#[derive(Clone, Copy)]
struct PingServer {
    bug: bool,
}

impl Process for PingServer {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let listener = ctx.providers().bind(ctx.address()).await?;
        let bug = self.bug;
        loop {
            let (mut stream, _) = tidepool::select! {
                accepted = listener.accept() => accepted?,
                () = ctx.shutdown().requested() => return Ok(()),
            };
            ctx.providers().spawn("ping-conn", async move {
                let mut word = [0u8; 8];
                while stream.read_exact(&mut word).await.is_ok() {
                    let value = u64::from_le_bytes(word);
                    let answer = if bug && value % 16 == 0 {
                        value + 2
                    } else {
                        value + 1
                    };
                    if stream.write_all(&answer.to_le_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    }
}

/// What a ping workload does besides pinging, to plant each failure kind.
#[derive(Clone, Copy, PartialEq)]
enum Twist {
    None,
    Panic,
    Hang,
    Oversleep,
    BlockThread,
    BlockSometimes,
    Publish,
}

struct Pinger {
    pings: u32,
    twist: Twist,
}

impl Workload for Pinger {
    fn name(&self) -> &str {
        "pinger"
    }

    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let providers = ctx.providers();
        let servers = ctx.processes("server");
        for ping in 0..self.pings {
            let server = servers[ctx.random_below(servers.len() as u64) as usize];
            let mut stream = providers.connect(server).await?;
            let value = ctx.random_below(1000);
            stream.write_all(&value.to_le_bytes()).await?;
            let mut word = [0u8; 8];
            stream.read_exact(&mut word).await?;
            let answer = u64::from_le_bytes(word);
            if answer != value + 1 {
                return Err(format!("{server} answered {answer} to {value}").into());
            }
            if self.twist == Twist::Publish {
                ctx.state().update::<u32, _>("pings", |count| *count += 1);
            }
            if ping == 2 {
                self.twist_now(ctx).await;
            }
        }
        Ok(())
    }
}

impl Pinger {
    async fn twist_now(&self, ctx: &WorkloadContext) {
        match self.twist {
            Twist::Panic if ctx.client_id() == 1 => panic!("the pinger tripped"),
            Twist::Hang => std::future::pending::<()>().await,
            Twist::Oversleep => ctx.providers().sleep(Duration::from_secs(7200)).await,
            // Blocking the thread: the simulation cannot preempt it; the watchdog must.
            Twist::BlockThread => std::thread::sleep(Duration::from_millis(1500)),
            Twist::BlockSometimes if ctx.client_id() == 0 && ctx.random_below(4) == 0 => {
                std::thread::sleep(Duration::from_millis(600))
            }
            _ => {}
        }
    }
}

fn ping_sim(bug: bool, twist: Twist) -> SimulationBuilder {
    SimulationBuilder::new("ping")
        .processes("server", 2..=3, move || PingServer { bug })
        .workloads(2, move |_| Pinger { pings: 10, twist })
        .iterations(12)
        .base_seed(0x5eed)
}

#[test]
fn a_correct_service_passes_every_seed() {
    let report = ping_sim(false, Twist::None).run().unwrap();
    assert_eq!(
        (report.iterations, report.passed, report.failed),
        (12, 12, 0),
        "{report}"
    );
    assert!(report.is_success());
    assert!(report.events > 0 && report.sim_time_s > 0.0);
}

#[test]
fn a_planted_bug_is_found_and_its_replay_reproduces_it() {
    let report = ping_sim(true, Twist::None).iterations(30).run().unwrap();
    assert!(report.failed > 0, "the bug hid in 30 seeds:\n{report}");
    let failure = &report.failures[0];
    assert_eq!(failure.kind, FailureKind::Workload);
    assert!(failure.reason.contains("answered"), "{}", failure.reason);
    assert!(
        failure
            .replay
            .starts_with("cargo xtask sim run ping --seed 0x"),
        "{}",
        failure.replay
    );
    // Replay the printed seed: the same failure, at the same simulated time.
    let seed = tidepool::cli::parse_seed(failure.replay.rsplit(' ').next().unwrap()).unwrap();
    assert_eq!(seed, failure.seed);
    let replay = ping_sim(true, Twist::None).seeds([seed]).run().unwrap();
    assert_eq!(replay.failures.len(), 1);
    assert_eq!(replay.failures[0].reason, failure.reason);
    assert_eq!(replay.failures[0].time, failure.time);
}

#[test]
fn a_panic_fails_its_iteration_not_the_campaign() {
    let report = ping_sim(false, Twist::Panic).run().unwrap();
    assert_eq!(report.iterations, 12);
    assert_eq!(report.failed, 12);
    let failure = &report.failures[0];
    assert_eq!(failure.kind, FailureKind::Panic);
    assert!(
        failure.reason.contains("the pinger tripped"),
        "{}",
        failure.reason
    );
    assert!(
        failure.origin.starts_with("pinger-1/"),
        "{}",
        failure.origin
    );
}

#[test]
fn a_deadlock_names_the_blocked_tasks() {
    let report = ping_sim(false, Twist::Hang).iterations(2).run().unwrap();
    assert_eq!(report.failed, 2);
    let failure = &report.failures[0];
    assert_eq!(failure.kind, FailureKind::Deadlock, "{}", failure.reason);
    assert!(
        failure.reason.contains("pinger-0/run"),
        "{}",
        failure.reason
    );
}

#[test]
fn running_past_the_time_budget_fails() {
    let report = ping_sim(false, Twist::Oversleep)
        .iterations(2)
        .time_budget(Duration::from_secs(3600))
        .run()
        .unwrap();
    assert_eq!(report.failed, 2);
    assert_eq!(
        report.failures[0].kind,
        FailureKind::TimeBudget,
        "{}",
        report.failures[0].reason
    );
}

#[test]
fn the_watchdog_stops_a_thread_that_never_yields() {
    let report = ping_sim(false, Twist::BlockThread)
        .iterations(2)
        .watchdog(Duration::from_millis(300))
        .run()
        .unwrap();
    assert_eq!(report.iterations, 2, "the campaign went on after the hang");
    assert_eq!(report.failed, 2);
    assert_eq!(report.failures[0].kind, FailureKind::Watchdog);
    assert!(
        report.failures[0].reason.contains("without ever yielding"),
        "{}",
        report.failures[0].reason
    );
}

#[test]
fn seeds_after_a_hung_one_are_all_reported() {
    // Regression: a thread the watchdog gave up on used to take further seeds
    // when its hung seed returned, and their results were dropped.
    let report = ping_sim(false, Twist::BlockSometimes)
        .iterations(16)
        .jobs(1)
        .watchdog(Duration::from_millis(150))
        .run()
        .unwrap();
    assert_eq!(report.iterations, 16, "{report}");
    assert!(report.failed > 0 && report.passed > 0, "{report}");
    assert!(
        report
            .failures
            .iter()
            .all(|failure| failure.kind == FailureKind::Watchdog)
    );
}

#[test]
fn a_campaign_of_hung_seeds_stops_before_it_eats_the_machine() {
    // Every seed blocks its thread: after a bounded number of abandoned
    // threads the campaign stops and says why, instead of spawning more.
    let report = ping_sim(false, Twist::BlockThread)
        .iterations(40)
        .jobs(1)
        .watchdog(Duration::from_millis(100))
        .run()
        .unwrap();
    let reason = report.stopped_early.clone().unwrap_or_default();
    assert!(reason.contains("hung past the watchdog"), "{report}");
    assert!(report.iterations < 40, "{report}");
    assert_eq!(report.failed, report.iterations);
}

#[test]
fn a_broken_invariant_fails_the_iteration() {
    let report = ping_sim(false, Twist::Publish)
        .invariant("at most 5 pings", |state| match state.get::<u32>("pings") {
            Some(&count) if count > 5 => Err(format!("{count} pings")),
            _ => Ok(()),
        })
        .iterations(3)
        .run()
        .unwrap();
    assert_eq!(report.failed, 3);
    assert_eq!(report.failures[0].kind, FailureKind::Invariant);
    assert!(
        report.failures[0]
            .reason
            .contains("invariant 'at most 5 pings' broken: 6 pings"),
        "{}",
        report.failures[0].reason
    );
}

#[test]
#[allow(clippy::reversed_empty_ranges)] // the empty ranges are what this test feeds in
fn invalid_configurations_are_rejected_before_running() {
    let server = || PingServer { bug: false };
    let pinger = |_| Pinger {
        pings: 1,
        twist: Twist::None,
    };
    let cases: Vec<(SimulationBuilder, ConfigError)> = vec![
        (
            ping_sim(false, Twist::None).iterations(0),
            ConfigError::NoIterations,
        ),
        (
            SimulationBuilder::new("x")
                .processes("server", 5..=3, server)
                .workload(pinger),
            ConfigError::EmptyCount {
                group: "server".into(),
                range: "5..=3".into(),
            },
        ),
        (
            SimulationBuilder::new("x")
                .processes("server", 3..3, server)
                .workload(pinger),
            ConfigError::EmptyCount {
                group: "server".into(),
                range: "3..3".into(),
            },
        ),
        (
            SimulationBuilder::new("x").workload(pinger),
            ConfigError::NoProcesses,
        ),
        (
            SimulationBuilder::new("x")
                .processes("server", 1, server)
                .processes("server", 2, server)
                .workload(pinger),
            ConfigError::DuplicateGroup("server".into()),
        ),
        (
            SimulationBuilder::new("x").processes("server", 1, server),
            ConfigError::NoWorkloads,
        ),
        (ping_sim(false, Twist::None).seeds([]), ConfigError::NoSeeds),
        (ping_sim(false, Twist::None).jobs(0), ConfigError::NoJobs),
        (
            ping_sim(false, Twist::None).shard(4, 4),
            ConfigError::Shard { index: 4, count: 4 },
        ),
        (
            ping_sim(false, Twist::None).watchdog(Duration::ZERO),
            ConfigError::ZeroWatchdog,
        ),
        (
            ping_sim(false, Twist::None).attrition(tidepool::Attrition {
                interval: (Duration::ZERO, Duration::ZERO),
                ..Default::default()
            }),
            ConfigError::ZeroInterval {
                what: "attrition interval",
            },
        ),
        (
            SimulationBuilder::new("x")
                .processes("server", 1, server)
                .workload(pinger)
                .shard(0, 2),
            ConfigError::ShardWithoutBaseSeed,
        ),
    ];
    for (builder, expected) in cases {
        let error = builder.run().expect_err("an invalid configuration");
        assert_eq!(error, expected);
        assert!(!error.to_string().is_empty());
    }
    let bad_network = tidepool::sim::NetworkConfig {
        clog_probability: 2.0,
        ..tidepool::sim::NetworkConfig::default()
    };
    let error = ping_sim(false, Twist::None)
        .network(bad_network)
        .run()
        .expect_err("an invalid network");
    assert!(matches!(error, ConfigError::Network(_)), "{error:?}");
    assert!(
        error.to_string().contains("clog_probability is 2"),
        "{error}"
    );
    let error = SimulationBuilder::new("x")
        .processes("server", 5..=3, server)
        .workload(pinger)
        .run()
        .err()
        .unwrap();
    assert!(error.to_string().contains("5..=3"), "{error}");
}

#[test]
fn the_json_report_parses_back() {
    let report = ping_sim(true, Twist::None).iterations(8).run().unwrap();
    let mut json = Vec::new();
    report.write_json(&mut json).unwrap();
    let parsed: SimulationReport = serde_json::from_slice(&json).unwrap();
    assert_eq!(parsed, report);
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    for field in [
        "name",
        "base_seed",
        "iterations",
        "passed",
        "failed",
        "wall_time_s",
        "sim_time_s",
        "events",
        "failures",
        "faults",
        "fingerprint",
    ] {
        assert!(
            value.get(field).is_some(),
            "the JSON report lacks '{field}'"
        );
    }
    assert_eq!(
        value["failures"].as_array().unwrap().len() as u64,
        report.failed
    );
}

#[test]
fn a_campaign_reruns_exactly_from_its_base_seed() {
    let first = ping_sim(false, Twist::None).run().unwrap();
    let second = ping_sim(false, Twist::None).run().unwrap();
    assert_eq!(first.fingerprint, second.fingerprint);
    assert_eq!(first.events, second.events);
    let other = ping_sim(false, Twist::None).base_seed(1).run().unwrap();
    assert_ne!(first.fingerprint, other.fingerprint);
}
