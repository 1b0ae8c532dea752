//! A counting allocator: the bytes each thread holds, so that a seed that
//! allocates without bound fails alone, named, instead of taking the whole
//! campaign (and every other seed's result) down with the process.
//!
//! With the default feature `counting-alloc`, tidepool installs
//! [`CountingAlloc`] as the global allocator of every binary that links it:
//! simulation binaries, tests and benchmarks get per-seed memory budgets with
//! no line of their own. A production server links `tidepool-core`, not
//! tidepool, and keeps its allocator. A simulation binary that needs another
//! allocator turns the feature off and wraps its allocator instead, keeping
//! the budgets:
//!
//! ```ignore
//! // Cargo.toml: tidepool = { version = "..", default-features = false, features = ["tokio"] }
//! #[global_allocator]
//! static ALLOCATOR: tidepool::alloc::CountingAlloc<MyAllocator> =
//!     tidepool::alloc::CountingAlloc::wrapping(MyAllocator);
//! ```
//!
//! Without a counting allocator, budgets are not enforced, and the report of
//! a campaign with a memory budget says so.
//!
//! # How a budget stops a seed
//!
//! An allocator may neither panic nor unwind, and a null return aborts the
//! process; so the allocator only counts. When a thread's bytes pass its
//! budget it raises a flag, and the runner fails the iteration at its next
//! step (after the task poll that allocated). A single poll that goes on
//! allocating past twice the budget (a loop that never yields) cannot be
//! stopped that way: its thread is parked for good inside the allocator,
//! holding at most that much, and the campaign reports the seed and goes on
//! without the thread, as it does for a seed that hangs. (A thread parked
//! while it holds a lock other threads need, such as standard error's while
//! it logs, would stop them too: the runner holds none while a seed runs.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A [`GlobalAlloc`] that counts the bytes each thread allocates and frees
/// (by default around the system allocator), and enforces the per-seed memory
/// budget of the thread running a seed. Cost: a few thread-local reads and
/// writes per call.
#[derive(Debug, Default)]
pub struct CountingAlloc<A = System> {
    inner: A,
}

impl CountingAlloc<System> {
    /// Counts around the system allocator.
    pub const fn new() -> CountingAlloc<System> {
        CountingAlloc { inner: System }
    }
}

impl<A> CountingAlloc<A> {
    /// Counts around `inner`.
    pub const fn wrapping(inner: A) -> CountingAlloc<A> {
        CountingAlloc { inner }
    }
}

// SAFETY: every call is passed to `inner` unchanged; the counting around it
// touches only this thread's counter, and neither allocates nor unwinds.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAlloc<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        charge(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { self.inner.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        charge(layout.size());
        // SAFETY: the caller's contract, passed on.
        unsafe { self.inner.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { self.inner.dealloc(ptr, layout) };
        refund(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            charge(new_size - layout.size());
        } else {
            refund(layout.size() - new_size);
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { self.inner.realloc(ptr, layout, new_size) }
    }
}

/// One thread's count, and the budget armed on it.
struct Counter {
    /// Bytes allocated on this thread minus bytes freed on it (negative when
    /// it freed what another thread allocated).
    live: Cell<i64>,
    /// The most `live` has been since [`reset_thread_peak`].
    peak: Cell<i64>,
    /// `live` past this raises `exceeded`; `i64::MAX` when no budget is armed.
    limit: Cell<i64>,
    /// `live` past this parks the thread for good.
    cap: Cell<i64>,
    exceeded: Cell<bool>,
    /// Set before the thread parks, for the campaign to see; null when none.
    parked: Cell<*const AtomicBool>,
}

thread_local! {
    static COUNTER: Counter = const {
        Counter {
            live: Cell::new(0),
            peak: Cell::new(0),
            limit: Cell::new(i64::MAX),
            cap: Cell::new(i64::MAX),
            exceeded: Cell::new(false),
            parked: Cell::new(ptr::null()),
        }
    };
}

#[inline]
fn bytes(size: usize) -> i64 {
    // An allocation's size fits `isize` (a `Layout` guarantees it).
    size as i64
}

#[inline]
fn charge(size: usize) {
    // `try_with`: a thread being torn down still allocates; it is not counted.
    let _ = COUNTER.try_with(|counter| {
        let live = counter.live.get().wrapping_add(bytes(size));
        counter.live.set(live);
        // One comparison on the common path: `limit` and `cap` can only be
        // passed at a new peak, since arming sets the peak to what the
        // thread holds, below both.
        if live > counter.peak.get() {
            counter.peak.set(live);
            if live > counter.limit.get() {
                past_limit(counter, live);
            }
        }
    });
}

#[cold]
fn past_limit(counter: &Counter, live: i64) {
    counter.exceeded.set(true);
    if live > counter.cap.get() {
        park_for_good(counter);
    }
}

#[inline]
fn refund(size: usize) {
    let _ = COUNTER.try_with(|counter| {
        counter
            .live
            .set(counter.live.get().wrapping_sub(bytes(size)));
    });
}

