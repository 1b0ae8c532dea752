//! One iteration: boot → setup → run with chaos → heal → settle → check →
//! shutdown → invariants → verdict.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::attrition::FaultCounts;
use super::budget::ArmedBudget;
use super::builder::{NetworkChoice, Plan};
use super::chaos::{self, FaultHandle};
use super::explore::Branch;
use super::failure::{self, Caught, Cause, Failure, FailureKind, Failures};
use super::final_check::FinalCheckWorkload;
use super::processes::{self, ProcessTable, Processes};
use super::state::{self, StateMap};
use super::workload::{DynWorkload, Phase, WorkloadContext, workload_context};
use crate::PROCESS_PORT;
use crate::assertions::{self, RunAssertions};
use crate::sanitizer::{self, Leak, SanitizerMode};
use crate::sim::runtime::StepInfo;
use crate::sim::world::World;
use crate::sim::{
    self, Either, HostId, JoinHandle, NetworkConfig, Sim, SimError, SimRun, TraceEvent, TraceNames,
};
use crate::time::Instant;

/// What one iteration produced.
pub(crate) struct IterationResult {
    pub(crate) index: u64,
    /// The seed's fault mix, under swarm testing.
    pub(crate) mix: Option<super::swarm::FaultMix>,
    pub(crate) seed: u64,
    /// Where the run branched from its seed's run (exploration); empty for a plain seed.
    pub(crate) branches: Arc<[Branch]>,
    /// The first branch point the run ended before reaching, if any.
    pub(crate) unreached_branch: Option<Branch>,
    pub(crate) failure: Option<Failure>,
    pub(crate) sim_time: Instant,
    pub(crate) trace_hash: u64,
    pub(crate) trace_len: u64,
    pub(crate) polls: u64,
    pub(crate) faults: FaultCounts,
    pub(crate) events: Option<Vec<TraceEvent>>,
    pub(crate) names: Option<TraceNames>,
    pub(crate) assertions: RunAssertions,
    /// The sanitizer's calls seen in this iteration, by kind and site.
    pub(crate) leaks: Vec<Leak>,
    /// The discrete faults applied, numbered as drawn ([`super::shrink`]).
    pub(crate) applied_faults: Vec<super::shrink::AppliedFault>,
    /// Workload operations counted; `None` when no workload counts them.
    pub(crate) operations: Option<u64>,
    /// The swarm knobs the workloads asked for (none without swarm testing).
    pub(crate) knobs: Vec<super::knobs::KnobDraw>,
}

/// What the driver hands back from inside the world: it finished.
struct DriverOutput;

thread_local! {
    /// Whether the step hook must look into the world: a failure was recorded or
    /// the shared state written since it last looked. One flag read per step
    /// keeps the hook O(1) when nothing happened, which is nearly always.
    static STEP_CHECK_PENDING: Cell<bool> = const { Cell::new(false) };
}

/// Tells the step hook to look at the failures and the shared state after this step.
pub(crate) fn request_step_check() {
    STEP_CHECK_PENDING.with(|pending| pending.set(true));
}

fn take_step_check_request() -> bool {
    STEP_CHECK_PENDING.with(|pending| pending.replace(false))
}

/// What runs after every executor step: the watchdog's heartbeat, then the
/// first assertion violation, panic, recorded failure or broken invariant.
struct StepHook<'a> {
    plan: &'a Plan,
    budget: &'a ArmedBudget,
    sanitizer: &'a sanitizer::Active,
    heartbeat: &'a AtomicU64,
    state_version: u64,
    caught: Option<Caught>,
    /// The branch points still ahead, in step order.
    branches: &'a [Branch],
}

