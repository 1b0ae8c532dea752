//! `HttpServer` on tokio, over real sockets: a connection past
//! `connections_max` is closed as soon as it is accepted, and served again
//! once a slot is free; `connections_max(0)` is refused.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tidepool_core::Shutdown;
use tidepool_core::providers::{Providers, TokioProviders};
use tidepool_hyper::{Http1Client, HttpServer};
use tokio::io::AsyncReadExt;

/// Tries of a request while the server frees a slot.
const TRIES_MAX: u32 = 100;

#[tokio::test]
async fn a_connection_past_the_limit_is_closed_and_a_freed_slot_serves_again() {
    let providers = TokioProviders::new();
    let listener = providers
        .bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let address = listener.local_addr().unwrap();
    let shutdown = Shutdown::new();
    let router = Router::new().route("/", get(|| async { "ok" }));
    let server = HttpServer::new(providers.clone()).connections_max(1);
    let serving = providers.spawn("server", {
        let shutdown = shutdown.clone();
        async move { server.serve(listener, router, &shutdown).await }
    });

    // The first connection takes the only slot and says nothing.
    let idle = tokio::net::TcpStream::connect(address).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut refused = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut byte = [0u8; 1];
    // Bounded, so that a server that kept the connection fails the test
    // instead of hanging it.
    let read = tokio::time::timeout(Duration::from_secs(10), refused.read(&mut byte)).await;
    assert!(
        matches!(read, Ok(Ok(0) | Err(_))),
        "the second connection is closed: {read:?}"
    );

    drop(idle);
    let client = Http1Client::new(providers.clone());
    let mut served = false;
    for _ in 0..TRIES_MAX {
        let request = http::Request::get("/").body(String::new()).unwrap();
        if client.send(address, request).await.is_ok() {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(served, "the freed slot serves a new connection");

    shutdown.request();
    serving.await.unwrap().unwrap();
}

#[test]
#[should_panic(expected = "connections_max(0)")]
fn a_server_without_connections_is_refused() {
    let _ = HttpServer::new(TokioProviders::new()).connections_max(0);
}
