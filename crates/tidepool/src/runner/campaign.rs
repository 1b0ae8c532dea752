//! The campaign: many seeds, on one or many threads, into one report.
//!
//! Seeds run on worker threads, one world per thread. Results are merged in
//! seed order, so the report (wall-clock figures aside) does not depend on the
//! thread count. A watchdog on the calling thread stops waiting for a seed
//! whose world makes no progress in wall-clock time (a task that never yields):
//! that seed fails, its thread is abandoned, and a fresh thread takes over.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use super::builder::{CampaignOptions, Plan, SeedSource};
use super::failure::{Failure, FailureKind};
use super::iteration::{IterationResult, run_iteration};
use super::report::SimulationReport;
use crate::assertions::AssertionTable;
use crate::sim::{TraceEvent, TraceNames, derive_seed, splitmix64};

/// How often the campaign's thread looks for the workers' messages. Workers do
/// not wake it per message: a futex wake per seed costs a fair share of a
/// small iteration. A worker that exits wakes it at once.
const MESSAGES_TICK: Duration = Duration::from_millis(10);

/// Hung seeds (threads given up on by the watchdog) after which a campaign stops.
const ABANDONED_THREADS_MAX: usize = 8;

pub(crate) fn run(plan: Arc<Plan>, options: CampaignOptions) -> SimulationReport {
    let (base_seed, mut seeds) = plan_seeds(&options.seeds);
    let campaign_iterations = seeds.len() as u64;
    if let Some((index, count)) = options.shard {
        seeds.retain(|(position, _)| position % count == index);
    }
    let started = Instant::now();
    let mut report = empty_report(&plan, &options, base_seed);
    report.campaign_iterations = campaign_iterations;
    report.stopped_early = execute(&plan, &options, seeds, &mut report);
    // A `--seed` replay is itself the replay; a determinism check has already
    // run every seed twice.
    if !options.verbose_replay && !options.check_determinism {
        super::replay_check::verify(&plan, &mut report.failures, options.watchdog);
    }
    report.wall_time_s = started.elapsed().as_secs_f64();
    report
}

fn plan_seeds(source: &SeedSource) -> (Option<u64>, Vec<(u64, u64)>) {
    match source {
        SeedSource::Derived { base, iterations } => {
            // Not simulated code: the campaign's base seed may come from the OS.
            let base =
                base.unwrap_or_else(|| RandomState::new().hash_one(0x7469_6465_706f_6f6cu64));
            (
                Some(base),
                (0..*iterations)
                    .map(|index| (index, derive_seed(base, index)))
                    .collect(),
            )
        }
        SeedSource::Explicit(seeds) => (
            None,
            seeds
                .iter()
                .enumerate()
                .map(|(index, &seed)| (index as u64, seed))
                .collect(),
        ),
    }
}

enum Message {
    Started {
        worker: usize,
        position: usize,
    },
    Done {
        worker: usize,
        result: Box<IterationResult>,
    },
    Exited {
        worker: usize,
    },
}

struct WorkerState {
    heartbeat: Arc<AtomicU64>,
    /// The position it runs, and since when its heartbeat last moved.
    running: Option<(usize, u64, Instant)>,
    /// Given up on by the watchdog: its seed was reported as hung.
    abandoned: bool,
    /// Tells the thread to take no further seed once its current one returns.
    retired: Arc<AtomicBool>,
    /// The iteration the watchdog reported for it; its late result is dropped.
    failed_index: Option<u64>,
    exited: bool,
}

struct Shared {
    plan: Arc<Plan>,
    seeds: Vec<(u64, u64)>,
    cursor: AtomicUsize,
    stop: AtomicBool,
    check_determinism: bool,
    record: bool,
    /// The campaign's thread, woken by workers when they exit.
    campaign_thread: std::thread::Thread,
}

