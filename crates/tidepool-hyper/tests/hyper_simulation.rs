//! hyper, axum and an HTTP/2 service over simulated connections, and what
//! the sanitizer says of each.
//!
//! - An axum router serves HTTP/1.1 to [`Http1Client`]s under network faults,
//!   with the sanitizer in `virtualize`: every answer is right.
//! - A plain HTTP/2 service (what tonic runs on) answers an [`Http2Channel`]
//!   under network faults, in `virtualize` too.
//! - Under `deny`, both fail seeds as determinism leaks, and the tests pin
//!   which: hyper's HTTP/1 server refreshes its cached `Date` from the wall
//!   clock on every poll of a connection (whether or not it sends the
//!   header), axum's `Router` keys its route maps with a `RandomState`, and
//!   h2 keys its stream store with one (an `IndexMap`, iterated in insertion
//!   order, so the keys change nothing a seed does). HTTP/2 as `HttpServer`
//!   and `Http2Channel` set it up reads no wall clock. This is why
//!   `sims/tally` runs in `virtualize`: when a hyper, h2 or axum release
//!   stops doing these, a test here fails and the simulation can go back to
//!   `deny`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tidepool::prelude::*;
use tidepool::runner::FailureKind;
use tidepool::sanitizer::SanitizerMode;
use tidepool::sim::NetworkConfig;
use tidepool_hyper::{Http1Client, Http2Channel, HttpServer};

const REQUESTS: u64 = 20;

/// Serves `router()` on its address until shutdown.
struct AxumServer;

fn router() -> Router {
    Router::new().route(
        "/double/{n}",
        get(|Path(n): Path<u64>| async move { (2 * n).to_string() }),
    )
}

impl Process for AxumServer {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let listener = ctx.bind(ctx.address()).await?;
        let server = HttpServer::new(ctx.providers().clone());
        server.serve(listener, router(), ctx.shutdown()).await?;
        Ok(())
    }
}

/// Asks the server to double numbers over HTTP/1.1, retrying a request the
/// network lost; every answer must be right.
struct Doubler;

impl Workload for Doubler {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let server = ctx.processes("server")[0];
        let client = Http1Client::new(ctx.providers());
        for n in 0..REQUESTS {
            let answer = loop {
                let request = http::Request::get(format!("/double/{n}")).body(String::new())?;
                let exchange = async {
                    let response = client.send(server, request).await?;
                    let body = response.into_body().collect().await?.to_bytes();
                    Ok::<_, BoxError>(body)
                };
                if let Ok(Ok(body)) = ctx
                    .timeout(std::time::Duration::from_secs(1), exchange)
                    .await
                {
                    break body;
                }
            };
            tidepool::assert_always!(answer == (2 * n).to_string(), "the server doubles");
            if answer != (2 * n).to_string() {
                return Err(format!("{n} doubled is not {answer:?}").into());
            }
        }
        Ok(())
    }
}

fn axum_simulation(mode: SanitizerMode) -> SimulationBuilder {
    SimulationBuilder::new("hyper-axum")
        .processes("server", 1, || AxumServer)
        .workload(|_| Doubler)
        .network(NetworkConfig::default())
        .sanitizer(mode)
        .iterations(8)
}

#[test]
fn an_axum_router_answers_http1_clients_under_network_faults() {
    let report = axum_simulation(SanitizerMode::Virtualize)
        .run()
        .expect("a valid configuration");
    assert!(report.is_success(), "{report}");
}

#[test]
fn hyper_http1_and_axum_leak_the_wall_clock_and_os_randomness_under_deny() {
    let report = axum_simulation(SanitizerMode::Deny)
        .run()
        .expect("a valid configuration");
    assert!(!report.failures.is_empty(), "{report}");
    let reasons: Vec<&str> = report.failures.iter().map(|f| f.reason.as_str()).collect();
    assert!(
        reasons
            .iter()
            .all(|reason| reason.contains("determinism leak")),
        "{report}"
    );
    let named = |site: &str| reasons.iter().any(|reason| reason.contains(site));
    assert!(named("axum::routing::path_router"), "{report}");
    assert!(named("hyper::common::date"), "{report}");
    assert!(
        report.failures[0].kind == FailureKind::DeterminismLeak,
        "{report}"
    );
}

/// A bare HTTP/2 service: answers each request with its path.
#[derive(Clone)]
struct EchoPath;

impl<B> tower_service::Service<http::Request<B>> for EchoPath {
    type Response = http::Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = Bytes::from(request.uri().path().to_string());
        Box::pin(async move { Ok(http::Response::new(Full::new(path))) })
    }
}

struct EchoServer;

impl Process for EchoServer {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let listener = ctx.bind(ctx.address()).await?;
        let server = HttpServer::new(ctx.providers().clone());
        server.serve(listener, EchoPath, ctx.shutdown()).await?;
        Ok(())
    }
}

/// Sends requests over one shared HTTP/2 channel, two at a time.
struct Http2Caller;

impl Workload for Http2Caller {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let server = ctx.processes("server")[0];
        let channel = Http2Channel::<_, Full<Bytes>>::new(ctx.providers(), server);
        let mut answered = 0;
        for n in 0..REQUESTS {
            let (first, second) = (format!("/a/{n}"), format!("/b/{n}"));
            let calls = [&first, &second].map(|path| {
                let channel = channel.clone();
                let request = http::Request::get(path.as_str()).body(Full::default());
                ctx.spawn("call", async move {
                    let response = channel.send(request.expect("a valid request")).await;
                    let body = response.ok()?.into_body().collect().await.ok()?;
                    Some(body.to_bytes())
                })
            });
            for (call, path) in calls.into_iter().zip([&first, &second]) {
                // A request the network lost proves nothing; a wrong answer
                // fails the seed.
                if let Some(body) = call.await? {
                    if body != path.as_bytes() {
                        return Err(format!("{path} answered {body:?}").into());
                    }
                    answered += 1;
                }
            }
        }
        tidepool::assert_sometimes!(answered > 0, "an HTTP/2 request is answered");
        if answered == 0 {
            return Err("no HTTP/2 request was answered".into());
        }
        Ok(())
    }
}

fn http2_simulation(mode: SanitizerMode, network: NetworkConfig) -> SimulationBuilder {
    SimulationBuilder::new("hyper-http2")
        .processes("server", 1, || EchoServer)
        .workload(|_| Http2Caller)
        .network(network)
        .sanitizer(mode)
        .iterations(8)
}

#[test]
fn an_http2_service_answers_a_shared_channel_under_network_faults() {
    let report = http2_simulation(SanitizerMode::Virtualize, NetworkConfig::default())
        .run()
        .expect("a valid configuration");
    assert!(report.is_success(), "{report}");
}

#[test]
fn http2_reads_no_wall_clock_and_its_only_leak_is_h2s_random_state() {
    let report = http2_simulation(SanitizerMode::Deny, NetworkConfig::fault_free())
        .run()
        .expect("a valid configuration");
    assert!(!report.failures.is_empty(), "{report}");
    for failure in &report.failures {
        assert!(
            failure.reason.contains("OS randomness"),
            "{}",
            failure.reason
        );
        assert!(
            failure.reason.contains("h2::proto::streams::store"),
            "{}",
            failure.reason
        );
    }
}
