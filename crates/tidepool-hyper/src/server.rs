//! `HttpServer`: serves a tower service (an axum `Router`, a tonic server)
//! over the connections of a providers' listener, HTTP/1 and HTTP/2 on one
//! port.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tidepool_core::Shutdown;
use tidepool_core::providers::{Listener, ListenerOf, Providers, StreamOf, TimeProvider};
use tokio::sync::Semaphore;

use crate::{BoxError, ProvidersExecutor};

/// Connections a server serves at once unless told otherwise; past it a new
/// connection is closed as soon as it is accepted.
pub const CONNECTIONS_MAX_DEFAULT: usize = 1024;
/// How long a connection may take to finish its requests after shutdown is
/// requested, unless told otherwise; past it the connection is dropped.
pub const SHUTDOWN_GRACE_DEFAULT: Duration = Duration::from_secs(1);
/// The name of the task that serves one connection.
pub const CONNECTION_TASK_NAME: &str = "http-connection";

/// Serves HTTP/1.1 and HTTP/2 (prior knowledge, as gRPC speaks it) on the
/// connections of a [`Providers`] listener, with any tower service: an axum
/// `Router`, a tonic server, or a `Router` with a tonic server routed in.
///
/// It sets hyper up for a simulation:
///
/// - no `Date` header (add one in the service if clients need it);
/// - no hyper timer, so no HTTP/1 header read timeout and no HTTP/2
///   keep-alive pings (both read `std::time::Instant`): bound a connection's
///   life with the providers' time instead, as [`HttpServer::serve`] does at
///   shutdown.
///
/// hyper still reads the wall clock and h2 draws OS randomness where no
/// setting reaches: run the simulation's sanitizer in `virtualize` (see the
/// [crate docs](crate)).
///
/// # Examples
///
/// An axum router on tokio, answered over a real socket:
///
/// ```
/// use axum::Router;
/// use axum::routing::get;
/// use http_body_util::BodyExt;
/// use tidepool_core::Shutdown;
/// use tidepool_core::providers::{Listener, Providers, TokioProviders};
/// use tidepool_hyper::{Http1Client, HttpServer};
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// runtime.block_on(async {
///     let providers = TokioProviders::new();
///     let listener = providers.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
///     let address = listener.local_addr().unwrap();
///     let shutdown = Shutdown::new();
///     let router = Router::new().route("/hello", get(|| async { "hello" }));
///     let server = HttpServer::new(providers.clone());
///     let serving = providers.spawn("server", {
///         let shutdown = shutdown.clone();
///         async move { server.serve(listener, router, &shutdown).await }
///     });
///
///     let client = Http1Client::new(providers.clone());
///     let request = http::Request::get("/hello").body(String::new()).unwrap();
///     let response = client.send(address, request).await.unwrap();
///     let body = response.into_body().collect().await.unwrap().to_bytes();
///     assert_eq!(body, "hello");
///
///     shutdown.request();
///     serving.await.unwrap().unwrap();
/// });
/// ```
#[derive(Debug)]
pub struct HttpServer<P: Providers> {
    providers: P,
    builder: Arc<auto::Builder<ProvidersExecutor<P>>>,
    connections_max: usize,
    shutdown_grace: Duration,
}

impl<P: Providers> HttpServer<P> {
    /// A server that spawns its connections' tasks with `providers`; at most
    /// [`CONNECTIONS_MAX_DEFAULT`] connections, [`SHUTDOWN_GRACE_DEFAULT`] of
    /// grace at shutdown.
    pub fn new(providers: P) -> HttpServer<P> {
        let mut builder = auto::Builder::new(ProvidersExecutor::new(providers.clone()));
        builder.http1().auto_date_header(false);
        builder.http2().auto_date_header(false);
        HttpServer {
            providers,
            builder: Arc::new(builder),
            connections_max: CONNECTIONS_MAX_DEFAULT,
            shutdown_grace: SHUTDOWN_GRACE_DEFAULT,
        }
    }

