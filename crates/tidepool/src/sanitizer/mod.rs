//! The determinism sanitizer: real clocks, OS randomness and threads, caught
//! where simulated code reaches for them.
//!
//! A simulation binary links `tidepool`, and `tidepool` defines the C symbols
//! `clock_gettime`, `gettimeofday`, `time`, `getrandom`, `getentropy`,
//! `syscall` (for its `getrandom` and `clock_gettime` numbers) and
//! `pthread_create`. Rust's standard library and the crates it links
//! statically resolve those symbols to these definitions rather than to libc's,
//! so `std::time::Instant::now()`, `SystemTime::now()`, the keys of a
//! `HashMap`'s `RandomState`, `rand`'s thread-local generator and
//! `std::thread::spawn` all pass through here. Outside an iteration, or on a
//! thread that runs none, every call goes straight to libc. Production binaries
//! link only `tidepool-core`, which defines none of this.
//!
//! While an iteration runs on a thread, what a call does depends on the
//! [`SanitizerMode`]: see there. Every call is counted per [`LeakKind`] with the
//! first frames of user code that made it ([`Leak`]).
//!
//! The interception needs Linux (x86-64 or AArch64, where a C variadic
//! `syscall` receives its arguments as ordinary ones); elsewhere
//! [`SUPPORTED`] is false and calls are not seen.

mod hooks;
mod site;

use std::cell::Cell;

use serde::{Deserialize, Serialize};

pub use site::user_frames;

/// Whether this platform's calls are intercepted.
pub const SUPPORTED: bool = hooks::SUPPORTED;

/// What a call to the real clock, OS randomness or thread creation does while
/// an iteration runs. The default is [`SanitizerMode::Deny`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SanitizerMode {
    /// The iteration fails at the end of the step that made the call, with the
    /// call's kind and site. Until then the call is answered as
    /// [`SanitizerMode::Virtualize`] would (a thread is refused), so the step
    /// itself stays deterministic. The default: a leak is a bug in the code
    /// under test, and the earliest, loudest report is the cheapest to fix.
    #[default]
    Deny,
    /// The call reaches the OS as it would in production; the report counts it
    /// and names its sites. The run may not replay.
    Warn,
    /// The call is answered from the simulation: clocks read simulated time
    /// (`CLOCK_REALTIME` and its kin as 2026-01-01T00:00:00Z plus simulated
    /// time), randomness comes from a generator seeded by the iteration's seed.
    /// Each iteration then runs on a fresh thread, so that the standard
    /// library's per-thread `HashMap` keys are drawn inside it (this costs a
    /// thread start per iteration). A thread cannot be simulated: its creation
    /// fails the iteration as in [`SanitizerMode::Deny`]. Calls are counted
    /// and reported as in [`SanitizerMode::Warn`].
    Virtualize,
    /// Nothing is intercepted or counted.
    Off,
}

impl SanitizerMode {
    /// The name used by `--sanitizer` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            SanitizerMode::Deny => "deny",
            SanitizerMode::Warn => "warn",
            SanitizerMode::Virtualize => "virtualize",
            SanitizerMode::Off => "off",
        }
    }
}

impl std::fmt::Display for SanitizerMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of nondeterminism a call reached for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakKind {
    /// A monotonic or CPU clock (`std::time::Instant::now`).
    Clock,
    /// The wall clock (`std::time::SystemTime::now`, `gettimeofday`, `time`).
    WallClock,
    /// OS randomness (`getrandom`, `getentropy`): a `HashMap`'s `RandomState`,
    /// `rand::rng()`, `rand::thread_rng()`, `getrandom::fill`.
    Randomness,
    /// A new OS thread (`std::thread::spawn`, a thread pool).
    Thread,
}

