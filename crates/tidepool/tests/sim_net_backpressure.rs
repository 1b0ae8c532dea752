//! Backpressure: a writer whose reader does not read stalls once
//! `send_buffer_bytes` are outstanding (counted exactly: no partial-write
//! faults), stays stalled however long the reader waits, and resumes when the
//! reader reads, until every byte has crossed intact.

use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use tidepool::sim::{self, NetworkConfig, Sim, net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);
const BUFFER_BYTES: usize = 1024;
const CHUNK_BYTES: usize = 100;
const TOTAL_BYTES: usize = 20 * BUFFER_BYTES;

#[test]
fn a_writer_stalls_at_the_buffer_size_and_resumes_when_read() {
    let network = NetworkConfig {
        send_buffer_bytes: BUFFER_BYTES,
        ..NetworkConfig::fault_free()
    };
    let run = Sim::new(3).network(network).run(async {
        let server = sim::add_host("server", SERVER.ip());
        let listener = sim::spawn_on(server, "bind", net::bind(SERVER))
            .await
            .unwrap()
            .unwrap();
        let written = Rc::new(Cell::new(0usize));
        let counter = written.clone();
        let writer = sim::spawn_on(server, "writer", async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let data: Vec<u8> = (0..TOTAL_BYTES).map(|at| (at % 251) as u8).collect();
            let mut sent = 0;
            while sent < TOTAL_BYTES {
                let end = (sent + CHUNK_BYTES).min(TOTAL_BYTES);
                sent += stream.write(&data[sent..end]).await.unwrap();
                counter.set(sent);
            }
        });
        let mut stream = net::connect(SERVER).await.unwrap();

        // Not reading: the writer fills the buffer to the byte, then waits.
        sim::sleep(Duration::from_secs(1)).await;
        assert_eq!(
            written.get(),
            BUFFER_BYTES,
            "bytes accepted before the stall"
        );
        sim::sleep(Duration::from_secs(60)).await;
        assert_eq!(written.get(), BUFFER_BYTES, "still stalled a minute later");
        assert!(!writer.is_finished());

        // Reading one chunk frees room: the writer goes on by about that much.
        let mut chunk = [0u8; CHUNK_BYTES];
        stream.read_exact(&mut chunk).await.unwrap();
        sim::sleep(Duration::from_secs(1)).await;
        assert_eq!(written.get(), BUFFER_BYTES + CHUNK_BYTES);

        // Reading everything lets it finish; the bytes are the ones written.
        let mut received = chunk.to_vec();
        stream.read_to_end(&mut received).await.unwrap();
        writer.await.unwrap();
        assert_eq!(written.get(), TOTAL_BYTES);
        received
    });
    let received = run.outcome.unwrap();
    assert_eq!(received.len(), TOTAL_BYTES);
    assert!(
        received
            .iter()
            .enumerate()
            .all(|(at, &byte)| byte == (at % 251) as u8)
    );
}
