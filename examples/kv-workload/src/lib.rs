//! The simulation's side of the tutorial's key-value server: [`KvWorkload`]
//! drives [`kv::KvServer`]s with concurrent clients over shared keys,
//! configured by a [`KvWorkloadConfig`], records every operation in a
//! [`tidepool::history::History`], and checks it for linearizability, key
//! by key, honest about requests lost to faults and stores lost to reboots.
//!
//! It lives apart from the `kv` package so that the production `kv` binary
//! links only `tidepool-core`: this crate depends on `kv` and on the simulator,
//! `tidepool`; `sims/kv` and `sims/kv-durable` use it.
#![warn(missing_docs, unreachable_pub)]

mod client;
mod config;
mod key_space;
mod kv_workload;
mod model;
mod operation_log;
mod values;

pub use client::INCARNATIONS_SEEN;
pub use config::{
    BOUNDARY_PERCENT_DEFAULT, CHECK_ATTEMPTS_MAX_DEFAULT, CHECK_RETRY_DELAY_DEFAULT,
    CLIENTS_DEFAULT, HOT_KEYS_DEFAULT, HOT_PERCENT_DEFAULT, KEYS_DEFAULT, KvWorkloadConfig,
    OPERATIONS_DEFAULT, OVER_LIMIT_PERCENT_DEFAULT, OperationWeights, PAUSE_MAX_DEFAULT,
    PIPELINE_DEPTH_MAX_DEFAULT, PIPELINE_PERCENT_DEFAULT, SERVER_GROUP_DEFAULT,
    VALUE_LETTERS_MAX_DEFAULT, WORKLOAD_REQUEST_TIMEOUT_DEFAULT,
};
pub use kv_workload::KvWorkload;
