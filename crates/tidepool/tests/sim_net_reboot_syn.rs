//! A connection attempt in flight to a host that dies and comes back before
//! the attempt lands belongs to whatever listens when it lands: the new
//! incarnation's listener accepts it, and the connection works both ways.
//! (Marking its server end dead at the kill left it in the new listener's
//! backlog after its slot was freed and reused: another client's connection
//! then reached the wrong server.)

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tidepool::sim::{self, Latency, NetworkConfig, Sim, net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);

/// Accepts connections and answers each byte with itself plus one, tagged
/// with the incarnation that accepted it.
async fn serve() {
    let listener = net::bind(SERVER).await.unwrap();
    loop {
        let (mut stream, _) = listener.accept().await.unwrap();
        let incarnation = sim::incarnation(sim::current_host()) as u8;
        drop(sim::spawn("echo", async move {
            let mut byte = [0u8; 1];
            while stream.read_exact(&mut byte).await.is_ok() {
                if stream.write_all(&[byte[0] + 1, incarnation]).await.is_err() {
                    return;
                }
            }
        }));
    }
}

async fn ask(stream: &mut sim::TcpStream, byte: u8) -> [u8; 2] {
    stream.write_all(&[byte]).await.unwrap();
    let mut answer = [0u8; 2];
    stream.read_exact(&mut answer).await.unwrap();
    answer
}

#[test]
fn an_attempt_in_flight_lands_on_the_next_incarnation() {
    Sim::new(3)
        .network(NetworkConfig {
            latency: Latency::Fixed(Duration::from_millis(10)),
            ..NetworkConfig::fault_free()
        })
        .run(async {
            let server = sim::add_host("server", SERVER.ip());
            drop(sim::spawn_on(server, "serve", serve()));
            sim::sleep(Duration::from_millis(1)).await;
            // The SYN leaves at 1 ms and lands at 11 ms; the server dies at
            // 3 ms and listens again at 5 ms.
            let connecting = sim::spawn("connect", net::connect(SERVER));
            sim::sleep(Duration::from_millis(2)).await;
            sim::kill(server);
            sim::sleep(Duration::from_millis(2)).await;
            sim::revive(server);
            drop(sim::spawn_on(server, "serve", serve()));
            let mut first = connecting.await.unwrap().unwrap();
            assert_eq!(
                ask(&mut first, 1).await,
                [2, 2],
                "answered by incarnation 2"
            );
            drop(first);
            sim::sleep(Duration::from_millis(50)).await;
            // Later connections (reusing freed slots) reach the server they name.
            for round in 0..20u8 {
                let mut stream = net::connect(SERVER).await.unwrap();
                assert_eq!(ask(&mut stream, round).await, [round + 1, 2]);
            }
        })
        .outcome
        .unwrap();
}
