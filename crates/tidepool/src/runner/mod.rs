//! The runner: what the tutorial teaches. A [`Process`] is the system under
//! test, a [`Workload`] drives and checks it, and a [`SimulationBuilder`]
//! runs them over many seeds with chaos beside them, into a report.

mod process;
mod shutdown;
mod state;
mod workload;

pub use process::{BoxError, PROCESS_PORT, Process, ProcessContext};
pub use shutdown::{Requested, Shutdown};
pub use state::{SharedState, StateView};
pub use workload::{Workload, WorkloadContext};
