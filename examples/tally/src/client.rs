//! `TallyClient`: the HTTP API from a client's side.

use std::net::SocketAddr;
use std::time::Duration;

use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tidepool_core::providers::{Providers, TimeProvider};
use tidepool_hyper::Http1Client;

/// Bytes of a reply's body a client reads at most.
pub const REPLY_BYTES_MAX: usize = 1024;

/// What a node answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `200`: the count (after the add, for an add).
    Count(u64),
    /// `421`: not the primary, which is at this address.
    NotPrimary(SocketAddr),
    /// `503`: the primary is recovering; nothing happened. The reason.
    Unavailable(String),
    /// `504`: some backup did not take the add; it may or may not stand.
    /// The reason.
    Unknown(String),
}

/// Why a call got no [`Reply`].
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No response within the timeout.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The request or its response was lost.
    #[error(transparent)]
    Client(#[from] tidepool_hyper::ClientError),
    /// The response's body was cut short.
    #[error("reading the response: {0}")]
    Body(#[from] hyper::Error),
    /// A response no node sends.
    #[error("an unexpected response: {status} {body:?}")]
    Unexpected {
        /// Its status.
        status: StatusCode,
        /// Its body, cut at [`REPLY_BYTES_MAX`].
        body: String,
    },
}

/// A client of tally's HTTP API.
#[derive(Clone, Debug)]
pub struct TallyClient<P> {
    http: Http1Client<P>,
    providers: P,
    timeout: Duration,
}

impl<P: Providers> TallyClient<P> {
    /// A client whose calls wait `timeout` at most.
    pub fn new(providers: P, timeout: Duration) -> TallyClient<P> {
        TallyClient {
            http: Http1Client::new(providers.clone()),
            providers,
            timeout,
        }
    }

    /// `POST /add/{amount}` on the node at `node`.
    ///
    /// # Errors
    ///
    /// A [`CallError`] when no reply came.
    pub async fn add(&self, node: SocketAddr, amount: u64) -> Result<Reply, CallError> {
        self.call(node, http::Method::POST, &format!("/add/{amount}"))
            .await
    }

    /// `GET /value` on the node at `node`.
    ///
    /// # Errors
    ///
    /// A [`CallError`] when no reply came.
    pub async fn value(&self, node: SocketAddr) -> Result<Reply, CallError> {
        self.call(node, http::Method::GET, "/value").await
    }

    async fn call(
        &self,
        node: SocketAddr,
        method: http::Method,
        path: &str,
    ) -> Result<Reply, CallError> {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(String::new())
            .expect("a method and a path make a valid request");
        let exchange = async {
            let response = self.http.send(node, request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, CallError>((status, body))
        };
        let (status, body) = self
            .providers
            .time()
            .timeout(self.timeout, exchange)
            .await
            .map_err(|_| CallError::Timeout(self.timeout))??;
        let body = String::from_utf8_lossy(&body[..body.len().min(REPLY_BYTES_MAX)]).into_owned();
        let reply = match status {
            StatusCode::OK => body.parse().ok().map(Reply::Count),
            StatusCode::MISDIRECTED_REQUEST => body.parse().ok().map(Reply::NotPrimary),
            StatusCode::SERVICE_UNAVAILABLE => Some(Reply::Unavailable(body.clone())),
            StatusCode::GATEWAY_TIMEOUT => Some(Reply::Unknown(body.clone())),
            _ => None,
        };
        reply.ok_or(CallError::Unexpected { status, body })
    }
}
