//! The server's bounds in a bare simulation, a server host and a client host
//! on a fault-free network: a connection that completes no request within
//! `idle_timeout` is closed, so peers that stall mid-request cannot lock the
//! server out; and a SET beyond `stored_bytes_max` gets an error reply and
//! stores nothing.

use std::time::Duration;

use bytes::Bytes;
use kv::protocol::{Request, Response, TOO_MANY_CONNECTIONS_PREFIX};
use kv::{KvClient, KvConfig};
use tidepool::Shutdown;
use tidepool::providers::{Providers, SimProviders};
use tidepool::sim::{self, HostId, NetworkConfig, Sim};
use tidepool::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;

use common::{SEEDS, boot_with, hosts, server_address};

/// Short, so that the tests wait for it in little simulated time.
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);
/// Longer than any message takes on a fault-free network.
const SLACK: Duration = Duration::from_millis(500);

/// Boots a server with `config` on `host`; it runs until the simulation ends.
fn boot(host: HostId, config: KvConfig) {
    drop(boot_with(host, &Shutdown::new(), config));
}

/// Connects, sends the first half of a GET's frame, and goes quiet; returns
/// when the server closes the connection, with the time the half was sent
/// and the time the close arrived.
async fn stall_mid_request() -> (Instant, Instant) {
    let mut stream = SimProviders.connect(server_address()).await.unwrap();
    // A GET of a 10-byte key is 13 body bytes; the length and 3 of them go out.
    let half = [0, 0, 0, 13, 0x01, 0, 10];
    stream.write_all(&half).await.unwrap();
    let sent_at = SimProviders.now();
    let mut buffer = [0u8; 64];
    let read = stream.read(&mut buffer).await;
    assert!(
        matches!(read, Ok(0)),
        "the server closes without a reply: {read:?}"
    );
    (sent_at, SimProviders.now())
}

#[test]
fn a_client_that_stalls_mid_request_is_closed_after_the_idle_timeout() {
    let config = KvConfig {
        idle_timeout: IDLE_TIMEOUT,
        ..KvConfig::default()
    };
    for seed in 0..SEEDS {
        let config = config.clone();
        let run = Sim::new(seed)
            .network(NetworkConfig::fault_free())
            .run(async move {
                let (server, client) = hosts();
                boot(server, config);
                sim::spawn_on(client, "client", async {
                    SimProviders.sleep(Duration::from_millis(100)).await;
                    stall_mid_request().await
                })
                .await
                .expect("the client does not panic")
            });
        let (sent_at, closed_at) = run
            .outcome
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
        let stalled = closed_at.saturating_duration_since(sent_at);
        assert!(stalled >= IDLE_TIMEOUT - SLACK, "seed {seed}: {stalled:?}");
        assert!(stalled <= IDLE_TIMEOUT + SLACK, "seed {seed}: {stalled:?}");
    }
}

#[test]
fn a_client_that_completes_requests_within_the_idle_timeout_keeps_its_connection() {
    let config = KvConfig {
        idle_timeout: IDLE_TIMEOUT,
        ..KvConfig::default()
    };
    for seed in 0..SEEDS {
        let config = config.clone();
        let run = Sim::new(seed)
            .network(NetworkConfig::fault_free())
            .run(async move {
                let (server, client) = hosts();
                boot(server, config);
                sim::spawn_on(client, "client", async {
                    SimProviders.sleep(Duration::from_millis(100)).await;
                    let mut client = KvClient::connect(SimProviders, server_address())
                        .await
                        .unwrap();
                    // Four times the idle timeout, a request every three quarters of it.
                    for _ in 0..6 {
                        let reply = client.get("key").await.expect("the connection stays");
                        assert_eq!(reply.response, Response::NotFound);
                        SimProviders.sleep(IDLE_TIMEOUT * 3 / 4).await;
                    }
                })
                .await
                .expect("the client does not panic")
            });
        run.outcome
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
    }
}

