//! Host names: a process is reachable as `NAME-INDEX:PORT` through the
//! providers' `lookup_host` and `connect_host`, on the simulation as on tokio
//! (where the system resolver answers); an unknown name fails as a real
//! lookup does, naming the hosts there are.

use std::net::{IpAddr, SocketAddr};

use tidepool::PROCESS_PORT;
use tidepool::prelude::*;
use tidepool::providers::{Listener, Providers, TokioProviders};
use tidepool::sim::{self, Sim};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Answers each connection with the name of its host.
struct NameServer;

impl Process for NameServer {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let listener = ctx
            .bind(SocketAddr::new(IpAddr::from([0, 0, 0, 0]), PROCESS_PORT))
            .await?;
        loop {
            let (mut stream, _) = listener.accept().await?;
            let name = sim::host_name(sim::current_host());
            stream.write_all(name.as_bytes()).await?;
            stream.shutdown().await?;
        }
    }
}

struct AskByName;

impl Workload for AskByName {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let providers = ctx.providers();
        for name in ["server-1", "SERVER-2"] {
            let mut stream = providers
                .connect_host(&format!("{name}:{PROCESS_PORT}"))
                .await?;
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await?;
            if !answer.eq_ignore_ascii_case(name) {
                return Err(format!("{name} answered as {answer}").into());
            }
        }
        let error = providers.lookup_host("server-9", 1).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
        let message = error.to_string();
        assert!(
            message.starts_with("failed to lookup address information")
                && message.contains("server-9")
                && message.contains("server-1, server-2"),
            "{message}"
        );
        let malformed = providers.connect_host("server-1").await.unwrap_err();
        assert_eq!(malformed.kind(), std::io::ErrorKind::InvalidInput);
        Ok(())
    }
}

#[test]
fn processes_answer_to_their_names() {
    let report = SimulationBuilder::new("names")
        .processes("server", 2, || NameServer)
        .workload(|_| AskByName)
        .iterations(3)
        .base_seed(4)
        .run()
        .unwrap();
    assert!(report.is_success(), "{report}");
}

#[test]
fn literals_and_localhost_resolve_to_themselves() {
    Sim::new(1)
        .run(async {
            let here = sim::host_ip(sim::current_host());
            assert_eq!(
                sim::lookup_host("localhost", 80).unwrap(),
                vec![SocketAddr::new(here, 80)]
            );
            assert_eq!(
                sim::lookup_host("10.9.8.7", 5).unwrap(),
                vec![SocketAddr::from(([10, 9, 8, 7], 5))]
            );
        })
        .outcome
        .unwrap();
}

#[test]
fn tokio_resolves_with_the_system_resolver() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let providers = TokioProviders::new();
        let listener = providers
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let found = providers.lookup_host("localhost", port).await.unwrap();
        assert!(
            found.contains(&SocketAddr::from(([127, 0, 0, 1], port))),
            "{found:?}"
        );
        let accepting = tokio::spawn(async move { listener.accept().await.map(|_| ()) });
        providers
            .connect_host(&format!("localhost:{port}"))
            .await
            .unwrap();
        accepting.await.unwrap().unwrap();
        let unknown = providers
            .lookup_host("no-such-host.invalid", 80)
            .await
            .unwrap_err();
        assert!(
            unknown
                .to_string()
                .starts_with("failed to lookup address information"),
            "{unknown}"
        );
    });
}
