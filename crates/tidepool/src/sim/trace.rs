//! The determinism fingerprint of a run: every scheduling pick and every event
//! fired folds into a running 64-bit hash, and optionally into a list of events.

use serde::{Deserialize, Serialize};
use std::panic::Location;

use crate::time::Instant;

/// What happened at one step of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum TraceKind {
    /// A task was spawned; `subject` is its slot, `detail` its owner host.
    Spawn = 1,
    /// The executor picked a task to poll; `subject` is its slot.
    Poll,
    /// A task finished; `subject` is its slot.
    TaskDone,
    /// A task panicked; `subject` is its slot.
    TaskPanic,
    /// A task was aborted or killed with its process; `subject` is its slot.
    TaskAbort,
    /// A timer fired; `subject` is its timer slot.
    Timer,
    /// Bytes reached a connection's receiver; `subject` is the connection,
    /// `detail` a digest of every byte that has reached it so far, in order (so
    /// two runs that deliver different bytes part here).
    NetDeliver,
    /// A connection was established; `subject` is the connection, `detail` the listener port.
    NetConnect,
    /// A connection attempt failed; `subject` is the target host, `detail` the port.
    NetRefuse,
    /// A connection end saw the peer's FIN; `subject` is the connection.
    NetFin,
    /// A connection was reset; `subject` is the connection.
    NetReset,
    /// A fault was injected; `subject` is the host, `detail` the fault code.
    Fault,
    /// A process booted; `subject` is its host, `detail` its incarnation.
    Boot,
    /// A process was killed; `subject` is its host, `detail` 1 for graceful, 0 for a crash.
    Kill,
    /// A user-defined marker; `subject` and `detail` are the user's.
    Mark,
    /// A storage call took effect; `subject` is the host, `detail` the call
    /// kind in its top byte (1 read, 2 write, 3 sync, 4 names) and below it
    /// the bytes read, or a digest of the bytes written.
    Disk,
    /// A process or workload drew from the world's RNG through the
    /// providers; `subject` is its host, `detail` the value drawn.
    Draw,
    /// A UDP datagram reached a bound socket; `subject` is the receiving
    /// host, `detail` a digest of the datagram's bytes.
    Datagram,
}

/// One recorded event of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TraceEvent {
    /// Position of the event in the run, from 0.
    pub index: u64,
    /// Simulated time of the event.
    #[serde(with = "crate::core_serde::InstantDef")]
    pub time: Instant,
    /// What happened.
    pub kind: TraceKind,
    /// The task, timer, connection or host it happened to (see [`TraceKind`]).
    pub subject: u32,
    /// A detail whose meaning depends on the kind (see [`TraceKind`]).
    pub detail: u64,
}

impl std::fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "#{} at {} {:?} subject={} detail={}",
            self.index, self.time, self.kind, self.subject, self.detail
        )
    }
}

const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

/// Folds `bytes` into the running digest `seed`: a rotate and an xor per
/// eight bytes, one multiply per call, so the fingerprint can cover every
/// byte a run moves (messages, disk writes) for a few percent of its time.
/// Not cryptographic, and linear within a call: it is there to tell two runs
/// of one program apart, and a difference in a byte, its position or the
/// length always changes it unless two differences cancel exactly.
#[inline]
pub(crate) fn digest(seed: u64, bytes: &[u8]) -> u64 {
    let mut hash = seed ^ (bytes.len() as u64).wrapping_mul(MIX);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        hash = hash.rotate_left(23) ^ word;
    }
    let mut tail = 0u64;
    for (index, &byte) in chunks.remainder().iter().enumerate() {
        tail |= (byte as u64) << (8 * index);
    }
    let hash = (hash.rotate_left(23) ^ tail).wrapping_mul(MIX);
    hash ^ (hash >> 29)
}

/// The names behind a recorded run's numbers: which task a slot held when,
/// and each host's name, so that a divergence reads as tasks and hosts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceNames {
    /// `(index of the Spawn event, slot, task name, where it was spawned)`, in order.
    tasks: Vec<(u64, u32, String, &'static Location<'static>)>,
    /// Host names by index.
    hosts: Vec<String>,
}