/// Runs every seed, folding each result into `report` in seed order; returns
/// why it stopped early, if it did.
fn execute(
    plan: &Arc<Plan>,
    options: &CampaignOptions,
    seeds: Vec<(u64, u64)>,
    report: &mut SimulationReport,
) -> Option<String> {
    let total = seeds.len();
    let shared = Arc::new(Shared {
        plan: plan.clone(),
        seeds,
        cursor: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        check_determinism: options.check_determinism,
        record: options.verbose_replay,
        campaign_thread: std::thread::current(),
    });
    let (sender, receiver) = mpsc::channel();
    let mut pool = Pool {
        shared,
        sender,
        workers: Vec::new(),
    };
    for _ in 0..options.jobs.min(total.max(1)) {
        pool.spawn_worker();
    }
    let progress = super::progress::Progress::new(options.progress, total as u64);
    let started = Instant::now();
    let mut results = InOrder::default();
    let mut stopped_early = None;
    // Until every worker has exited, except abandoned ones with nothing left to report.
    while pool
        .workers
        .iter()
        .any(|worker| !worker.exited && (!worker.abandoned || worker.running.is_some()))
    {
        // Every message first, so that the watchdog judges up-to-date states.
        let mut received = false;
        while let Ok(message) = receiver.try_recv() {
            received = true;
            if let Some(result) = pool.take_in(message) {
                progress.record(result.failure.is_some());
                results.add(result, &pool.shared.seeds, report);
            }
        }
        if !received {
            std::thread::park_timeout(MESSAGES_TICK);
        }
        if let Some(budget) = options.wall_budget {
            if stopped_early.is_none() && started.elapsed() >= budget {
                pool.shared.stop.store(true, Ordering::SeqCst);
                stopped_early = Some(format!("the wall-clock budget of {budget:?} ran out"));
            }
        }
        for result in pool.replace_hung(options.watchdog) {
            progress.record(true);
            results.add(result, &pool.shared.seeds, report);
        }
        let abandoned = pool
            .workers
            .iter()
            .filter(|worker| worker.abandoned)
            .count();
        if abandoned >= ABANDONED_THREADS_MAX && stopped_early.is_none() {
            // Each hung seed keeps a thread busy for good: stop before they eat the machine.
            pool.shared.stop.store(true, Ordering::SeqCst);
            stopped_early = Some(format!(
                "{abandoned} seeds hung past the watchdog, each holding a thread; fix the hang (see the watchdog failures) and run again"
            ));
        }
    }
    progress.finish();
    // Seeds after a gap (a campaign stopped early) are still reported, in order.
    for result in std::mem::take(&mut results.pending).into_values() {
        add_to_report(report, result);
    }
    stopped_early
}

/// The worker threads of a campaign.
struct Pool {
    shared: Arc<Shared>,
    sender: mpsc::Sender<Message>,
    workers: Vec<WorkerState>,
}

impl Pool {
    fn spawn_worker(&mut self) {
        spawn_worker(&self.shared, &self.sender, &mut self.workers);
    }

    /// Files a worker's message; returns a finished iteration.
    fn take_in(&mut self, message: Message) -> Option<IterationResult> {
        match message {
            Message::Started { worker, position } => {
                let heartbeat = self.workers[worker].heartbeat.load(Ordering::Relaxed);
                self.workers[worker].running = Some((position, heartbeat, Instant::now()));
                None
            }
            Message::Done { worker, result } => {
                let state = &mut self.workers[worker];
                state.running = None;
                // A hung seed that returns late was already reported by the watchdog;
                // any other seed the thread finished still counts.
                (state.failed_index != Some(result.index)).then_some(*result)
            }
            Message::Exited { worker } => {
                self.workers[worker].exited = true;
                None
            }
        }
    }

    /// Abandons the workers stuck past `limit`, each replaced by a fresh one;
    /// returns the failures of the seeds they were stuck on.
    fn replace_hung(&mut self, limit: Duration) -> Vec<IterationResult> {
        let mut failures = Vec::new();
        for hung in watch(&mut self.workers, limit) {
            let worker = &mut self.workers[hung];
            let (position, _, _) = worker.running.take().expect("hung workers run a seed");
            worker.abandoned = true;
            worker.retired.store(true, Ordering::SeqCst);
            worker.failed_index = Some(self.shared.seeds[position].0);
            failures.push(watchdog_failure(&self.shared, position, limit));
            self.spawn_worker();
        }
        failures
    }
}

/// Folds results into the report in seed order as they come, holding back
/// only those that come before an earlier seed's (at most about one per
/// worker): the campaign's memory stays flat however many seeds it runs.
#[derive(Default)]
struct InOrder {
    /// The position in the seed list of the next result to fold.
    next: usize,
    /// Results that came early, by iteration.
    pending: BTreeMap<u64, IterationResult>,
}

impl InOrder {
    fn add(
        &mut self,
        result: IterationResult,
        seeds: &[(u64, u64)],
        report: &mut SimulationReport,
    ) {
        self.pending.insert(result.index, result);
        while let Some(&(index, _)) = seeds.get(self.next) {
            let Some(result) = self.pending.remove(&index) else {
                break;
            };
            add_to_report(report, result);
            self.next += 1;
        }
    }
}

