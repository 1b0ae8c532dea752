//! The campaign: many seeds, on one or many threads, into one report.
//!
//! Seeds run on worker threads, one world per thread. Results are merged in
//! seed order, so the report (wall-clock figures aside) does not depend on the
//! thread count. A watchdog on the calling thread stops waiting for a seed
//! whose world makes no progress in wall-clock time (a task that never yields):
//! that seed fails, its thread is abandoned, and a fresh thread takes over. It
//! does the same for a thread parked past its seed's memory cap, and calls
//! time on a seed past its wall budget (see `budget.rs`). A shard's seeds are
//! derived as workers take them (`seeds.rs`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use super::budget::WorkerLinks;
use super::builder::{CampaignOptions, Plan, SeedSource};
use super::explore::{Branch, Explorer};
use super::failure::{Caught, Cause, Failure, FailureKind};
use super::iteration::{IterationResult, run_iteration};
use super::report::SimulationReport;
use super::seeds::ShardSeeds;
use crate::assertions::AssertionTable;
use crate::sim::{TraceEvent, TraceNames, splitmix64};

/// How often the campaign's thread looks for the workers' messages. Workers do
/// not wake it per message: a futex wake per seed costs a fair share of a
/// small iteration. A worker that exits wakes it at once.
const MESSAGES_TICK: Duration = Duration::from_millis(10);

/// Hung seeds (threads given up on by the watchdog) after which a campaign stops.
const ABANDONED_THREADS_MAX: usize = 8;

/// Threads a campaign runs per core, at most: more only add memory and
/// contention (seeds are CPU-bound), and an OS runs out of threads long
/// before `--jobs` runs out of numbers.
pub const JOBS_PER_CORE_MAX: usize = 8;

/// The most threads a campaign runs: [`JOBS_PER_CORE_MAX`] per core.
pub fn jobs_max() -> usize {
    super::builder::jobs_default().saturating_mul(JOBS_PER_CORE_MAX)
}

pub(crate) fn run(plan: Arc<Plan>, options: CampaignOptions) -> SimulationReport {
    let seeds = ShardSeeds::new(&options.seeds, options.shard);
    let campaign_iterations = match &options.seeds {
        SeedSource::Derived { iterations, .. } => *iterations,
        SeedSource::Explicit(seeds) => seeds.len() as u64,
    };
    let started = Instant::now();
    let mut kept_notes = Vec::new();
    let kept = super::failure_file::rerun_kept(&plan, &options, &mut kept_notes);
    let mut report = empty_report(&plan, &options, seeds.base_seed());
    report.kept = kept;
    report.notes.extend(kept_notes);
    report.campaign_iterations = campaign_iterations;
    if let (0, Some((index, count))) = (seeds.len(), options.shard) {
        report.notes.push(format!(
            "shard {index}/{count} holds no seed: the campaign has {campaign_iterations} \
             iteration(s), fewer than its {count} shards; nothing to run, which passes"
        ));
    }
    if plan.budget.memory_bytes_max.is_some() && !crate::alloc::is_counting() {
        report.notes.push(
            "the memory budget per seed is not enforced: the global allocator is not \
             tidepool::alloc::CountingAlloc (tidepool's feature counting-alloc is off)"
                .to_string(),
        );
    }
    let pace = Pace {
        started: Instant::now(),
        progress: super::progress::Progress::new(options.progress, seeds.len()),
    };
    report.stopped_early = if options.explore {
        explore(&plan, &options, seeds, &pace, &mut report)
    } else {
        let branches = match options.branch.is_empty() {
            true => Vec::new(),
            false => vec![Arc::from(options.branch.as_slice()); seeds.len() as usize],
        };
        execute(&plan, &options, seeds, branches, None, &pace, &mut report)
    };
    pace.progress.finish();
    // A `--seed` replay is itself the replay; a determinism check has already
    // run every seed twice.
    if !options.verbose_replay && !options.check_determinism {
        let kinds: Vec<FailureKind> = report.failures.iter().map(|failure| failure.kind).collect();
        super::replay_check::verify(&plan, &mut report.failures, options.watchdog);
        // A failure that did not replay is counted as the leak it is.
        for (before, failure) in kinds.into_iter().zip(&report.failures) {
            if before != failure.kind {
                *report.failures_by_kind.entry(before).or_default() -= 1;
                *report.failures_by_kind.entry(failure.kind).or_default() += 1;
            }
        }
        report.failures_by_kind.retain(|_, count| *count > 0);
    }
    super::shrink::after_campaign(&plan, &options, &mut report);
    super::failure_file::keep_new(&plan, &options, &mut report);
    report.wall_time_s = started.elapsed().as_secs_f64();
    report
}

