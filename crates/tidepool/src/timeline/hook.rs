//! What the simulator tells the timeline while a run is recorded for one:
//! each write put on the wire and each delivery, the hosts' names. Off (one
//! thread-local flag read per call) in every other run, so campaigns pay
//! nothing; nothing here touches the trace or its hash.

use std::cell::{Cell, RefCell};

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    static SEEN: RefCell<Seen> = RefCell::new(Seen::default());
}

/// A write put on the wire: `upto` bytes of the direction written so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sent {
    pub(crate) serial: u32,
    pub(crate) end: u8,
    pub(crate) source: u32,
    pub(crate) target: u32,
    pub(crate) time: u64,
    pub(crate) upto: u64,
}

/// Bytes that reached their receiver: the direction's bytes up to `upto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Delivered {
    pub(crate) serial: u32,
    pub(crate) end: u8,
    pub(crate) time: u64,
    pub(crate) upto: u64,
}

/// What the hooks saw during one recorded run.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub(crate) sent: Vec<Sent>,
    pub(crate) delivered: Vec<Delivered>,
    pub(crate) hosts: Vec<String>,
    /// Writes past [`SENT_MAX`], not kept.
    pub(crate) sent_dropped: u64,
}

/// Writes kept per run, at most: a bound on the recording's memory.
pub(crate) const SENT_MAX: usize = 1 << 20;

/// Turns the hooks on for this thread, with nothing seen yet.
pub(crate) fn start() {
    SEEN.with(|seen| *seen.borrow_mut() = Seen::default());
    ON.with(|on| on.set(true));
}

/// Turns the hooks off and returns what they saw.
pub(crate) fn finish() -> Seen {
    ON.with(|on| on.set(false));
    SEEN.with(|seen| std::mem::take(&mut *seen.borrow_mut()))
}

#[inline]
fn on() -> bool {
    ON.with(Cell::get)
}

/// A write from `hosts.0` to `hosts.1` on connection `serial`, direction
/// `end`, put on the wire at `time`; the direction's bytes are now `upto`.
#[inline]
pub(crate) fn sent(serial: u32, end: usize, hosts: (u32, u32), time: u64, upto: u64) {
    if !on() {
        return;
    }
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        if seen.sent.len() >= SENT_MAX {
            seen.sent_dropped += 1;
            return;
        }
        seen.sent.push(Sent {
            serial,
            end: end as u8,
            source: hosts.0,
            target: hosts.1,
            time,
            upto,
        });
    });
}

/// The bytes of connection `serial`, direction `end`, up to `upto` arrived.
#[inline]
pub(crate) fn delivered(serial: u32, end: usize, time: u64, upto: u64) {
    if !on() {
        return;
    }
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        if seen.delivered.len() < SENT_MAX {
            seen.delivered.push(Delivered {
                serial,
                end: end as u8,
                time,
                upto,
            });
        }
    });
}

/// Notes every host's name, at the end of a recorded run.
pub(crate) fn note_hosts() {
    if !on() {
        return;
    }
    let hosts = crate::sim::with_world("timeline hosts", |world| {
        (0..world.hosts.list.len() as u32)
            .map(|host| world.hosts.name(host).to_string())
            .collect::<Vec<String>>()
    });
    SEEN.with(|seen| seen.borrow_mut().hosts = hosts);
}