fn spawn_worker(
    shared: &Arc<Shared>,
    sender: &mpsc::Sender<Message>,
    workers: &mut Vec<WorkerState>,
) {
    let id = workers.len();
    let heartbeat = Arc::new(AtomicU64::new(0));
    let retired = Arc::new(AtomicBool::new(false));
    workers.push(WorkerState {
        heartbeat: heartbeat.clone(),
        running: None,
        abandoned: false,
        retired: retired.clone(),
        failed_index: None,
        exited: false,
    });
    let shared = shared.clone();
    let sender = sender.clone();
    std::thread::Builder::new()
        .name(format!("tidepool-worker-{id}"))
        .spawn(move || {
            worker_loop(id, &shared, &sender, &heartbeat, &retired);
            let _ = sender.send(Message::Exited { worker: id });
            shared.campaign_thread.unpark();
        })
        .expect("spawning a worker thread");
}

fn worker_loop(
    id: usize,
    shared: &Shared,
    sender: &mpsc::Sender<Message>,
    heartbeat: &AtomicU64,
    retired: &AtomicBool,
) {
    loop {
        if shared.stop.load(Ordering::SeqCst) || retired.load(Ordering::SeqCst) {
            return;
        }
        let position = shared.cursor.fetch_add(1, Ordering::SeqCst);
        let Some(&(index, seed)) = shared.seeds.get(position) else {
            return;
        };
        if sender
            .send(Message::Started {
                worker: id,
                position,
            })
            .is_err()
        {
            return;
        }
        let result = run_seed(shared, index, seed, heartbeat);
        if sender
            .send(Message::Done {
                worker: id,
                result: Box::new(result),
            })
            .is_err()
        {
            return;
        }
    }
}

fn run_seed(shared: &Shared, index: u64, seed: u64, heartbeat: &AtomicU64) -> IterationResult {
    if !shared.check_determinism {
        return run_iteration(&shared.plan, index, seed, shared.record, heartbeat);
    }
    let mut first = run_iteration(&shared.plan, index, seed, true, heartbeat);
    // The second run on a thread of its own: state that leaks from one run into
    // the next through thread-locals would otherwise repeat itself and hide.
    let second = std::thread::scope(|scope| {
        let rerun = scope.spawn(|| run_iteration(&shared.plan, index, seed, true, heartbeat));
        rerun
            .join()
            .expect("the iteration runner catches every panic")
    });
    // Compared even when the first run failed: a failure that does not
    // reproduce is the nondeterminism to report, not the failure.
    if first.trace_hash != second.trace_hash {
        let reason = divergence(
            (
                first.events.as_deref().unwrap_or(&[]),
                first.names.as_ref(),
                first.failure.as_ref(),
            ),
            (
                second.events.as_deref().unwrap_or(&[]),
                second.names.as_ref(),
                second.failure.as_ref(),
            ),
        );
        first.failure = Some(Failure {
            replayed: None,
            iteration: index,
            seed,
            kind: FailureKind::Nondeterminism,
            reason,
            origin: "determinism check".into(),
            time: first.sim_time,
            replay: format!(
                "{} --seed {seed:#018x} --check-determinism",
                shared.plan.replay_command
            ),
        });
    }
    first.events = None;
    first.names = None;
    first
}

/// Events shown before the first difference.
const DIVERGENCE_CONTEXT: usize = 5;

/// One run's recorded events, the names they refer to, and how it failed.
type Recorded<'a> = (
    &'a [TraceEvent],
    Option<&'a TraceNames>,
    Option<&'a Failure>,
);

/// Describes where two runs part, naming tasks and hosts, and saying how a
/// run that stopped first ended.
pub(crate) fn divergence(first: Recorded<'_>, second: Recorded<'_>) -> String {
    let ((first, first_names, first_failure), (second, second_names, second_failure)) =
        (first, second);
    let describe = |event: &TraceEvent, names: Option<&TraceNames>| match names {
        Some(names) => names.describe(event),
        None => event.to_string(),
    };
    let same = |a: &TraceEvent, b: &TraceEvent| {
        a.time == b.time && a.kind == b.kind && a.subject == b.subject && a.detail == b.detail
    };
    let at = first
        .iter()
        .zip(second)
        .position(|(a, b)| !same(a, b))
        .unwrap_or(first.len().min(second.len()));
    let show = |events: &[TraceEvent], names, failure: Option<&Failure>| match events.get(at) {
        Some(event) => describe(event, names),
        None => match failure {
            Some(failure) => format!(
                "(the run ended here, failed: {}: {})",
                failure.kind.label(),
                failure.reason
            ),
            None => "(the run ended here)".to_string(),
        },
    };
    let mut reason = format!(
        "the two runs of this seed parted at event #{at}: first run: {}; second run: {}",
        show(first, first_names, first_failure),
        show(second, second_names, second_failure)
    );
    let from = at.saturating_sub(DIVERGENCE_CONTEXT);
    for (label, events, names) in [
        ("first", first, first_names),
        ("second", second, second_names),
    ] {
        let context: Vec<String> = events[from..at.min(events.len())]
            .iter()
            .map(|event| describe(event, names))
            .collect();
        reason.push_str(&format!(
            "\n      before it in the {label} run: {}",
            context.join(" | ")
        ));
    }
    reason
}