/// An explored campaign (`--explore`): the plain seeds first, then rounds
/// of branches from the rare states they reached, each planned from every
/// result before it; plain seeds again once nothing is rare.
fn explore(
    plan: &Arc<Plan>,
    options: &CampaignOptions,
    seeds: ShardSeeds,
    pace: &Pace,
    report: &mut SimulationReport,
) -> Option<String> {
    let total = seeds.len();
    let base = seeds.base_seed().expect("exploration runs derived seeds");
    let mut explorer = Explorer::new(plan.clone(), base);
    let mut done = super::explore::plain_first(total);
    let first = ShardSeeds::derived_range(base, 0, done);
    let run = |work, branches, explorer: &mut Explorer, report: &mut SimulationReport| {
        execute(plan, options, work, branches, Some(explorer), pace, report)
    };
    let mut stopped = run(first, Vec::new(), &mut explorer, report);
    while stopped.is_none() && done < total {
        let size = super::explore::round_size(done, total);
        let round = explorer.plan_round(done, size);
        if round.is_empty() {
            let rest = ShardSeeds::derived_range(base, done, total - done);
            stopped = run(rest, Vec::new(), &mut explorer, report);
            break;
        }
        let size = round.len() as u64;
        let (seeds, branches) = round
            .into_iter()
            .map(|run| (run.seed, run.branches))
            .unzip();
        stopped = run(
            ShardSeeds::explicit_from(seeds, done),
            branches,
            &mut explorer,
            report,
        );
        done += size;
    }
    report.exploration = Some(explorer.report());
    // Each round said what it noticed (a capped --jobs, say): once is enough.
    let mut seen = std::collections::BTreeSet::new();
    report.notes.retain(|note| seen.insert(note.clone()));
    stopped
}

/// What spans a campaign's rounds: its start (for the wall budget) and its
/// progress bar.
pub(crate) struct Pace {
    pub(crate) started: Instant,
    pub(crate) progress: super::progress::Progress,
}

impl Pace {
    /// No progress bar, started now.
    pub(crate) fn quiet() -> Pace {
        Pace {
            started: Instant::now(),
            progress: super::progress::Progress::new(false, 0),
        }
    }
}

enum Message {
    Started {
        worker: usize,
        position: u64,
    },
    Done {
        worker: usize,
        result: Box<IterationResult>,
    },
    Exited {
        worker: usize,
    },
}

/// A seed a worker runs.
struct Running {
    /// Its position in the shard's seeds.
    position: u64,
    /// Its iteration in the campaign.
    iteration: u64,
    /// The worker's heartbeat when last seen, and since when it is that.
    last_beat: u64,
    since: Instant,
    started: Instant,
}

struct WorkerState {
    heartbeat: Arc<AtomicU64>,
    /// The seed it runs.
    running: Option<Running>,
    /// Given up on by the watchdog: its seed was reported as hung.
    abandoned: bool,
    /// Tells the thread to take no further seed once its current one returns.
    retired: Arc<AtomicBool>,
    /// Its seed parked past the memory cap; its seed over the wall budget.
    links: WorkerLinks,
    /// The iteration the watchdog reported for it; its late result is dropped.
    failed_index: Option<u64>,
    exited: bool,
}

struct Shared {
    plan: Arc<Plan>,
    seeds: ShardSeeds,
    /// The branch points of the seed at each position; empty when no seed branches.
    branches: Vec<Arc<[Branch]>>,
    /// The position in `seeds` of the next seed to take.
    cursor: AtomicU64,
    stop: AtomicBool,
    check_determinism: bool,
    record: bool,
    /// The campaign's thread, woken by workers when they exit.
    campaign_thread: std::thread::Thread,
}

impl Shared {
    /// The branch points of the seed at `position`.
    fn branches_at(&self, position: u64) -> Arc<[Branch]> {
        usize::try_from(position)
            .ok()
            .and_then(|position| self.branches.get(position))
            .cloned()
            .unwrap_or_default()
    }
}

