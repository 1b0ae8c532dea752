//! `KvClient`: talks to a [`KvServer`](crate::KvServer) over any providers.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tidepool_core::providers::{NetworkProvider, Providers, TimeProvider};
use tokio_util::codec::Framed;

use crate::Bugs;
use crate::protocol::{
    ClientCodec, MALFORMED_PREFIX, ProtocolError, Reply, Request, Response,
    TOO_MANY_CONNECTIONS_PREFIX, encode_request_unchecked,
};

/// Default of [`KvClient::timeout`].
pub const REQUEST_TIMEOUT_DEFAULT: Duration = Duration::from_secs(5);

/// Attempts of one request under the planted bug `retry_after_lost_reply`.
const RETRY_ATTEMPTS_MAX: u32 = 3;
/// How long a timed-out SET waits before the planted bug `resend_stale_set`
/// sends it again.
const STALE_SET_RESEND_DELAY: Duration = Duration::from_secs(1);
/// Timed-out SETs kept for the planted bug `resend_stale_set`; older ones are
/// forgotten.
const STALE_SETS_MAX: usize = 8;

type StreamOf<P> = <<P as Providers>::Network as NetworkProvider>::TcpStream;

/// A client of one server over one connection: one request at a time with
/// [`request`](KvClient::request), or several in flight at once with
/// [`pipeline`](KvClient::pipeline).
///
/// It connects on its first request and again after any failure, since a
/// connection that failed mid-request may still deliver the old reply, and
/// after a reply refusing a malformed request or the connection itself
/// (too many connections), since the server closes the connection after it. Each
/// request, connecting included, gets at most [`KvClient::timeout`]; a
/// pipeline gets it as a whole.
///
/// # Examples
///
/// ```no_run
/// use bytes::Bytes;
/// use kv::KvClient;
/// use kv::protocol::Response;
/// use tidepool_core::providers::TokioProviders;
///
/// # async fn talk() -> Result<(), kv::ClientError> {
/// let mut client = KvClient::new(TokioProviders::new(), "127.0.0.1:7000".parse().unwrap());
/// client.set("color", "blue").await?;
/// let reply = client.get("color").await?;
/// assert_eq!(reply.response, Response::Value(Bytes::from("blue")));
/// println!("served by incarnation {}", reply.incarnation);
/// # Ok(())
/// # }
/// ```
pub struct KvClient<P: Providers> {
    providers: P,
    server: SocketAddr,
    timeout: Duration,
    connection: Option<Framed<StreamOf<P>, ClientCodec>>,
    bugs: Bugs,
    /// Whether requests past the protocol's limits are sent as they are.
    unchecked: bool,
    /// Timed-out SETs and when they failed, under the planted bug `resend_stale_set`.
    stale_sets: Vec<(Request, tidepool_core::time::Instant)>,
}

/// What a [`KvClient::pipeline`] got: the replies to its first requests, in
/// order, and why the rest got none.
///
/// Request `i` was answered by `replies[i]` when `i < replies.len()`; the
/// requests after those got no reply, for the reason in `error`, and
/// [`ClientError::may_have_applied`] says whether the server may have applied
/// them anyway.
#[derive(Debug)]
pub struct PipelineReplies {
    /// The replies, in the order of the requests.
    pub replies: Vec<Reply>,
    /// Why the requests after `replies` got none; `None` when every request
    /// was answered.
    pub error: Option<ClientError>,
}

impl<P: Providers> std::fmt::Debug for KvClient<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvClient")
            .field("server", &self.server)
            .field("timeout", &self.timeout)
            .field("connected", &self.connection.is_some())
            .finish()
    }
}

impl<P: Providers> KvClient<P> {
    /// A client of `server`, not yet connected, with a timeout of
    /// [`REQUEST_TIMEOUT_DEFAULT`].
    pub fn new(providers: P, server: SocketAddr) -> KvClient<P> {
        KvClient {
            providers,
            server,
            timeout: REQUEST_TIMEOUT_DEFAULT,
            connection: None,
            bugs: Bugs::default(),
            unchecked: false,
            stale_sets: Vec::new(),
        }
    }

