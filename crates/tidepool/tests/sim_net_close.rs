//! How the end of a connection reaches the peer: a graceful shutdown or a drop
//! gives EOF (a read of 0 bytes) after the data sent before it, and a half-closed
//! connection still carries the other direction; a killed host gives its peers
//! `ConnectionReset` on their next read or write, one network delay after the
//! kill (the latency is fixed, so the delay is exact); writing to a peer that
//! dropped its stream draws a reset rather than succeeding forever.
//!
//! The client is the main task, on the root host; the server runs on its own host.

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use tidepool::sim::{self, HostId, Latency, NetworkConfig, Sim, TcpStream, net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LATENCY: Duration = Duration::from_millis(3);
const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);

fn fixed_latency() -> Sim {
    Sim::new(5).network(NetworkConfig {
        latency: Latency::Fixed(LATENCY),
        ..NetworkConfig::fault_free()
    })
}

/// Adds the server host, which accepts one connection and runs `serve` on it;
/// returns the host and the main task's connected stream.
async fn connect_to<F, Fut>(serve: F) -> (HostId, TcpStream)
where
    F: FnOnce(TcpStream) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let server = sim::add_host("server", SERVER.ip());
    let listener = sim::spawn_on(server, "bind", net::bind(SERVER));
    let listener = listener.await.unwrap().expect("the port is free");
    drop(sim::spawn_on(server, "serve", async move {
        let (stream, _) = listener.accept().await.unwrap();
        serve(stream).await;
    }));
    let stream = net::connect(SERVER).await.expect("the server listens");
    (server, stream)
}

/// Reads until EOF; returns what was read.
async fn read_to_eof(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut all = Vec::new();
    stream.read_to_end(&mut all).await?;
    Ok(all)
}

#[test]
fn shutdown_gives_eof_after_the_data_and_leaves_the_other_way_open() {
    let run = fixed_latency().run(async {
        let (_server, mut stream) = connect_to(|mut stream| async move {
            stream.write_all(b"bye").await.unwrap();
            stream.shutdown().await.unwrap();
            // Half-closed: what the client sends still arrives, up to its own EOF.
            let heard = read_to_eof(&mut stream).await.unwrap();
            assert_eq!(heard, b"still here");
        })
        .await;
        let heard = read_to_eof(&mut stream)
            .await
            .expect("a clean EOF, not an error");
        assert_eq!(heard, b"bye");
        // A read after EOF keeps returning 0.
        let mut buf = [0u8; 8];
        assert_eq!(stream.read(&mut buf).await.unwrap(), 0);
        stream
            .write_all(b"still here")
            .await
            .expect("our direction is open");
        stream.shutdown().await.unwrap();
        sim::sleep(Duration::from_secs(1)).await;
    });
    run.outcome.unwrap();
    assert!(run.panics.is_empty(), "{:?}", run.panics);
}

#[test]
fn dropping_a_stream_gives_eof() {
    let run = fixed_latency().run(async {
        let (_server, mut stream) = connect_to(|mut stream| async move {
            stream.write_all(b"last words").await.unwrap();
            drop(stream);
        })
        .await;
        read_to_eof(&mut stream).await
    });
    assert_eq!(
        run.outcome.unwrap().expect("EOF, not a reset"),
        b"last words"
    );
}

#[test]
fn killing_the_host_resets_the_peer_after_a_network_delay() {
    let run = fixed_latency().run(async {
        let (server, mut stream) = connect_to(|stream| async move {
            // Holds the stream open until the host dies.
            let _held = stream;
            std::future::pending::<()>().await;
        })
        .await;
        sim::sleep(Duration::from_millis(10)).await;
        let killed_at = sim::now();
        sim::kill(server);
        let mut buf = [0u8; 8];
        let error = stream.read(&mut buf).await.expect_err("a reset, not EOF");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(
            sim::now() - killed_at,
            LATENCY,
            "the reset travels one delay"
        );
        let error = stream
            .write_all(b"anyone?")
            .await
            .expect_err("writes fail too");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    });
    run.outcome.unwrap();
}

#[test]
fn a_write_after_the_kill_fails_once_the_reset_arrives() {
    // Writes before the reset arrives succeed (the bytes are lost with the host);
    // the first write after it fails, as a real socket's would.
    let run = fixed_latency().run(async {
        let (server, mut stream) = connect_to(|stream| async move {
            let _held = stream;
            std::future::pending::<()>().await;
        })
        .await;
        sim::kill(server);
        stream
            .write_all(b"into the void")
            .await
            .expect("the reset is still on its way");
        sim::sleep(LATENCY).await;
        let error = stream
            .write_all(b"again")
            .await
            .expect_err("the reset has arrived");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    });
    run.outcome.unwrap();
}

#[test]
fn writing_to_a_dropped_peer_draws_a_reset() {
    let run = fixed_latency().run(async {
        let (_server, mut stream) = connect_to(|stream| async move { drop(stream) }).await;
        assert_eq!(read_to_eof(&mut stream).await.unwrap(), b"");
        // The first write is accepted; its data reaches a closed socket, which
        // answers with a reset; a later write sees it.
        let mut failed = None;
        for _ in 0..10 {
            if let Err(error) = stream.write_all(b"hello?").await {
                failed = Some(error);
                break;
            }
            sim::sleep(LATENCY).await;
        }
        let error = failed.expect("a write fails within ten round trips");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    });
    run.outcome.unwrap();
}

#[test]
fn dropping_a_stream_with_unread_data_wakes_a_blocked_writer() {
    // Regression: the peer's writer, blocked on a full send buffer, must learn
    // that its reader is gone (by a reset) instead of waiting forever.
    let run = Sim::new(1)
        .network(NetworkConfig {
            latency: Latency::Fixed(LATENCY),
            send_buffer_bytes: 1024,
            ..NetworkConfig::fault_free()
        })
        .run(async {
            let reset_seen = Rc::new(Cell::new(false));
            let seen = reset_seen.clone();
            let (_server, stream) = connect_to(|mut stream| async move {
                let outcome = stream.write_all(&[7u8; 10_000]).await;
                let error = outcome.expect_err("the reader went away");
                assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
                seen.set(true);
            })
            .await;
            sim::sleep(Duration::from_millis(100)).await;
            drop(stream);
            sim::sleep(Duration::from_millis(100)).await;
            reset_seen.get()
        });
    assert!(
        run.outcome.unwrap(),
        "the blocked writer never learnt of the close"
    );
    assert!(run.panics.is_empty(), "{:?}", run.panics);
}
