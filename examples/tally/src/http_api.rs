//! The HTTP API (axum) and the `tally.Replica` gRPC service (tonic) of a
//! node, on one router.
//!
//! - `POST /add/{amount}`: the primary adds `amount`; `200` with the count
//!   after it; `503` while the primary recovers (nothing happened: retry);
//!   `504` when some backup did not take it (it may or may not stand).
//! - `GET /value`: the primary's count, `200`; `503` while it recovers.
//! - On a backup, both answer `421 Misdirected Request` with the primary's
//!   address: ask it.
//! - `/tally.Replica/*`: gRPC, between nodes.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State as Shared};
use axum::http::StatusCode;
use axum::routing::{get, post};
use tidepool_core::providers::Providers;

use crate::node::{AddError, Node, Role, lock};
use crate::pb::replica_server::{Replica, ReplicaServer};
use crate::pb::{ApplyReply, ApplyRequest, FetchReply, FetchRequest};
use crate::state::takes;

/// The route of the gRPC service's methods.
pub const REPLICA_ROUTE: &str = "/tally.Replica/{*method}";

/// A node's whole API: HTTP for clients, gRPC for the other nodes.
pub fn router<P: Providers>(node: Arc<Node<P>>) -> Router {
    Router::new()
        .route("/add/{amount}", post(add::<P>))
        .route("/value", get(value::<P>))
        .route_service(REPLICA_ROUTE, ReplicaServer::from_arc(Arc::clone(&node)))
        .with_state(node)
}

async fn add<P: Providers>(
    Shared(node): Shared<Arc<Node<P>>>,
    Path(amount): Path<u64>,
) -> (StatusCode, String) {
    let primary = match &node.role {
        Role::Primary(primary) => primary,
        Role::Backup { primary, .. } => return misdirected(*primary),
    };
    match node.add(primary, amount).await {
        Ok(value) => (StatusCode::OK, value.to_string()),
        Err(error @ AddError::Overflow) => (StatusCode::BAD_REQUEST, error.to_string()),
        Err(error @ AddError::Recovering) => (StatusCode::SERVICE_UNAVAILABLE, error.to_string()),
        Err(error @ AddError::NotReplicated { .. }) => {
            (StatusCode::GATEWAY_TIMEOUT, error.to_string())
        }
    }
}

async fn value<P: Providers>(Shared(node): Shared<Arc<Node<P>>>) -> (StatusCode, String) {
    match &node.role {
        Role::Primary(primary) => match primary.committed() {
            Some(value) => (StatusCode::OK, value.to_string()),
            None => (
                StatusCode::SERVICE_UNAVAILABLE,
                AddError::Recovering.to_string(),
            ),
        },
        Role::Backup { held, .. } if node.config.bugs.backups_serve_reads => {
            let value = lock(held).map_or(0, |state| state.value);
            (StatusCode::OK, value.to_string())
        }
        Role::Backup { primary, .. } => misdirected(*primary),
    }
}

fn misdirected(primary: std::net::SocketAddr) -> (StatusCode, String) {
    (StatusCode::MISDIRECTED_REQUEST, primary.to_string())
}

#[tonic::codegen::async_trait]
impl<P: Providers> Replica for Node<P> {
    async fn apply(
        &self,
        request: tonic::Request<ApplyRequest>,
    ) -> Result<tonic::Response<ApplyReply>, tonic::Status> {
        let Role::Backup { held, .. } = &self.role else {
            return Err(tonic::Status::failed_precondition(
                "this node is the primary",
            ));
        };
        let offered = request
            .into_inner()
            .state
            .ok_or_else(|| tonic::Status::invalid_argument("an apply without a state"))?;
        let mut held = lock(held);
        let accepted = takes(held.as_ref(), &offered);
        if accepted {
            *held = Some(offered);
        }
        Ok(tonic::Response::new(ApplyReply { accepted }))
    }

    async fn fetch(
        &self,
        _: tonic::Request<FetchRequest>,
    ) -> Result<tonic::Response<FetchReply>, tonic::Status> {
        let Role::Backup { held, .. } = &self.role else {
            return Err(tonic::Status::failed_precondition(
                "this node is the primary",
            ));
        };
        let held = *lock(held);
        Ok(tonic::Response::new(FetchReply {
            recovered: held.is_some(),
            state: held,
        }))
    }
}
