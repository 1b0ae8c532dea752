//! Final checks: run once per iteration, when the system is quiet and every
//! workload has finished its own `check`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::BoxError;
use super::workload::{DynWorkload, Phase, PhaseFuture, WorkloadContext};

/// A final check, boxed for the runner.
pub(crate) type FinalCheck = Arc<
    dyn Fn(WorkloadContext) -> Pin<Box<dyn Future<Output = Result<(), BoxError>>>> + Send + Sync,
>;

/// Boxes `check` for the runner.
pub(crate) fn erase<F, Fut>(check: F) -> FinalCheck
where
    F: Fn(WorkloadContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BoxError>> + 'static,
{
    Arc::new(move |ctx| Box::pin(check(ctx)))
}

/// A final check run as a workload whose only phase is `check`, so that it
/// gets a host, a context and failure reports as workloads do.
pub(crate) struct FinalCheckWorkload {
    pub(crate) name: String,
    pub(crate) check: FinalCheck,
}

impl DynWorkload for FinalCheckWorkload {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn phase<'a>(&'a mut self, phase: Phase, ctx: &'a WorkloadContext) -> PhaseFuture<'a> {
        match phase {
            Phase::Check => (self.check)(ctx.clone()),
            Phase::Setup | Phase::Run => Box::pin(async { Ok(()) }),
        }
    }
}
