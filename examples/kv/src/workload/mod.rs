//! The simulation's workload: [`KvWorkload`] drives KV servers with random
//! operations, configured by a [`KvWorkloadConfig`], and checks every reply
//! against a model of what each server may hold.

mod checks;
mod config;
mod kv_workload;

pub use checks::INCARNATIONS_SEEN;
pub use config::{
    CHECK_ATTEMPTS_MAX_DEFAULT, CHECK_RETRY_DELAY_DEFAULT, KEYS_DEFAULT, KvWorkloadConfig,
    OPERATIONS_DEFAULT, OperationWeights, PAUSE_MAX_DEFAULT, SERVER_GROUP_DEFAULT,
    VALUE_LETTERS_MAX_DEFAULT, WORKLOAD_REQUEST_TIMEOUT_DEFAULT,
};
pub use kv_workload::KvWorkload;
