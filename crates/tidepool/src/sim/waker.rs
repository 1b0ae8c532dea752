//! Wakers that carry a task's identity in their data word: no allocation, no
//! reference count, and `Send + Sync` as std requires.

use std::task::{RawWaker, RawWakerVTable, Waker};

use super::context::wake_task;

const VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake, drop);

/// The waker of the task in `slot` of the world tagged `tag`.
#[inline]
pub(crate) fn task_waker(tag: u16, generation: u16, slot: u32) -> Waker {
    let data = pack(tag, generation, slot);
    // SAFETY: the vtable functions never dereference the data pointer; it only
    // carries the packed id, which is valid for any bit pattern.
    unsafe { Waker::from_raw(RawWaker::new(data as *const (), &VTABLE)) }
}

#[inline]
fn pack(tag: u16, generation: u16, slot: u32) -> usize {
    const _: () = assert!(usize::BITS == 64, "tidepool needs a 64-bit target");
    ((tag as usize) << 48) | ((generation as usize) << 32) | slot as usize
}

#[inline]
fn unpack(data: *const ()) -> (u16, u16, u32) {
    let bits = data as usize;
    ((bits >> 48) as u16, (bits >> 32) as u16, bits as u32)
}

fn clone(data: *const ()) -> RawWaker {
    RawWaker::new(data, &VTABLE)
}

fn wake(data: *const ()) {
    let (tag, generation, slot) = unpack(data);
    wake_task(tag, generation, slot);
}

fn drop(_data: *const ()) {}
