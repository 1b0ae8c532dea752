//! Clogs and configurations: a clogged link stalls both directions for the
//! clog's duration, then the held bytes arrive (at the clog's end) and traffic
//! flows at the normal latency; `unclog` ends a clog early; a connection attempt
//! into a clog waits for it rather than failing, lands as soon as the link is
//! unclogged, and times out when the clog outlasts the connect timeout. `NetworkConfig::random_for_seed`
//! gives configurations that pass `validate()` and differ across seeds, with
//! each fault family both on and off somewhere; `validate()` names a bad field.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tidepool::sim::{self, HostId, Latency, NetworkConfig, Sim, TcpStream, net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);
const LATENCY: Duration = Duration::from_millis(2);
const CLOG: Duration = Duration::from_millis(300);

fn sim() -> Sim {
    Sim::new(31).network(NetworkConfig {
        latency: Latency::Fixed(LATENCY),
        ..NetworkConfig::fault_free()
    })
}

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

/// Reads `expected.len()` bytes, checks them, and returns how long it took.
async fn time_read(stream: &mut TcpStream, expected: &[u8]) -> Duration {
    let start = sim::now();
    let mut buf = vec![0u8; expected.len()];
    stream.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf, expected);
    sim::now() - start
}

#[test]
fn a_clog_stalls_both_ways_then_flows() {
    let run = sim().run(async {
        let (server, mut client, mut accepted) = pair().await;
        net::clog(HostId::ROOT, server, CLOG);
        client.write_all(b"up").await.unwrap();
        accepted.write_all(b"down").await.unwrap();
        assert_eq!(
            time_read(&mut accepted, b"up").await,
            CLOG,
            "held to the clog's end"
        );
        assert_eq!(
            time_read(&mut client, b"down").await,
            Duration::ZERO,
            "arrived with it"
        );
        client.write_all(b"after").await.unwrap();
        assert_eq!(
            time_read(&mut accepted, b"after").await,
            LATENCY,
            "flows again"
        );
    });
    run.outcome.unwrap();
}

#[test]
fn unclog_ends_a_clog_early() {
    let run = sim().run(async {
        let (server, mut client, mut accepted) = pair().await;
        net::clog(HostId::ROOT, server, Duration::from_secs(3600));
        client.write_all(b"held").await.unwrap();
        sim::sleep(Duration::from_millis(50)).await;
        net::unclog(HostId::ROOT, server);
        assert_eq!(time_read(&mut accepted, b"held").await, Duration::ZERO);
    });
    run.outcome.unwrap();
}

#[test]
fn a_connect_into_a_clog_waits_for_it() {
    let run = sim().run(async {
        let server = sim::add_host("server", SERVER.ip());
        let _listener = sim::spawn_on(server, "bind", net::bind(SERVER))
            .await
            .unwrap()
            .unwrap();
        net::clog(HostId::ROOT, server, CLOG);
        let start = sim::now();
        net::connect(SERVER)
            .await
            .expect("a clog delays, it does not refuse");
        assert!(sim::now() - start >= CLOG);
    });
    run.outcome.unwrap();
}

/// Regression: a connect held by a clog waited for the clog's original end
/// even after `unclog`/`heal_all`, so a swizzle's hour-long clog hung it.
#[test]
fn a_connect_held_by_a_clog_lands_when_it_is_unclogged() {
    let run = sim().run(async {
        let server = sim::add_host("server", SERVER.ip());
        let _listener = sim::spawn_on(server, "bind", net::bind(SERVER))
            .await
            .unwrap()
            .unwrap();
        net::clog(HostId::ROOT, server, Duration::from_secs(3));
        let connecting = sim::spawn("connect", net::connect(SERVER));
        sim::sleep(CLOG).await;
        net::heal_all();
        let start = sim::now();
        connecting.await.unwrap().expect("the link is open again");
        assert_eq!(
            sim::now() - start,
            LATENCY,
            "the held attempt lands at the heal; the reply takes one latency"
        );
    });
    run.outcome.unwrap();
}

#[test]
fn a_clog_longer_than_the_connect_timeout_times_the_connect_out() {
    let run = sim().run(async {
        let server = sim::add_host("server", SERVER.ip());
        let _listener = sim::spawn_on(server, "bind", net::bind(SERVER))
            .await
            .unwrap()
            .unwrap();
        net::clog(HostId::ROOT, server, Duration::from_secs(3600));
        let error = net::connect(SERVER).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
        assert!(sim::now().since_origin() < Duration::from_secs(10));
    });
    run.outcome.unwrap();
}

#[test]
fn random_configs_are_valid_and_varied() {
    let configs: Vec<NetworkConfig> = (0..200).map(NetworkConfig::random_for_seed).collect();
    for (seed, config) in configs.iter().enumerate() {
        config
            .validate()
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
    }
    let distinct: BTreeSet<String> = configs.iter().map(|config| format!("{config:?}")).collect();
    assert!(
        distinct.len() > 190,
        "only {} distinct configs",
        distinct.len()
    );
    let rates: [fn(&NetworkConfig) -> f64; 6] = [
        |config| config.partial_read_probability,
        |config| config.partial_write_probability,
        |config| config.reset_probability,
        |config| config.connect_failure_probability,
        |config| config.clog_probability,
        |config| config.partition_probability,
    ];
    for (family, rate) in rates.iter().enumerate() {
        assert!(
            configs.iter().any(|config| rate(config) > 0.0),
            "family {family} never on"
        );
        assert!(
            configs.iter().any(|config| rate(config) == 0.0),
            "family {family} never off"
        );
    }
    assert_eq!(
        NetworkConfig::random_for_seed(7),
        NetworkConfig::random_for_seed(7),
        "a seed gives one config"
    );
    assert!(
        configs.iter().any(|config| !config.has_faults()),
        "some seed has no faults"
    );
}

#[test]
fn validate_names_the_bad_field() {
    let bad = NetworkConfig {
        reset_probability: 1.5,
        ..NetworkConfig::default()
    };
    let error = bad.validate().unwrap_err();
    assert!(error.to_string().contains("reset_probability"), "{error}");
    let bad = NetworkConfig {
        latency: Latency::Uniform {
            min: Duration::from_millis(5),
            max: Duration::from_millis(1),
        },
        ..NetworkConfig::default()
    };
    assert!(bad.validate().is_err());
    assert!(NetworkConfig::default().validate().is_ok());
    assert!(NetworkConfig::default().has_faults());
    assert!(!NetworkConfig::fault_free().has_faults());
}
