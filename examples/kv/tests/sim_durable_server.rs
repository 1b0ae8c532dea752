//! The durable server in a bare simulation, on a host whose disk outlives its
//! process: acknowledged writes survive a crash and a power loss under the
//! same store id, a wipe gives a new store; a failed sync makes the store
//! unavailable until a recovery succeeds, and loses no acknowledged write; a
//! read that returns flipped bits is not taken for a torn log; and one planted
//! bug up close, `recovery_drops_last_record`.

use std::time::Duration;

use bytes::Bytes;
use kv::protocol::{Reply, Request, Response, STORE_ID_UNKNOWN};
use kv::{ClientError, DurableBugs, DurableConfig, KvClient, KvConfig};
use tidepool::providers::{Providers, SimProviders};
use tidepool::sim::{self, HostId, Sim, StorageConfig};
use tidepool::{BoxError, Shutdown};

mod common;

use common::{SEEDS, boot_with, hosts, server_address};

/// Records between snapshots: small, so that the tests cross several.
const SNAPSHOT_RECORDS: u64 = 4;

fn durable(bugs: DurableBugs) -> KvConfig {
    KvConfig {
        durable: Some(DurableConfig {
            snapshot_records: SNAPSHOT_RECORDS,
            bugs,
        }),
        ..KvConfig::default()
    }
}

fn boot(host: HostId, shutdown: &Shutdown) -> sim::JoinHandle<Result<(), BoxError>> {
    boot_with(host, shutdown, durable(DurableBugs::default()))
}

/// Sends `request` until a reply that is not `Unavailable` comes, reconnecting
/// as the client does: the server may be booting or recovering. Bounded.
async fn until_reply(client: &mut KvClient<SimProviders>, request: Request) -> Reply {
    let mut last: Option<Result<Reply, ClientError>> = None;
    for _ in 0..20 {
        match client.request(request.clone()).await {
            Ok(reply) if !matches!(reply.response, Response::Unavailable(_)) => return reply,
            result => last = Some(result),
        }
        SimProviders.sleep(Duration::from_millis(100)).await;
    }
    panic!("no reply after 20 attempts: {last:?}");
}

fn get(key: &str) -> Request {
    Request::Get {
        key: Bytes::copy_from_slice(key.as_bytes()),
    }
}

fn set(key: &str, value: &str) -> Request {
    Request::Set {
        key: Bytes::copy_from_slice(key.as_bytes()),
        value: Bytes::copy_from_slice(value.as_bytes()),
    }
}

fn value(text: &str) -> Response {
    Response::Value(Bytes::copy_from_slice(text.as_bytes()))
}

/// Writes `key-0` .. `key-9`, deletes `key-3`, overwrites `key-5`: more
/// records than a snapshot takes. Returns the store id the replies carried.
async fn write_some(client: &mut KvClient<SimProviders>) -> u64 {
    let mut store_id = STORE_ID_UNKNOWN;
    for index in 0..10 {
        let reply = until_reply(client, set(&format!("key-{index}"), &format!("v{index}"))).await;
        assert_eq!(reply.response, Response::Ok);
        store_id = reply.store_id;
    }
    let deleted = until_reply(
        client,
        Request::Delete {
            key: Bytes::from("key-3"),
        },
    )
    .await;
    assert_eq!(deleted.response, Response::Ok);
    let overwritten = until_reply(client, set("key-5", "newer")).await;
    assert_eq!(overwritten.response, Response::Ok);
    assert_ne!(store_id, STORE_ID_UNKNOWN);
    store_id
}

/// Reads back what [`write_some`] wrote; returns the store id.
async fn read_back(client: &mut KvClient<SimProviders>) -> u64 {
    let mut store_id = STORE_ID_UNKNOWN;
    for index in 0..10 {
        let reply = until_reply(client, get(&format!("key-{index}"))).await;
        let expected = match index {
            3 => Response::NotFound,
            5 => value("newer"),
            _ => value(&format!("v{index}")),
        };
        assert_eq!(reply.response, expected, "key-{index}");
        store_id = reply.store_id;
    }
    store_id
}

#[test]
fn acknowledged_writes_survive_crashes_and_power_losses_and_a_wipe_is_a_new_store() {
    for seed in 0..SEEDS {
        let run = Sim::new(seed).run(async {
            let (server, client) = hosts();
            let shutdown = Shutdown::new();
            let _first_life = boot(server, &shutdown);
            let talking = sim::spawn_on(client, "client", async move {
                let mut client = KvClient::new(SimProviders, server_address());
                let store_id = write_some(&mut client).await;

                sim::kill(server);
                sim::revive(server);
                let _after_crash = boot(server, &shutdown);
                assert_eq!(
                    read_back(&mut client).await,
                    store_id,
                    "a crash keeps the store"
                );

                sim::disk::power_loss(server);
                sim::revive(server);
                let _after_power_loss = boot(server, &shutdown);
                assert_eq!(
                    read_back(&mut client).await,
                    store_id,
                    "so does a power loss"
                );

                sim::disk::wipe(server);
                sim::revive(server);
                let _after_wipe = boot(server, &shutdown);
                let reply = until_reply(&mut client, get("key-0")).await;
                assert_eq!(reply.response, Response::NotFound, "a wipe loses every key");
                assert_ne!(reply.store_id, store_id, "and says so");
                assert_eq!(reply.incarnation, 4);
            });
            talking.await.expect("the client does not panic");
        });
        run.outcome
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
    }
}

