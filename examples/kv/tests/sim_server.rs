//! The same server in a bare simulation: a server host and a client host.
//! Round trips survive partial reads and writes; a reboot (kill, revive, a
//! fresh `KvServer`) loses every key and changes the incarnation; a graceful
//! shutdown answers the requests already read, then closes cleanly. And one
//! planted bug up close: what a draining server answers under
//! `drain_acks_dropped_writes`.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use kv::protocol::{ClientCodec, Reply, Request, Response};
use kv::{Bugs, ClientError, KvClient, KvConfig};
use tidepool::providers::{Providers, SimProviders};
use tidepool::sim::{self, HostId, NetworkConfig, Sim};
use tidepool::{BoxError, Shutdown};
use tokio_util::codec::Framed;

mod common;

use common::{SEEDS, boot_with, hosts, server_address};

/// Boots a fresh server with the default configuration on `host`.
fn boot(host: HostId, shutdown: &Shutdown) -> sim::JoinHandle<Result<(), BoxError>> {
    boot_with(host, shutdown, KvConfig::default())
}

/// Sends `request` until a reply comes, reconnecting as the client does; the
/// server may not be listening yet. Bounded.
async fn until_reply(client: &mut KvClient<SimProviders>, request: Request) -> Reply {
    let mut last_error: Option<ClientError> = None;
    for _ in 0..20 {
        match client.request(request.clone()).await {
            Ok(reply) => return reply,
            Err(error) => last_error = Some(error),
        }
        SimProviders.sleep(Duration::from_millis(100)).await;
    }
    panic!("no reply after 20 attempts: {:?}", last_error);
}

fn get(key: &str) -> Request {
    Request::Get {
        key: Bytes::copy_from_slice(key.as_bytes()),
    }
}

fn value(text: String) -> Response {
    Response::Value(Bytes::from(text))
}

#[test]
fn round_trips_survive_partial_reads_and_writes() {
    // Default faults, minus those that fail a connection, which this test
    // does not retry around.
    let network = NetworkConfig {
        connect_failure_probability: 0.0,
        reset_probability: 0.0,
        ..NetworkConfig::default()
    };
    for seed in 0..SEEDS {
        let run = Sim::new(seed).network(network.clone()).run(async {
            let (server, client) = hosts();
            let shutdown = Shutdown::new();
            let serving = boot(server, &shutdown);
            let talking = sim::spawn_on(client, "client", async {
                let mut client = KvClient::new(SimProviders, server_address());
                until_reply(&mut client, get("warm-up")).await;
                for round in 0..20u32 {
                    let key = format!("key-{}", round % 5);
                    let text = "v".repeat(round as usize * 300) + &round.to_string();
                    let set = client.set(key.clone(), text.clone()).await.unwrap();
                    assert_eq!(set.response, Response::Ok);
                    let got = client.get(key.clone()).await.unwrap();
                    assert_eq!((got.incarnation, got.response), (1, value(text)));
                    if round % 3 == 0 {
                        assert_eq!(
                            client.delete(key.clone()).await.unwrap().response,
                            Response::Ok
                        );
                        let gone = client.get(key).await.unwrap();
                        assert_eq!(gone.response, Response::NotFound);
                    }
                }
            });
            talking.await.expect("the client does not panic");
            shutdown.request();
            serving.await.expect("the server does not panic")
        });
        run.outcome
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"))
            .unwrap_or_else(|error| panic!("seed {seed}: the server failed: {error}"));
    }
}

#[test]
fn a_reboot_loses_every_key_and_changes_the_incarnation() {
    for seed in 0..SEEDS {
        let run = Sim::new(seed).run(async {
            let (server, client) = hosts();
            let shutdown = Shutdown::new();
            let _first_life = boot(server, &shutdown);
            let talking = sim::spawn_on(client, "client", async move {
                let mut client = KvClient::new(SimProviders, server_address());
                until_reply(&mut client, get("warm-up")).await;
                let set = client.set("kept?", "no").await.unwrap();
                assert_eq!((set.incarnation, set.response), (1, Response::Ok));

                sim::kill(server);
                assert_eq!(sim::revive(server), 2);
                let _second_life = boot(server, &shutdown);

                // The old connection is gone: the next request fails or is
                // answered by the new incarnation, which knows nothing.
                let reply = until_reply(&mut client, get("kept?")).await;
                assert_eq!((reply.incarnation, reply.response), (2, Response::NotFound));
                let set = client.set("kept?", "this time").await.unwrap();
                assert_eq!((set.incarnation, set.response), (2, Response::Ok));
            });
            talking.await.expect("the client does not panic");
        });
        run.outcome
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
    }
}

