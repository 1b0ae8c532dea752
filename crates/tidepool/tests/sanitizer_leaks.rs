//! The six determinism leaks a user falls into, each in a scratch simulation,
//! and what the user sees in each sanitizer mode.
//!
//! Each process reads one source of nondeterminism and lets it steer the run:
//! it sleeps a number of nanoseconds taken from what it read, so the trace
//! (and the fingerprint) depend on it, as a real server's timeouts or message
//! order would.
//!
//! - `deny` (the default): the iteration fails with kind
//!   `DeterminismLeak`, naming the call and the user frame that made it.
//! - `warn`: the call reaches the OS; the report lists the site; the run does
//!   not replay (`--check-determinism` fails).
//! - `virtualize`: clocks read simulated time, randomness comes from the seed;
//!   the run replays bit for bit. Threads are refused as in `deny`.
//!
//! A `static` counter is invisible to the sanitizer in every mode: the replay
//! of each failing seed catches it (see also `runner_replay_check.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tidepool::prelude::*;
use tidepool::runner::FailureKind;
use tidepool::sanitizer::{LeakKind, SanitizerMode};

struct Idle;

impl Workload for Idle {
    async fn run(&mut self, _ctx: &WorkloadContext) -> Result<(), BoxError> {
        Ok(())
    }
}

/// What a leaky process reads; the value steers the run.
type Leak = fn() -> u64;

fn instant_leak() -> u64 {
    // The process measures how long a step took, with the real clock.
    let start = std::time::Instant::now();
    let spent = start.elapsed();
    spent.as_nanos() as u64 + std::time::Instant::now().elapsed().as_nanos() as u64
}

fn system_time_leak() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos() as u64
}

fn thread_rng_leak() -> u64 {
    use rand::Rng as _;
    rand::rng().random::<u64>()
}

