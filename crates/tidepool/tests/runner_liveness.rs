//! Liveness: an `eventually` property is checked from the moment the faults
//! heal until it holds or its bound runs out. A server that stops listening
//! after a reset says nothing wrong, and passes every safety check; its
//! liveness property fails, with its own kind, the property's name and what
//! was still pending. The correct server passes.

use std::net::SocketAddr;
use std::time::Duration;

use tidepool::prelude::*;
use tidepool::runner::FailureKind;
use tidepool::sim::NetworkConfig;
use tidepool::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHAOS: Duration = Duration::from_secs(5);

/// Answers `ping` with `pong`; with `wedges`, stops listening (and stays up)
/// after the first connection that ends in an error.
fn simulation(wedges: bool) -> SimulationBuilder {
    SimulationBuilder::new("liveness")
        .process("server", move |ctx| async move {
            let listener = ctx.bind("0.0.0.0:4500".parse()?).await?;
            let (errors, mut failed) = tokio::sync::mpsc::unbounded_channel::<()>();
            loop {
                let wedge = async {
                    if wedges {
                        failed.recv().await
                    } else {
                        std::future::pending().await
                    }
                };
                let accepted = tidepool::select! {
                    accepted = listener.accept() => accepted,
                    _ = wedge => break,
                };
                let (mut stream, _) = accepted?;
                let errors = errors.clone();
                drop(ctx.spawn("ping", async move {
                    let mut buf = [0u8; 4];
                    let served = async {
                        loop {
                            stream.read_exact(&mut buf).await?;
                            stream.write_all(b"pong").await?;
                        }
                        #[allow(unreachable_code)]
                        Ok::<(), std::io::Error>(())
                    };
                    if let Err(error) = served.await
                        && error.kind() != std::io::ErrorKind::UnexpectedEof
                    {
                        let _ = errors.send(());
                    }
                }));
            }
            // Wedged: up, answering nothing.
            drop(listener);
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(|_| Pinger)
        .network(NetworkConfig {
            reset_probability: 0.05,
            ..NetworkConfig::fault_free()
        })
        .chaos_duration(CHAOS)
        .eventually(
            "the server answers a ping",
            Duration::from_secs(3),
            |ctx| async move {
                if ctx.now() < Instant::ZERO + CHAOS {
                    return Err("checked before the faults healed".into());
                }
                ping(ctx.processes("server")[0], &ctx).await
            },
        )
        .iterations(10)
        .base_seed(11)
        .jobs(1)
}

async fn ping(server: SocketAddr, ctx: &WorkloadContext) -> Result<(), BoxError> {
    let mut stream = ctx.connect(server).await?;
    stream.write_all(b"ping").await?;
    let mut buf = [0u8; 4];
    stream.read_exact(&mut buf).await?;
    if &buf != b"pong" {
        return Err(format!("answered {buf:?}").into());
    }
    Ok(())
}

/// Pings through the chaos window, tolerating every network error.
struct Pinger;

impl Workload for Pinger {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        while ctx.now() < Instant::ZERO + CHAOS {
            let _ = ctx
                .timeout(
                    Duration::from_millis(200),
                    ping(ctx.processes("server")[0], ctx),
                )
                .await;
            ctx.sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

#[test]
fn a_server_that_stops_answering_fails_its_liveness_property() {
    let report = simulation(true).run().unwrap();
    assert!(report.failed > 0, "{report}");
    for failure in &report.failures {
        assert_eq!(failure.kind, FailureKind::Liveness, "{failure:?}");
        assert_eq!(failure.origin, "eventually the server answers a ping");
        assert!(
            failure
                .reason
                .contains("did not hold within 3s of the faults healing")
                && failure.reason.contains("still pending: connect to")
                && failure.reason.contains("connection refused"),
            "{}",
            failure.reason
        );
        // Checked from the heal on, and failed once its bound ran out.
        assert!(
            failure.time >= Instant::ZERO + CHAOS + Duration::from_secs(3),
            "{failure:?}"
        );
    }
    assert!(report.to_string().contains("liveness"), "{report}");
}

#[test]
fn the_correct_server_passes_once_the_faults_heal() {
    let report = simulation(false).run().unwrap();
    assert!(report.is_success(), "{report}");
    assert!(report.faults.resets > 0, "the faults did bite: {report}");
}