    /// A client of `server`, connected now.
    ///
    /// # Errors
    ///
    /// [`ClientError::Connect`], or [`ClientError::Timeout`] past
    /// [`REQUEST_TIMEOUT_DEFAULT`].
    pub async fn connect(providers: P, server: SocketAddr) -> Result<KvClient<P>, ClientError> {
        let mut client = KvClient::new(providers, server);
        let time = client.providers.time().clone();
        let connecting = time.timeout(client.timeout, client.connection());
        match connecting.await {
            Ok(connected) => connected.map(|_| ())?,
            Err(_elapsed) => return Err(client.timed_out()),
        }
        Ok(client)
    }

    /// Sets the time each request may take, connecting included.
    /// Default: [`REQUEST_TIMEOUT_DEFAULT`].
    pub fn with_timeout(mut self, timeout: Duration) -> KvClient<P> {
        self.timeout = timeout;
        self
    }

    /// Plants the client's bugs of `bugs` (the server's are ignored here).
    /// Default: none.
    pub fn with_bugs(mut self, bugs: Bugs) -> KvClient<P> {
        self.bugs = bugs;
        self
    }

    /// Sends requests past the protocol's limits (a key over
    /// [`KEY_BYTES_MAX`](crate::protocol::KEY_BYTES_MAX), a value over
    /// [`VALUE_BYTES_MAX`](crate::protocol::VALUE_BYTES_MAX)) as they are, so
    /// that a test sees the server refuse them; a key must still fit the
    /// frame's 16-bit length. Default: off, such a request fails with
    /// [`ClientError::InvalidRequest`] before anything is sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use kv::KvClient;
    /// use tidepool_core::providers::TokioProviders;
    ///
    /// let client = KvClient::new(TokioProviders::new(), "127.0.0.1:7000".parse().unwrap());
    /// assert!(!client.sends_unchecked());
    /// assert!(client.with_unchecked_requests(true).sends_unchecked());
    /// ```
    pub fn with_unchecked_requests(mut self, unchecked: bool) -> KvClient<P> {
        self.unchecked = unchecked;
        self
    }

    /// Whether requests past the protocol's limits are sent as they are
    /// ([`with_unchecked_requests`](KvClient::with_unchecked_requests)).
    /// Default: `false`.
    pub fn sends_unchecked(&self) -> bool {
        self.unchecked
    }

    /// The time each request may take. Default: [`REQUEST_TIMEOUT_DEFAULT`].
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The server's address.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// Whether the client holds a connection (it drops it after a failure).
    pub fn is_connected(&self) -> bool {
        self.connection.is_some()
    }

    /// Reads `key`: [`Response::Value`](crate::protocol::Response::Value) or
    /// `NotFound`.
    ///
    /// # Errors
    ///
    /// See [`KvClient::request`].
    pub async fn get(&mut self, key: impl Into<Bytes>) -> Result<Reply, ClientError> {
        self.request(Request::Get { key: key.into() }).await
    }

    /// Stores `value` under `key`: `Ok`.
    ///
    /// # Errors
    ///
    /// See [`KvClient::request`].
    pub async fn set(
        &mut self,
        key: impl Into<Bytes>,
        value: impl Into<Bytes>,
    ) -> Result<Reply, ClientError> {
        let (key, value) = (key.into(), value.into());
        self.request(Request::Set { key, value }).await
    }

    /// Removes `key`: `Ok` when it was there, `NotFound` when not.
    ///
    /// # Errors
    ///
    /// See [`KvClient::request`].
    pub async fn delete(&mut self, key: impl Into<Bytes>) -> Result<Reply, ClientError> {
        self.request(Request::Delete { key: key.into() }).await
    }

