//! Moving bytes at the edges the rest of the suite does not reach: a reset
//! behind bytes in flight, writes after shutdown, the send buffer at its
//! exact size, closing with unread bytes, repeated shutdowns, the arrival
//! time of writes a millisecond apart, a FIN that reaches a closed end,
//! partial writes, a random partition's end, and event times in the trace
//! hash. Each test pins one behaviour that a one-line change of the network
//! model would otherwise break unseen (see `cargo xtask mutants`).

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tidepool::sim::{self, Latency, NetworkConfig, Sim, SimRun, TraceKind, net};
use tidepool::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);
const CLIENT_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 3));
/// A bound on every run here: a run that would hang fails instead.
const TIME_BUDGET: Duration = Duration::from_secs(600);

fn fixed(millis: u64) -> NetworkConfig {
    NetworkConfig {
        latency: Latency::Fixed(Duration::from_millis(millis)),
        ..NetworkConfig::fault_free()
    }
}

fn sim(seed: u64, network: NetworkConfig) -> Sim {
    Sim::new(seed).network(network).time_budget(TIME_BUDGET)
}

/// Binds the server's listener on its own host and returns it.
async fn listen() -> net::TcpListener {
    let server = sim::add_host("server", SERVER.ip());
    sim::spawn_on(server, "bind", net::bind(SERVER))
        .await
        .unwrap()
        .unwrap()
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[test]
fn a_reset_arrives_after_the_bytes_already_in_flight() {
    // A client writes 100 bytes and its host dies at once: the reset it sends
    // travels behind the bytes, so the server reads all 100, then the reset.
    // Latencies are drawn per message (1 to 50 ms), so over 32 seeds the
    // reset would often overtake the bytes if it were not held behind them.
    let network = NetworkConfig {
        latency: Latency::Uniform {
            min: Duration::from_millis(1),
            max: Duration::from_millis(50),
        },
        ..NetworkConfig::fault_free()
    };
    for seed in 0..32 {
        let run = sim(seed, network.clone()).run(async {
            let listener = listen().await;
            let client = sim::add_host("client", CLIENT_IP);
            drop(sim::spawn_on(client, "writer", async {
                let mut stream = net::connect(SERVER).await.unwrap();
                stream.write_all(&[7u8; 100]).await.unwrap();
                sim::kill(sim::current_host());
            }));
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut received = Vec::new();
            let mut chunk = [0u8; 64];
            loop {
                match stream.read(&mut chunk).await {
                    Ok(0) => return (received.len(), None),
                    Ok(count) => received.extend_from_slice(&chunk[..count]),
                    Err(error) => return (received.len(), Some(error.kind())),
                }
            }
        });
        let (received, error) = run.outcome.unwrap();
        assert_eq!(received, 100, "seed {seed}: bytes read before the reset");
        assert_eq!(error, Some(io::ErrorKind::ConnectionReset), "seed {seed}");
    }
}

#[test]
fn writing_after_shutdown_fails_with_broken_pipe() {
    let run = sim(1, fixed(1)).run(async {
        let listener = listen().await;
        let accepted = sim::spawn("accept", async move { listener.accept().await });
        let mut stream = net::connect(SERVER).await.unwrap();
        let _server_end = accepted.await.unwrap().unwrap();
        stream.shutdown().await.unwrap();
        stream.write(b"late").await.map_err(|error| error.kind())
    });
    assert_eq!(run.outcome.unwrap(), Err(io::ErrorKind::BrokenPipe));
}

#[test]
fn the_send_buffer_takes_exactly_its_size_and_what_is_read_frees_exactly_that() {
    // A 1000-byte send buffer: a 1500-byte write takes 1000, the next waits;
    // once the reader has taken 300, a 500-byte write takes exactly 300.
    let network = NetworkConfig {
        send_buffer_bytes: 1000,
        ..fixed(1)
    };
    let run = sim(2, network).run(async {
        let listener = listen().await;
        let reader = sim::spawn("reader", async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            sim::sleep(Duration::from_secs(1)).await;
            let mut taken = [0u8; 300];
            stream.read_exact(&mut taken).await.unwrap();
            stream
        });
        let mut stream = net::connect(SERVER).await.unwrap();
        let first = stream.write(&[1u8; 1500]).await.unwrap();
        let waits = sim::timeout(Duration::from_millis(500), stream.write(&[2u8; 10]))
            .await
            .is_err();
        let _reader_end = reader.await.unwrap();
        let after_read = stream.write(&[3u8; 500]).await.unwrap();
        (first, waits, after_read)
    });
    assert_eq!(run.outcome.unwrap(), (1000, true, 300));
}

