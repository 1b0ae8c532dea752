//! Task slots: where a spawned future lives between polls, and its output
//! waits for its `JoinHandle`.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A spawned future, type-erased, with room for its output.
pub(crate) trait RawTask {
    /// Polls the future; on completion the output is kept inside.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()>;
    /// Moves the output into `out`, which must point to an `Option<Output>`.
    ///
    /// # Safety
    ///
    /// `out` must point to a live `Option<F::Output>` of this task's future type.
    unsafe fn take_output(&mut self, out: *mut ());
}

enum CellStage<F: Future> {
    Running(F),
    Finished(F::Output),
    Consumed,
}

pub(crate) struct TaskCell<F: Future> {
    stage: CellStage<F>,
}

impl<F: Future> TaskCell<F> {
    pub(crate) fn boxed(future: F) -> Box<dyn RawTask>
    where
        F: 'static,
    {
        Box::new(TaskCell {
            stage: CellStage::Running(future),
        })
    }
}

impl<F: Future> RawTask for TaskCell<F> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let CellStage::Running(future) = &mut self.stage else {
            return Poll::Ready(());
        };
        // SAFETY: the cell is boxed and never moved out of its box while the
        // future runs; the future is dropped in place when the stage changes.
        let future = unsafe { Pin::new_unchecked(future) };
        match future.poll(cx) {
            Poll::Ready(output) => {
                self.stage = CellStage::Finished(output);
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }

    unsafe fn take_output(&mut self, out: *mut ()) {
        if let CellStage::Finished(output) = std::mem::replace(&mut self.stage, CellStage::Consumed)
        {
            // SAFETY: the caller guarantees `out` points to an `Option<F::Output>`.
            unsafe { *(out as *mut Option<F::Output>) = Some(output) };
        }
    }
}

/// A task's name, borrowed when static.
pub(crate) type TaskName = Cow<'static, str>;

/// Where a task is in its life.
pub(crate) enum TaskState {
    /// Runs; `None` while the executor polls it.
    Live(Option<Box<dyn RawTask>>),
    /// Done; the box holds the output until the handle takes it.
    Finished(Box<dyn RawTask>),
    /// Panicked with this message.
    Panicked(String),
    /// Aborted through its handle or killed with its process.
    Aborted,
    /// Unused slot.
    Free,
}

pub(crate) struct TaskSlot {
    pub(crate) generation: u32,
    pub(crate) name: TaskName,
    pub(crate) owner: u32,
    pub(crate) stage: TaskState,
    pub(crate) join_waker: Option<Waker>,
    pub(crate) has_handle: bool,
    /// Set when the task is aborted while the executor polls it.
    pub(crate) abort_requested: bool,
}

#[derive(Default)]
pub(crate) struct Tasks {
    pub(crate) slots: Vec<TaskSlot>,
    free: Vec<u32>,
    pub(crate) live: usize,
}

impl Tasks {
    #[inline]
    pub(crate) fn insert(
        &mut self,
        name: TaskName,
        owner: u32,
        task: Box<dyn RawTask>,
    ) -> (u32, u32) {
        self.live += 1;
        match self.free.pop() {
            Some(slot) => {
                // Reused in place, field by field: `free` left the waker
                // cleared and the name empty, so nothing is dropped here but
                // the `Free` marker, and the slot is not rebuilt and copied.
                let entry = &mut self.slots[slot as usize];
                invariant!(
                    matches!(entry.stage, TaskState::Free),
                    "a task slot on the free list is in use"
                );
                assert!(
                    entry.join_waker.is_none(),
                    "a task slot freed with its join waker"
                );
                entry.stage = TaskState::Live(Some(task));
                entry.name = name;
                entry.owner = owner;
                entry.has_handle = true;
                entry.abort_requested = false;
                (slot, entry.generation)
            }
            None => {
                self.slots.push(TaskSlot {
                    generation: 0,
                    name,
                    owner,
                    stage: TaskState::Live(Some(task)),
                    join_waker: None,
                    has_handle: true,
                    abort_requested: false,
                });
                ((self.slots.len() - 1) as u32, 0)
            }
        }
    }

    /// The slot, if it still holds the task of `generation`.
    #[inline]
    pub(crate) fn get_mut(&mut self, slot: u32, generation: u32) -> Option<&mut TaskSlot> {
        self.slots.get_mut(slot as usize).filter(|entry| {
            entry.generation == generation && !matches!(entry.stage, TaskState::Free)
        })
    }

    /// Frees a slot; returns what it held, to be dropped outside the world's borrow.
    #[inline]
    pub(crate) fn free(&mut self, slot: u32) -> TaskState {
        let entry = &mut self.slots[slot as usize];
        invariant!(
            !matches!(entry.stage, TaskState::Free | TaskState::Live(_)),
            "a task slot freed while free or live"
        );
        entry.generation = entry.generation.wrapping_add(1);
        entry.join_waker = None;
        entry.name = Cow::Borrowed("");
        self.free.push(slot);
        std::mem::replace(&mut entry.stage, TaskState::Free)
    }

    /// Ends a live task: it will never be polled again. Returns its future.
    pub(crate) fn end(&mut self, slot: u32, stage: TaskState) -> Option<Box<dyn RawTask>> {
        let entry = &mut self.slots[slot as usize];
        let previous = std::mem::replace(&mut entry.stage, stage);
        let TaskState::Live(future) = previous else {
            entry.stage = previous;
            return None;
        };
        self.live -= 1;
        future
    }
}