    /// Sends `request` and waits for its reply, connecting first if needed.
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidRequest`] before sending anything; otherwise the
    /// connection failed, timed out or carried a malformed reply, and the
    /// client drops it. [`ClientError::may_have_applied`] says whether the
    /// server may have applied the request anyway.
    ///
    /// # Cancellation
    ///
    /// Dropping the future mid-request leaves a connection that may deliver
    /// this request's reply to the next one; the client then cannot tell, so
    /// do not reuse a client after cancelling one of its requests.
    pub async fn request(&mut self, request: Request) -> Result<Reply, ClientError> {
        self.check(&request)?;
        if !(self.bugs.retry_after_lost_reply || self.bugs.resend_stale_set) {
            return self.attempt(request).await;
        }
        let mut result = self.attempt(request.clone()).await;
        if self.bugs.retry_after_lost_reply {
            result = self.retry_lost_reply(&request, result).await;
        }
        if self.bugs.resend_stale_set {
            self.resend_stale_sets(request, &result).await;
        }
        result
    }

    /// Sends every one of `requests` on the connection before reading any
    /// reply, then reads the replies, which the server sends in the order of
    /// the requests. The pipeline as a whole, connecting included, gets
    /// [`KvClient::timeout`]. The planted client bugs play no part here.
    ///
    /// # Errors
    ///
    /// None of its own: [`PipelineReplies::error`] says why the requests
    /// after the last reply got none. When a request breaks the protocol's
    /// limits (and the client checks them), nothing is sent and the error is
    /// [`ClientError::InvalidRequest`]; after any other error the client drops
    /// the connection.
    ///
    /// # Cancellation
    ///
    /// As for [`request`](KvClient::request).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use kv::KvClient;
    /// use kv::protocol::{Request, Response};
    /// use tidepool_core::providers::TokioProviders;
    ///
    /// # async fn talk() {
    /// let mut client = KvClient::new(TokioProviders::new(), "127.0.0.1:7000".parse().unwrap());
    /// let set = Request::Set { key: "color".into(), value: "blue".into() };
    /// let get = Request::Get { key: "color".into() };
    /// let answered = client.pipeline(vec![set, get]).await;
    /// assert!(answered.error.is_none());
    /// assert_eq!(answered.replies[0].response, Response::Ok);
    /// assert_eq!(answered.replies[1].response, Response::Value("blue".into()));
    /// # }
    /// ```
    pub async fn pipeline(&mut self, requests: Vec<Request>) -> PipelineReplies {
        let mut replies = Vec::with_capacity(requests.len());
        if let Err(error) = requests.iter().try_for_each(|request| self.check(request)) {
            let error = Some(error);
            return PipelineReplies { replies, error };
        }
        let time = self.providers.time().clone();
        let exchanged = time.timeout(self.timeout, self.exchange_all(requests, &mut replies));
        let error = match exchanged.await {
            Ok(result) => result.err(),
            Err(_elapsed) => Some(self.timed_out()),
        };
        if error.is_some() || replies.iter().any(is_refusal) {
            self.connection = None;
        }
        PipelineReplies { replies, error }
    }

    /// Checks `request` against the protocol's limits, unless told not to.
    fn check(&self, request: &Request) -> Result<(), ClientError> {
        if self.unchecked {
            return Ok(());
        }
        request.validate().map_err(ClientError::InvalidRequest)
    }

    /// One try of `request`, dropping the connection when it fails.
    async fn attempt(&mut self, request: Request) -> Result<Reply, ClientError> {
        let time = self.providers.time().clone();
        let result = match time.timeout(self.timeout, self.exchange(request)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(self.timed_out()),
        };
        if result.as_ref().map_or(true, is_refusal) {
            self.connection = None;
        }
        result
    }

    /// The planted bug `retry_after_lost_reply`: sends `request` again while
    /// its reply is lost, as if every request were idempotent, and returns the
    /// last reply. A DELETE that was applied then answers `NotFound`.
    async fn retry_lost_reply(
        &mut self,
        request: &Request,
        mut result: Result<Reply, ClientError>,
    ) -> Result<Reply, ClientError> {
        for _ in 1..RETRY_ATTEMPTS_MAX {
            match &result {
                Err(error) if error.may_have_applied() => {
                    tracing::debug!(server = %self.server, %error, "planted bug: resending a request whose reply was lost");
                    result = self.attempt(request.clone()).await;
                }
                _ => break,
            }
        }
        result
    }

    /// The planted bug `resend_stale_set`: remembers a SET that timed out, and
    /// once it is old enough sends it again after the next request that got a
    /// reply, although a newer SET of its key may have gone through since.
    async fn resend_stale_sets(&mut self, request: Request, result: &Result<Reply, ClientError>) {
        let now = self.providers.now();
        match result {
            Err(ClientError::Timeout { .. }) if matches!(request, Request::Set { .. }) => {
                if self.stale_sets.len() == STALE_SETS_MAX {
                    self.stale_sets.remove(0);
                }
                self.stale_sets.push((request, now));
                return;
            }
            Err(_) => return,
            Ok(_) => {}
        }
        let due =
            |failed_at: tidepool_core::time::Instant| failed_at + STALE_SET_RESEND_DELAY <= now;
        let (resend, keep) = std::mem::take(&mut self.stale_sets)
            .into_iter()
            .partition(|(_, failed_at)| due(*failed_at));
        self.stale_sets = keep;
        for (stale, _) in resend {
            tracing::debug!(server = %self.server, key = ?stale.key(), "planted bug: resending a SET that timed out");
            // Whatever happens to it, it is not retried again.
            let _ = self.attempt(stale).await;
        }
    }