    /// Serves at most `connections` at once (default
    /// [`CONNECTIONS_MAX_DEFAULT`]); a connection past it is closed as soon
    /// as it is accepted.
    ///
    /// # Panics
    ///
    /// When `connections` is 0: such a server could serve nothing.
    pub fn connections_max(mut self, connections: usize) -> HttpServer<P> {
        assert!(
            connections > 0,
            "connections_max(0): the server could serve nothing"
        );
        self.connections_max = connections;
        self
    }

    /// How long each connection may take to finish its requests once shutdown
    /// is requested (default [`SHUTDOWN_GRACE_DEFAULT`]).
    pub fn shutdown_grace(mut self, grace: Duration) -> HttpServer<P> {
        self.shutdown_grace = grace;
        self
    }

    /// Accepts connections on `listener` and serves `service` on each, in a
    /// task of its own, until `shutdown` is requested; then stops accepting,
    /// lets every connection finish its requests (within the grace) and
    /// returns.
    ///
    /// # Errors
    ///
    /// An error of the listener's `accept`. An error on one connection (the
    /// peer went away, a malformed request) ends that connection only.
    pub async fn serve<S, B>(
        &self,
        listener: ListenerOf<P>,
        service: S,
        shutdown: &Shutdown,
    ) -> io::Result<()>
    where
        S: tower_service::Service<Request<Incoming>, Response = Response<B>>
            + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let permits = Arc::new(Semaphore::new(self.connections_max));
        loop {
            let (stream, peer) = tidepool_core::select! {
                accepted = listener.accept() => accepted?,
                () = shutdown.requested() => break,
            };
            let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
                tracing::warn!(%peer, limit = self.connections_max, "too many connections: closing");
                continue;
            };
            let connection = self.clone();
            let (service, shutdown) = (service.clone(), shutdown.clone());
            // Detached: the permit, not the handle, tells when it is done.
            drop(self.providers.spawn(CONNECTION_TASK_NAME, async move {
                if let Err(error) = connection
                    .serve_connection(stream, service, &shutdown)
                    .await
                {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
                drop(permit);
            }));
        }
        // Wait for the connections still open to finish (each watches
        // `shutdown` itself and has its grace): every permit back means
        // every connection's task is done.
        let all = u32::try_from(self.connections_max).unwrap_or(u32::MAX);
        let grace = self.shutdown_grace.saturating_mul(2);
        let _ = self
            .providers
            .time()
            .timeout(grace, permits.acquire_many(all))
            .await;
        Ok(())
    }

    /// Serves `service` on one accepted connection until the peer closes it
    /// or `shutdown` is requested; then lets the requests in flight finish
    /// (within the grace) and closes it.
    ///
    /// # Errors
    ///
    /// What hyper reports of the connection: an I/O error, a malformed
    /// request, a peer that went away mid-request.
    pub async fn serve_connection<S, B>(
        &self,
        stream: StreamOf<P>,
        service: S,
        shutdown: &Shutdown,
    ) -> Result<(), BoxError>
    where
        S: tower_service::Service<Request<Incoming>, Response = Response<B>>
            + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let service = TowerToHyperService::new(service);
        let connection = self.builder.serve_connection(TokioIo::new(stream), service);
        let mut connection = std::pin::pin!(connection);
        tidepool_core::select! {
            served = connection.as_mut() => return served,
            () = shutdown.requested() => {}
        }
        connection.as_mut().graceful_shutdown();
        match self
            .providers
            .time()
            .timeout(self.shutdown_grace, connection)
            .await
        {
            Ok(served) => served,
            Err(_) => Err("the connection did not finish within the shutdown grace".into()),
        }
    }
}

impl<P: Providers> Clone for HttpServer<P> {
    fn clone(&self) -> Self {
        HttpServer {
            providers: self.providers.clone(),
            builder: Arc::clone(&self.builder),
            connections_max: self.connections_max,
            shutdown_grace: self.shutdown_grace,
        }
    }
}