#[test]
fn closing_with_unread_bytes_resets_the_peer() {
    // As on Linux: a socket closed with received bytes unread sends a reset,
    // not a FIN, so the peer's read fails instead of reading EOF.
    let run = sim(3, fixed(1)).run(async {
        let listener = listen().await;
        drop(sim::spawn("server", async move {
            let (stream, _) = listener.accept().await.unwrap();
            sim::sleep(Duration::from_millis(100)).await;
            drop(stream);
        }));
        let mut stream = net::connect(SERVER).await.unwrap();
        stream.write_all(b"never read").await.unwrap();
        let mut byte = [0u8; 1];
        stream.read(&mut byte).await.map_err(|error| error.kind())
    });
    assert_eq!(run.outcome.unwrap(), Err(io::ErrorKind::ConnectionReset));
}

/// A client that writes, shuts down `shutdowns` times, and reads the echo of
/// a server that reads to EOF and answers with what it read.
fn shutdown_run(shutdowns: usize) -> SimRun<(Vec<u8>, Vec<bool>)> {
    sim(4, NetworkConfig::fault_free())
        .record_events(true)
        .run(async move {
            let listener = listen().await;
            drop(sim::spawn("server", async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut request = Vec::new();
                stream.read_to_end(&mut request).await.unwrap();
                stream.write_all(&request).await.unwrap();
            }));
            let mut stream = net::connect(SERVER).await.unwrap();
            stream.write_all(b"ping").await.unwrap();
            let mut results = Vec::new();
            for _ in 0..shutdowns {
                results.push(stream.shutdown().await.is_ok());
                sim::sleep(Duration::from_millis(1)).await;
            }
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await.unwrap();
            (answer, results)
        })
}

#[test]
fn a_repeated_shutdown_succeeds_and_sends_nothing_more() {
    // The second shutdown is Ok and adds nothing to the wire: the runs with
    // one and two shutdowns deliver the same bytes at the same times (a
    // second FIN would add a delivery, or draw a latency and move the rest).
    let once = shutdown_run(1);
    let twice = shutdown_run(2);
    let wire = |run: &SimRun<(Vec<u8>, Vec<bool>)>| -> Vec<(TraceKind, Duration, u64)> {
        run.events
            .as_ref()
            .unwrap()
            .iter()
            .filter(|event| matches!(event.kind, TraceKind::NetDeliver | TraceKind::NetReset))
            .map(|event| {
                (
                    event.kind,
                    event.time - Instant::from_nanos(0),
                    event.detail,
                )
            })
            .collect()
    };
    assert_eq!(wire(&once), wire(&twice));
    assert_eq!(once.outcome.unwrap().0, b"ping");
    let (answer, results) = twice.outcome.unwrap();
    assert_eq!(answer, b"ping");
    assert_eq!(results, [true, true]);
}

#[test]
fn writes_a_millisecond_apart_arrive_a_millisecond_apart() {
    // Under a fixed 5 ms latency each write arrives 5 ms after it was made:
    // two writes 1 ms apart are two deliveries 1 ms apart, not one.
    let run = sim(5, fixed(5)).run(async {
        let listener = listen().await;
        let reader = sim::spawn("reader", async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut arrivals = Vec::new();
            let mut byte = [0u8; 1];
            for _ in 0..2 {
                stream.read_exact(&mut byte).await.unwrap();
                arrivals.push(sim::now());
            }
            arrivals
        });
        let mut stream = net::connect(SERVER).await.unwrap();
        let first = sim::now();
        stream.write_all(b"a").await.unwrap();
        sim::sleep(Duration::from_millis(1)).await;
        stream.write_all(b"b").await.unwrap();
        let arrivals = reader.await.unwrap();
        (arrivals[0] - first, arrivals[1] - arrivals[0])
    });
    let (delay, gap) = run.outcome.unwrap();
    assert_eq!(millis(delay), 5.0);
    assert_eq!(millis(gap), 1.0);
}

#[test]
fn a_fin_reaching_a_closed_end_sends_no_reset() {
    // The server closes at once; the client's FIN, with no data, reaches the
    // closed end later. TCP resets only when data reaches a closed socket:
    // no reset at all, and the client keeps reading EOF.
    let run = sim(6, fixed(2)).record_events(true).run(async {
        let listener = listen().await;
        drop(sim::spawn("server", async move {
            drop(listener.accept().await.unwrap());
        }));
        let mut stream = net::connect(SERVER).await.unwrap();
        stream.shutdown().await.unwrap();
        let mut byte = [0u8; 1];
        let first = stream.read(&mut byte).await.map_err(|error| error.kind());
        sim::sleep(Duration::from_secs(1)).await;
        let later = stream.read(&mut byte).await.map_err(|error| error.kind());
        (first, later)
    });
    let resets = run
        .events
        .as_ref()
        .unwrap()
        .iter()
        .filter(|event| event.kind == TraceKind::NetReset)
        .count();
    assert_eq!(run.outcome.unwrap(), (Ok(0), Ok(0)));
    assert_eq!(resets, 0, "a FIN without data was answered with a reset");
}