    async fn exchange(&mut self, request: Request) -> Result<Reply, ClientError> {
        let mut replies = Vec::with_capacity(1);
        self.exchange_all(vec![request], &mut replies).await?;
        Ok(replies.pop().expect("one reply to one request"))
    }

    /// Sends `requests`, then pushes their replies onto `replies` as they
    /// come, until the first failure.
    async fn exchange_all(
        &mut self,
        requests: Vec<Request>,
        replies: &mut Vec<Reply>,
    ) -> Result<(), ClientError> {
        let server = self.server;
        let expected = requests.len();
        let connection = self.connection().await?;
        let protocol = |source| ClientError::from_protocol(server, source);
        for request in &requests {
            // Checked (or not) by the caller; written as it is.
            encode_request_unchecked(request, connection.write_buffer_mut());
        }
        connection.flush().await.map_err(protocol)?;
        // Bounded by the requests sent: one reply each.
        while replies.len() < expected {
            match connection.next().await {
                Some(Ok(reply)) => replies.push(reply),
                Some(Err(source)) => return Err(protocol(source)),
                None => return Err(ClientError::Closed { server }),
            }
        }
        Ok(())
    }

    async fn connection(&mut self) -> Result<&mut Framed<StreamOf<P>, ClientCodec>, ClientError> {
        if self.connection.is_none() {
            let stream = self.providers.connect(self.server).await;
            let stream = stream.map_err(|source| ClientError::Connect {
                server: self.server,
                source,
            })?;
            self.connection = Some(Framed::new(stream, ClientCodec));
        }
        Ok(self.connection.as_mut().expect("connected above"))
    }

    fn timed_out(&self) -> ClientError {
        ClientError::Timeout {
            server: self.server,
            timeout: self.timeout,
        }
    }
}

/// Whether `reply` refuses a malformed request or the connection itself,
/// after which the server closes the connection.
fn is_refusal(reply: &Reply) -> bool {
    matches!(&reply.response, Response::Error(message)
        if message.starts_with(MALFORMED_PREFIX) || message.starts_with(TOO_MANY_CONNECTIONS_PREFIX))
}

/// Why a request got no reply.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request breaks the protocol's limits; nothing was sent.
    #[error("invalid request")]
    InvalidRequest(#[source] ProtocolError),
    /// The client could not connect; nothing was sent.
    #[error("could not connect to {server}")]
    Connect {
        /// The server.
        server: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The connection failed while the request was sent or its reply awaited.
    #[error("connection to {server} failed")]
    Io {
        /// The server.
        server: SocketAddr,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The server's reply broke the protocol.
    #[error("malformed reply from {server}")]
    Protocol {
        /// The server.
        server: SocketAddr,
        /// What was wrong.
        #[source]
        source: ProtocolError,
    },
    /// The server closed the connection before it replied.
    #[error("{server} closed the connection before replying")]
    Closed {
        /// The server.
        server: SocketAddr,
    },
    /// No reply within the client's timeout.
    #[error("no reply from {server} within {timeout:?}")]
    Timeout {
        /// The server.
        server: SocketAddr,
        /// The timeout.
        timeout: Duration,
    },
}

impl ClientError {
    /// Whether the server may have applied the request although no reply
    /// came: true once the request may have left, false when it never did.
    pub fn may_have_applied(&self) -> bool {
        match self {
            ClientError::InvalidRequest(_) | ClientError::Connect { .. } => false,
            ClientError::Io { .. }
            | ClientError::Protocol { .. }
            | ClientError::Closed { .. }
            | ClientError::Timeout { .. } => true,
        }
    }

    fn from_protocol(server: SocketAddr, error: ProtocolError) -> ClientError {
        match error {
            ProtocolError::Io(source) => ClientError::Io { server, source },
            source => ClientError::Protocol { server, source },
        }
    }
}