/// Workers whose heartbeat has not moved for `limit`.
fn watch(workers: &mut [WorkerState], limit: Duration) -> Vec<usize> {
    let mut hung = Vec::new();
    for (id, worker) in workers.iter_mut().enumerate() {
        if worker.abandoned {
            continue;
        }
        let Some((position, last_beat, since)) = worker.running.as_mut() else {
            continue;
        };
        let beat = worker.heartbeat.load(Ordering::Relaxed);
        if beat != *last_beat {
            *last_beat = beat;
            *since = Instant::now();
        } else if since.elapsed() >= limit {
            let _ = position;
            hung.push(id);
        }
    }
    hung
}

fn watchdog_failure(shared: &Shared, position: usize, limit: Duration) -> IterationResult {
    let (index, seed) = shared.seeds[position];
    IterationResult {
        index,
        failure: Some(Failure {
            replayed: None,
            iteration: index,
            seed,
            kind: FailureKind::Watchdog,
            reason: format!(
                "no progress for {limit:?} of wall-clock time: a task is running without ever yielding \
                 (an infinite loop, or blocking code such as std::thread::sleep inside the simulation)"
            ),
            origin: "watchdog".into(),
            time: crate::time::Instant::ZERO,
            replay: format!("{} --seed {seed:#018x}", shared.plan.replay_command),
        }),
        sim_time: crate::time::Instant::ZERO,
        trace_hash: 0,
        trace_len: 0,
        polls: 0,
        faults: Default::default(),
        events: None,
        names: None,
        assertions: Default::default(),
    }
}

fn empty_report(
    plan: &Plan,
    options: &CampaignOptions,
    base_seed: Option<u64>,
) -> SimulationReport {
    SimulationReport {
        name: plan.name.clone(),
        base_seed,
        shard: options.shard,
        merged_shards: options
            .shard
            .map(|(index, _)| vec![index])
            .unwrap_or_default(),
        campaign_iterations: 0,
        iterations: 0,
        passed: 0,
        failed: 0,
        wall_time_s: 0.0,
        sim_time_s: 0.0,
        events: 0,
        polls: 0,
        fingerprint: 0,
        faults: Default::default(),
        failures: Vec::new(),
        stopped_early: None,
        assertions: match &plan.coverage_scope {
            Some(in_scope) => AssertionTable::scoped(|site| in_scope(site)),
            None => AssertionTable::new(),
        },
        strict_coverage: options.strict_coverage,
    }
}

fn add_to_report(report: &mut SimulationReport, result: IterationResult) {
    report.iterations += 1;
    report.sim_time_s += result.sim_time.since_origin().as_secs_f64();
    report.events += result.trace_len;
    report.polls += result.polls;
    report.fingerprint ^= splitmix64(result.trace_hash ^ splitmix64(result.index));
    report.faults.add(&result.faults);
    report.assertions.add_run(&result.assertions);
    match result.failure {
        Some(failure) => {
            report.failed += 1;
            report.failures.push(failure);
        }
        None => report.passed += 1,
    }
}

#[cfg(test)]
mod divergence_tests {
    use super::*;
    use crate::sim::TraceKind;

    fn event(index: u64) -> TraceEvent {
        TraceEvent {
            index,
            time: crate::time::Instant::ZERO,
            kind: TraceKind::Poll,
            subject: 0,
            detail: 0,
        }
    }

    #[test]
    fn a_run_that_stopped_first_says_how_it_failed() {
        let failure = Failure {
            iteration: 0,
            seed: 1,
            kind: FailureKind::Assertion,
            reason: "a read matches the model".into(),
            origin: String::new(),
            time: crate::time::Instant::ZERO,
            replay: String::new(),
            replayed: None,
        };
        let longer = [event(0), event(1)];
        let shorter = [event(0)];
        let reason = divergence((&longer, None, None), (&shorter, None, Some(&failure)));
        assert!(reason.contains("parted at event #1"), "{reason}");
        assert!(
            reason.contains(
                "second run: (the run ended here, failed: assertion: a read matches the model)"
            ),
            "{reason}"
        );
    }
}