impl StepHook<'_> {
    fn after_step(&mut self, info: &StepInfo) -> Option<String> {
        if let Some((branch, rest)) = self.branches.split_first()
            && info.polls == branch.step
        {
            sim::with_world("branch", |world| world.reseed(branch.seed));
            self.branches = rest;
        }
        if info.polls % 64 == 0 {
            self.heartbeat.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(cause) = self.budget.check(info.polls) {
            let reason = cause.reason.clone();
            let time = sim::with_world("step hook", |world| world.now());
            self.caught = Some(Caught { cause, time });
            return Some(reason);
        }
        if let Some(caught) = violation() {
            let reason = caught.cause.reason.clone();
            self.caught = Some(caught);
            return Some(reason);
        }
        if self.sanitizer.denial_pending()
            && let Some(leak) = self.sanitizer.take_denial()
        {
            let caught = leak_caught(&leak);
            let reason = caught.cause.reason.clone();
            self.caught = Some(caught);
            return Some(reason);
        }
        if info.panics == 0 && !take_step_check_request() {
            return None;
        }
        let (plan, version) = (self.plan, &mut self.state_version);
        self.caught = match sim::with_world("step hook", |world| step_check(world, plan, version)) {
            Found::Nothing => None,
            Found::Failure(caught) => Some(caught),
            Found::InvariantsDue => check_invariants(plan).or_else(violation),
        };
        self.caught
            .as_ref()
            .map(|caught| caught.cause.reason.clone())
    }
}

/// The first assertion violation of the run, as a failure.
fn violation() -> Option<Caught> {
    assertions::first_violation().map(|violation| violation_caught(&violation))
}

fn violation_caught(violation: &assertions::Violation) -> Caught {
    Caught {
        cause: Cause {
            kind: FailureKind::Assertion,
            origin: format!("{} at {}", violation.kind, violation.site),
            reason: violation.to_string(),
        },
        time: violation.time,
    }
}

/// A call the sanitizer denied, as a failure at the current simulated time.
fn leak_caught(leak: &Leak) -> Caught {
    let time = sim::with_world("step hook", |world| world.now());
    Caught {
        cause: Cause {
            kind: FailureKind::DeterminismLeak,
            origin: leak.site.clone(),
            reason: format!(
                "determinism leak: simulated code {} at {}; {} (or run with --sanitizer warn|virtualize)",
                leak.kind.describe(),
                leak.site,
                leak.advice()
            ),
        },
        time,
    }
}

/// Runs iteration `index` with `seed`. `heartbeat` is bumped as the world makes
/// progress, for the campaign's watchdog. With [`SanitizerMode::Virtualize`]
/// the iteration runs on a thread of its own, so that the standard library's
/// per-thread `HashMap` keys are drawn inside it, from the seed.
pub(crate) fn run_iteration(
    plan: &Arc<Plan>,
    index: u64,
    seed: u64,
    branches: &Arc<[Branch]>,
    record: bool,
    heartbeat: &AtomicU64,
) -> IterationResult {
    if plan.sanitizer != SanitizerMode::Virtualize {
        return run_iteration_here(plan, index, seed, branches, record, heartbeat);
    }
    let links = super::budget::thread_links();
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name(format!("tidepool-seed-{seed:#x}"))
            .spawn_scoped(scope, || {
                super::budget::link_thread(links);
                run_iteration_here(plan, index, seed, branches, record, heartbeat)
            });
        match thread.map(|thread| thread.join()) {
            Ok(Ok(result)) => result,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // Refused a thread by the OS, the iteration runs here: the
            // standard library's HashMap keys are then this thread's.
            Err(error) => {
                tracing::warn!("no thread for a virtualized iteration: {error}");
                run_iteration_here(plan, index, seed, branches, record, heartbeat)
            }
        }
    })
}

