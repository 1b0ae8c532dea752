//! Determinism of the network: a chatty exchange over 10 connections, with
//! every fault family on (partial reads and writes, resets, refused connects,
//! clogs, random partitions), runs twice per seed with events recorded; the trace
//! hashes, the recorded events and the outcomes are equal. Different seeds give
//! different hashes. The workload tolerates the faults: a refused connect is
//! retried, a reset ends that connection's talk.

use std::collections::BTreeSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tidepool::sim::{self, NetworkConfig, Sim, net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);
const CONNECTIONS: u32 = 10;
const ROUNDS: u32 = 40;
const CONNECT_TRIES_MAX: u32 = 20;

fn faulty() -> NetworkConfig {
    NetworkConfig {
        partial_read_probability: 0.5,
        partial_write_probability: 0.5,
        reset_probability: 0.002,
        connect_failure_probability: 0.1,
        clog_probability: 0.01,
        partition_probability: 0.002,
        ..NetworkConfig::default()
    }
}

/// Echoes length-prefixed messages until the peer closes or resets.
async fn echo(mut stream: net::TcpStream) -> io::Result<u64> {
    let mut echoed = 0;
    loop {
        let mut len = [0u8; 2];
        match stream.read_exact(&mut len).await {
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(echoed),
            other => other?,
        };
        let mut body = vec![0u8; u16::from_le_bytes(len) as usize];
        stream.read_exact(&mut body).await?;
        stream.write_all(&len).await?;
        stream.write_all(&body).await?;
        echoed += body.len() as u64;
    }
}

/// Connects (retrying refusals), then talks for `ROUNDS` rounds of random
/// sizes and pauses; returns the bytes echoed back before any error.
async fn chatter() -> u64 {
    let mut stream = None;
    for _ in 0..CONNECT_TRIES_MAX {
        match net::connect(SERVER).await {
            Ok(connected) => {
                stream = Some(connected);
                break;
            }
            Err(_) => sim::sleep(Duration::from_millis(10)).await,
        }
    }
    let Some(mut stream) = stream else { return 0 };
    let mut echoed = 0;
    for _ in 0..ROUNDS {
        let size = sim::random_below(2000) as u16;
        let body: Vec<u8> = (0..size).map(|_| sim::random_u64() as u8).collect();
        let talk = async {
            stream.write_all(&size.to_le_bytes()).await?;
            stream.write_all(&body).await?;
            let mut reply = vec![0u8; 2 + size as usize];
            stream.read_exact(&mut reply).await?;
            assert_eq!(&reply[2..], &body[..], "an echo came back damaged");
            io::Result::Ok(())
        };
        if talk.await.is_err() {
            break;
        }
        echoed += size as u64;
        sim::sleep(Duration::from_micros(sim::random_below(3000))).await;
    }
    echoed
}

async fn chatty_exchange() -> Vec<u64> {
    let server = sim::add_host("server", SERVER.ip());
    let listener = sim::spawn_on(server, "bind", net::bind(SERVER))
        .await
        .unwrap()
        .unwrap();
    drop(sim::spawn_on(server, "accept", async move {
        while let Ok((stream, _)) = listener.accept().await {
            drop(sim::spawn("echo", echo(stream)));
        }
    }));
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|id| {
            let host = sim::add_host(format!("client-{id}"), IpAddr::from([10, 0, 1, id as u8]));
            sim::spawn_on(host, "chatter", chatter())
        })
        .collect();
    let mut echoed = Vec::new();
    for client in clients {
        echoed.push(client.await.unwrap());
    }
    echoed
}

#[test]
fn the_same_seed_gives_the_same_trace_under_faults() {
    for seed in [1, 2, 3] {
        let first = Sim::new(seed)
            .network(faulty())
            .record_events(true)
            .run(chatty_exchange());
        let again = Sim::new(seed)
            .network(faulty())
            .record_events(true)
            .run(chatty_exchange());
        assert_eq!(first.trace_hash, again.trace_hash, "seed {seed}");
        assert_eq!(first.events, again.events, "seed {seed}");
        assert_eq!(first.end_time, again.end_time, "seed {seed}");
        let echoed = first.outcome.unwrap();
        assert_eq!(echoed, again.outcome.unwrap(), "seed {seed}");
        assert!(
            echoed.iter().sum::<u64>() > 0,
            "seed {seed}: nothing was said"
        );
        assert!(
            first.events.unwrap().len() > 1000,
            "seed {seed}: a chatty run"
        );
    }
}

#[test]
fn the_default_network_is_deterministic_too() {
    let first = Sim::new(8)
        .network(NetworkConfig::default())
        .run(chatty_exchange());
    let again = Sim::new(8)
        .network(NetworkConfig::default())
        .run(chatty_exchange());
    assert_eq!(first.trace_hash, again.trace_hash);
    assert_eq!(first.outcome.unwrap(), again.outcome.unwrap());
}

#[test]
fn different_seeds_give_different_traces() {
    let hashes: BTreeSet<u64> = (0..6)
        .map(|seed| {
            Sim::new(seed)
                .network(faulty())
                .run(chatty_exchange())
                .trace_hash
        })
        .collect();
    assert_eq!(hashes.len(), 6);
}

#[test]
fn the_faults_fire() {
    // Over a few seeds every fault family shows up, so the runs above did
    // exercise them.
    let mut total = net::NetStats::default();
    for seed in 0..6 {
        let run = Sim::new(seed).network(faulty()).run(async {
            chatty_exchange().await;
            net::stats()
        });
        let stats = run.outcome.unwrap();
        total.partial_reads += stats.partial_reads;
        total.partial_writes += stats.partial_writes;
        total.resets += stats.resets;
        total.connect_failures += stats.connect_failures;
        total.clogs += stats.clogs;
        total.partitions += stats.partitions;
    }
    assert!(
        total.partial_reads > 0 && total.partial_writes > 0,
        "{total:?}"
    );
    assert!(total.resets > 0 && total.connect_failures > 0, "{total:?}");
    assert!(total.clogs > 0 && total.partitions > 0, "{total:?}");
}
