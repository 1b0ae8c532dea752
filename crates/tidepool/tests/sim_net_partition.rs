//! Partitions: a two-way partition holds traffic in both directions (a read on
//! either side times out), and healing delivers the held data, intact and in
//! order, at the heal (its latency was spent while held); a one-way partition holds only its own
//! direction while the other flows; a connection attempt across a partition
//! times out. Held, not lost: that is the documented model (TCP retransmits).

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tidepool::sim::{self, HostId, Latency, NetworkConfig, Sim, TcpStream, net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);
const LATENCY: Duration = Duration::from_millis(2);
const WAIT: Duration = Duration::from_secs(2);

fn sim() -> Sim {
    Sim::new(17).network(NetworkConfig {
        latency: Latency::Fixed(LATENCY),
        ..NetworkConfig::fault_free()
    })
}

/// A server host and a connection between it and the main task; returns both
/// ends, the main task's first.
async fn pair() -> (HostId, TcpStream, TcpStream) {
    let server = sim::add_host("server", SERVER.ip());
    let listener = sim::spawn_on(server, "bind", net::bind(SERVER))
        .await
        .unwrap()
        .unwrap();
    let accepting = sim::spawn_on(server, "accept", async move {
        listener.accept().await.unwrap().0
    });
    let client = net::connect(SERVER).await.unwrap();
    (server, client, accepting.await.unwrap())
}

/// Reads exactly `len` bytes, or `None` when nothing completes within `WAIT`.
async fn read_within(stream: &mut TcpStream, len: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let read = sim::timeout(WAIT, stream.read_exact(&mut buf)).await.ok()?;
    read.unwrap();
    Some(buf)
}

#[test]
fn a_partition_holds_both_ways_and_healing_delivers_what_was_held() {
    let run = sim().run(async {
        let (server, mut client, mut accepted) = pair().await;
        net::partition(HostId::ROOT, server);
        client.write_all(b"ping").await.unwrap();
        accepted.write_all(b"pong").await.unwrap();
        assert_eq!(
            read_within(&mut accepted, 4).await,
            None,
            "client to server held"
        );
        assert_eq!(
            read_within(&mut client, 4).await,
            None,
            "server to client held"
        );

        let healed_at = sim::now();
        net::heal(HostId::ROOT, server);
        assert_eq!(read_within(&mut accepted, 4).await.unwrap(), b"ping");
        assert_eq!(read_within(&mut client, 4).await.unwrap(), b"pong");
        // Held data spent its latency while held: it lands at the heal itself.
        assert_eq!(sim::now(), healed_at, "held data arrives at the heal");

        // The connection works as before.
        client.write_all(b"again").await.unwrap();
        assert_eq!(read_within(&mut accepted, 5).await.unwrap(), b"again");
    });
    run.outcome.unwrap();
}

#[test]
fn held_data_keeps_its_order_across_the_heal() {
    let run = sim().run(async {
        let (server, mut client, mut accepted) = pair().await;
        client.write_all(b"before-").await.unwrap();
        net::partition(HostId::ROOT, server);
        for part in [&b"during-1-"[..], b"during-2-"] {
            client.write_all(part).await.unwrap();
            sim::sleep(Duration::from_millis(100)).await;
        }
        net::heal(HostId::ROOT, server);
        client.write_all(b"after").await.unwrap();
        let expected = b"before-during-1-during-2-after";
        read_within(&mut accepted, expected.len()).await.unwrap() == expected
    });
    assert!(run.outcome.unwrap());
}

#[test]
fn a_one_way_partition_holds_only_its_direction() {
    let run = sim().run(async {
        let (server, mut client, mut accepted) = pair().await;
        net::partition_one_way(HostId::ROOT, server);
        client.write_all(b"ping").await.unwrap();
        accepted.write_all(b"pong").await.unwrap();
        assert_eq!(
            read_within(&mut client, 4).await.unwrap(),
            b"pong",
            "server to client flows"
        );
        assert_eq!(
            read_within(&mut accepted, 4).await,
            None,
            "client to server held"
        );
        net::heal(HostId::ROOT, server);
        assert_eq!(read_within(&mut accepted, 4).await.unwrap(), b"ping");
    });
    run.outcome.unwrap();
}

#[test]
fn connecting_across_a_partition_times_out() {
    let run = sim().run(async {
        let server = sim::add_host("server", SERVER.ip());
        let _listener = sim::spawn_on(server, "bind", net::bind(SERVER))
            .await
            .unwrap()
            .unwrap();
        net::partition(HostId::ROOT, server);
        let error = net::connect(SERVER)
            .await
            .expect_err("no answer across a partition");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        net::heal(HostId::ROOT, server);
        net::connect(SERVER)
            .await
            .expect("healed: the listener answers");
    });
    run.outcome.unwrap();
}

#[test]
fn a_reset_waits_for_the_heal_like_data() {
    // Regression: a killed host's reset crossed a partition that held its data.
    let run = sim().run(async {
        let (server, mut client, _accepted) = pair().await;
        net::partition(HostId::ROOT, server);
        sim::kill(server);
        let mut byte = [0u8; 1];
        let during = sim::timeout(WAIT, client.read(&mut byte)).await;
        net::heal(HostId::ROOT, server);
        let after = sim::timeout(WAIT, client.read(&mut byte)).await;
        (
            during.is_err(),
            after.map(|read| read.map_err(|error| error.kind())),
        )
    });
    let (held, after) = run.outcome.unwrap();
    assert!(held, "the reset crossed the partition");
    assert_eq!(after, Ok(Err(io::ErrorKind::ConnectionReset)));
}

#[test]
fn a_random_partition_heals_itself_but_not_an_explicit_one() {
    // Regression: the heal of a random partition fault lifted a partition that
    // a test or injector had asked for between the same hosts.
    let config = NetworkConfig {
        latency: Latency::Fixed(LATENCY),
        partition_probability: 1.0,
        partition_duration: Latency::Fixed(Duration::from_millis(10)),
        ..NetworkConfig::fault_free()
    };
    let run = Sim::new(5).network(config).run(async {
        net::set_faults_active(false);
        let (server, mut client, mut accepted) = pair().await;
        net::set_faults_active(true);
        // The write draws a random partition of 10 ms; then one is asked for.
        client.write_all(b"held").await.unwrap();
        net::set_faults_active(false);
        net::partition(HostId::ROOT, server);
        let during = read_within(&mut accepted, 4).await;
        net::heal(HostId::ROOT, server);
        let after = read_within(&mut accepted, 4).await;
        (during, after)
    });
    let (during, after) = run.outcome.unwrap();
    assert_eq!(
        during, None,
        "the explicit partition was lifted by the fault's heal"
    );
    assert_eq!(after.as_deref(), Some(&b"held"[..]));
}

#[test]
fn a_connect_whose_answer_is_cut_times_out() {
    // Regression: the answer to a connection attempt crossed a one-way
    // partition from the server back to the client.
    let run = sim().run(async {
        let server = sim::add_host("server", SERVER.ip());
        let listener = sim::spawn_on(server, "bind", net::bind(SERVER))
            .await
            .unwrap()
            .unwrap();
        let _accepting = sim::spawn_on(server, "accept", async move {
            listener.accept().await.map(|_| ())
        });
        net::partition_one_way(server, HostId::ROOT);
        net::connect(SERVER)
            .await
            .map(|_| ())
            .map_err(|error| error.kind())
    });
    assert_eq!(run.outcome.unwrap(), Err(io::ErrorKind::TimedOut));
}
