//! `cargo xtask bench net`: the simulated network's rates, one world on one
//! core, fault-free, the trace hash on.
//!
//! - rtt: a client sends a small request and waits for the server's small reply,
//!   `--messages` times over one connection;
//! - bulk: one side writes `--bulk-mib` MiB in 64 KiB writes, the other reads.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::Parser;
use tidepool::sim::{self, NetworkConfig, Sim, TcpStream, net};
use tidepool_bench::{rate, timed};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);
const MESSAGE_BYTES: usize = 16;
const CHUNK_BYTES: usize = 64 * 1024;

#[derive(Parser)]
#[command(about = "Simulated network round trips and bulk throughput")]
struct Args {
    /// Request/response round trips over one connection.
    #[arg(long, default_value_t = 1_000_000)]
    messages: u64,
    /// MiB sent one way in the bulk phase.
    #[arg(long, default_value_t = 4096)]
    bulk_mib: u64,
}

fn main() {
    let args = Args::parse();
    let rtt_per_s = bench_rtt(args.messages);
    let bytes_per_s = bench_bulk(args.bulk_mib << 20);
    println!("bench net rtt_per_s={rtt_per_s} bytes_per_s={bytes_per_s}");
}

/// A server host with a listener, and the main task's connection to it, whose
/// server end runs `serve`.
async fn connect<Fut>(serve: impl FnOnce(TcpStream) -> Fut + 'static) -> TcpStream
where
    Fut: Future<Output = ()> + 'static,
{
    let server = sim::add_host("server", SERVER.ip());
    let listener = sim::spawn_on(server, "bind", net::bind(SERVER));
    let listener = listener.await.unwrap().expect("the port is free");
    drop(sim::spawn_on(server, "serve", async move {
        let (stream, _) = listener.accept().await.expect("one connection");
        serve(stream).await;
    }));
    net::connect(SERVER).await.expect("the server listens")
}

fn bench_rtt(messages: u64) -> u64 {
    let (run, elapsed) = timed(|| {
        Sim::new(1)
            .network(NetworkConfig::fault_free())
            .run(async move {
                let mut stream = connect(|mut stream| async move {
                    let mut request = [0u8; MESSAGE_BYTES];
                    while stream.read_exact(&mut request).await.is_ok() {
                        stream.write_all(&request).await.expect("the client reads");
                    }
                })
                .await;
                let mut reply = [0u8; MESSAGE_BYTES];
                for index in 0..messages {
                    let request = [index as u8; MESSAGE_BYTES];
                    stream.write_all(&request).await.expect("the server reads");
                    stream
                        .read_exact(&mut reply)
                        .await
                        .expect("the server replies");
                    assert_eq!(reply, request);
                }
            })
    });
    run.outcome.expect("the rtt phase ends");
    eprintln!(
        "rtt:  {messages} round trips in {elapsed:?}, {} polls, {} simulated, trace hash {:#x}",
        run.polls, run.end_time, run.trace_hash
    );
    rate(messages, elapsed)
}

fn bench_bulk(bytes: u64) -> u64 {
    let (run, elapsed) = timed(|| {
        Sim::new(2)
            .network(NetworkConfig::fault_free())
            .run(async move {
                let mut stream = connect(move |mut stream| async move {
                    let chunk = vec![0x5au8; CHUNK_BYTES];
                    let mut sent = 0;
                    while sent < bytes {
                        let size = (bytes - sent).min(CHUNK_BYTES as u64) as usize;
                        stream
                            .write_all(&chunk[..size])
                            .await
                            .expect("the client reads");
                        sent += size as u64;
                    }
                })
                .await;
                let mut buf = vec![0u8; CHUNK_BYTES];
                let mut received = 0u64;
                loop {
                    let read = stream.read(&mut buf).await.expect("no faults");
                    if read == 0 {
                        break received;
                    }
                    received += read as u64;
                }
            })
    });
    let received = run.outcome.expect("the bulk phase ends");
    assert_eq!(received, bytes);
    eprintln!(
        "bulk: {bytes} bytes in {elapsed:?}, {} polls, {} simulated, trace hash {:#x}",
        run.polls, run.end_time, run.trace_hash
    );
    rate(bytes, elapsed)
}