fn hash_map_leak() -> u64 {
    // Equal-length keys: only the map's hasher decides their order.
    let map: HashMap<String, u64> = (0..16).map(|i| (format!("key-{i:02}"), i)).collect();
    map.values().take(4).fold(0, |acc, v| acc * 16 + v)
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn static_counter_leak() -> u64 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

fn syscall_getrandom_leak() -> u64 {
    // What `getrandom` 0.2 (and so `rand` 0.8's `thread_rng`) does: the
    // system call by number, through libc's `syscall`.
    let mut value = 0u64;
    // SAFETY: eight writable bytes.
    let read = unsafe {
        libc::syscall(
            libc::SYS_getrandom,
            (&raw mut value).cast::<u8>(),
            8usize,
            0u32,
        )
    };
    assert_eq!(read, 8);
    value
}

fn thread_leak() -> u64 {
    std::thread::spawn(|| 7u64).join().unwrap_or(0)
}

fn simulation(name: &str, mode: SanitizerMode, leak: Leak) -> SimulationBuilder {
    let fail_on = Arc::new(AtomicU64::new(u64::MAX));
    SimulationBuilder::new(name.to_string())
        .process("node", move |ctx| {
            let _ = &fail_on;
            async move {
                let value = leak();
                ctx.sleep(Duration::from_nanos(1 + value % 1_000_000)).await;
                ctx.shutdown().requested().await;
                Ok(())
            }
        })
        .workload(|_| Idle)
        .sanitizer(mode)
        .iterations(8)
        .base_seed(0x5eed)
        .jobs(1)
}

/// Which seeds a denied leak fails.
#[derive(Clone, Copy)]
enum Seeds {
    /// Every seed: the call is made in every iteration.
    Every,
    /// The first seed on each worker thread (one here): the standard library
    /// and `rand` draw OS randomness once per thread and keep it.
    FirstPerThread,
}

fn assert_denied(leak: Leak, kind: LeakKind, function: &str, mode: SanitizerMode, seeds: Seeds) {
    let report = simulation("denied", mode, leak).run().unwrap();
    assert!(!report.is_success(), "{report}");
    let expected = match seeds {
        Seeds::Every => report.iterations,
        Seeds::FirstPerThread => 1,
    };
    assert_eq!(report.failed, expected, "{report}");
    for failure in &report.failures {
        assert_eq!(failure.kind, FailureKind::DeterminismLeak, "{failure:?}");
        assert!(
            failure.reason.contains(kind.describe()),
            "names the call: {}",
            failure.reason
        );
        assert!(
            failure.origin.contains(function) && failure.origin.contains("sanitizer_leaks.rs:"),
            "names the user frame {function}: {}",
            failure.origin
        );
        assert!(
            failure.reason.contains("providers"),
            "says what to use instead: {}",
            failure.reason
        );
    }
    // The denial replays: it is the code, not the machine, that leaks.
    assert_eq!(report.failures[0].replayed, Some(true), "{report}");
    assert!(report.to_string().contains("determinism leak"), "{report}");
}

fn assert_warned(leak: Leak, kind: LeakKind, function: &str) {
    let report = simulation("warned", SanitizerMode::Warn, leak)
        .run()
        .unwrap();
    assert!(report.is_success(), "warn lets the run pass: {report}");
    let site = report
        .leaks
        .sites
        .iter()
        .find(|site| site.kind == kind)
        .unwrap_or_else(|| panic!("the report lists a {kind} site: {report}"));
    assert!(site.site.contains(function), "{site:?}");
    assert!(
        site.iterations >= 1 && site.calls >= site.iterations,
        "{site:?}"
    );
    let text = report.to_string();
    assert!(text.contains("determinism leaks"), "{text}");
    assert!(text.contains(function), "{text}");
}

/// Under `warn`, the real value steers the run: two runs of a seed part.
fn assert_warn_does_not_replay(leak: Leak) {
    let report = simulation("warned", SanitizerMode::Warn, leak)
        .check_determinism(true)
        .run()
        .unwrap();
    assert_eq!(report.failed, report.iterations, "{report}");
    for failure in &report.failures {
        assert_eq!(failure.kind, FailureKind::Nondeterminism, "{failure:?}");
    }
}

/// Under `virtualize` the run replays: `--check-determinism` passes and two
/// campaigns have one fingerprint.
fn assert_virtualized(leak: Leak, kind: LeakKind) {
    let run = || {
        simulation("virtualized", SanitizerMode::Virtualize, leak)
            .check_determinism(true)
            .run()
            .unwrap()
    };
    let (first, second) = (run(), run());
    assert!(first.is_success(), "{first}");
    assert_eq!(first.fingerprint, second.fingerprint);
    assert!(
        first.leaks.sites.iter().any(|site| site.kind == kind),
        "virtualized calls are still reported: {first}"
    );
}

#[test]
fn the_real_clock() {
    assert_denied(
        instant_leak,
        LeakKind::Clock,
        "instant_leak",
        SanitizerMode::Deny,
        Seeds::Every,
    );
    assert_warned(instant_leak, LeakKind::Clock, "instant_leak");
    assert_warn_does_not_replay(instant_leak);
    assert_virtualized(instant_leak, LeakKind::Clock);
}

#[test]
fn system_time() {
    assert_denied(
        system_time_leak,
        LeakKind::WallClock,
        "system_time_leak",
        SanitizerMode::Deny,
        Seeds::Every,
    );
    assert_warned(system_time_leak, LeakKind::WallClock, "system_time_leak");
    assert_warn_does_not_replay(system_time_leak);
    assert_virtualized(system_time_leak, LeakKind::WallClock);
}

#[test]
fn the_thread_rng() {
    assert_denied(
        thread_rng_leak,
        LeakKind::Randomness,
        "thread_rng_leak",
        SanitizerMode::Deny,
        Seeds::FirstPerThread,
    );
    assert_warned(thread_rng_leak, LeakKind::Randomness, "thread_rng_leak");
    assert_warn_does_not_replay(thread_rng_leak);
    assert_virtualized(thread_rng_leak, LeakKind::Randomness);
}

#[test]
fn getrandom_by_system_call_number() {
    assert_denied(
        syscall_getrandom_leak,
        LeakKind::Randomness,
        "syscall_getrandom_leak",
        SanitizerMode::Deny,
        Seeds::Every,
    );
    assert_warned(
        syscall_getrandom_leak,
        LeakKind::Randomness,
        "syscall_getrandom_leak",
    );
    assert_warn_does_not_replay(syscall_getrandom_leak);
    assert_virtualized(syscall_getrandom_leak, LeakKind::Randomness);
}

#[test]
fn a_thread() {
    assert_denied(
        thread_leak,
        LeakKind::Thread,
        "thread_leak",
        SanitizerMode::Deny,
        Seeds::Every,
    );
    // A thread cannot be simulated: virtualize refuses it as deny does.
    assert_denied(
        thread_leak,
        LeakKind::Thread,
        "thread_leak",
        SanitizerMode::Virtualize,
        Seeds::Every,
    );
    assert_warned(thread_leak, LeakKind::Thread, "thread_leak");
}

#[test]
fn hash_map_order() {
    assert_denied(
        hash_map_leak,
        LeakKind::Randomness,
        "hash_map_leak",
        SanitizerMode::Deny,
        Seeds::FirstPerThread,
    );
    // Under deny with --check-determinism every seed is reported: the first on
    // the thread by the sanitizer, the rest by their two runs parting.
    let report = simulation("checked", SanitizerMode::Deny, hash_map_leak)
        .check_determinism(true)
        .run()
        .unwrap();
    assert_eq!(report.failed, report.iterations, "{report}");
    assert_eq!(report.failures[0].kind, FailureKind::DeterminismLeak);
    assert!(
        report.failures[1..]
            .iter()
            .all(|failure| failure.kind == FailureKind::Nondeterminism),
        "{report}"
    );
    assert_warned(hash_map_leak, LeakKind::Randomness, "hash_map_leak");
    // Every seed: the second run's map has other keys, so another order.
    assert_warn_does_not_replay(hash_map_leak);
    assert_virtualized(hash_map_leak, LeakKind::Randomness);
}

#[test]
fn a_static_counter_is_caught_by_the_replay_of_each_failure() {
    // The sanitizer cannot see a static: in every mode, the campaign passes
    // unless the counter changes a verdict; then the failing seed's replay on
    // a fresh thread does not fail, and the failure is reported as a leak.
    for mode in [
        SanitizerMode::Deny,
        SanitizerMode::Warn,
        SanitizerMode::Virtualize,
    ] {
        COUNTER.store(0, Ordering::Relaxed);
        let report = SimulationBuilder::new("static")
            .process("node", |ctx| async move {
                if static_counter_leak() == 3 {
                    return Err("the fourth boot of the campaign".into());
                }
                ctx.shutdown().requested().await;
                Ok(())
            })
            .workload(|_| Idle)
            .sanitizer(mode)
            .iterations(8)
            .base_seed(0x5eed)
            .jobs(1)
            .run()
            .unwrap();
        assert_eq!(report.failed, 1, "{mode}: {report}");
        let failure = &report.failures[0];
        assert_eq!(
            failure.kind,
            FailureKind::Nondeterminism,
            "{mode}: {failure:?}"
        );
        assert_eq!(failure.replayed, Some(false), "{mode}");
        assert!(report.leaks.is_empty(), "{mode}: {report}");
    }
}

#[derive(clap::Parser)]
struct Cli {
    #[command(flatten)]
    sim: tidepool::cli::SimArgs,
}

fn parse(args: &[&str]) -> Result<tidepool::cli::SimArgs, String> {
    use clap::Parser as _;
    let argv = std::iter::once("sim-leaky").chain(args.iter().copied());
    Cli::try_parse_from(argv)
        .map(|cli| cli.sim)
        .map_err(|error| error.to_string())
}

#[test]
fn the_command_line_chooses_the_mode_and_deny_is_the_default() {
    let leaky = || {
        SimulationBuilder::new("leaky")
            .process("node", |ctx| async move {
                let value = instant_leak();
                ctx.sleep(Duration::from_nanos(1 + value % 1_000)).await;
                ctx.shutdown().requested().await;
                Ok(())
            })
            .workload(|_| Idle)
            .iterations(3)
            .base_seed(1)
            .jobs(1)
    };
    let default = tidepool::cli::apply(leaky(), &parse(&[]).unwrap())
        .run()
        .unwrap();
    assert_eq!(default.failed, 3, "{default}");
    assert_eq!(default.failures[0].kind, FailureKind::DeterminismLeak);

    let warn = parse(&["--sanitizer", "warn"]).unwrap();
    assert_eq!(warn.sanitizer, Some(SanitizerMode::Warn));
    let report = tidepool::cli::apply(leaky(), &warn).run().unwrap();
    assert!(report.is_success(), "{report}");
    assert!(!report.leaks.is_empty(), "{report}");

    let error = parse(&["--sanitizer", "lenient"]).unwrap_err();
    assert!(error.contains("invalid value 'lenient'"), "{error}");
    for mode in ["deny", "warn", "virtualize", "off"] {
        assert!(error.contains(mode), "{error}");
    }
}