/// Stops a thread that allocates past its cap within one poll: nothing else
/// can stop it without unwinding out of the allocator. Allocates nothing.
fn park_for_good(counter: &Counter) -> ! {
    let parked = counter.parked.get();
    if !parked.is_null() {
        // SAFETY: `arm` set this from an `Arc` its guard keeps alive, and the
        // guard is on this thread's stack, which never unwinds past here.
        unsafe { (*parked).store(true, Ordering::SeqCst) };
    }
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// Bytes this thread holds: allocated on it minus freed on it. Always 0
/// without a counting allocator.
pub fn thread_live_bytes() -> i64 {
    COUNTER.with(|counter| counter.live.get())
}

/// The most this thread has held since [`reset_thread_peak`] (or its start).
pub fn thread_peak_bytes() -> i64 {
    COUNTER.with(|counter| counter.peak.get())
}

/// Starts a new peak for [`thread_peak_bytes`] at what the thread holds now
/// (arming a seed's budget on the thread does too).
pub fn reset_thread_peak() {
    COUNTER.with(|counter| counter.peak.set(counter.live.get()));
}

/// Whether the global allocator is a [`CountingAlloc`] (budgets are enforced).
pub fn is_counting() -> bool {
    let before = thread_live_bytes();
    let probe = std::hint::black_box(Box::new([0u8; 64]));
    let counted = thread_live_bytes() - before >= 64;
    drop(probe);
    counted
}

/// A memory budget armed on the current thread; disarmed when dropped.
pub(crate) struct BudgetGuard {
    /// What the thread held when armed.
    baseline: i64,
    /// Set when the thread parks past its cap; kept alive for the pointer
    /// the counter holds.
    _parked: Option<std::sync::Arc<AtomicBool>>,
}

/// Arms a budget of `budget_bytes` above what the thread holds now, with a
/// cap at twice that; `parked` is set if the thread parks past the cap.
pub(crate) fn arm(budget_bytes: u64, parked: Option<std::sync::Arc<AtomicBool>>) -> BudgetGuard {
    let baseline = COUNTER.with(|counter| {
        let budget = i64::try_from(budget_bytes).unwrap_or(i64::MAX);
        let live = counter.live.get();
        counter.limit.set(live.saturating_add(budget));
        counter
            .cap
            .set(live.saturating_add(budget.saturating_mul(2)));
        counter.exceeded.set(false);
        counter.peak.set(live);
        counter
            .parked
            .set(parked.as_ref().map_or(ptr::null(), std::sync::Arc::as_ptr));
        live
    });
    BudgetGuard {
        baseline,
        _parked: parked,
    }
}

impl BudgetGuard {
    /// Whether the thread has passed its budget since it was armed.
    pub(crate) fn exceeded(&self) -> bool {
        COUNTER.with(|counter| counter.exceeded.get())
    }

    /// The most the thread has held above what it held when armed.
    pub(crate) fn peak_bytes(&self) -> u64 {
        let peak = COUNTER.with(|counter| counter.peak.get());
        u64::try_from(peak.saturating_sub(self.baseline)).unwrap_or(0)
    }
}

impl Drop for BudgetGuard {
    fn drop(&mut self) {
        COUNTER.with(|counter| {
            counter.limit.set(i64::MAX);
            counter.cap.set(i64::MAX);
            counter.exceeded.set(false);
            counter.parked.set(ptr::null());
        });
    }
}

#[cfg(feature = "counting-alloc")]
#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc::new();

#[cfg(all(test, feature = "counting-alloc"))]
mod tests {
    use super::*;

    #[test]
    fn a_thread_past_its_budget_is_flagged_and_disarming_clears_it() {
        let guard = arm(1 << 20, None);
        assert!(!guard.exceeded());
        let small = std::hint::black_box(vec![1u8; 1 << 19]);
        assert!(!guard.exceeded(), "half the budget is within it");
        let big = std::hint::black_box(vec![1u8; 1 << 20]);
        assert!(guard.exceeded(), "1.5 MiB is past a 1 MiB budget");
        assert!(guard.peak_bytes() >= 3 << 19, "{}", guard.peak_bytes());
        drop((small, big));
        assert!(guard.exceeded(), "freeing does not undo having passed it");
        drop(guard);
        let again = arm(1 << 20, None);
        assert!(!again.exceeded(), "a new budget starts clean");
    }

    #[test]
    fn frees_and_reallocations_are_counted() {
        let before = thread_live_bytes();
        let mut grown = std::hint::black_box(Vec::<u8>::with_capacity(1000));
        assert_eq!(thread_live_bytes() - before, 1000);
        grown.reserve_exact(3000);
        assert_eq!(thread_live_bytes() - before, 3000);
        grown.shrink_to(10);
        assert_eq!(thread_live_bytes() - before, 10);
        drop(grown);
        assert_eq!(thread_live_bytes(), before);
        assert!(is_counting());
    }
}
