//! `LineClient`: one request line out, one reply line back, within a
//! timeout, over a connection kept between calls.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tidepool::prelude::*;
use tidepool::providers::StreamOf;
use tokio_util::codec::Framed;

use crate::protocol::{LineCodec, LineError};

/// Why a call got no reply.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No connection could be made: the request was never sent.
    #[error("could not connect to {address}")]
    Connect {
        /// The server.
        address: SocketAddr,
        /// The connect error.
        #[source]
        source: io::Error,
    },
    /// No whole reply within the timeout; the request may have been applied.
    #[error("no reply from {address} within {timeout:?}")]
    Timeout {
        /// The server.
        address: SocketAddr,
        /// The call's timeout.
        timeout: Duration,
    },
    /// The connection failed or closed after the request may have left.
    #[error("connection to {address} failed")]
    Connection {
        /// The server.
        address: SocketAddr,
        /// The stream's error, if it gave one (`None`: it closed).
        #[source]
        source: Option<io::Error>,
    },
    /// The server sent bytes that are not a line.
    #[error("malformed reply from {address}: {error}")]
    Malformed {
        /// The server.
        address: SocketAddr,
        /// What was wrong with it.
        error: LineError,
    },
}

/// A client of one server. A call that fails drops the connection, so a late
/// reply to it can never be read as the reply to the next call.
pub struct LineClient<P: Providers> {
    providers: P,
    address: SocketAddr,
    timeout: Duration,
    connection: Option<Framed<StreamOf<P>, LineCodec>>,
}

impl<P: Providers> LineClient<P> {
    /// A client of the server at `address`; each call waits at most `timeout`.
    pub fn new(providers: P, address: SocketAddr, timeout: Duration) -> LineClient<P> {
        LineClient {
            providers,
            address,
            timeout,
            connection: None,
        }
    }

    /// Sends `request` and waits for the reply line, connecting first if
    /// needed.
    ///
    /// # Errors
    ///
    /// A [`CallError`]; the connection is dropped, and the next call makes a
    /// new one.
    ///
    /// # Cancellation
    ///
    /// Dropping the future drops the connection too, as a failure does.
    pub async fn call(&mut self, request: &str) -> Result<String, CallError> {
        let (address, timeout) = (self.address, self.timeout);
        // Taken out for the call, put back only after a whole reply.
        let connection = self.connection.take();
        let time = self.providers.time().clone();
        let exchange = exchange(&self.providers, address, connection, request);
        match time.timeout(timeout, exchange).await {
            Ok(Ok((reply, connection))) => {
                self.connection = Some(connection);
                Ok(reply)
            }
            Ok(Err(error)) => Err(error),
            Err(_elapsed) => Err(CallError::Timeout { address, timeout }),
        }
    }
}

/// One request and its reply, on `connection` or a new one.
async fn exchange<P: Providers>(
    providers: &P,
    address: SocketAddr,
    connection: Option<Framed<StreamOf<P>, LineCodec>>,
    request: &str,
) -> Result<(String, Framed<StreamOf<P>, LineCodec>), CallError> {
    let mut framed = match connection {
        Some(framed) => framed,
        None => {
            let stream = providers
                .connect(address)
                .await
                .map_err(|source| CallError::Connect { address, source })?;
            Framed::new(stream, LineCodec::new())
        }
    };
    framed
        .send(request)
        .await
        .map_err(|source| CallError::Connection {
            address,
            source: Some(source),
        })?;
    match framed.next().await {
        Some(Ok(Ok(reply))) => Ok((reply, framed)),
        Some(Ok(Err(error))) => Err(CallError::Malformed { address, error }),
        Some(Err(source)) => Err(CallError::Connection {
            address,
            source: Some(source),
        }),
        None => Err(CallError::Connection {
            address,
            source: None,
        }),
    }
}