fn run_iteration_here(
    plan: &Arc<Plan>,
    index: u64,
    seed: u64,
    branches: &Arc<[Branch]>,
    record: bool,
    heartbeat: &AtomicU64,
) -> IterationResult {
    let budget = ArmedBudget::arm(plan.budget, index, seed);
    let sanitizer = sanitizer::activate(plan.sanitizer, seed);
    let network = match &plan.network {
        NetworkChoice::Fixed(config) => (**config).clone(),
        NetworkChoice::Swarm => NetworkConfig::random_for_seed(seed),
    };
    let mix = seed_mix(plan, seed);
    let (network, storage) = match &mix {
        Some(mix) => (
            super::swarm::network(mix, &network),
            super::swarm::storage(mix, &plan.storage),
        ),
        None => (network, plan.storage.clone()),
    };
    let mut hook = StepHook {
        plan,
        budget: &budget,
        sanitizer: &sanitizer,
        heartbeat,
        state_version: 0,
        caught: None,
        branches,
    };
    let mut run_assertions = RunAssertions::default();
    let mut faults = FaultCounts::default();
    let mut shrink_run = (Vec::new(), None);
    let mut knobs = Vec::new();
    // A request left by an earlier world on this thread is not this one's.
    take_step_check_request();
    let run: SimRun<DriverOutput> = Sim::new(seed)
        .network(network)
        .storage(storage)
        .record_events(record)
        .time_budget(plan.time_budget)
        .run_with(
            drive(plan.clone(), seed, mix),
            |info| hook.after_step(info),
            || {
                run_assertions = assertions::take_run_results();
                faults = run_faults();
                crate::timeline::hook::note_hosts();
                shrink_run = super::shrink::take_run();
                knobs = super::knobs::take_run();
            },
        );
    heartbeat.fetch_add(1, Ordering::Relaxed);
    // A violation in the last steps (the final invariants) had no step after it.
    let late_violation = run_assertions.first_violation().map(violation_caught);
    let failure = match (&run.outcome, hook.caught.or(late_violation)) {
        (_, Some(caught)) => Some(caught),
        (Ok(_), None) => None,
        (Err(error), None) => Some(sim_error_failure(error, run.end_time)),
    };
    let unreached_branch = hook.branches.first().copied();
    let leaks = sanitizer.finish();
    let failure =
        failure.map(|caught| caught.into_failure(index, seed, branches, &plan.replay_command));
    IterationResult {
        index,
        mix,
        seed,
        branches: branches.clone(),
        unreached_branch,
        failure,
        sim_time: run.end_time,
        trace_hash: run.trace_hash,
        trace_len: run.trace_len,
        polls: run.polls,
        faults,
        events: run.events,
        names: run.names,
        assertions: run_assertions,
        leaks,
        applied_faults: shrink_run.0,
        operations: shrink_run.1,
        knobs,
    }
}

fn sim_error_failure(error: &SimError, time: Instant) -> Caught {
    let kind = match error {
        SimError::Deadlock { .. } => FailureKind::Deadlock,
        SimError::TimeBudgetExceeded { .. } => FailureKind::TimeBudget,
        SimError::Livelock { .. } => FailureKind::Livelock,
        SimError::MainPanicked { .. } | SimError::Stopped(_) => FailureKind::Panic,
    };
    Caught {
        cause: Cause {
            kind,
            origin: "sim".to_string(),
            reason: error.to_string(),
        },
        time,
    }
}

/// What the step hook found in the world.
enum Found {
    Nothing,
    Failure(Caught),
    /// The shared state changed: the invariants must run (outside the world's borrow).
    InvariantsDue,
}

/// After each step: the first panic or recorded failure, or whether the
/// shared state changed since the invariants last ran.
fn step_check(world: &mut World, plan: &Plan, state_version: &mut u64) -> Found {
    if let Some(panic) = world.panics.first() {
        let at = panic
            .location
            .as_deref()
            .map(|location| format!(" at {location}"))
            .unwrap_or_default();
        let reason = format!(
            "task '{}' on {} panicked{at}: {}",
            panic.task, panic.host, panic.message
        );
        return Found::Failure(Caught {
            cause: Cause {
                kind: FailureKind::Panic,
                origin: format!("{}/{}", panic.host, panic.task),
                reason,
            },
            time: panic.time,
        });
    }
    if let Some(first) = world.extension::<Failures>().first.clone() {
        return Found::Failure(first);
    }
    let version = world.extension::<StateMap>().version;
    if version != *state_version && !plan.invariants.is_empty() {
        *state_version = version;
        return Found::InvariantsDue;
    }
    Found::Nothing
}