#[test]
fn graceful_shutdown_answers_the_requests_already_read() {
    // Ten GETs of a large value go out in one write and arrive as one segment,
    // so the server reads them all at once. The client reads no reply yet: the
    // small send buffer fills with the first replies and the server blocks
    // with the other requests read but unanswered. Then shutdown is requested
    // and the client reads: every request is answered, the connection ends
    // cleanly, and nothing listens any more.
    const PIPELINED: usize = 10;
    const BIG_BYTES: usize = 1500;
    let network = NetworkConfig {
        send_buffer_bytes: 4096,
        ..NetworkConfig::fault_free()
    };
    for seed in 0..SEEDS {
        let run = Sim::new(seed).network(network.clone()).run(async {
            let (server, client) = hosts();
            let shutdown = Shutdown::new();
            let serving = boot(server, &shutdown);
            let stop = shutdown.clone();
            let talking = sim::spawn_on(client, "client", async move {
                let mut setup = KvClient::new(SimProviders, server_address());
                let big = Request::Set {
                    key: Bytes::from("big"),
                    value: Bytes::from(vec![b'b'; BIG_BYTES]),
                };
                assert_eq!(until_reply(&mut setup, big).await.response, Response::Ok);
                let stream = SimProviders.connect(server_address()).await.unwrap();
                let mut framed = Framed::new(stream, ClientCodec);
                for _ in 0..PIPELINED {
                    framed.feed(get("big")).await.unwrap();
                }
                framed.flush().await.unwrap();
                SimProviders.sleep(Duration::from_secs(1)).await;
                stop.request();
                let mut replies = Vec::new();
                while let Some(reply) = framed.next().await {
                    replies.push(reply.expect("a clean close, not a reset"));
                }
                let refused = SimProviders.connect(server_address()).await;
                (replies, refused.is_err())
            });
            let (replies, refused) = talking.await.expect("the client does not panic");
            let served = serving.await.expect("the server does not panic");
            (replies, refused, served.map_err(|error| error.to_string()))
        });
        let (replies, refused, served) = run
            .outcome
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
        assert_eq!(replies.len(), PIPELINED, "seed {seed}: replies lost");
        let big = Response::Value(Bytes::from(vec![b'b'; BIG_BYTES]));
        assert!(
            replies.iter().all(|reply| reply.response == big),
            "seed {seed}"
        );
        assert!(refused, "seed {seed}: the stopped server still accepts");
        assert_eq!(served, Ok(()), "seed {seed}");
    }
}

#[test]
fn the_planted_drain_bug_answers_deletes_from_the_store_but_drops_every_write() {
    // Regression test: the draining server answered Ok to every DELETE, even
    // of a key it did not hold, so the simulation caught the bug by that
    // wrong answer instead of by the writes it drops. A client sets two keys,
    // the server is asked to shut down, and on the same connection the client
    // deletes, sets and reads: each DELETE answers what the store holds, and
    // no write changes it.
    let config = KvConfig {
        bugs: Bugs::only("drain_acks_dropped_writes").unwrap(),
        ..KvConfig::default()
    };
    for seed in 0..SEEDS {
        let config = config.clone();
        let run = Sim::new(seed)
            .network(NetworkConfig::fault_free())
            .run(async move {
                let (server, client) = hosts();
                let shutdown = Shutdown::new();
                let _serving = boot_with(server, &shutdown, config);
                let stop = shutdown.clone();
                let talking = sim::spawn_on(client, "client", async move {
                    let mut client = KvClient::new(SimProviders, server_address());
                    until_reply(&mut client, get("warm-up")).await;
                    client.set("kept", "old").await.unwrap();
                    client.set("doomed", "old").await.unwrap();
                    stop.request();
                    SimProviders.sleep(Duration::from_millis(100)).await;
                    let mut responses = Vec::new();
                    for request in [
                        Request::Delete {
                            key: Bytes::from("absent"),
                        },
                        Request::Delete {
                            key: Bytes::from("doomed"),
                        },
                        get("doomed"),
                        Request::Delete {
                            key: Bytes::from("doomed"),
                        },
                        Request::Set {
                            key: Bytes::from("kept"),
                            value: Bytes::from("new"),
                        },
                        get("kept"),
                    ] {
                        responses.push(client.request(request).await.unwrap().response);
                    }
                    responses
                });
                talking.await.expect("the client does not panic")
            });
        let responses = run
            .outcome
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
        let old = Response::Value(Bytes::from("old"));
        let expected = [
            Response::NotFound,
            Response::Ok,
            old.clone(),
            Response::Ok,
            Response::Ok,
            old,
        ];
        assert_eq!(responses, expected, "seed {seed}");
    }
}
