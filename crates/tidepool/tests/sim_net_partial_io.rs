//! Partial reads and writes: with both at probability 0.6 (most reads and
//! writes move fewer bytes than they could), a length-delimited codec still
//! delivers every message whole and in order, in both directions, including
//! messages larger than the send buffer. The run checks that the faults fired.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tidepool::sim::{self, NetworkConfig, Sim, net};
use tokio_util::codec::{Framed, FramedRead, FramedWrite, LengthDelimitedCodec};

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);
const MESSAGES: usize = 300;

fn message(index: usize) -> Bytes {
    // Mostly small, every 50th larger than the 64 KiB send buffer.
    let size = if index % 50 == 49 {
        100_000
    } else {
        (index * 131) % 3000
    };
    Bytes::from((0..size).map(|at| (at ^ index) as u8).collect::<Vec<u8>>())
}

fn codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .max_frame_length(1 << 20)
        .new_codec()
}

#[test]
fn framed_messages_survive_partial_reads_and_writes() {
    let network = NetworkConfig {
        partial_read_probability: 0.6,
        partial_write_probability: 0.6,
        ..NetworkConfig::fault_free()
    };
    for seed in 0..4 {
        let run = Sim::new(seed).network(network.clone()).run(async {
            let server = sim::add_host("server", SERVER.ip());
            let listener = sim::spawn_on(server, "bind", net::bind(SERVER))
                .await
                .unwrap()
                .unwrap();
            let echo = sim::spawn_on(server, "echo", async move {
                let (stream, _) = listener.accept().await.unwrap();
                let mut framed = Framed::new(stream, codec());
                let mut index = 0;
                while let Some(frame) = framed.next().await {
                    let frame = frame.unwrap().freeze();
                    assert_eq!(frame, message(index), "server: message {index} damaged");
                    framed.send(frame).await.unwrap();
                    index += 1;
                }
                index
            });
            let stream = net::connect(SERVER).await.unwrap();
            let (reader, writer) = tokio::io::split(stream);
            let (mut source, mut sink) = (
                FramedRead::new(reader, codec()),
                FramedWrite::new(writer, codec()),
            );
            // Send everything from one task while reading replies in another, so
            // both directions carry many frames at once.
            let sender = sim::spawn("sender", async move {
                for index in 0..MESSAGES {
                    sink.send(message(index)).await.unwrap();
                }
                SinkExt::<Bytes>::close(&mut sink).await.unwrap();
            });
            for index in 0..MESSAGES {
                let reply = source.next().await.expect("a reply per message").unwrap();
                assert_eq!(
                    reply.freeze(),
                    message(index),
                    "client: reply {index} damaged"
                );
            }
            assert!(source.next().await.is_none(), "EOF after the last reply");
            sender.await.unwrap();
            assert_eq!(echo.await.unwrap(), MESSAGES);
            net::stats()
        });
        let stats = run
            .outcome
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
        assert!(
            stats.partial_reads > 100,
            "partial reads: {}",
            stats.partial_reads
        );
        assert!(
            stats.partial_writes > 100,
            "partial writes: {}",
            stats.partial_writes
        );
    }
}