/// Runs every invariant over the shared state, with the world free: an
/// invariant may read the clock, and its assertions count like any other.
fn check_invariants(plan: &Plan) -> Option<Caught> {
    let (map, now) = sim::with_world("invariants", |world| {
        (std::mem::take(world.extension::<StateMap>()), world.now())
    });
    let broken = plan.invariants.iter().find_map(|(name, invariant)| {
        let verdict = catch_unwind(AssertUnwindSafe(|| {
            state::with_view(&map, |view| invariant(view))
        }));
        let reason = match verdict {
            Ok(Ok(())) => return None,
            Ok(Err(why)) => format!("invariant '{name}' broken: {why}"),
            Err(payload) => format!(
                "invariant '{name}' panicked: {}",
                crate::sim::world::panic_message(payload.as_ref())
            ),
        };
        Some(Caught {
            cause: Cause {
                kind: FailureKind::Invariant,
                origin: format!("invariant {name}"),
                reason,
            },
            time: now,
        })
    });
    sim::with_world("invariants", |world| *world.extension::<StateMap>() = map);
    broken
}

/// The iteration's main task, on the root host.
/// The seed's fault mix, when the plan asks for swarm testing.
fn seed_mix(plan: &Plan, seed: u64) -> Option<super::swarm::FaultMix> {
    if !plan.swarm {
        return None;
    }
    let network = match &plan.network {
        NetworkChoice::Fixed(config) => (**config).clone(),
        NetworkChoice::Swarm => NetworkConfig::random_for_seed(seed),
    };
    let configured = super::swarm::Configured {
        network: &network,
        attrition: plan.attrition.as_ref(),
        swizzle: plan.swizzle.is_some(),
        storage: &plan.storage,
        clock_steps: plan
            .clock_skew
            .as_ref()
            .is_some_and(|skew| skew.step_every.is_some()),
    };
    Some(super::swarm::mix_for(seed, &configured))
}

async fn drive(plan: Arc<Plan>, seed: u64, mix: Option<super::swarm::FaultMix>) -> DriverOutput {
    if let Some(mix) = &mix {
        tracing::info!("swarm mix of seed {seed:#018x}: {}", mix.describe());
    }
    super::shrink::install(&plan.edits);
    super::knobs::install(mix.is_some().then_some(seed));
    let processes = boot_processes(&plan);
    let workloads = create_workloads(&plan, &processes, seed);
    tracing::debug!("phase: setup");
    let workloads = run_phase(workloads, Phase::Setup).await;
    tracing::debug!("phase: run, with chaos");
    let (workloads, watching) = run_with_chaos(&plan, &processes, workloads, seed, mix).await;
    if !watching.is_empty() {
        tracing::debug!("phase: liveness");
        super::liveness::finish(watching).await;
    }
    tracing::debug!("phase: settle for {:?}", plan.settle);
    sim::sleep(plan.settle).await;
    tracing::debug!("phase: check");
    run_phase(workloads, Phase::Check).await;
    if !plan.final_checks.is_empty() {
        tracing::debug!("phase: final checks");
        run_phase(final_check_slots(&plan, &processes, seed), Phase::Check).await;
    }
    tracing::debug!("phase: shutdown, grace period {:?}", plan.grace_period);
    processes::shutdown_all(&processes, plan.grace_period).await;
    if let Some(broken) = check_invariants(&plan) {
        failure::record(broken.cause);
        // Let the step hook see it.
        sim::yield_now().await;
    }
    DriverOutput
}

/// Every fault of the run so far: the runner's, the network's, the disks'.
fn run_faults() -> FaultCounts {
    let mut faults = sim::with_world("faults", |world| *world.extension::<FaultCounts>());
    faults.add_network(&sim::net::stats());
    faults.add_storage(&sim::disk::stats());
    faults
}

/// Processes live on 10.1.0.0/16, workloads on 10.2.0.0/16.
fn subnet_ip(subnet: u8, ordinal: usize) -> IpAddr {
    let ordinal = ordinal + 1;
    IpAddr::from([10, subnet, (ordinal >> 8) as u8, (ordinal & 0xff) as u8])
}

