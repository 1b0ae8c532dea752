//! `Http2Channel` on tokio, over real sockets: requests share one
//! connection; when the server goes away a request fails with a
//! `ClientError`, and once a server is back on the address the next request
//! opens a new connection, without a new channel.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tidepool_core::Shutdown;
use tidepool_core::providers::{JoinHandle, Providers, TokioProviders};
use tidepool_hyper::{ClientError, Http2Channel, HttpServer};

/// Serves, on `address` (port 0: any), a service answering each request
/// with `name` and its path, until the returned shutdown is requested.
async fn serve(
    address: SocketAddr,
    name: &'static str,
) -> (SocketAddr, Shutdown, JoinHandle<std::io::Result<()>>) {
    let providers = TokioProviders::new();
    let listener = providers.bind(address).await.expect("a free address");
    let bound = listener.local_addr().expect("a bound address");
    let shutdown = Shutdown::new();
    let service = Named(name);
    let server = HttpServer::new(providers.clone());
    let serving = providers.spawn("server", {
        let shutdown = shutdown.clone();
        async move { server.serve(listener, service, &shutdown).await }
    });
    (bound, shutdown, serving)
}

/// A tower service answering `name path`.
#[derive(Clone)]
struct Named(&'static str);

impl<B> tower_service::Service<http::Request<B>> for Named {
    type Response = http::Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let body = format!("{} {}", self.0, request.uri().path());
        std::future::ready(Ok(http::Response::new(Full::new(Bytes::from(body)))))
    }
}

async fn get(
    channel: &Http2Channel<TokioProviders, Full<Bytes>>,
    path: &str,
) -> Result<String, ClientError> {
    let request = http::Request::get(path).body(Full::default()).unwrap();
    let response = channel.send(request).await?;
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Ok(String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn a_channel_reconnects_after_its_server_comes_back() {
    let (address, shutdown, serving) = serve("127.0.0.1:0".parse().unwrap(), "first").await;
    let channel = Http2Channel::new(TokioProviders::new(), address);
    assert_eq!(get(&channel, "/a").await.unwrap(), "first /a");
    assert_eq!(get(&channel, "/b").await.unwrap(), "first /b");

    shutdown.request();
    serving.await.unwrap().unwrap();
    let lost = get(&channel, "/c").await;
    assert!(lost.is_err(), "no server: {lost:?}");

    let (_, shutdown, serving) = serve(address, "second").await;
    assert_eq!(get(&channel, "/d").await.unwrap(), "second /d");
    shutdown.request();
    serving.await.unwrap().unwrap();
}
