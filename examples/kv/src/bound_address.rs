//! `BoundAddress`: where a server ended up listening.

use std::net::SocketAddr;

use tokio::sync::watch;

/// Tells where a [`KvServer`](crate::KvServer) is listening once it has bound,
/// for a server started on port 0.
///
/// # Examples
///
/// ```
/// use std::net::SocketAddr;
/// use kv::{KvConfig, KvServer};
/// use tidepool_core::providers::TokioProviders;
/// use tidepool_core::{Process, ProcessContext, Shutdown};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut server = KvServer::new(KvConfig::default());
/// let mut bound = server.bound_address();
/// let shutdown = Shutdown::new();
/// let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
/// let ctx = ProcessContext::new(TokioProviders::new(), "kv", any_port, shutdown.clone());
/// let (served, address) = tokio::join!(server.run(ctx), async {
///     let address = bound.wait().await;
///     shutdown.request();
///     address
/// });
/// served.unwrap();
/// assert_ne!(address.unwrap().port(), 0);
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct BoundAddress {
    receiver: watch::Receiver<Option<SocketAddr>>,
}

impl BoundAddress {
    pub(crate) fn new(receiver: watch::Receiver<Option<SocketAddr>>) -> BoundAddress {
        BoundAddress { receiver }
    }

    /// The address, if the server has bound it.
    pub fn get(&self) -> Option<SocketAddr> {
        *self.receiver.borrow()
    }

    /// Waits until the server has bound; `None` when the server is dropped
    /// before it binds.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: nothing is lost when the future is dropped.
    pub async fn wait(&mut self) -> Option<SocketAddr> {
        let bound = match self.receiver.wait_for(Option::is_some).await {
            Ok(address) => *address,
            Err(_) => None,
        };
        bound.or_else(|| self.get())
    }
}