fn boot_processes(plan: &Plan) -> Processes {
    let processes: Processes = Rc::new(RefCell::new(ProcessTable::new()));
    let mut topology: BTreeMap<String, Vec<SocketAddr>> = BTreeMap::new();
    let mut ordinal = 0;
    for group in &plan.groups {
        let spread = (group.count.max - group.count.min) as u64;
        let count = group.count.min + sim::random_below(spread + 1) as usize;
        for index in 0..count {
            let ip = subnet_ip(1, ordinal);
            ordinal += 1;
            let host = sim::add_host(format!("{}-{}", group.name, index + 1), ip);
            if let Some(skew) = &plan.clock_skew {
                super::clock_skew::skew_at_boot(host, skew);
            }
            let address = SocketAddr::new(ip, PROCESS_PORT);
            processes
                .borrow_mut()
                .add(&group.name, index, host, address, group.factory.clone());
            topology
                .entry(group.name.clone())
                .or_default()
                .push(address);
        }
    }
    processes.borrow_mut().topology = Arc::new(topology);
    let count = processes.borrow().entries.len();
    for index in 0..count {
        processes::boot(&processes, index);
    }
    processes
}

struct WorkloadSlot {
    host: HostId,
    label: String,
    ctx: WorkloadContext,
    workload: Box<dyn DynWorkload>,
}

fn create_workloads(plan: &Plan, processes: &Processes, seed: u64) -> Vec<WorkloadSlot> {
    let topology = processes.borrow().topology.clone();
    let mut slots = Vec::new();
    for workload in &plan.workloads {
        for client in 0..workload.count {
            let instance = (workload.factory)(client);
            let ip = subnet_ip(2, slots.len());
            let label = format!("{}-{}", instance.name(), client);
            let host = sim::add_host(label.clone(), ip);
            let ctx = workload_context(seed, client, workload.count, ip, topology.clone());
            slots.push(WorkloadSlot {
                host,
                label,
                ctx,
                workload: instance,
            });
        }
    }
    slots
}

/// The final checks as workloads, each on a host of its own (after the
/// workloads' addresses in their subnet).
fn final_check_slots(plan: &Plan, processes: &Processes, seed: u64) -> Vec<WorkloadSlot> {
    let topology = processes.borrow().topology.clone();
    let workloads: usize = plan.workloads.iter().map(|workload| workload.count).sum();
    let checks = plan.final_checks.len();
    let mut slots = Vec::with_capacity(checks);
    for (index, (name, check)) in plan.final_checks.iter().enumerate() {
        let ip = subnet_ip(2, workloads + index);
        let label = format!("final-check {name}");
        let host = sim::add_host(label.clone(), ip);
        slots.push(WorkloadSlot {
            host,
            label,
            ctx: workload_context(seed, index, checks, ip, topology.clone()),
            workload: Box::new(FinalCheckWorkload {
                name: name.clone(),
                check: check.clone(),
            }),
        });
    }
    slots
}

/// Spawns one phase of every workload, each on its host.
fn spawn_phase(slots: Vec<WorkloadSlot>, phase: Phase) -> Vec<JoinHandle<WorkloadSlot>> {
    slots
        .into_iter()
        .map(|mut slot| {
            sim::spawn_on(slot.host, phase.label(), async move {
                let result = slot.workload.phase(phase, &slot.ctx).await;
                if let Err(error) = result {
                    let reason = format!(
                        "workload {} failed in {}: {error}",
                        slot.label,
                        phase.label()
                    );
                    failure::record(Cause {
                        kind: FailureKind::Workload,
                        origin: format!("{}/{}", slot.label, phase.label()),
                        reason,
                    });
                }
                slot
            })
        })
        .collect()
}

/// Waits for every handle; a task that died (its panic is already recorded) is dropped.
async fn join_all(handles: Vec<JoinHandle<WorkloadSlot>>) -> Vec<WorkloadSlot> {
    let mut slots = Vec::with_capacity(handles.len());
    for handle in handles {
        if let Ok(slot) = handle.await {
            slots.push(slot);
        }
    }
    slots
}

async fn run_phase(slots: Vec<WorkloadSlot>, phase: Phase) -> Vec<WorkloadSlot> {
    join_all(spawn_phase(slots, phase)).await
}

