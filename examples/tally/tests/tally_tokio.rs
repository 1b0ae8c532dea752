//! tally on tokio, over real sockets on localhost: the same `TallyNode` the
//! simulation runs. A primary and two backups take adds over HTTP, a backup
//! sends a reader to the primary, and a primary restarted with nothing in
//! memory gets the count back from the backups over gRPC.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use tally::{Reply, TALLY_GROUP, TallyClient, TallyConfig, TallyNode};
use tidepool_core::providers::{JoinHandle, Providers, TokioProviders};
use tidepool_core::{BoxError, Process, ProcessContext, Shutdown};

/// Tries of a call that finds the primary recovering.
const TRIES_MAX: u32 = 100;

/// Three free ports on localhost (each bound once, then released).
fn free_addresses() -> Vec<SocketAddr> {
    let listeners: Vec<_> = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    listeners
        .iter()
        .map(|listener| listener.local_addr().expect("a bound address"))
        .collect()
}

/// Starts the node at `address` of the group `nodes`, with `incarnation`.
fn start(
    nodes: &[SocketAddr],
    address: SocketAddr,
    incarnation: u64,
) -> (Shutdown, JoinHandle<Result<(), BoxError>>) {
    let providers = TokioProviders::new();
    let shutdown = Shutdown::new();
    let peers = BTreeMap::from([(TALLY_GROUP.to_string(), nodes.to_vec())]);
    let ctx = ProcessContext::new(providers.clone(), "tally", address, shutdown.clone())
        .with_peers(peers)
        .with_incarnation(incarnation);
    let node = providers.spawn("tally", async move {
        TallyNode::new(TallyConfig::default()).run(ctx).await
    });
    (shutdown, node)
}

/// `call` until the primary is past its recovery (and its listener is up).
async fn settled<F, Fut>(mut call: F) -> Reply
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Reply, tally::CallError>>,
{
    for _ in 0..TRIES_MAX {
        match call().await {
            Ok(Reply::Unavailable(_)) | Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(reply) => return reply,
        }
    }
    panic!("no settled reply in {TRIES_MAX} tries");
}

#[tokio::test]
async fn adds_reads_and_a_primary_restart_on_real_sockets() {
    let nodes = free_addresses();
    let (primary, backups) = (nodes[0], &nodes[1..]);
    let mut running: Vec<_> = nodes.iter().map(|&node| start(&nodes, node, 1)).collect();
    let client = TallyClient::new(TokioProviders::new(), Duration::from_secs(2));

    assert_eq!(settled(|| client.add(primary, 3)).await, Reply::Count(3));
    assert_eq!(settled(|| client.add(primary, 4)).await, Reply::Count(7));
    assert_eq!(
        settled(|| client.value(backups[0])).await,
        Reply::NotPrimary(primary),
        "a backup sends readers to the primary"
    );
    assert_eq!(
        settled(|| client.add(backups[1], 1)).await,
        Reply::NotPrimary(primary),
        "a backup takes no add"
    );

    // The primary keeps nothing on disk: a new incarnation must fetch the
    // count from the backups (gRPC) before it answers.
    let (shutdown, node) = running.remove(0);
    shutdown.request();
    node.await
        .expect("the node ends")
        .expect("the node stops cleanly");
    running.insert(0, start(&nodes, primary, 2));
    assert_eq!(settled(|| client.value(primary)).await, Reply::Count(7));
    assert_eq!(settled(|| client.add(primary, 1)).await, Reply::Count(8));

    for (shutdown, node) in running {
        shutdown.request();
        node.await
            .expect("the node ends")
            .expect("the node stops cleanly");
    }
}