impl LeakKind {
    /// What the call was, as the report says it.
    pub fn describe(self) -> &'static str {
        match self {
            LeakKind::Clock => "read the real monotonic clock (std::time::Instant::now)",
            LeakKind::WallClock => "read the real wall clock (std::time::SystemTime::now)",
            LeakKind::Randomness => {
                "drew OS randomness (getrandom: a HashMap's RandomState, rand::rng(), thread_rng())"
            }
            LeakKind::Thread => "started an OS thread (std::thread::spawn)",
        }
    }

    /// What to use instead.
    pub fn advice(self) -> &'static str {
        match self {
            LeakKind::Clock | LeakKind::WallClock => {
                "read time through the providers (ctx.now() for the monotonic clock, ctx.system_time() for the wall clock)"
            }
            LeakKind::Randomness => {
                "draw through the providers (ctx.random(), RandomProvider); for maps, use BTreeMap, \
                 or IndexMap/HashMap with a fixed hasher (std::hash::BuildHasherDefault)"
            }
            LeakKind::Thread => {
                "spawn a task through the providers (ctx.spawn(), TaskProvider::spawn)"
            }
        }
    }
}

impl std::fmt::Display for LeakKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LeakKind::Clock => "clock",
            LeakKind::WallClock => "wall clock",
            LeakKind::Randomness => "randomness",
            LeakKind::Thread => "thread",
        })
    }
}

/// Calls of one kind from one site during one iteration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leak {
    /// What the call reached for.
    pub kind: LeakKind,
    /// The first frames of user code on the call's stack, innermost first
    /// (`function (file:line)`); `"unknown site"` when the binary has no symbols.
    pub site: String,
    /// How many calls of this kind this site made in the iteration.
    pub calls: u64,
}

impl Leak {
    /// What to do instead, for this call: tokio's runtime is named when the
    /// call came through it.
    pub fn advice(&self) -> String {
        if self.site.contains(" via tokio::") {
            return "tokio's runtime is not there inside a simulation: use the providers instead \
                    (ctx.sleep and ctx.timeout for tokio::time, ctx.spawn for tokio::spawn, \
                    ctx.bind and ctx.connect for tokio::net)"
                .to_string();
        }
        self.kind.advice().to_string()
    }
}

impl std::fmt::Display for Leak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ×{} at {}",
            self.kind.describe(),
            self.calls,
            self.site
        )
    }
}

/// Sites captured per kind and iteration; later calls are counted under the last site.
const SITES_PER_KIND: usize = 4;

/// What the sanitizer saw during one activation.
#[derive(Default)]
struct Log {
    /// The first call made in [`SanitizerMode::Deny`] (or a thread in
    /// [`SanitizerMode::Virtualize`]), not yet turned into a failure.
    denied: Option<usize>,
    /// Whether `denied` was handed out already.
    denial_taken: bool,
    /// Captured calls: kind, stack, calls counted against it.
    sites: Vec<(LeakKind, std::backtrace::Backtrace, u64)>,
}

/// Per-thread state, plain `Cell`s: the hooks run inside libc calls made from
/// anywhere, including thread start and exit, so the thread-local must need
/// neither lazy initialisation nor a destructor.
struct ThreadState {
    mode: Cell<SanitizerMode>,
    /// Whether a hook runs on this thread now (capturing a stack may call back in).
    busy: Cell<bool>,
    /// The virtual randomness stream (splitmix64).
    rng: Cell<u64>,
    /// Simulated time last read, in nanoseconds, for calls made while the world is borrowed.
    last_now: Cell<u64>,
    log: Cell<*mut Log>,
}

thread_local! {
    static STATE: ThreadState = const {
        ThreadState {
            mode: Cell::new(SanitizerMode::Off),
            busy: Cell::new(false),
            rng: Cell::new(0),
            last_now: Cell::new(0),
            log: Cell::new(std::ptr::null_mut()),
        }
    };
}