#[test]
fn a_failed_sync_makes_the_store_unavailable_until_it_recovers() {
    // Every sync fails while faults are on: the write that meets one is not
    // acknowledged, and nothing is served until a recovery succeeds.
    let storage = StorageConfig {
        sync_failure_probability: 1.0,
        ..StorageConfig::fault_free()
    };
    for seed in 0..SEEDS {
        let run = Sim::new(seed).storage(storage.clone()).run(async {
            sim::disk::set_faults_active(false);
            let (server, client) = hosts();
            let shutdown = Shutdown::new();
            let _first_life = boot(server, &shutdown);
            let talking = sim::spawn_on(client, "client", async move {
                let mut client = KvClient::new(SimProviders, server_address());
                let acked = until_reply(&mut client, set("acked", "yes")).await;
                assert_eq!(acked.response, Response::Ok);

                sim::disk::set_faults_active(true);
                let failed = client.request(set("failed", "maybe")).await.unwrap();
                assert!(
                    matches!(failed.response, Response::Unavailable(_)),
                    "{failed:?}"
                );
                assert_eq!(failed.store_id, acked.store_id);
                let read = client.request(get("acked")).await.unwrap();
                assert!(
                    matches!(read.response, Response::Unavailable(_)),
                    "{read:?}"
                );

                sim::disk::set_faults_active(false);
                let read = client.request(get("acked")).await.unwrap();
                assert_eq!(read.response, value("yes"), "recovered");
                let maybe = client.request(get("failed")).await.unwrap().response;
                assert!(
                    [value("maybe"), Response::NotFound].contains(&maybe),
                    "{maybe:?}"
                );

                // What the recovery served is durable: a power loss keeps it.
                sim::disk::power_loss(server);
                sim::revive(server);
                let _second_life = boot(server, &shutdown);
                assert_eq!(
                    until_reply(&mut client, get("acked")).await.response,
                    value("yes")
                );
                assert_eq!(
                    until_reply(&mut client, get("failed")).await.response,
                    maybe
                );
            });
            talking.await.expect("the client does not panic");
        });
        run.outcome
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
    }
}

#[test]
fn a_read_that_returns_flipped_bits_cuts_no_acknowledged_record() {
    // A third of the disk's reads come back with a flipped bit; the disk
    // holds good data. Recovery reads the log until two reads agree, so it
    // does not cut the log at a bit flipped on the way up, and a recovery that
    // read a corrupt snapshot or store id fails and is tried again.
    let storage = StorageConfig {
        corruption_probability: 0.3,
        ..StorageConfig::fault_free()
    };
    for seed in 0..SEEDS {
        let run = Sim::new(seed).storage(storage.clone()).run(async {
            let (server, client) = hosts();
            let shutdown = Shutdown::new();
            let _first_life = boot(server, &shutdown);
            let talking = sim::spawn_on(client, "client", async move {
                let mut client = KvClient::new(SimProviders, server_address());
                let store_id = write_some(&mut client).await;
                for round in 0..3 {
                    // Records left in the log, past the last snapshot.
                    for record in 0..SNAPSHOT_RECORDS - 1 {
                        let key = format!("extra-{round}-{record}");
                        let reply = until_reply(&mut client, set(&key, "logged")).await;
                        assert_eq!(reply.response, Response::Ok);
                    }
                    sim::kill(server);
                    sim::revive(server);
                    let _next_life = boot(server, &shutdown);
                    assert_eq!(read_back(&mut client).await, store_id);
                    for record in 0..SNAPSHOT_RECORDS - 1 {
                        let key = format!("extra-{round}-{record}");
                        let reply = until_reply(&mut client, get(&key)).await;
                        assert_eq!(reply.response, value("logged"), "{key}");
                    }
                }
            });
            talking.await.expect("the client does not panic");
        });
        run.outcome
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
    }
}

#[test]
fn the_planted_recovery_bug_loses_the_last_write_across_a_crash() {
    let run = Sim::new(1).run(async {
        let (server, client) = hosts();
        let shutdown = Shutdown::new();
        let bugs = DurableBugs::only("recovery_drops_last_record").unwrap();
        let _first_life = boot_with(server, &shutdown, durable(bugs));
        let talking = sim::spawn_on(client, "client", async move {
            let mut client = KvClient::new(SimProviders, server_address());
            assert_eq!(
                until_reply(&mut client, set("first", "1")).await.response,
                Response::Ok
            );
            assert_eq!(
                until_reply(&mut client, set("last", "2")).await.response,
                Response::Ok
            );
            sim::kill(server);
            sim::revive(server);
            let _second_life = boot_with(server, &shutdown, durable(bugs));
            assert_eq!(
                until_reply(&mut client, get("first")).await.response,
                value("1")
            );
            let lost = until_reply(&mut client, get("last")).await;
            assert_eq!(lost.response, Response::NotFound, "the planted bug");
        });
        talking.await.expect("the client does not panic");
    });
    run.outcome.unwrap();
}