impl TraceNames {
    /// The task that held `slot` at event `index`, as `'name' spawned at file:line`.
    fn task(&self, index: u64, slot: u32) -> Option<String> {
        self.tasks
            .iter()
            .rev()
            .find(|(spawned, held, ..)| *spawned <= index && *held == slot)
            .map(|(_, _, name, site)| {
                format!("'{name}' spawned at {}:{}", site.file(), site.line())
            })
    }

    fn host(&self, host: u64) -> Option<&str> {
        self.hosts
            .get(usize::try_from(host).ok()?)
            .map(String::as_str)
    }

    /// `event`, with the task or host its numbers name.
    pub fn describe(&self, event: &TraceEvent) -> String {
        let subject = u64::from(event.subject);
        let named = match event.kind {
            TraceKind::Spawn => self
                .task(event.index, event.subject)
                .zip(self.host(event.detail))
                .map(|(task, host)| format!("task {task} on {host}")),
            TraceKind::Poll | TraceKind::TaskDone | TraceKind::TaskPanic | TraceKind::TaskAbort => {
                self.task(event.index, event.subject)
                    .map(|task| format!("task {task}"))
            }
            TraceKind::Boot
            | TraceKind::Kill
            | TraceKind::Fault
            | TraceKind::Disk
            | TraceKind::Draw
            | TraceKind::Datagram
            | TraceKind::NetRefuse => self.host(subject).map(|host| format!("host {host}")),
            _ => None,
        };
        match named {
            Some(named) => format!("{event} ({named})"),
            None => event.to_string(),
        }
    }
}

/// The running hash and, when asked, the recorded events.
pub(crate) struct Trace {
    hash: u64,
    count: u64,
    events: Option<Vec<TraceEvent>>,
    names: Option<TraceNames>,
}

impl Trace {
    pub(crate) fn new(seed: u64, record: bool) -> Trace {
        Trace {
            hash: seed ^ MIX,
            count: 0,
            events: record.then(Vec::new),
            names: record.then(TraceNames::default),
        }
    }

    #[inline]
    pub(crate) fn record(&mut self, time: u64, kind: TraceKind, subject: u32, detail: u64) {
        let head = ((kind as u64) << 32) | subject as u64;
        let mut hash = (self.hash.rotate_left(5) ^ head).wrapping_mul(MIX);
        hash = (hash.rotate_left(5) ^ time).wrapping_mul(MIX);
        hash = (hash.rotate_left(5) ^ detail).wrapping_mul(MIX);
        self.hash = hash;
        if let Some(events) = &mut self.events {
            events.push(TraceEvent {
                index: self.count,
                time: Instant::from_nanos(time),
                kind,
                subject,
                detail,
            });
        }
        self.count += 1;
    }

    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    pub(crate) fn take_events(&mut self) -> Option<Vec<TraceEvent>> {
        self.events.take()
    }

    /// Notes the name of the task just spawned into `slot`, when recording.
    #[inline]
    pub(crate) fn note_task(&mut self, slot: u32, name: &str, site: &'static Location<'static>) {
        // Inlined down to one test when not recording: every spawn calls it.
        if self.names.is_some() {
            self.push_task_name(slot, name, site);
        }
    }

    #[cold]
    fn push_task_name(&mut self, slot: u32, name: &str, site: &'static Location<'static>) {
        let index = self.count - 1;
        if let Some(names) = &mut self.names {
            names.tasks.push((index, slot, name.to_string(), site));
        }
    }

    /// The names noted, with the hosts' names, when recording.
    pub(crate) fn take_names(&mut self, hosts: Vec<String>) -> Option<TraceNames> {
        let mut names = self.names.take()?;
        names.hosts = hosts;
        Some(names)
    }
}

#[cfg(test)]
mod digest_tests {
    use super::digest;

    #[test]
    fn a_byte_its_position_and_the_length_each_change_the_digest() {
        let base = digest(0, b"abcdefghijklmnopq");
        assert_ne!(base, digest(0, b"abcdefghijklmnopr"), "a byte");
        assert_ne!(base, digest(0, b"bacdefghijklmnopq"), "two bytes swapped");
        assert_ne!(base, digest(0, b"ijklmnopabcdefghq"), "two words swapped");
        assert_ne!(base, digest(0, b"abcdefghijklmnopq\0"), "the length");
        assert_ne!(digest(0, b""), digest(0, b"\0"), "an empty call");
        assert_ne!(base, digest(1, b"abcdefghijklmnopq"), "the running seed");
    }
}
