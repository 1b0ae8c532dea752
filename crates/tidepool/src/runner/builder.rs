//! `SimulationBuilder`: processes, workloads, seeds, invariants and chaos, then `run`.

use std::future::Future;
use std::ops::{Range, RangeInclusive};
use std::sync::Arc;
use std::time::Duration;

use super::clock_skew::ClockSkew;
use super::liveness;
use crate::sanitizer::SanitizerMode;

mod campaign_settings;
mod validate;
mod world;

use super::BoxError;
use super::attrition::Attrition;
use super::budget::SeedBudget;
use super::campaign;
use super::chaos::Injector;
use super::config::ConfigError;
use super::final_check::{self, FinalCheck};
use super::process::{ProcessFactory, erase};
use super::report::SimulationReport;
use super::state::StateView;
use super::workload::{DynWorkload, Workload, WorkloadContext, WorkloadFactory};
use crate::assertions::AssertionSite;
use crate::providers::SimProviders;
use crate::sim::{NetworkConfig, StorageConfig};
use crate::{Process, ProcessContext};

/// Iterations of a campaign when neither `iterations` nor `seeds` is given.
pub const ITERATIONS_DEFAULT: u64 = 100;
/// Simulated time an iteration may take before it fails.
pub const TIME_BUDGET_DEFAULT: Duration = Duration::from_secs(600);
/// Wall-clock time an iteration may go without progress before the watchdog stops it.
pub const WATCHDOG_DEFAULT: Duration = Duration::from_secs(30);
/// Simulated time the system is left alone to drain before `check`.
pub const SETTLE_DEFAULT: Duration = Duration::from_secs(1);
/// Simulated time processes have to return after the final shutdown signal.
pub const GRACE_PERIOD_DEFAULT: Duration = Duration::from_secs(5);

/// The default thread count of a campaign: the cores this process may use.
pub fn jobs_default() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// How many processes a group has: a fixed count or a range drawn per seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessCount {
    pub(crate) min: usize,
    pub(crate) max: usize,
    /// Given as a half-open range (`a..b`), for error messages.
    half_open: bool,
}

impl From<usize> for ProcessCount {
    fn from(count: usize) -> ProcessCount {
        ProcessCount {
            min: count,
            max: count,
            half_open: false,
        }
    }
}

impl From<RangeInclusive<usize>> for ProcessCount {
    fn from(range: RangeInclusive<usize>) -> ProcessCount {
        ProcessCount {
            min: *range.start(),
            max: *range.end(),
            half_open: false,
        }
    }
}

impl From<Range<usize>> for ProcessCount {
    fn from(range: Range<usize>) -> ProcessCount {
        // An empty half-open range stays empty (max < min) and is rejected by `run`.
        ProcessCount {
            min: range.start,
            max: range.end.wrapping_sub(1),
            half_open: true,
        }
    }
}

#[derive(Clone)]
pub(crate) struct GroupPlan {
    pub(crate) name: String,
    pub(crate) count: ProcessCount,
    pub(crate) factory: ProcessFactory,
}

#[derive(Clone)]
pub(crate) struct WorkloadPlan {
    pub(crate) count: usize,
    pub(crate) factory: WorkloadFactory,
}

/// Which assertion sites a simulation's coverage covers.
pub(crate) type CoverageScope = Arc<dyn Fn(&AssertionSite) -> bool + Send + Sync>;

