//! How the simulation boots a [`Process`]: a factory per process, and the
//! context of each boot. `Process` and `ProcessContext` are `tidepool_core`'s.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use crate::providers::SimProviders;
use crate::{BoxError, Process, ProcessContext, Shutdown};

/// A process's one run, boxed for the simulation's executor.
pub(crate) type ProcessRun = Pin<Box<dyn Future<Output = Result<(), BoxError>>>>;

/// Builds and runs a fresh process instance.
pub(crate) type ProcessFactory =
    Arc<dyn Fn(ProcessContext<SimProviders>) -> ProcessRun + Send + Sync>;

pub(crate) fn erase<F, Pr>(factory: F) -> ProcessFactory
where
    F: Fn() -> Pr + Send + Sync + 'static,
    Pr: Process,
{
    Arc::new(move |ctx| {
        let mut process = factory();
        Box::pin(async move { process.run(ctx).await })
    })
}

pub(crate) fn sim_context(
    address: SocketAddr,
    name: String,
    index: usize,
    incarnation: u64,
    shutdown: Shutdown,
    peers: Arc<BTreeMap<String, Vec<SocketAddr>>>,
) -> ProcessContext<SimProviders> {
    ProcessContext::simulated(
        SimProviders,
        address,
        name,
        index,
        incarnation,
        shutdown,
        peers,
    )
}
