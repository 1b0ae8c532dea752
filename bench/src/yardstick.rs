//! The yardstick of `cargo xtask bench runtime`: a minimal seeded executor,
//! apart from the library, that does the least a deterministic executor must
//! do: boxed tasks in a slab, wakers that carry the slot index, the ready set
//! a `Vec` picked from by a seeded generator, one binary heap of timers, and
//! a running hash of every pick and fire. No hosts, names, join handles,
//! panics, budgets or trace: what tidepool's executor costs beyond it is what
//! those cost.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::Duration;

type Task = Pin<Box<dyn Future<Output = ()>>>;

#[derive(Default)]
struct Core {
    /// The slab; a slot is `None` while its task is polled, or when free.
    tasks: Vec<Option<Task>>,
    free: Vec<u32>,
    ready: Vec<u32>,
    queued: Vec<bool>,
    /// (time ns, sequence, slot): the sequence keeps equal times in order.
    timers: BinaryHeap<Reverse<(u64, u64, u32)>>,
    sequence: u64,
    now: u64,
    current: u32,
    rng: u64,
    hash: u64,
    polls: u64,
}

impl Core {
    fn queue(&mut self, slot: u32) {
        if !std::mem::replace(&mut self.queued[slot as usize], true) {
            self.ready.push(slot);
        }
    }

    fn fold(&mut self, value: u64) {
        self.hash = (self.hash ^ value).wrapping_mul(0x100000001b3);
    }

    /// The next task to poll: a seeded pick among the ready ones, else the
    /// next timer's task.
    fn next(&mut self) -> Option<(u32, Task)> {
        loop {
            if self.ready.is_empty() {
                let Reverse((time, _, slot)) = self.timers.pop()?;
                self.now = time;
                self.fold(time ^ u64::from(slot) << 48);
                self.queue(slot);
            }
            // splitmix64, then Lemire's multiply-shift into the ready set.
            self.rng = self.rng.wrapping_add(0x9E3779B97F4A7C15);
            let mut z = self.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
            let index = (((z ^ (z >> 31)) as u128 * self.ready.len() as u128) >> 64) as usize;
            let slot = self.ready.swap_remove(index);
            self.queued[slot as usize] = false;
            self.fold(u64::from(slot));
            if let Some(task) = self.tasks[slot as usize].take() {
                self.current = slot;
                return Some((slot, task));
            }
        }
    }
}

thread_local! {
    static CORE: RefCell<Core> = RefCell::default();
}

const VTABLE: RawWakerVTable = RawWakerVTable::new(
    |data| RawWaker::new(data, &VTABLE),
    |data| CORE.with(|core| core.borrow_mut().queue(data as usize as u32)),
    |data| CORE.with(|core| core.borrow_mut().queue(data as usize as u32)),
    |_| {},
);

/// Spawns a detached task; it runs when the executor picks it.
pub fn spawn(future: impl Future<Output = ()> + 'static) {
    CORE.with(|core| {
        let core = &mut *core.borrow_mut();
        let slot = core.free.pop().unwrap_or_else(|| {
            core.tasks.push(None);
            core.queued.push(false);
            core.tasks.len() as u32 - 1
        });
        core.tasks[slot as usize] = Some(Box::pin(future));
        core.queue(slot);
    });
}

/// Sleeps for `duration` of the executor's virtual time.
pub async fn sleep(duration: Duration) {
    let mut deadline = None;
    std::future::poll_fn(|_| {
        CORE.with(|core| {
            let core = &mut *core.borrow_mut();
            match deadline {
                Some(time) if core.now >= time => return Poll::Ready(()),
                Some(_) => return Poll::Pending,
                None => {}
            }
            let time = core.now + duration.as_nanos() as u64;
            core.sequence += 1;
            let entry = (time, core.sequence, core.current);
            core.timers.push(Reverse(entry));
            deadline = Some(time);
            Poll::Pending
        })
    })
    .await
}

/// What a run did: the main future's output, task polls, the hash of picks and fires.
pub struct Run<T> {
    /// The main future's output; `None` when it never finished.
    pub output: Option<T>,
    /// Task polls made.
    pub polls: u64,
    /// Every pick and timer fire, folded.
    pub hash: u64,
}

/// Runs `main` and every task it spawns from `seed`, until nothing is ready
/// and no timer is left.
pub fn run<F: Future + 'static>(seed: u64, main: F) -> Run<F::Output> {
    CORE.with(|core| {
        *core.borrow_mut() = Core {
            rng: seed,
            ..Core::default()
        }
    });
    let output = Rc::new(RefCell::new(None));
    let slot = output.clone();
    spawn(async move { *slot.borrow_mut() = Some(main.await) });
    while let Some((slot, mut task)) = CORE.with(|core| core.borrow_mut().next()) {
        // SAFETY: the vtable's functions treat the data as a slot index, never as a pointer.
        let waker = unsafe { Waker::from_raw(RawWaker::new(slot as usize as *const (), &VTABLE)) };
        let done = task
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready();
        let finished = CORE.with(|core| {
            let core = &mut *core.borrow_mut();
            core.polls += 1;
            if !done {
                core.tasks[slot as usize] = Some(task);
                return None;
            }
            core.free.push(slot);
            Some(task)
        });
        // Dropped with the core released: a destructor may wake or spawn.
        drop(finished);
    }
    let core = CORE.with(|core| std::mem::take(&mut *core.borrow_mut()));
    let output = output.borrow_mut().take();
    Run {
        output,
        polls: core.polls,
        hash: core.hash,
    }
}
