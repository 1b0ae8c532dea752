//! The durable server on the real file system and real loopback TCP: what one
//! server acknowledged, a second one started on the same data directory
//! serves, under the same store id; a fresh directory is a new store.

use std::net::SocketAddr;
use std::path::Path;

use bytes::Bytes;
use kv::protocol::{Reply, Response};
use kv::{DurableConfig, KvClient, KvConfig, KvServer};
use tidepool_core::providers::TokioProviders;
use tidepool_core::{Process, ProcessContext, Shutdown};

mod temp_dir;

use temp_dir::TempDir;

/// Serves a durable server on `data_dir` while `requests` run against it in
/// order, then shuts it down; returns their replies.
async fn serve_and_send(data_dir: &Path, requests: Vec<kv::protocol::Request>) -> Vec<Reply> {
    let config = KvConfig {
        durable: Some(DurableConfig::default()),
        ..KvConfig::default()
    };
    let mut server = KvServer::new(config);
    let mut bound = server.bound_address();
    let shutdown = Shutdown::new();
    let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
    let providers = TokioProviders::new().with_data_dir(data_dir);
    let ctx = ProcessContext::new(providers, "kv", any_port, shutdown.clone());
    let (served, replies) = tokio::join!(server.run(ctx), async {
        let address = bound.wait().await.expect("the server binds");
        let mut client = KvClient::new(TokioProviders::new(), address);
        let mut replies = Vec::new();
        for request in requests {
            replies.push(client.request(request).await.expect("a reply"));
        }
        shutdown.request();
        replies
    });
    served.expect("the server stops without an error");
    replies
}

fn set(key: &'static str, value: &'static str) -> kv::protocol::Request {
    kv::protocol::Request::Set {
        key: Bytes::from(key),
        value: Bytes::from(value),
    }
}

fn get(key: &'static str) -> kv::protocol::Request {
    kv::protocol::Request::Get {
        key: Bytes::from(key),
    }
}

fn delete(key: &'static str) -> kv::protocol::Request {
    kv::protocol::Request::Delete {
        key: Bytes::from(key),
    }
}

fn responses(replies: &[Reply]) -> Vec<Response> {
    replies.iter().map(|reply| reply.response.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_serves_what_the_last_one_acknowledged() {
    let dir = TempDir::new("restart");
    let first = serve_and_send(
        dir.path(),
        vec![
            set("color", "blue"),
            set("shape", "round"),
            delete("shape"),
            set("color", "green"),
        ],
    )
    .await;
    assert_eq!(responses(&first), vec![Response::Ok; 4]);
    let store_id = first[0].store_id;
    assert!(first.iter().all(|reply| reply.store_id == store_id));

    let second = serve_and_send(
        dir.path(),
        vec![get("color"), get("shape"), set("size", "L")],
    )
    .await;
    let expected = vec![
        Response::Value(Bytes::from("green")),
        Response::NotFound,
        Response::Ok,
    ];
    assert_eq!(responses(&second), expected);
    assert!(
        second.iter().all(|reply| reply.store_id == store_id),
        "the same store"
    );

    let third = serve_and_send(dir.path(), vec![get("size")]).await;
    assert_eq!(responses(&third), vec![Response::Value(Bytes::from("L"))]);

    let names = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap());
    let mut names: Vec<String> = names.collect();
    names.sort();
    assert_eq!(names, ["snapshot", "store_id", "wal"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_data_directory_is_another_store() {
    let (one, two) = (TempDir::new("one"), TempDir::new("two"));
    let first = serve_and_send(one.path(), vec![set("where", "one")]).await;
    let second = serve_and_send(two.path(), vec![get("where")]).await;
    assert_eq!(second[0].response, Response::NotFound);
    assert_ne!(first[0].store_id, second[0].store_id);
}
