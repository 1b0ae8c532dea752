//! A seed's resource budget: the memory it may hold and the wall-clock time
//! it may take. A seed past either fails alone, named in the report, and the
//! campaign goes on.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use super::failure::{Cause, FailureKind};
use crate::alloc::{self, BudgetGuard};

/// Memory one seed may hold, by default: 1 GiB (`--max-memory-per-seed`).
pub const MEMORY_PER_SEED_DEFAULT: u64 = 1 << 30;
/// Wall-clock time one seed may take, by default: 10 minutes (`--max-wall-per-seed`).
pub const WALL_PER_SEED_DEFAULT: Duration = Duration::from_secs(600);

/// Polls between two looks at whether the campaign called time on the seed.
const WALL_CHECK_POLLS: u64 = 64;

/// What one seed may use; `None` is no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SeedBudget {
    pub(crate) memory_bytes_max: Option<u64>,
    pub(crate) wall_max: Option<Duration>,
}

impl Default for SeedBudget {
    fn default() -> SeedBudget {
        SeedBudget {
            memory_bytes_max: Some(MEMORY_PER_SEED_DEFAULT),
            wall_max: Some(WALL_PER_SEED_DEFAULT),
        }
    }
}

/// How a thread that runs seeds and the campaign watching it talk: the
/// campaign keeps the clock (the iteration's thread may not read it: the
/// sanitizer answers its clock calls with simulated time) and calls time on a
/// seed; the thread says when it parked past a memory cap.
#[derive(Clone, Debug, Default)]
pub(crate) struct WorkerLinks {
    /// Set by the thread when it parks for good past its seed's memory cap.
    pub(crate) parked: Arc<AtomicBool>,
    /// Set by the campaign to the iteration index + 1 of a seed past its
    /// wall-clock budget; 0 for none.
    pub(crate) overtime: Arc<AtomicU64>,
}

thread_local! {
    static LINKS: RefCell<Option<WorkerLinks>> = const { RefCell::new(None) };
}

/// Links the iterations run on this thread from now on to a campaign's worker.
pub(crate) fn link_thread(links: Option<WorkerLinks>) {
    LINKS.with(|slot| *slot.borrow_mut() = links);
}

/// The links [`link_thread`] set on this thread, for a thread it starts to share.
pub(crate) fn thread_links() -> Option<WorkerLinks> {
    LINKS.with(|slot| slot.borrow().clone())
}

/// A budget armed for one iteration on the current thread.
pub(crate) struct ArmedBudget {
    budget: SeedBudget,
    seed: u64,
    /// The iteration's index + 1, as the campaign names it when calling time.
    overtime_mark: u64,
    memory: Option<BudgetGuard>,
    overtime: Option<Arc<AtomicU64>>,
}

impl ArmedBudget {
    /// Arms `budget` for iteration `index` (seed `seed`) about to run on this thread.
    pub(crate) fn arm(budget: SeedBudget, index: u64, seed: u64) -> ArmedBudget {
        let links = thread_links();
        ArmedBudget {
            budget,
            seed,
            overtime_mark: index.wrapping_add(1),
            memory: budget
                .memory_bytes_max
                .map(|bytes| alloc::arm(bytes, links.as_ref().map(|links| links.parked.clone()))),
            overtime: budget.wall_max.and(links.map(|links| links.overtime)),
        }
    }

    /// After the step that made `polls` polls: why the iteration must stop, if it must.
    pub(crate) fn check(&self, polls: u64) -> Option<Cause> {
        if let Some(memory) = &self.memory {
            if memory.exceeded() {
                return Some(self.memory_cause(memory.peak_bytes()));
            }
        }
        let overtime = self.overtime.as_ref()?;
        if polls % WALL_CHECK_POLLS == 0 && overtime.load(Ordering::Relaxed) == self.overtime_mark {
            let wall = self.budget.wall_max.unwrap_or_default();
            return Some(Cause {
                kind: FailureKind::WallBudget,
                origin: "wall budget".into(),
                reason: format!(
                    "seed {:#018x} ran past its wall-clock budget of {wall:?} and was stopped; \
                     a seed that loops (it still yields, or the watchdog would have stopped it), \
                     or a budget too short for it: raise --max-wall-per-seed (default {WALL_PER_SEED_DEFAULT:?})",
                    self.seed
                ),
            });
        }
        None
    }

    fn memory_cause(&self, peak_bytes: u64) -> Cause {
        memory_cause(
            self.seed,
            self.budget.memory_bytes_max.unwrap_or_default(),
            Some(peak_bytes),
        )
    }
}

/// A seed past its memory budget of `budget_bytes`, having held `peak_bytes`
/// (`None`: parked past twice the budget within one poll).
pub(crate) fn memory_cause(seed: u64, budget_bytes: u64, peak_bytes: Option<u64>) -> Cause {
    let held = match peak_bytes {
        Some(peak) => format!("held {} and was stopped", format_bytes(peak)),
        None => format!(
            "went past twice that ({}) within one task poll, so its thread was parked for good",
            format_bytes(budget_bytes.saturating_mul(2))
        ),
    };
    Cause {
        kind: FailureKind::MemoryBudget,
        origin: "memory budget".into(),
        reason: format!(
            "seed {seed:#018x} went past its memory budget of {}: it {held}; \
             a seed that allocates without bound, or a budget too small for it: \
             raise --max-memory-per-seed (default {})",
            format_bytes(budget_bytes),
            format_bytes(MEMORY_PER_SEED_DEFAULT)
        ),
    }
}

/// `bytes` in the largest binary unit that keeps a whole part, e.g. `1.5 GiB`.
pub(crate) fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(format_bytes(512), "512 bytes");
        assert_eq!(format_bytes(1 << 30), "1.0 GiB");
        assert_eq!(format_bytes(3 << 19), "1.5 MiB");
    }
}
