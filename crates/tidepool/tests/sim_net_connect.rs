//! Connecting and binding: a connection to a port nobody listens on is refused
//! (after a round trip), one to an address no host has times out, one to a
//! killed host is refused; binding a port already bound fails with `AddrInUse`
//! and a message that names the address; binding another host's IP fails with
//! `AddrNotAvailable`; a port freed by dropping its listener can be bound again.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tidepool::sim::{self, Latency, NetworkConfig, Sim, net};

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);
const LATENCY: Duration = Duration::from_millis(4);

fn sim() -> Sim {
    Sim::new(23).network(NetworkConfig {
        latency: Latency::Fixed(LATENCY),
        ..NetworkConfig::fault_free()
    })
}

#[test]
fn nothing_listening_refuses_after_a_round_trip() {
    let run = sim().run(async {
        sim::add_host("server", SERVER.ip());
        let error = net::connect(SERVER).await.expect_err("nothing listens");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
        assert!(error.to_string().contains("10.0.0.2:80"), "{error}");
        sim::now().since_origin()
    });
    assert_eq!(run.outcome.unwrap(), 2 * LATENCY);
}

#[test]
fn an_address_without_a_host_times_out() {
    let run = sim().run(async {
        let error = net::connect(SERVER).await.expect_err("no such host");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    });
    run.outcome.unwrap();
}

#[test]
fn a_killed_host_refuses() {
    let run = sim().run(async {
        let server = sim::add_host("server", SERVER.ip());
        let listener = sim::spawn_on(server, "bind", net::bind(SERVER))
            .await
            .unwrap();
        drop(sim::spawn_on(server, "hold", async move {
            let _held = listener;
            std::future::pending::<()>().await
        }));
        net::connect(SERVER).await.expect("the server listens");
        sim::kill(server);
        let error = net::connect(SERVER).await.expect_err("the host is down");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
    });
    run.outcome.unwrap();
}

#[test]
fn binding_a_bound_port_says_address_in_use() {
    let run = sim().run(async {
        let first = net::bind(SocketAddr::from(([10, 0, 0, 1], 9000)))
            .await
            .unwrap();
        let error = net::bind(SocketAddr::from(([0, 0, 0, 0], 9000)))
            .await
            .expect_err("port 9000 is taken");
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
        assert_eq!(
            error.to_string(),
            "cannot bind 10.0.0.1:9000: address already in use"
        );
        drop(first);
        net::bind(SocketAddr::from(([10, 0, 0, 1], 9000)))
            .await
            .expect("freed by the drop");
    });
    run.outcome.unwrap();
}

#[test]
fn binding_another_hosts_address_is_not_available() {
    let run = sim().run(async {
        sim::add_host("server", SERVER.ip());
        let error = net::bind(SERVER).await.expect_err("10.0.0.2 is not ours");
        assert_eq!(error.kind(), io::ErrorKind::AddrNotAvailable);
        assert!(error.to_string().contains("10.0.0.2:80"), "{error}");
    });
    run.outcome.unwrap();
}

#[test]
fn port_zero_never_picks_a_bound_port() {
    // Regression: the ephemeral allocator handed out ports that an explicit bind
    // already held, so `bind(:0)` failed with AddrInUse.
    let run = sim().run(async {
        let _explicit = net::bind(SocketAddr::from(([10, 0, 0, 1], 40_000)))
            .await
            .unwrap();
        let picked = net::bind(SocketAddr::from(([10, 0, 0, 1], 0)))
            .await
            .expect("a free port");
        assert_ne!(picked.local_addr().unwrap().port(), 40_000);
    });
    run.outcome.unwrap();
}