#[test]
fn a_partial_write_takes_part_of_the_bytes_and_only_that_part_crosses() {
    // Every write of 2 bytes or more is cut short: each takes 1 to len-1 bytes,
    // and the reader receives exactly the bytes the writes reported, in order.
    let network = NetworkConfig {
        partial_write_probability: 1.0,
        ..fixed(1)
    };
    let run = sim(7, network).run(async {
        let listener = listen().await;
        let reader = sim::spawn("reader", async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut received = Vec::new();
            stream.read_to_end(&mut received).await.unwrap();
            received
        });
        let mut stream = net::connect(SERVER).await.unwrap();
        let data: Vec<u8> = (0..100).collect();
        let mut taken = Vec::new();
        let mut sent = Vec::new();
        for _ in 0..20 {
            let count = stream.write(&data).await.unwrap();
            taken.push(count);
            sent.extend_from_slice(&data[..count]);
        }
        drop(stream);
        (
            taken,
            sent,
            reader.await.unwrap(),
            net::stats().partial_writes,
        )
    });
    let (taken, sent, received, partial_writes) = run.outcome.unwrap();
    assert!(
        taken.iter().all(|&count| (1..100).contains(&count)),
        "{taken:?}"
    );
    assert_eq!(partial_writes, 20);
    assert_eq!(received, sent);
}

#[test]
fn a_random_partition_lifts_itself_after_its_duration() {
    // One message is sent while partitions fire on every message, lasting
    // exactly 200 ms; faults are then turned off. The byte waits out the
    // partition and arrives when it lifts, 200 ms after it was written.
    let network = NetworkConfig {
        partition_probability: 1.0,
        partition_duration: Latency::Fixed(Duration::from_millis(200)),
        ..fixed(1)
    };
    let run = sim(8, network).run(async {
        net::set_faults_active(false);
        let listener = listen().await;
        let reader = sim::spawn("reader", async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut byte = [0u8; 1];
            stream.read_exact(&mut byte).await.unwrap();
            sim::now()
        });
        let mut stream = net::connect(SERVER).await.unwrap();
        net::set_faults_active(true);
        let written = sim::now();
        stream.write_all(b"x").await.unwrap();
        net::set_faults_active(false);
        let arrived = reader.await.unwrap();
        (arrived - written, net::stats().partitions)
    });
    let (delay, partitions) = run
        .outcome
        .expect("the partition lifts and the byte arrives");
    assert_eq!(millis(delay), 200.0);
    assert_eq!(partitions, 2, "one partition, both ways");
}

#[test]
fn a_kill_drops_the_bytes_its_host_had_not_read() {
    // The server's host dies with bytes from the client unread, on a
    // connection still in its listener's backlog (no stream whose drop would
    // tidy up). The client may still write until the reset reaches it (its
    // writes go nowhere); the connection's byte accounting (asserted on every
    // write) must count the dropped bytes as gone, as a close does.
    let run = sim(10, fixed(5)).run(async {
        let server = sim::add_host("server", SERVER.ip());
        drop(sim::spawn_on(server, "holder", async {
            let _listener = net::bind(SERVER).await.unwrap();
            std::future::pending::<()>().await;
        }));
        sim::sleep(Duration::from_millis(1)).await;
        let mut stream = net::connect(SERVER).await.unwrap();
        stream.write_all(&[1u8; 10]).await.unwrap();
        sim::sleep(Duration::from_millis(20)).await;
        sim::kill(server);
        let after_kill = stream.write(&[2u8; 10]).await.map_err(|error| error.kind());
        let mut byte = [0u8; 1];
        let read = stream.read(&mut byte).await.map_err(|error| error.kind());
        (after_kill, read)
    });
    assert_eq!(
        run.outcome.unwrap(),
        (Ok(10), Err(io::ErrorKind::ConnectionReset))
    );
}

/// A run whose only difference from `sleepy_run(other)` is how long it sleeps.
fn sleepy_run(sleep_ms: u64) -> SimRun<()> {
    Sim::new(9).record_events(true).run(async move {
        sim::sleep(Duration::from_millis(sleep_ms)).await;
    })
}

#[test]
fn the_trace_hash_covers_event_times() {
    // Two runs with the same events but for their times (a sleep of 1 ms or
    // of 2 ms) must not share a fingerprint.
    let (short, long) = (sleepy_run(1), sleepy_run(2));
    let shape = |run: &SimRun<()>| -> Vec<(TraceKind, u32, u64)> {
        run.events
            .as_ref()
            .unwrap()
            .iter()
            .map(|event| (event.kind, event.subject, event.detail))
            .collect()
    };
    assert_eq!(
        shape(&short),
        shape(&long),
        "the runs differ in more than time"
    );
    assert_ne!(short.trace_hash, long.trace_hash);
}