/// The sanitizer, active on this thread until dropped.
pub(crate) struct Active {
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Activates the sanitizer on this thread in `mode` for the iteration with `seed`.
///
/// # Panics
///
/// When it is active on this thread already.
pub(crate) fn activate(mode: SanitizerMode, seed: u64) -> Active {
    std::hint::black_box(hooks::anchor());
    STATE.with(|state| {
        assert!(
            state.log.get().is_null(),
            "tidepool: the sanitizer was activated twice on one thread"
        );
        state.log.set(Box::into_raw(Box::default()));
        state.rng.set(seed ^ 0x7361_6e69_7469_7a65);
        state.last_now.set(0);
        state.mode.set(mode);
    });
    Active {
        _not_send: std::marker::PhantomData,
    }
}

impl Active {
    /// The first denied call not yet reported: its kind and site, once.
    pub(crate) fn take_denial(&self) -> Option<Leak> {
        with_log(|log| {
            let index = log.denied?;
            if std::mem::replace(&mut log.denial_taken, true) {
                return None;
            }
            let (kind, stack, calls) = &log.sites[index];
            Some(Leak {
                kind: *kind,
                site: user_frames(stack),
                calls: *calls,
            })
        })
        .flatten()
    }

    /// Whether a call was denied since activation (cheap: for every step).
    #[inline]
    pub(crate) fn denial_pending(&self) -> bool {
        STATE.with(|state| {
            let log = state.log.get();
            // SAFETY: owned by this activation; hooks do not hold it across this call
            // (they run on this thread, and not now).
            !log.is_null() && unsafe { (*log).denied.is_some() && !(*log).denial_taken }
        })
    }

    /// Ends the activation: every call seen, by kind and site, in the order first made.
    pub(crate) fn finish(self) -> Vec<Leak> {
        let log = STATE.with(|state| {
            state.mode.set(SanitizerMode::Off);
            state.log.replace(std::ptr::null_mut())
        });
        std::mem::forget(self);
        // SAFETY: leaked by `activate`, unset above so no hook reaches it any more.
        let log = unsafe { Box::from_raw(log) };
        leaks_of(&log)
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        let log = STATE.with(|state| {
            state.mode.set(SanitizerMode::Off);
            state.log.replace(std::ptr::null_mut())
        });
        if !log.is_null() {
            // SAFETY: as in `finish`.
            drop(unsafe { Box::from_raw(log) });
        }
    }
}

fn leaks_of(log: &Log) -> Vec<Leak> {
    let mut leaks: Vec<Leak> = Vec::new();
    for (kind, stack, calls) in &log.sites {
        let site = user_frames(stack);
        match leaks
            .iter_mut()
            .find(|leak| leak.kind == *kind && leak.site == site)
        {
            Some(leak) => leak.calls += calls,
            None => leaks.push(Leak {
                kind: *kind,
                site,
                calls: *calls,
            }),
        }
    }
    leaks
}

fn with_log<R>(f: impl FnOnce(&mut Log) -> R) -> Option<R> {
    STATE.with(|state| {
        let log = state.log.get();
        // SAFETY: owned by the activation; the caller is not a hook (hooks go through `intercept`).
        (!log.is_null()).then(|| f(unsafe { &mut *log }))
    })
}

/// How a hook answers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Answer {
    /// Call libc.
    Real,
    /// Answer from the simulation.
    Virtual,
    /// Refuse (threads).
    Refuse,
}

/// Records a call of `kind` and says how to answer it.
fn intercept(kind: LeakKind) -> Answer {
    // `try_with`: a hook may run while this thread's locals are being torn down.
    STATE
        .try_with(|state| {
            let mode = state.mode.get();
            if mode == SanitizerMode::Off || state.busy.replace(true) {
                return Answer::Real;
            }
            let answer = match (mode, kind) {
                (SanitizerMode::Warn, _) => Answer::Real,
                (_, LeakKind::Thread) => Answer::Refuse,
                _ => Answer::Virtual,
            };
            // SAFETY: owned by the activation; `busy` makes this the only reference.
            let log = unsafe { &mut *state.log.get() };
            record(log, mode, kind, answer);
            state.busy.set(false);
            answer
        })
        .unwrap_or(Answer::Real)
}

