//! UDP on both providers: a datagram takes the network's latency, arrives
//! whole (or truncated to the reader's buffer), may be lost, duplicated or
//! reordered at the network's rates, is dropped by a partition, vanishes when
//! nothing is bound at its target, and is refused at send when larger than
//! `max_datagram_bytes`. The same calls run on tokio's real sockets.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tidepool::providers::{
    DatagramSocket, NetworkProvider, Providers, SimProviders, TokioProviders,
};
use tidepool::sim::{self, HostId, Latency, NetworkConfig, Sim, net};

const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 3));
const LATENCY: Duration = Duration::from_millis(3);

fn fixed() -> NetworkConfig {
    NetworkConfig {
        latency: Latency::Fixed(LATENCY),
        ..NetworkConfig::fault_free()
    }
}

/// Binds a socket on a new host `name` at `ip`, port 9000.
async fn socket_on(name: &str, ip: IpAddr) -> (HostId, net::UdpSocket) {
    let host = sim::add_host(name, ip);
    let socket = sim::spawn_on(host, "bind", net::bind_udp(SocketAddr::new(ip, 9000)))
        .await
        .unwrap()
        .unwrap();
    (host, socket)
}

#[test]
fn a_datagram_takes_the_latency_and_arrives_whole_or_truncated() {
    Sim::new(1)
        .network(fixed())
        .run(async {
            let (_, a) = socket_on("a", A).await;
            let (_, b) = socket_on("b", B).await;
            assert_eq!(a.local_addr().unwrap(), SocketAddr::new(A, 9000));
            let sent = sim::now();
            assert_eq!(
                a.send_to(b"hello", b.local_addr().unwrap()).await.unwrap(),
                5
            );
            let mut buf = [0u8; 64];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr().unwrap()));
            assert_eq!(sim::now() - sent, LATENCY);
            // A reader's buffer shorter than the datagram gets its head; the rest is lost.
            a.send_to(b"truncated", b.local_addr().unwrap())
                .await
                .unwrap();
            let mut short = [0u8; 5];
            let (n, _) = b.recv_from(&mut short).await.unwrap();
            assert_eq!(&short[..n], b"trunc");
        })
        .outcome
        .unwrap();
}

#[test]
fn oversize_is_refused_and_strays_vanish() {
    Sim::new(2)
        .network(NetworkConfig {
            max_datagram_bytes: 1200,
            ..fixed()
        })
        .run(async {
            let (_, a) = socket_on("a", A).await;
            let (_, b) = socket_on("b", B).await;
            let error = a
                .send_to(&[0u8; 1201], b.local_addr().unwrap())
                .await
                .unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
            assert!(error.to_string().contains("message too long"), "{error}");
            assert_eq!(
                a.send_to(&[7u8; 1200], b.local_addr().unwrap())
                    .await
                    .unwrap(),
                1200
            );
            // To a port nothing is bound to, and to an address no host has: sent, never seen.
            a.send_to(b"stray", SocketAddr::new(B, 9001)).await.unwrap();
            a.send_to(b"stray", SocketAddr::new(IpAddr::from([10, 9, 9, 9]), 1))
                .await
                .unwrap();
            let mut buf = [0u8; 2048];
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(n, 1200);
            let nothing = sim::timeout(Duration::from_secs(1), b.recv_from(&mut buf)).await;
            assert!(nothing.is_err(), "nothing else arrives");
            // The port is taken while bound.
            let taken = sim::spawn_on(sim::current_host(), "bind", async {
                net::bind_udp(SocketAddr::new(IpAddr::from([10, 0, 0, 1]), 5)).await
            });
            let first = taken.await.unwrap().unwrap();
            let again = net::bind_udp(first.local_addr().unwrap())
                .await
                .unwrap_err();
            assert_eq!(again.kind(), std::io::ErrorKind::AddrInUse);
        })
        .outcome
        .unwrap();
}

/// Sends `count` numbered datagrams from a to b, then collects what arrives
/// within a second; returns the numbers in arrival order and the net's stats.
fn numbered(seed: u64, network: NetworkConfig, count: u32) -> (Vec<u32>, net::NetStats) {
    Sim::new(seed)
        .network(network)
        .run(async move {
            let (_, a) = socket_on("a", A).await;
            let (_, b) = socket_on("b", B).await;
            let target = b.local_addr().unwrap();
            for i in 0..count {
                a.send_to(&i.to_le_bytes(), target).await.unwrap();
            }
            let mut got = Vec::new();
            let mut buf = [0u8; 4];
            while let Ok(Ok((4, _))) =
                sim::timeout(Duration::from_secs(1), b.recv_from(&mut buf)).await
            {
                got.push(u32::from_le_bytes(buf));
            }
            (got, net::stats())
        })
        .outcome
        .unwrap()
}

