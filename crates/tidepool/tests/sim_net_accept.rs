//! A burst of connections: 100 clients, on 100 hosts, connect at the same
//! simulated instant while the server has not called `accept` yet. With a fixed
//! latency every handshake completes at the same instant (the backlog answers
//! for the server, as a kernel does), every one is accepted, none is lost or
//! refused, and each client gets its own id echoed back.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tidepool::sim::{self, Latency, NetworkConfig, Sim, net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80);
const CLIENTS: u32 = 100;
const LATENCY: Duration = Duration::from_millis(1);

#[test]
fn a_hundred_simultaneous_connections_are_all_accepted_and_served() {
    let network = NetworkConfig {
        latency: Latency::Fixed(LATENCY),
        ..NetworkConfig::fault_free()
    };
    let run = Sim::new(99).network(network).run(async {
        let server = sim::add_host("server", SERVER.ip());
        let listener = sim::spawn_on(server, "bind", net::bind(SERVER))
            .await
            .unwrap()
            .unwrap();
        let serving = sim::spawn_on(server, "server", async move {
            // The first accept comes long after every client has connected.
            sim::sleep(Duration::from_secs(1)).await;
            let mut handlers = Vec::new();
            for _ in 0..CLIENTS {
                let (mut stream, _) = listener.accept().await.unwrap();
                handlers.push(sim::spawn("echo", async move {
                    let mut id = [0u8; 4];
                    stream.read_exact(&mut id).await.unwrap();
                    stream.write_all(&id).await.unwrap();
                }));
            }
            for handler in handlers {
                handler.await.unwrap();
            }
        });
        let clients: Vec<_> = (0..CLIENTS)
            .map(|id| {
                let ip = IpAddr::from([10, 0, 1, id as u8]);
                let host = sim::add_host(format!("client-{id}"), ip);
                sim::spawn_on(host, "client", async move {
                    let started = sim::now();
                    let mut stream = net::connect(SERVER).await.unwrap();
                    let connected = sim::now();
                    stream.write_all(&id.to_le_bytes()).await.unwrap();
                    let mut echoed = [0u8; 4];
                    stream.read_exact(&mut echoed).await.unwrap();
                    assert_eq!(u32::from_le_bytes(echoed), id);
                    (started, connected)
                })
            })
            .collect();
        let mut times = Vec::new();
        for client in clients {
            times.push(client.await.unwrap());
        }
        serving.await.unwrap();
        times
    });
    let times = run.outcome.unwrap();
    assert_eq!(times.len(), CLIENTS as usize);
    let (started, connected) = times[0];
    for (at, &(start, done)) in times.iter().enumerate() {
        assert_eq!(start, started, "client {at} connected at another instant");
        assert_eq!(
            done, connected,
            "client {at}'s handshake ended at another instant"
        );
    }
    assert_eq!(
        connected - started,
        2 * LATENCY,
        "one round trip, no waiting for accept"
    );
}
