//! A heartbeat failure detector over simulated UDP, and its false suspicions
//! under loss: a timeout of two and a half heartbeats suspects a live peer
//! whenever two or three heartbeats in a row are lost (at 20% loss, a few
//! times a minute), one of fifteen heartbeats never does, and both suspect a
//! partitioned peer within their timeout.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tidepool::providers::{DatagramSocket, Providers, SimProviders, TimeProvider};
use tidepool::sim::{self, NetworkConfig, Sim, net};
use tidepool::time::Instant;

const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
const WATCHER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 3));
const PORT: u16 = 7946;
const HEARTBEAT: Duration = Duration::from_millis(100);
const RUN: Duration = Duration::from_secs(60);

/// Sends a heartbeat every [`HEARTBEAT`] until past [`RUN`]'s end (so the
/// watcher's last wait is not a silence).
async fn heartbeats<P: Providers>(providers: P) {
    let socket = providers
        .bind_udp(SocketAddr::new(PEER, PORT))
        .await
        .unwrap();
    let target = SocketAddr::new(WATCHER, PORT);
    while providers.now() < Instant::ZERO + RUN + Duration::from_secs(5) {
        socket.send_to(b"alive", target).await.unwrap();
        providers.sleep(HEARTBEAT).await;
    }
}

/// Watches for heartbeats; returns the times it suspected the peer (no
/// heartbeat for `timeout`), once per silence.
async fn watch<P: Providers>(providers: P, timeout: Duration) -> Vec<Instant> {
    let socket = providers
        .bind_udp(SocketAddr::new(WATCHER, PORT))
        .await
        .unwrap();
    let mut suspicions = Vec::new();
    let mut suspected = false;
    let mut buf = [0u8; 16];
    while providers.now() < Instant::ZERO + RUN {
        match providers
            .time()
            .timeout(timeout, socket.recv_from(&mut buf))
            .await
        {
            Ok(received) => {
                received.unwrap();
                suspected = false;
            }
            Err(_) if !suspected => {
                suspected = true;
                suspicions.push(providers.now());
            }
            Err(_) => {}
        }
    }
    suspicions
}

/// Runs the detector with `timeout` at `loss`, partitioning the two hosts at
/// `partition_at` when given; returns the suspicions.
fn detect(seed: u64, loss: f64, timeout: Duration, partition_at: Option<Duration>) -> Vec<Instant> {
    Sim::new(seed)
        .network(NetworkConfig {
            datagram_loss_probability: loss,
            ..NetworkConfig::fault_free()
        })
        .run(async move {
            let peer = sim::add_host("peer", PEER);
            let watcher = sim::add_host("watcher", WATCHER);
            let watching = sim::spawn_on(watcher, "watch", watch(SimProviders, timeout));
            drop(sim::spawn_on(peer, "heartbeats", heartbeats(SimProviders)));
            if let Some(at) = partition_at {
                sim::sleep(at).await;
                net::partition(peer, watcher);
            }
            watching.await.unwrap()
        })
        .outcome
        .unwrap()
}

#[test]
fn a_short_timeout_suspects_a_live_peer_under_loss() {
    let tight = Duration::from_millis(250);
    let false_suspicions: usize = (0..5)
        .map(|seed| detect(seed, 0.2, tight, None).len())
        .sum();
    assert!(
        false_suspicions >= 5,
        "two lost heartbeats in a row happen every few seconds at 20% loss: {false_suspicions}"
    );
    // Without loss, the same detector never errs.
    for seed in 0..5 {
        assert!(detect(seed, 0.0, tight, None).is_empty());
    }
}

#[test]
fn a_long_timeout_rides_out_the_loss_and_still_sees_a_partition() {
    let patient = Duration::from_millis(1500);
    for seed in 0..10 {
        assert!(
            detect(seed, 0.2, patient, None).is_empty(),
            "fifteen heartbeats lost in a row: seed {seed}"
        );
    }
    let cut = Duration::from_secs(30);
    for timeout in [Duration::from_millis(250), patient] {
        let suspicions = detect(7, 0.0, timeout, Some(cut));
        assert_eq!(suspicions.len(), 1, "{suspicions:?}");
        let after = suspicions[0] - (Instant::ZERO + cut);
        assert!(
            after <= timeout + HEARTBEAT,
            "suspected {after:?} after the partition"
        );
    }
}