#[test]
fn loss_duplication_and_reordering_follow_the_network() {
    let clean = numbered(3, NetworkConfig::fault_free(), 500);
    assert_eq!(clean.0.len(), 500, "no fault, no loss");
    let mut sorted = clean.0.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..500).collect::<Vec<_>>());
    assert_ne!(clean.0, sorted, "independent latencies reorder datagrams");

    let lossy = NetworkConfig {
        datagram_loss_probability: 0.2,
        datagram_duplicate_probability: 0.1,
        ..NetworkConfig::fault_free()
    };
    let (got, stats) = numbered(3, lossy.clone(), 500);
    assert!(
        stats.datagrams_lost > 50 && stats.datagrams_lost < 150,
        "{stats:?}"
    );
    assert!(stats.datagrams_duplicated > 20, "{stats:?}");
    // Every datagram sent either arrived (once, or twice when duplicated) or was lost.
    assert_eq!(
        got.len() as u64,
        500 - stats.datagrams_lost + stats.datagrams_duplicated
    );
    let mut distinct = got.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        got.len() - distinct.len(),
        stats.datagrams_duplicated as usize
    );
    // The same seed, the same fate for each datagram.
    assert_eq!(numbered(3, lossy, 500).0, got);
}

#[test]
fn a_partition_drops_datagrams_and_a_dead_host_unbinds() {
    Sim::new(4)
        .network(fixed())
        .run(async {
            let (ha, a) = socket_on("a", A).await;
            let (hb, b) = socket_on("b", B).await;
            let target = b.local_addr().unwrap();
            net::partition(ha, hb);
            a.send_to(b"lost", target).await.unwrap();
            let mut buf = [0u8; 8];
            assert!(
                sim::timeout(Duration::from_secs(1), b.recv_from(&mut buf))
                    .await
                    .is_err()
            );
            assert_eq!(net::stats().datagrams_lost, 1);
            net::heal(ha, hb);
            a.send_to(b"found", target).await.unwrap();
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"found");
            // Killing b closes its socket: a pending receive ends, later datagrams are dropped.
            sim::kill(hb);
            let error = b.recv_from(&mut buf).await.unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::NotConnected);
        })
        .outcome
        .unwrap();
}

#[test]
fn a_datagram_s_bytes_are_in_the_trace() {
    let run = |payload: &'static [u8]| {
        Sim::new(5)
            .network(fixed())
            .run(async move {
                let (_, a) = socket_on("a", A).await;
                let (_, b) = socket_on("b", B).await;
                a.send_to(payload, b.local_addr().unwrap()).await.unwrap();
                let mut buf = [0u8; 8];
                b.recv_from(&mut buf).await.unwrap();
            })
            .trace_hash
    };
    assert_eq!(run(b"same"), run(b"same"));
    assert_ne!(run(b"same"), run(b"diff"));
}

/// A ping over any provider's UDP: what the simulation and tokio both run.
async fn ping<P: Providers>(providers: P, from: SocketAddr, to: SocketAddr) -> Vec<u8> {
    let network = providers.network();
    let a = network.bind_udp(from).await.unwrap();
    let b = network.bind_udp(to).await.unwrap();
    a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
    let mut buf = [0u8; 16];
    let (n, sender) = b.recv_from(&mut buf).await.unwrap();
    assert_eq!(sender, a.local_addr().unwrap());
    buf[..n].to_vec()
}

#[test]
fn the_same_code_runs_on_both_providers() {
    let simulated = Sim::new(6)
        .run(async {
            let any = SocketAddr::new(IpAddr::from([10, 0, 0, 1]), 0);
            ping(SimProviders, any, any).await
        })
        .outcome
        .unwrap();
    assert_eq!(simulated, b"ping");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = SocketAddr::from(([127, 0, 0, 1], 0));
    let real = runtime.block_on(ping(TokioProviders::new(), local, local));
    assert_eq!(real, b"ping");
}

#[test]
fn datagram_settings_out_of_bounds_are_refused() {
    use tidepool::sim::NetworkConfigError;
    let zero = NetworkConfig {
        max_datagram_bytes: 0,
        ..NetworkConfig::default()
    };
    assert_eq!(zero.validate(), Err(NetworkConfigError::ZeroMaxDatagram));
    let loss = NetworkConfig {
        datagram_loss_probability: 1.5,
        ..NetworkConfig::default()
    };
    assert!(
        matches!(
            loss.validate(),
            Err(NetworkConfigError::Probability {
                setting: "datagram_loss_probability",
                ..
            })
        ),
        "{:?}",
        loss.validate()
    );
}
