//! Liveness: properties that must become true within a bound once the chaos
//! window has ended and every fault has healed.
//!
//! Safety checks say nothing wrong happened; a system that stops answering
//! after a partition heals passes them all. An `eventually` property is
//! checked again and again from the moment the faults heal, until it holds
//! or its bound runs out; a miss is a failure of its own kind
//! ([`FailureKind::Liveness`](super::FailureKind::Liveness)), naming the
//! property and what was still pending (the check's last error).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::BoxError;
use super::failure::{self, Cause, FailureKind};
use super::workload::WorkloadContext;
use crate::sim::{self, HostId, JoinHandle};
use crate::time::Instant;

/// How long an `eventually` check waits between two attempts.
pub const EVENTUALLY_RETRY: Duration = Duration::from_millis(100);

/// An `eventually` check, boxed for the runner.
pub(crate) type Check = Arc<
    dyn Fn(WorkloadContext) -> Pin<Box<dyn Future<Output = Result<(), BoxError>>>> + Send + Sync,
>;

/// A property declared with [`SimulationBuilder::eventually`](crate::SimulationBuilder::eventually).
#[derive(Clone)]
pub(crate) struct Property {
    pub(crate) name: String,
    pub(crate) within: Duration,
    pub(crate) check: Check,
}

/// Boxes `check` for the runner.
pub(crate) fn erase<F, Fut>(check: F) -> Check
where
    F: Fn(WorkloadContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BoxError>> + 'static,
{
    Arc::new(move |ctx| Box::pin(check(ctx)))
}

/// The properties being watched, from the moment the faults healed.
pub(crate) type Watching = Vec<(String, JoinHandle<Result<(), String>>)>;

/// Starts watching every property, each on its own host with its own context.
pub(crate) fn start(properties: &[Property], contexts: Vec<(HostId, WorkloadContext)>) -> Watching {
    let healed = sim::now();
    properties
        .iter()
        .zip(contexts)
        .map(|(property, (host, ctx))| {
            let property = property.clone();
            let name = property.name.clone();
            let handle = sim::spawn_on(host, "eventually", watch(property, ctx, healed));
            (name, handle)
        })
        .collect()
}

/// Checks `property` until it holds or its bound, counted from `healed`, runs out.
async fn watch(property: Property, ctx: WorkloadContext, healed: Instant) -> Result<(), String> {
    let deadline = healed + property.within;
    let mut attempts = 0u64;
    let mut pending = String::from("no attempt finished");
    loop {
        attempts += 1;
        let left = deadline.saturating_duration_since(sim::now());
        match sim::timeout(left, (property.check)(ctx.clone())).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(error)) => pending = error.to_string(),
            // A check cut short by the deadline says less than the last one that finished.
            Err(_) if attempts == 1 => pending = "the check had not finished".to_string(),
            Err(_) => {}
        }
        let left = deadline.saturating_duration_since(sim::now());
        if left.is_zero() {
            return Err(format!(
                "'{}' did not hold within {:?} of the faults healing ({attempts} attempts); still pending: {pending}",
                property.name, property.within
            ));
        }
        // The last attempt starts at the deadline: a property may hold just then.
        sim::sleep(left.min(EVENTUALLY_RETRY)).await;
    }
}

/// Waits for every property's verdict and records the first miss as a failure.
pub(crate) async fn finish(watching: Watching) {
    for (name, handle) in watching {
        let verdict = handle.await;
        let reason = match verdict {
            Ok(Ok(())) => continue,
            Ok(Err(reason)) => reason,
            Err(error) => format!("'{name}' could not be checked: {error}"),
        };
        failure::record(Cause {
            kind: FailureKind::Liveness,
            origin: format!("eventually {name}"),
            reason: format!("liveness: {reason}"),
        });
        // Let the step hook see it.
        sim::yield_now().await;
        return;
    }
}
