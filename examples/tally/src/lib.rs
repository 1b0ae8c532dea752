//! tally: a replicated counter, written once against tidepool-core's
//! providers so that it runs on tokio in production and in a tidepool
//! simulation (`sims/tally`) unchanged.
//!
//! Clients speak HTTP to it (an axum router); its nodes speak gRPC to each
//! other (a tonic service, `proto/tally.proto`); both go over the providers'
//! connections through `tidepool-hyper`, on one port per node. Node 0 is the
//! primary and the others its backups: see [`TallyNode`] for the protocol,
//! [`http_api`] for the API.
#![warn(missing_docs, unreachable_pub)]

pub mod bugs;
pub mod client;
pub mod http_api;
pub mod node;
pub mod pb;
pub mod state;

pub use bugs::TallyBugs;
pub use client::{CallError, Reply, TallyClient};
pub use node::{AddError, Node, PRIMARY_INDEX, TALLY_GROUP, TallyConfig, TallyNode};