/// Runs every seed (at each position, with its branch points in
/// `branches`, if any), folding each result into `report` in seed order,
/// and showing it to `explorer` first; returns why it stopped early, if it did.
pub(crate) fn execute(
    plan: &Arc<Plan>,
    options: &CampaignOptions,
    seeds: ShardSeeds,
    branches: Vec<Arc<[Branch]>>,
    explorer: Option<&mut Explorer>,
    pace: &Pace,
    report: &mut SimulationReport,
) -> Option<String> {
    let total = seeds.len();
    let shared = Arc::new(Shared {
        plan: plan.clone(),
        seeds,
        branches,
        cursor: AtomicU64::new(0),
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
    let mut stopped_early = pool.start(options.jobs, report);
    let (progress, started) = (&pace.progress, pace.started);
    let mut results = InOrder {
        next: 0,
        pending: BTreeMap::new(),
        explorer,
    };
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
    if stopped_early.is_none() && results.next < total {
        // No thread was left to take the rest (each refused by the OS).
        stopped_early = Some(format!(
            "{} of {total} seeds ran: no thread was left to run the others",
            results.next
        ));
    }
    // Seeds after a gap (a campaign stopped early) are still reported, in order.
    for result in std::mem::take(&mut results.pending).into_values() {
        results.fold(report, result);
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
    /// Starts the campaign's threads: `jobs`, or fewer when there are fewer
    /// seeds, when past [`jobs_max`], or when the OS refuses a thread (each
    /// said in the report's notes). Returns why the campaign cannot run at
    /// all, when no thread starts.
    fn start(&mut self, jobs: usize, report: &mut SimulationReport) -> Option<String> {
        let wanted = usize::try_from(self.shared.seeds.len())
            .unwrap_or(usize::MAX)
            .min(jobs)
            .max(1);
        let cap = jobs_max();
        if wanted > cap {
            report.notes.push(format!(
                "--jobs {jobs} capped at {cap} threads ({JOBS_PER_CORE_MAX} per core)"
            ));
        }
        let wanted = wanted.min(cap);
        for started in 0..wanted {
            if let Err(error) = self.spawn_worker() {
                if started == 0 {
                    self.shared.stop.store(true, Ordering::SeqCst);
                    return Some(format!(
                        "the OS refused the campaign's first thread ({error}); free some memory or threads and run again"
                    ));
                }
                report.notes.push(format!(
                    "only {started} of {wanted} threads started: the OS refused the next one ({error})"
                ));
                break;
            }
        }
        None
    }

    fn spawn_worker(&mut self) -> std::io::Result<()> {
        spawn_worker(&self.shared, &self.sender, &mut self.workers)
    }

    /// Files a worker's message; returns a finished iteration.
    fn take_in(&mut self, message: Message) -> Option<IterationResult> {
        match message {
            Message::Started { worker, position } => {
                let heartbeat = self.workers[worker].heartbeat.load(Ordering::Relaxed);
                let now = Instant::now();
                let (iteration, _) = self.shared.seeds.get(position).expect("a seed taken");
                self.workers[worker].running = Some(Running {
                    position,
                    iteration,
                    last_beat: heartbeat,
                    since: now,
                    started: now,
                });
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

    /// Abandons the workers stuck past `limit`, or parked past their seed's
    /// memory cap, each replaced by a fresh one; returns the failures of the
    /// seeds they were stuck on.
    fn replace_hung(&mut self, limit: Duration) -> Vec<IterationResult> {
        let mut failures = Vec::new();
        let wall_max = self.shared.plan.budget.wall_max;
        for (hung, stuck) in watch(&mut self.workers, limit, wall_max) {
            let worker = &mut self.workers[hung];
            let position = worker
                .running
                .take()
                .expect("hung workers run a seed")
                .position;
            worker.abandoned = true;
            worker.retired.store(true, Ordering::SeqCst);
            let (iteration, seed) = self.shared.seeds.get(position).expect("a running seed");
            worker.failed_index = Some(iteration);
            let cause = match stuck {
                Stuck::Hung => watchdog_cause(limit),
                Stuck::OverMemory => super::budget::memory_cause(
                    seed,
                    self.shared.plan.budget.memory_bytes_max.unwrap_or_default(),
                    None,
                ),
            };
            let branches = self.shared.branches_at(position);
            failures.push(stuck_failure(
                &self.shared,
                iteration,
                seed,
                branches,
                cause,
            ));
            // Refused, the remaining workers take its share; with none left, the
            // campaign ends and reports the seeds it did not run.
            if let Err(error) = self.spawn_worker() {
                tracing::warn!("no thread to replace a hung one: {error}");
            }
        }
        failures
    }
}

/// Folds results into the report in seed order as they come, holding back
/// only those that come before an earlier seed's (at most about one per
/// worker): the campaign's memory stays flat however many seeds it runs.
struct InOrder<'a> {
    /// The position in the shard's seeds of the next result to fold.
    next: u64,
    /// Results that came early, by iteration.
    pending: BTreeMap<u64, IterationResult>,
    /// Shown every result before the report, when the campaign explores.
    explorer: Option<&'a mut Explorer>,
}

impl InOrder<'_> {
    fn fold(&mut self, report: &mut SimulationReport, result: IterationResult) {
        if let Some(explorer) = self.explorer.as_deref_mut() {
            explorer.observe(&result);
        }
        add_to_report(report, result);
    }

    fn add(&mut self, result: IterationResult, seeds: &ShardSeeds, report: &mut SimulationReport) {
        self.pending.insert(result.index, result);
        while let Some((index, _)) = seeds.get(self.next) {
            let Some(result) = self.pending.remove(&index) else {
                break;
            };
            self.fold(report, result);
            self.next += 1;
        }
    }
}

fn spawn_worker(
    shared: &Arc<Shared>,
    sender: &mpsc::Sender<Message>,
    workers: &mut Vec<WorkerState>,
) -> std::io::Result<()> {
    let id = workers.len();
    let heartbeat = Arc::new(AtomicU64::new(0));
    let retired = Arc::new(AtomicBool::new(false));
    let links = WorkerLinks::default();
    let state = WorkerState {
        heartbeat: heartbeat.clone(),
        running: None,
        abandoned: false,
        retired: retired.clone(),
        links: links.clone(),
        failed_index: None,
        exited: false,
    };
    let shared = shared.clone();
    let sender = sender.clone();
    std::thread::Builder::new()
        .name(format!("tidepool-worker-{id}"))
        .spawn(move || {
            super::budget::link_thread(Some(links));
            worker_loop(id, &shared, &sender, &heartbeat, &retired);
            let _ = sender.send(Message::Exited { worker: id });
            shared.campaign_thread.unpark();
        })?;
    workers.push(state);
    Ok(())
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
        let Some((index, seed)) = shared.seeds.get(position) else {
            return;
        };
        let branches = shared.branches_at(position);
        if sender
            .send(Message::Started {
                worker: id,
                position,
            })
            .is_err()
        {
            return;
        }
        let result = run_seed(shared, index, seed, &branches, heartbeat);
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

fn run_seed(
    shared: &Shared,
    index: u64,
    seed: u64,
    branches: &Arc<[Branch]>,
    heartbeat: &AtomicU64,
) -> IterationResult {
    if !shared.check_determinism {
        return run_iteration(
            &shared.plan,
            index,
            seed,
            branches,
            shared.record,
            heartbeat,
        );
    }
    // Compared by trace hash alone, unrecorded: a seed whose runs agree (nearly
    // all) keeps no event. Compared even when the first run failed: a failure
    // that does not reproduce is the nondeterminism to report, not the failure.
    let (mut first, second) = run_twice(shared, index, seed, branches, heartbeat, false);
    if first.trace_hash != second.trace_hash {
        // Only a seed whose runs part is run twice more, recorded, to say where.
        let (first_recorded, second_recorded) =
            run_twice(shared, index, seed, branches, heartbeat, true);
        let reason = if first_recorded.trace_hash != second_recorded.trace_hash {
            divergence(
                (
                    first_recorded.events.as_deref().unwrap_or(&[]),
                    first_recorded.names.as_ref(),
                    first_recorded.failure.as_ref(),
                ),
                (
                    second_recorded.events.as_deref().unwrap_or(&[]),
                    second_recorded.names.as_ref(),
                    second_recorded.failure.as_ref(),
                ),
            )
        } else {
            format!(
                "the two runs of this seed parted (trace hashes {:#018x} and {:#018x}), but two \
                 more runs, recorded to find where, agreed: the nondeterminism comes and goes; \
                 run the replay below again",
                first.trace_hash, second.trace_hash
            )
        };
        first.failure = Some(Failure {
            replayed: None,
            iteration: index,
            seed,
            kind: FailureKind::Nondeterminism,
            reason,
            origin: "determinism check".into(),
            time: first.sim_time,
            replay: format!(
                "{} --check-determinism",
                super::explore::replay_command(&shared.plan.replay_command, seed, branches)
            ),
            branch: branches.to_vec(),
        });
    }
    first.events = None;
    first.names = None;
    first
}

/// Runs a seed twice: on this thread, then on a thread of its own, so that
/// state leaking from one run into the next through thread-locals does not
/// repeat itself and hide. `record` keeps each run's events.
fn run_twice(
    shared: &Shared,
    index: u64,
    seed: u64,
    branches: &Arc<[Branch]>,
    heartbeat: &AtomicU64,
    record: bool,
) -> (IterationResult, IterationResult) {
    let first = run_iteration(&shared.plan, index, seed, branches, record, heartbeat);
    let links = super::budget::thread_links();
    let second = std::thread::scope(|scope| {
        let rerun = std::thread::Builder::new()
            .name(format!("tidepool-rerun-{seed:#x}"))
            .spawn_scoped(scope, || {
                super::budget::link_thread(links);
                run_iteration(&shared.plan, index, seed, branches, record, heartbeat)
            });
        match rerun {
            Ok(rerun) => rerun
                .join()
                .expect("the iteration runner catches every panic"),
            // Refused a thread, the rerun shares this one: only leaks through
            // thread-locals go unseen.
            Err(error) => {
                tracing::warn!("no thread for the determinism check's second run: {error}");
                run_iteration(&shared.plan, index, seed, branches, record, heartbeat)
            }
        }
    });
    (first, second)
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

/// Why a worker is given up on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stuck {
    /// Its heartbeat has not moved for the watchdog's limit.
    Hung,
    /// It parked for good past its seed's memory cap.
    OverMemory,
}

/// Workers whose heartbeat has not moved for `limit`, or that parked past
/// their memory cap. Calls time on the seeds past `wall_max`: their
/// iterations stop themselves at their next step.
fn watch(
    workers: &mut [WorkerState],
    limit: Duration,
    wall_max: Option<Duration>,
) -> Vec<(usize, Stuck)> {
    let mut stuck = Vec::new();
    for (id, worker) in workers.iter_mut().enumerate() {
        if worker.abandoned {
            continue;
        }
        let Some(running) = worker.running.as_mut() else {
            continue;
        };
        if wall_max.is_some_and(|wall| running.started.elapsed() >= wall) {
            worker
                .links
                .overtime
                .store(running.iteration + 1, Ordering::Relaxed);
        }
        let beat = worker.heartbeat.load(Ordering::Relaxed);
        if worker.links.parked.load(Ordering::SeqCst) {
            stuck.push((id, Stuck::OverMemory));
        } else if beat != running.last_beat {
            running.last_beat = beat;
            running.since = Instant::now();
        } else if running.since.elapsed() >= limit {
            stuck.push((id, Stuck::Hung));
        }
    }
    stuck
}

fn watchdog_cause(limit: Duration) -> Cause {
    Cause {
        kind: FailureKind::Watchdog,
        origin: "watchdog".into(),
        reason: format!(
            "no progress for {limit:?} of wall-clock time: a task is running without ever yielding \
             (an infinite loop, or blocking code such as std::thread::sleep inside the simulation)"
        ),
    }
}

/// The failure of a seed whose thread the campaign gave up on.
fn stuck_failure(
    shared: &Shared,
    index: u64,
    seed: u64,
    branches: Arc<[Branch]>,
    cause: Cause,
) -> IterationResult {
    let caught = Caught {
        cause,
        time: crate::time::Instant::ZERO,
    };
    let failure = caught.into_failure(index, seed, &branches, &shared.plan.replay_command);
    IterationResult {
        mix: None,
        index,
        seed,
        branches,
        unreached_branch: None,
        failure: Some(failure),
        sim_time: crate::time::Instant::ZERO,
        trace_hash: 0,
        trace_len: 0,
        polls: 0,
        faults: Default::default(),
        events: None,
        names: None,
        assertions: Default::default(),
        leaks: Vec::new(),
        applied_faults: Vec::new(),
        operations: None,
        knobs: Vec::new(),
    }
}

pub(crate) fn empty_report(
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
        failures_by_kind: Default::default(),
        stopped_early: None,
        notes: Vec::new(),
        assertions: match &plan.coverage_scope {
            Some(in_scope) => AssertionTable::scoped(|site| in_scope(site)),
            None => AssertionTable::new(),
        },
        strict_coverage: options.strict_coverage,
        leaks: Default::default(),
        kept: None,
        shrunk: None,
        swarm: Default::default(),
        exploration: None,
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
    if let Some(mix) = &result.mix {
        report
            .swarm
            .add_seed(mix, &result.knobs, result.failure.is_some());
    }
    if !result.leaks.is_empty() {
        report.leaks.add_iteration(result.seed, &result.leaks);
    }
    if let Some(branch) = result.unreached_branch {
        report.notes.push(format!(
            "seed {:#018x} ended after {} steps, before its branch point {branch}: it ran \
             without branching there; the code or the simulation changed since the branch was found",
            result.seed, result.polls
        ));
    }
    match result.failure {
        Some(failure) => report.record_failure(failure),
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
            branch: Vec::new(),
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