fn record(log: &mut Log, mode: SanitizerMode, kind: LeakKind, answer: Answer) {
    let captured = log.sites.iter().filter(|(k, ..)| *k == kind).count();
    if captured < SITES_PER_KIND {
        log.sites
            .push((kind, std::backtrace::Backtrace::force_capture(), 1));
        let fails = mode == SanitizerMode::Deny || answer == Answer::Refuse;
        if fails && log.denied.is_none() {
            log.denied = Some(log.sites.len() - 1);
        }
    } else if let Some(last) = log.sites.iter_mut().rev().find(|(k, ..)| *k == kind) {
        last.2 += 1;
    }
}

/// Simulated time in nanoseconds, for a virtual clock.
fn virtual_now() -> u64 {
    let now = crate::sim::try_with_world(|world| world.now().as_nanos());
    STATE.with(|state| match now {
        Some(now) => {
            state.last_now.set(now);
            now
        }
        None => state.last_now.get(),
    })
}

/// The calling host's wall clock, in nanoseconds since the Unix epoch, for
/// a virtual `SystemTime::now()`: skewed as the host's clock is
/// ([`crate::sim::clock_skew`]).
fn virtual_wall_nanos() -> u64 {
    let now = virtual_now();
    crate::sim::try_with_world(|world| {
        world
            .hosts
            .get(world.current_host())
            .clock
            .reading_nanos(now)
    })
    .unwrap_or_else(|| crate::sim::WallClock::default().reading_nanos(now))
}

/// Fills `buf` from the virtual randomness stream.
fn virtual_fill(buf: &mut [u8]) {
    STATE.with(|state| {
        for chunk in buf.chunks_mut(8) {
            let mut z = state.rng.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
            state.rng.set(z);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    });
}

/// Distinct sites kept in a campaign's report; calls from further sites are
/// counted in [`LeakTable::unlisted_calls`].
pub const REPORT_SITES_MAX: usize = 32;

/// One site's calls over a campaign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeakSite {
    /// What the calls reached for.
    pub kind: LeakKind,
    /// The first frames of user code that made them.
    pub site: String,
    /// Calls over the campaign.
    pub calls: u64,
    /// Iterations in which the site made a call.
    pub iterations: u64,
    /// The seed of the first such iteration (in the order results came in).
    pub first_seed: u64,
}

/// The sanitizer's findings over a campaign: what it saw, where, how often.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeakTable {
    /// Sites in the order first seen, at most [`REPORT_SITES_MAX`].
    pub sites: Vec<LeakSite>,
    /// Calls from sites past the first [`REPORT_SITES_MAX`].
    pub unlisted_calls: u64,
}

impl LeakTable {
    /// Whether nothing was seen.
    pub fn is_empty(&self) -> bool {
        self.sites.is_empty() && self.unlisted_calls == 0
    }

    /// Adds one iteration's leaks.
    pub fn add_iteration(&mut self, seed: u64, leaks: &[Leak]) {
        for leak in leaks {
            self.add(LeakSite {
                kind: leak.kind,
                site: leak.site.clone(),
                calls: leak.calls,
                iterations: 1,
                first_seed: seed,
            });
        }
    }

    /// Adds another table's sites (another shard of the campaign).
    pub fn merge(&mut self, other: &LeakTable) {
        for site in &other.sites {
            self.add(site.clone());
        }
        self.unlisted_calls += other.unlisted_calls;
    }

    fn add(&mut self, new: LeakSite) {
        if let Some(site) = self
            .sites
            .iter_mut()
            .find(|site| site.kind == new.kind && site.site == new.site)
        {
            site.calls += new.calls;
            site.iterations += new.iterations;
        } else if self.sites.len() < REPORT_SITES_MAX {
            self.sites.push(new);
        } else {
            self.unlisted_calls += new.calls;
        }
    }
}

impl std::fmt::Display for LeakTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for site in &self.sites {
            writeln!(
                f,
                "  {:<10} ×{:<6} in {} iteration(s), first seed {:#018x}\n             at {}",
                site.kind.to_string(),
                site.calls,
                site.iterations,
                site.first_seed,
                site.site
            )?;
        }
        if self.unlisted_calls > 0 {
            writeln!(
                f,
                "  and {} call(s) from further sites",
                self.unlisted_calls
            )?;
        }
        Ok(())
    }
}