/// The run phase, with chaos beside it (in the seed's swarm mix, if any)
/// until the chaos window ends or the workloads finish; returns the
/// workloads and the liveness properties, watched from the moment the faults healed.
async fn run_with_chaos(
    plan: &Plan,
    processes: &Processes,
    slots: Vec<WorkloadSlot>,
    seed: u64,
    mix: Option<super::swarm::FaultMix>,
) -> (Vec<WorkloadSlot>, super::liveness::Watching) {
    let mut runs = sim::spawn("workloads", join_all(spawn_phase(slots, Phase::Run)));
    let chaos = start_chaos(plan, processes, mix);
    if let Some(window) = super::shrink::chaos_window(&plan.edits, plan.chaos_duration) {
        if let Either::Left(done) = sim::select(&mut runs, sim::sleep(window)).await {
            end_chaos(chaos, processes);
            let watching = watch_liveness(plan, processes, seed);
            return (done.unwrap_or_default(), watching);
        }
        // The window closed first: heal, then let the workloads finish.
        end_chaos(chaos, processes);
        let watching = watch_liveness(plan, processes, seed);
        return (runs.await.unwrap_or_default(), watching);
    }
    let done = runs.await.unwrap_or_default();
    end_chaos(chaos, processes);
    (done, watch_liveness(plan, processes, seed))
}

/// Starts watching the liveness properties, each on a host of its own
/// (`eventually N`, on 10.3.0.0/16).
fn watch_liveness(plan: &Plan, processes: &Processes, seed: u64) -> super::liveness::Watching {
    if plan.properties.is_empty() {
        return Vec::new();
    }
    let topology = processes.borrow().topology.clone();
    let count = plan.properties.len();
    let contexts = (0..count)
        .map(|index| {
            let ip = subnet_ip(3, index);
            let host = sim::add_host(format!("eventually {}", index + 1), ip);
            (
                host,
                workload_context(seed, index, count, ip, topology.clone()),
            )
        })
        .collect();
    super::liveness::start(&plan.properties, contexts)
}

/// The address of the host that runs the chaos: attrition, swizzles, injectors.
const CHAOS_IP: [u8; 4] = [10, 0, 0, 2];

/// Starts the chaos tasks on a host of their own, so that ending the window
/// ends all of them at once, whatever they spawned.
fn start_chaos(plan: &Plan, processes: &Processes, mix: Option<super::swarm::FaultMix>) -> HostId {
    let chaos = sim::add_host("chaos", IpAddr::from(CHAOS_IP));
    let edits = &plan.edits;
    use super::swarm::Family;
    let swarm_on = |family: Family| mix.is_none_or(|mix| mix.is_on(family));
    let attrition = plan
        .attrition
        .as_ref()
        .filter(|_| !edits.attrition_off)
        .and_then(|attrition| match &mix {
            Some(mix) => super::swarm::attrition(mix, attrition),
            None => Some(attrition.clone()),
        });
    if let Some(attrition) = attrition {
        let attrition = chaos::attrition(processes.clone(), attrition);
        drop(sim::spawn_on(chaos, "attrition", attrition));
    }
    if let Some(every) = plan
        .swizzle
        .filter(|_| !edits.swizzle_off && swarm_on(Family::Swizzles))
    {
        drop(sim::spawn_on(
            chaos,
            "swizzle",
            chaos::swizzle(processes.clone(), every),
        ));
    }
    if let Some(skew) = plan
        .clock_skew
        .as_ref()
        .filter(|_| swarm_on(Family::ClockSteps))
    {
        let steps = super::clock_skew::step_clocks(processes.clone(), skew.clone());
        drop(sim::spawn_on(chaos, "clock steps", steps));
    }
    for (name, injector) in &plan.injectors {
        if edits.injectors_off.contains(name) {
            continue;
        }
        let future = injector(FaultHandle::new(processes.clone()));
        drop(sim::spawn_on(chaos, format!("injector {name}"), future));
    }
    chaos
}

/// Ends the chaos window: stops every chaos task (and whatever they spawned,
/// reboots in flight included), stops network faults, heals every partition
/// and clog, and boots every process that is down.
fn end_chaos(chaos: HostId, processes: &Processes) {
    tracing::debug!(
        "chaos ends: network and disk faults off, partitions healed, processes restored"
    );
    sim::kill(chaos);
    sim::net::set_faults_active(false);
    sim::disk::set_faults_active(false);
    sim::net::heal_all();
    processes::restore_all(processes);
}