#[test]
fn stalled_clients_holding_every_slot_are_closed_and_a_new_client_is_served() {
    // Regression test: peers that sent half a frame and went quiet held their
    // connection slots for good, and the server refused everyone else.
    const CONNECTIONS_MAX: usize = 4;
    let config = KvConfig {
        connections_max: CONNECTIONS_MAX,
        idle_timeout: IDLE_TIMEOUT,
        ..KvConfig::default()
    };
    for seed in 0..SEEDS {
        let config = config.clone();
        let run = Sim::new(seed)
            .network(NetworkConfig::fault_free())
            .run(async move {
                let (server, client) = hosts();
                boot(server, config);
                sim::spawn_on(client, "clients", async {
                    SimProviders.sleep(Duration::from_millis(100)).await;
                    let stalled: Vec<_> = (0..CONNECTIONS_MAX)
                        .map(|index| sim::spawn(format!("stalled {index}"), stall_mid_request()))
                        .collect();
                    SimProviders.sleep(Duration::from_millis(100)).await;
                    let started = SimProviders.now();
                    let mut client = KvClient::new(SimProviders, server_address());
                    let refused = client.get("key").await;
                    let served = serve_within_bounded_attempts(&mut client).await;
                    for stalled in stalled {
                        stalled.await.expect("a stalled client does not panic");
                    }
                    let refused = matches!(refused, Ok(reply)
                        if matches!(&reply.response, Response::Error(message)
                            if message.starts_with(TOO_MANY_CONNECTIONS_PREFIX)));
                    (refused, served.saturating_duration_since(started))
                })
                .await
                .expect("the clients do not panic")
            });
        let (refused, served_after) = run
            .outcome
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
        assert!(refused, "seed {seed}: the stalled clients held every slot");
        assert!(
            served_after <= IDLE_TIMEOUT + SLACK,
            "seed {seed}: {served_after:?}"
        );
    }
}

/// Retries a GET until it is answered; returns when. Bounded.
async fn serve_within_bounded_attempts(client: &mut KvClient<SimProviders>) -> Instant {
    for _ in 0..20 {
        if let Ok(reply) = client.get("key").await {
            if reply.response == Response::NotFound {
                return SimProviders.now();
            }
            let refused = matches!(&reply.response, Response::Error(message)
                if message.starts_with(TOO_MANY_CONNECTIONS_PREFIX));
            assert!(refused, "{reply:?}");
        }
        SimProviders.sleep(Duration::from_millis(250)).await;
    }
    panic!("the new client was never served");
}

#[test]
fn a_set_beyond_the_stored_bytes_limit_gets_an_error_reply_and_stores_nothing() {
    const STORED_BYTES_MAX: usize = 100;
    let config = KvConfig {
        stored_bytes_max: STORED_BYTES_MAX,
        ..KvConfig::default()
    };
    for seed in 0..SEEDS {
        let config = config.clone();
        let run = Sim::new(seed)
            .network(NetworkConfig::fault_free())
            .run(async move {
                let (server, client) = hosts();
                boot(server, config);
                sim::spawn_on(client, "client", async {
                    SimProviders.sleep(Duration::from_millis(100)).await;
                    let mut client = KvClient::new(SimProviders, server_address());
                    let kept = client.set("kept", vec![b'k'; 60]).await.unwrap();
                    assert_eq!(kept.response, Response::Ok);
                    let big = Request::Set {
                        key: Bytes::from("big"),
                        value: Bytes::from(vec![b'b'; 40]),
                    };
                    let refused = client.request(big).await.unwrap().response;
                    let big_after = client.get("big").await.unwrap().response;
                    let kept_after = client.get("kept").await.unwrap().response;
                    (refused, big_after, kept_after)
                })
                .await
                .expect("the client does not panic")
            });
        let (refused, big_after, kept_after) = run
            .outcome
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
        let Response::Error(message) = refused else {
            panic!("seed {seed}: a SET beyond the limit answered {refused:?}");
        };
        assert!(
            message.starts_with("store full: "),
            "seed {seed}: {message}"
        );
        assert!(
            message.contains("the limit is 100"),
            "seed {seed}: {message}"
        );
        assert_eq!(big_after, Response::NotFound, "seed {seed}");
        assert_eq!(
            kept_after,
            Response::Value(Bytes::from(vec![b'k'; 60])),
            "seed {seed}"
        );
    }
}
