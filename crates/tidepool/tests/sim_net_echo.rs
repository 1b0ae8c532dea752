//! One echo server and client, written once against `Providers`, run both in the
//! simulation (`SimProviders`, two simulated hosts, default faults) and over real
//! loopback TCP on tokio (`TokioProviders`, 127.0.0.1:0). Messages are framed
//! with `LengthDelimitedCodec`; the client checks every reply equals its request,
//! and the server sees the client's close as a clean end of stream.

use std::io;
use std::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tidepool::providers::{Listener, NetworkProvider, Providers, SimProviders, TokioProviders};
use tidepool::sim::{self, NetworkConfig, Sim};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::{Framed, LengthDelimitedCodec};

type ListenerOf<P> = <<P as Providers>::Network as NetworkProvider>::TcpListener;

/// Accepts `connections` connections, echoing each on its own task; returns the
/// frames echoed per connection, in accept order.
async fn echo_server<P: Providers>(
    providers: P,
    listener: ListenerOf<P>,
    connections: usize,
) -> io::Result<Vec<usize>> {
    let mut served = Vec::new();
    for _ in 0..connections {
        let (stream, _peer) = listener.accept().await?;
        served.push(providers.spawn("echo-conn", echo_frames(stream)));
    }
    let mut counts = Vec::new();
    for handle in served {
        counts.push(handle.await.expect("an echo task does not panic")?);
    }
    Ok(counts)
}

/// Echoes frames until the peer closes; returns how many.
async fn echo_frames<S>(stream: S) -> io::Result<usize>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut framed = Framed::new(stream, LengthDelimitedCodec::new());
    let mut echoed = 0;
    while let Some(frame) = framed.next().await {
        framed.send(frame?.freeze()).await?;
        echoed += 1;
    }
    Ok(echoed)
}

/// The `index`th request: sizes from 0 bytes to a few KiB, contents from the index.
fn request(index: usize) -> Bytes {
    let size = (index * 397) % 5000;
    Bytes::from(
        (0..size)
            .map(|at| (at * 31 + index) as u8)
            .collect::<Vec<u8>>(),
    )
}

/// Sends `count` requests one at a time and checks each reply.
async fn echo_client<P: Providers>(providers: P, addr: SocketAddr, count: usize) -> io::Result<()> {
    let stream = providers.connect(addr).await?;
    let mut framed = Framed::new(stream, LengthDelimitedCodec::new());
    for index in 0..count {
        let sent = request(index);
        framed.send(sent.clone()).await?;
        let reply = framed
            .next()
            .await
            .expect("the server replies before it closes")?;
        assert_eq!(
            reply.freeze(),
            sent,
            "reply {index} differs from its request"
        );
    }
    Ok(())
}

const REQUESTS: usize = 200;

#[test]
fn echo_round_trips_in_the_simulation() {
    // Default faults: partial reads and writes, a rare clog; connect failures
    // are turned off so that the single connection is made.
    let network = NetworkConfig {
        connect_failure_probability: 0.0,
        reset_probability: 0.0,
        ..NetworkConfig::default()
    };
    for seed in 0..8 {
        let run = Sim::new(seed).network(network.clone()).run(async {
            let server = sim::add_host("server", IpAddr::from([10, 0, 0, 2]));
            let client = sim::add_host("client", IpAddr::from([10, 0, 0, 3]));
            let addr = SocketAddr::from(([10, 0, 0, 2], 7000));
            let serving = sim::spawn_on(server, "echo-server", async move {
                let listener = SimProviders.bind(addr).await?;
                echo_server(SimProviders, listener, 1).await
            });
            let talking = sim::spawn_on(
                client,
                "echo-client",
                echo_client(SimProviders, addr, REQUESTS),
            );
            talking.await.expect("the client does not panic")?;
            serving.await.expect("the server does not panic")
        });
        let counts = run.outcome.expect("the run ends").expect("no io error");
        assert_eq!(counts, [REQUESTS], "seed {seed}");
    }
}

#[tokio::test]
async fn echo_round_trips_over_loopback_tcp() {
    let listener = TokioProviders::new()
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("binding an ephemeral loopback port");
    let addr = listener.local_addr().unwrap();
    let serving = TokioProviders::new().spawn(
        "echo-server",
        echo_server(TokioProviders::new(), listener, 1),
    );
    echo_client(TokioProviders::new(), addr, REQUESTS)
        .await
        .expect("no io error");
    let counts = serving
        .await
        .expect("the server does not panic")
        .expect("no io error");
    assert_eq!(counts, [REQUESTS]);
}