/// An invariant: a named check over the shared state.
pub(crate) type Invariant = Arc<dyn Fn(&StateView<'_>) -> Result<(), String> + Send + Sync>;

/// Where each seed's network configuration comes from.
#[derive(Clone, Debug)]
pub(crate) enum NetworkChoice {
    Fixed(Box<NetworkConfig>),
    Swarm,
}

/// Where the campaign's seeds come from.
#[derive(Clone, Debug)]
pub(crate) enum SeedSource {
    Derived { base: Option<u64>, iterations: u64 },
    Explicit(Vec<u64>),
}

/// Everything an iteration needs, shared by the campaign's threads.
#[derive(Clone)]
pub(crate) struct Plan {
    pub(crate) name: String,
    pub(crate) groups: Vec<GroupPlan>,
    pub(crate) workloads: Vec<WorkloadPlan>,
    pub(crate) invariants: Vec<(String, Invariant)>,
    pub(crate) final_checks: Vec<(String, FinalCheck)>,
    pub(crate) coverage_scope: Option<CoverageScope>,
    pub(crate) network: NetworkChoice,
    pub(crate) storage: StorageConfig,
    pub(crate) chaos_duration: Option<Duration>,
    pub(crate) attrition: Option<Attrition>,
    pub(crate) swizzle: Option<(Duration, Duration)>,
    pub(crate) injectors: Vec<(String, Injector)>,
    pub(crate) time_budget: Duration,
    pub(crate) settle: Duration,
    pub(crate) grace_period: Duration,
    pub(crate) replay_command: String,
    pub(crate) sanitizer: SanitizerMode,
    pub(crate) budget: SeedBudget,
    pub(crate) clock_skew: Option<ClockSkew>,
    pub(crate) properties: Vec<liveness::Property>,
    pub(crate) swarm: bool,
    /// What a shrunk run changes of its seed's run (nothing in a campaign).
    pub(crate) edits: Arc<super::shrink::Edits>,
}

/// Campaign settings outside the iteration itself.
#[derive(Clone, Debug)]
pub(crate) struct CampaignOptions {
    pub(crate) seeds: SeedSource,
    pub(crate) jobs: usize,
    pub(crate) shard: Option<(u64, u64)>,
    pub(crate) wall_budget: Option<Duration>,
    pub(crate) watchdog: Duration,
    pub(crate) check_determinism: bool,
    pub(crate) progress: bool,
    pub(crate) verbose_replay: bool,
    pub(crate) strict_coverage: bool,
    pub(crate) budget: SeedBudget,
    pub(crate) keeping: Option<super::failure_file::Keeping>,
    /// Where a shrunk first failure's replay file goes; `None`: no shrinking.
    pub(crate) shrink_dir: Option<std::path::PathBuf>,
    /// Exploration from rare states (`--explore`).
    pub(crate) explore: bool,
    /// The branch points every seed runs with (`--branch`, with one `--seed`).
    pub(crate) branch: Vec<super::explore::Branch>,
}

/// Configures a simulation: its processes, workloads, seeds, invariants and
/// chaos; then [`SimulationBuilder::run`] runs the campaign into a report.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use tidepool::providers::Providers;
/// use tidepool::{BoxError, Process, ProcessContext, SimulationBuilder, Workload, WorkloadContext};
///
/// struct Idle;
/// impl Process for Idle {
///     async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
///         ctx.shutdown().requested().await;
///         Ok(())
///     }
/// }
///
/// struct Waiter;
/// impl Workload for Waiter {
///     async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
///         use tidepool::providers::Providers as _;
///         ctx.providers().sleep(Duration::from_secs(1)).await;
///         Ok(())
///     }
/// }
///
/// let report = SimulationBuilder::new("idle")
///     .processes("server", 3, || Idle)
///     .workload(|_| Waiter)
///     .iterations(5)
///     .jobs(1)
///     .run()
///     .expect("a valid configuration");
/// assert_eq!(report.passed, 5);
/// ```
pub struct SimulationBuilder {
    name: String,
    groups: Vec<GroupPlan>,
    workloads: Vec<WorkloadPlan>,
    invariants: Vec<(String, Invariant)>,
    final_checks: Vec<(String, FinalCheck)>,
    coverage_scope: Option<CoverageScope>,
    network: NetworkChoice,
    storage: StorageConfig,
    chaos_duration: Option<Duration>,
    attrition: Option<Attrition>,
    swizzle: Option<(Duration, Duration)>,
    injectors: Vec<(String, Injector)>,
    time_budget: Duration,
    settle: Duration,
    grace_period: Duration,
    replay_command: Option<String>,
    sanitizer: SanitizerMode,
    clock_skew: Option<ClockSkew>,
    properties: Vec<liveness::Property>,
    swarm: bool,
    options: CampaignOptions,
    zero_workloads: bool,
}

impl SimulationBuilder {
    /// A simulation named `name` (used in the report and the replay command),
    /// with no process, no workload, [`ITERATIONS_DEFAULT`] iterations from a
    /// random base seed, a fault-free network and no chaos.
    pub fn new(name: impl Into<String>) -> SimulationBuilder {
        SimulationBuilder {
            name: name.into(),
            groups: Vec::new(),
            workloads: Vec::new(),
            invariants: Vec::new(),
            final_checks: Vec::new(),
            coverage_scope: None,
            network: NetworkChoice::Fixed(Box::new(NetworkConfig::fault_free())),
            storage: StorageConfig::fault_free(),
            chaos_duration: None,
            attrition: None,
            swizzle: None,
            injectors: Vec::new(),
            time_budget: TIME_BUDGET_DEFAULT,
            settle: SETTLE_DEFAULT,
            grace_period: GRACE_PERIOD_DEFAULT,
            replay_command: None,
            sanitizer: SanitizerMode::default(),
            clock_skew: None,
            properties: Vec::new(),
            swarm: false,
            options: CampaignOptions {
                seeds: SeedSource::Derived {
                    base: None,
                    iterations: ITERATIONS_DEFAULT,
                },
                jobs: jobs_default(),
                shard: None,
                wall_budget: None,
                watchdog: WATCHDOG_DEFAULT,
                check_determinism: false,
                progress: false,
                verbose_replay: false,
                strict_coverage: false,
                budget: SeedBudget::default(),
                keeping: None,
                shrink_dir: None,
                explore: false,
                branch: Vec::new(),
            },
            zero_workloads: false,
        }
    }

    /// Adds a group of processes named `group`: `count` of them (a number, or a
    /// range such as `3..=5` drawn per seed), each built by `factory` on every
    /// boot. Process *i* (from 1) is named `{group}-{i}`. Default: no process.
    pub fn processes<F, P>(
        mut self,
        group: impl Into<String>,
        count: impl Into<ProcessCount>,
        factory: F,
    ) -> SimulationBuilder
    where
        F: Fn() -> P + Send + Sync + 'static,
        P: Process,
    {
        self.groups.push(GroupPlan {
            name: group.into(),
            count: count.into(),
            factory: erase(factory),
        });
        self
    }

    /// Adds one process, `{name}-1` in a group `name`, whose body is an async
    /// closure called afresh at every boot: for quick experiments, where a type
    /// implementing [`Process`] would be ceremony. Its context is a
    /// simulation's, so production code belongs in a [`Process`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use tidepool::{SimulationBuilder, Workload, WorkloadContext, BoxError};
    /// # struct Nothing;
    /// # impl Workload for Nothing {
    /// #     async fn run(&mut self, _: &WorkloadContext) -> Result<(), BoxError> { Ok(()) }
    /// # }
    /// let report = SimulationBuilder::new("quick")
    ///     .process("idle", |ctx| async move {
    ///         ctx.shutdown().requested().await;
    ///         Ok(())
    ///     })
    ///     .workload(|_| Nothing)
    ///     .iterations(2)
    ///     .run_test();
    /// assert_eq!(report.passed, 2);
    /// ```
    pub fn process<F, Fut>(mut self, name: impl Into<String>, body: F) -> SimulationBuilder
    where
        F: Fn(ProcessContext<SimProviders>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + 'static,
    {
        let factory: ProcessFactory = Arc::new(move |ctx| Box::pin(body(ctx)));
        self.groups.push(GroupPlan {
            name: name.into(),
            count: ProcessCount::from(1),
            factory,
        });
        self
    }

    /// Adds one workload, built per iteration by `factory` (given client id 0).
    /// Default: no workload.
    pub fn workload<F, W>(self, factory: F) -> SimulationBuilder
    where
        F: Fn(usize) -> W + Send + Sync + 'static,
        W: Workload,
    {
        self.workloads(1, factory)
    }

    /// Adds `count` instances of a workload, built per iteration by `factory`
    /// with client ids `0..count`; they run concurrently.
    pub fn workloads<F, W>(mut self, count: usize, factory: F) -> SimulationBuilder
    where
        F: Fn(usize) -> W + Send + Sync + 'static,
        W: Workload,
    {
        if count == 0 {
            self.zero_workloads = true;
        }
        let factory: WorkloadFactory =
            Arc::new(move |id| Box::new(factory(id)) as Box<dyn DynWorkload>);
        self.workloads.push(WorkloadPlan { count, factory });
        self
    }

    /// Adds an invariant: `check` reads the shared state and returns `Err(why)`
    /// when the system is wrong. It runs after every executor step that changed
    /// the shared state (a step is one task poll), and once more at the end of
    /// the iteration. It must not call providers. Default: no invariant.
    pub fn invariant<F>(mut self, name: impl Into<String>, check: F) -> SimulationBuilder
    where
        F: Fn(&StateView<'_>) -> Result<(), String> + Send + Sync + 'static,
    {
        self.invariants.push((name.into(), Arc::new(check)));
        self
    }

    /// Adds a final check: it runs once per iteration, on a host of its own,
    /// after every workload's `check`, while the system is still up and quiet
    /// (chaos over, processes back, nothing in flight). The place for what only
    /// holds of the whole system at rest, such as money conserved across
    /// accounts. An error fails the iteration, naming the check. Default: none.
    ///
    /// # Examples
    ///
    /// ```
    /// # use tidepool::{BoxError, Process, ProcessContext, SimulationBuilder, Workload, WorkloadContext};
    /// # use tidepool::providers::Providers;
    /// # struct Idle;
    /// # impl Process for Idle {
    /// #     async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
    /// #         ctx.shutdown().requested().await;
    /// #         Ok(())
    /// #     }
    /// # }
    /// # struct Nothing;
    /// # impl Workload for Nothing {
    /// #     async fn run(&mut self, _: &WorkloadContext) -> Result<(), BoxError> { Ok(()) }
    /// # }
    /// let report = SimulationBuilder::new("quiet")
    ///     .processes("server", 2, || Idle)
    ///     .workload(|_| Nothing)
    ///     .final_check("every server is reachable", |ctx| async move {
    ///         for &server in ctx.processes("server") {
    ///             ctx.connect(server).await.err().ok_or("Idle listens on nothing")?;
    ///         }
    ///         Ok(())
    ///     })
    ///     .iterations(3)
    ///     .run()
    ///     .unwrap();
    /// assert_eq!(report.failed, 0);
    /// ```
    pub fn final_check<F, Fut>(mut self, name: impl Into<String>, check: F) -> SimulationBuilder
    where
        F: Fn(WorkloadContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + 'static,
    {
        self.final_checks
            .push((name.into(), final_check::erase(check)));
        self
    }

    /// Declares a liveness property: once the chaos window has ended and
    /// every fault has healed, `check` runs again and again (every
    /// [`EVENTUALLY_RETRY`](crate::runner::EVENTUALLY_RETRY), 100 ms) on a host
    /// of its own, as a final check does, until it returns `Ok` or `within`
    /// has passed since the faults healed; then the iteration fails with kind
    /// [`FailureKind::Liveness`](crate::runner::FailureKind::Liveness), naming
    /// the property and its last error (what was still pending). The workloads'
    /// `check` phase and the final checks run after every property has
    /// its verdict. Default: no property.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tidepool::prelude::*;
    /// # struct Nothing;
    /// # impl Workload for Nothing {
    /// #     async fn run(&mut self, _: &WorkloadContext) -> Result<(), BoxError> { Ok(()) }
    /// # }
    /// let report = SimulationBuilder::new("answers")
    ///     .process("server", |ctx| async move {
    ///         let listener = ctx.bind("0.0.0.0:4500".parse()?).await?;
    ///         loop {
    ///             drop(listener.accept().await?);
    ///         }
    ///     })
    ///     .workload(|_| Nothing)
    ///     .eventually("the server accepts a connection", Duration::from_secs(5), |ctx| async move {
    ///         ctx.connect(ctx.processes("server")[0]).await?;
    ///         Ok(())
    ///     })
    ///     .iterations(3)
    ///     .run()
    ///     .unwrap();
    /// assert_eq!(report.failed, 0);
    /// ```
    pub fn eventually<F, Fut>(
        mut self,
        name: impl Into<String>,
        within: Duration,
        check: F,
    ) -> SimulationBuilder
    where
        F: Fn(WorkloadContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + 'static,
    {
        self.properties.push(liveness::Property {
            name: name.into(),
            within,
            check: liveness::erase(check),
        });
        self
    }

    /// Limits the assertion table, and so `--strict-coverage`, to the sites
    /// `in_scope` keeps: a site the simulation cannot reach in this variant
    /// (a planted bug's, another simulation's in the same binary) is then no
    /// coverage gap. A site outside the scope that a run does evaluate still
    /// gets its row, so its failures show. Default: every site linked in.
    ///
    /// # Examples
    ///
    /// ```
    /// # use tidepool::SimulationBuilder;
    /// let builder = SimulationBuilder::new("kv")
    ///     .coverage_scope(|site| !site.file.contains("/bugs/"));
    /// ```
    pub fn coverage_scope<F>(mut self, in_scope: F) -> SimulationBuilder
    where
        F: Fn(&AssertionSite) -> bool + Send + Sync + 'static,
    {
        self.coverage_scope = Some(Arc::new(in_scope));
        self
    }

    /// Runs the campaign inside a `#[test]`: returns the report when every
    /// iteration passed, and panics otherwise, with the whole report (each
    /// failure with the command that replays it) as the message.
    ///
    /// # Panics
    ///
    /// When the configuration is invalid, or an iteration failed.
    pub fn run_test(self) -> SimulationReport {
        let report = match self.run() {
            Ok(report) => report,
            Err(error) => panic!("invalid simulation configuration: {error}"),
        };
        if !report.is_success() {
            panic!("{report}");
        }
        report
    }

    /// Checks the configuration, then runs every iteration and returns the report.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the configuration is invalid; nothing has run then.
    pub fn run(self) -> Result<SimulationReport, ConfigError> {
        let (plan, options) = self.into_plan()?;
        Ok(campaign::run(plan, options))
    }

    /// Replays `seed` as `--seed` does (the report of that one iteration),
    /// then once more with every event, message, fault and log line (at
    /// `log_filter`, tracing `Targets` syntax) recorded, into a [`Timeline`]
    /// that writes itself as an HTML page or a Chrome trace.
    ///
    /// [`Timeline`]: crate::timeline::Timeline
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the configuration is invalid; nothing has run then.
    pub fn run_with_timeline(
        self,
        seed: u64,
        log_filter: &str,
    ) -> Result<(SimulationReport, crate::timeline::Timeline), ConfigError> {
        let (plan, options) = self
            .seeds([seed])
            .jobs(1)
            .verbose_replay(true)
            .into_plan()?;
        let branches = options.branch.clone();
        let report = campaign::run(plan.clone(), options);
        let timeline = crate::timeline::record(&plan, seed, &branches, log_filter);
        Ok((report, timeline))
    }

    /// Replays the shrunk run of the replay file at `path` exactly (the
    /// file's seed with its edits), as `--replay FILE` does; when
    /// `timeline_log` is given, also records its [`Timeline`] as
    /// [`run_with_timeline`](SimulationBuilder::run_with_timeline) does. A run
    /// that does not end in the file's failure with the file's trace fails,
    /// saying what differs.
    ///
    /// [`Timeline`]: crate::timeline::Timeline
    ///
    /// # Errors
    ///
    /// [`ReplayError`](super::shrink::ReplayError) when the configuration is
    /// invalid, or the file is unreadable, edited, of another format,
    /// simulation or command; nothing has run then.
    pub fn run_replay(
        self,
        path: &std::path::Path,
        timeline_log: Option<&str>,
    ) -> Result<(SimulationReport, Option<crate::timeline::Timeline>), super::shrink::ReplayError>
    {
        let (plan, options) = self.into_plan()?;
        let (plan, options, file) = super::shrink::replay_plan(&plan, &options, path)?;
        let mut report = campaign::run(plan.clone(), options);
        super::shrink::check_replay(&file, path, &mut report);
        let timeline =
            timeline_log.map(|log| crate::timeline::record(&plan, file.seed(), &[], log));
        Ok((report, timeline))
    }

    /// Checks the configuration and splits it into what every iteration
    /// needs and the campaign's own settings.
    pub(crate) fn into_plan(self) -> Result<(Arc<Plan>, CampaignOptions), ConfigError> {
        self.validate()?;
        let replay_command = self
            .replay_command
            .clone()
            .unwrap_or_else(|| format!("cargo xtask sim run {}", self.name));
        let plan = Plan {
            name: self.name,
            groups: self.groups,
            workloads: self.workloads,
            invariants: self.invariants,
            final_checks: self.final_checks,
            coverage_scope: self.coverage_scope,
            network: self.network,
            storage: self.storage,
            chaos_duration: self.chaos_duration,
            attrition: self.attrition,
            swizzle: self.swizzle,
            injectors: self.injectors,
            time_budget: self.time_budget,
            settle: self.settle,
            grace_period: self.grace_period,
            replay_command,
            sanitizer: self.sanitizer,
            clock_skew: self.clock_skew,
            properties: self.properties,
            swarm: self.swarm,
            edits: Arc::default(),
            budget: self.options.budget,
        };
        Ok((Arc::new(plan), self.options))
    }
}
