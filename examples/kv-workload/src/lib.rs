//! The simulation's side of the tutorial's key-value server: [`KvWorkload`]
//! drives [`kv::KvServer`]s with random operations, configured by a
//! [`KvWorkloadConfig`], and checks every reply against a model of what each
//! server may hold, honest about requests lost to faults.
//!
//! It lives apart from the `kv` package so that the production `kv` binary
//! links only `tidepool-core`: this crate depends on `kv` and on the simulator,
//! `tidepool`; `sims/kv` and `sims/kv-durable` use it.
#![warn(missing_docs, unreachable_pub)]

mod checks;
mod config;
mod kv_workload;
mod model;

pub use checks::INCARNATIONS_SEEN;
pub use config::{
    CHECK_ATTEMPTS_MAX_DEFAULT, CHECK_RETRY_DELAY_DEFAULT, KEYS_DEFAULT, KvWorkloadConfig,
    OPERATIONS_DEFAULT, OperationWeights, PAUSE_MAX_DEFAULT, SERVER_GROUP_DEFAULT,
    VALUE_LETTERS_MAX_DEFAULT, WORKLOAD_REQUEST_TIMEOUT_DEFAULT,
};
pub use kv_workload::KvWorkload;
