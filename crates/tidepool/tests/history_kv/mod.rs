//! What the history tests share: a key-value model (a register per key), a
//! shorthand for writing histories by hand, a generator of histories that a
//! correct store could produce, and the rebuilding of sub-histories that
//! checking a violation's minimality needs.
#![allow(dead_code)]

use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use tidepool::history::{
    ClientId, EventKind, History, Model, OpId, Outcome, Verdict, Violation, check,
};
use tidepool::time::Instant;

/// A request to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Write(u32, u32),
    Read(u32),
}

impl Op {
    pub fn key(self) -> u32 {
        match self {
            Op::Write(key, _) | Op::Read(key) => key,
        }
    }
}

/// A reply: a write's acknowledgement or a read's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Out {
    Ok,
    Value(Option<u32>),
}

/// A register per key, empty at first; keys are independent partitions.
pub struct Kv;

impl Model for Kv {
    type Op = Op;
    type Out = Out;
    type State = Option<u32>;
    type Partition = u32;

    fn init(&self) -> Option<u32> {
        None
    }

    fn step(&self, value: &Option<u32>, op: &Op) -> (Option<u32>, Out) {
        match op {
            Op::Write(_, new) => (Some(*new), Out::Ok),
            Op::Read(_) => (*value, Out::Value(*value)),
        }
    }

    fn partition(&self, op: &Op) -> u32 {
        op.key()
    }
}

/// The same store checked as one whole: a map, one partition.
pub struct KvWhole;

impl Model for KvWhole {
    type Op = Op;
    type Out = Out;
    type State = Vec<(u32, u32)>;
    type Partition = ();

    fn init(&self) -> Vec<(u32, u32)> {
        Vec::new()
    }

    fn step(&self, map: &Vec<(u32, u32)>, op: &Op) -> (Vec<(u32, u32)>, Out) {
        let at = map.binary_search_by_key(&op.key(), |(key, _)| *key);
        match (op, at) {
            (Op::Write(key, value), Ok(at)) => {
                let mut map = map.clone();
                map[at] = (*key, *value);
                (map, Out::Ok)
            }
            (Op::Write(key, value), Err(at)) => {
                let mut map = map.clone();
                map.insert(at, (*key, *value));
                (map, Out::Ok)
            }
            (Op::Read(_), Ok(at)) => (map.clone(), Out::Value(Some(map[at].1))),
            (Op::Read(_), Err(_)) => (map.clone(), Out::Value(None)),
        }
    }

    fn partition(&self, _: &Op) {}
}

/// Times in microseconds.
pub fn us(micros: u64) -> Instant {
    Instant::from_nanos(micros * 1_000)
}

/// Histories written by hand: each call records one operation whole.
pub struct Script {
    pub history: History<Op, Out>,
}

impl Default for Script {
    fn default() -> Self {
        Script::new()
    }
}

impl Script {
    pub fn new() -> Script {
        Script {
            history: History::new().open_per_client_max(u32::MAX),
        }
    }

    /// `client` ran `op` over [`from`, `to`] µs and got `out`.
    pub fn done(&mut self, client: u64, op: Op, from: u64, to: u64, out: Out) -> OpId {
        let id = self
            .history
            .invoke_at(ClientId(client), op, us(from))
            .unwrap();
        self.history.complete_at(id, out, us(to)).unwrap();
        id
    }

    /// `client` invoked `op` at `from` µs and gave up on it at `to`.
    pub fn lost(&mut self, client: u64, op: Op, from: u64, to: u64) -> OpId {
        let id = self
            .history
            .invoke_at(ClientId(client), op, us(from))
            .unwrap();
        self.history.indeterminate_at(id, us(to)).unwrap();
        id
    }

    pub fn write(&mut self, client: u64, key: u32, value: u32, from: u64, to: u64) -> OpId {
        self.done(client, Op::Write(key, value), from, to, Out::Ok)
    }

    pub fn read(&mut self, client: u64, key: u32, got: Option<u32>, from: u64, to: u64) -> OpId {
        self.done(client, Op::Read(key), from, to, Out::Value(got))
    }

    pub fn check(&self) -> Verdict {
        check(&Kv, &self.history)
    }
}

/// What a generated history looks like.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub ops: usize,
    pub keys: u32,
    pub clients: u64,
    /// Distinct values written; few make reads ambiguous.
    pub values: u32,
    pub indeterminate_percent: u64,
    /// The longest request, in µs (each lasts 1 to this).
    pub duration_max_us: u64,
}

/// One operation as generated: its interval, and its effect, when it has one.
struct Planned {
    client: u64,
    op: Op,
    invoked: u64,
    ended: u64,
    indeterminate: bool,
    effect: Option<u64>,
}

/// A history a correct store could have produced: clients run operations one
/// at a time over random overlapping intervals; each takes effect at a point
/// inside its interval (an indeterminate one: at any point after its
/// invocation, even after its client gave up, or never), and outputs come
/// from a map that applies the effects in order.
///
/// Interval ends are even nanoseconds, effects odd ones, so an effect is
/// strictly inside its interval and the order in which events at one instant
/// are recorded cannot matter.
pub fn generate(seed: u64, shape: Shape) -> History<Op, Out> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut below = |n: u64| rng.next_u64() % n;
    let mut free = vec![0u64; shape.clients as usize];
    let mut planned = Vec::with_capacity(shape.ops);
    for _ in 0..shape.ops {
        let client = below(shape.clients);
        let invoked = free[client as usize] + 2 * (1 + below(shape.duration_max_us));
        let ended = invoked + 2 * (1 + below(shape.duration_max_us));
        free[client as usize] = ended;
        let key = below(u64::from(shape.keys)) as u32;
        let op = match below(2) {
            0 => Op::Write(key, below(u64::from(shape.values)) as u32),
            _ => Op::Read(key),
        };
        let indeterminate = below(100) < shape.indeterminate_percent;
        let effect = match (indeterminate, below(2)) {
            (false, _) => Some(invoked + 1 + 2 * below((ended - invoked) / 2)),
            (true, 0) => None,
            (true, _) => Some(invoked + 1 + 2 * below(3 * (ended - invoked) / 2)),
        };
        planned.push(Planned {
            client,
            op,
            invoked,
            ended,
            indeterminate,
            effect,
        });
    }
    let outputs = apply_effects(&planned);
    record(&planned, &outputs)
}

/// Each operation's output, from applying the effects in time order.
fn apply_effects(planned: &[Planned]) -> Vec<Out> {
    let mut order: Vec<usize> = (0..planned.len())
        .filter(|&at| planned[at].effect.is_some())
        .collect();
    order.sort_by_key(|&at| planned[at].effect);
    let mut map = std::collections::HashMap::new();
    let mut outputs = vec![Out::Ok; planned.len()];
    for at in order {
        outputs[at] = match planned[at].op {
            Op::Write(key, value) => {
                map.insert(key, value);
                Out::Ok
            }
            Op::Read(key) => Out::Value(map.get(&key).copied()),
        };
    }
    outputs
}

/// The events of `planned`, recorded in time order.
fn record(planned: &[Planned], outputs: &[Out]) -> History<Op, Out> {
    let mut events: Vec<(u64, bool, usize)> = Vec::with_capacity(2 * planned.len());
    for (at, op) in planned.iter().enumerate() {
        events.push((op.invoked, false, at));
        events.push((op.ended, true, at));
    }
    events.sort_unstable();
    let mut history = History::new().operations_max(planned.len());
    let mut ids = vec![None; planned.len()];
    for (time, is_end, at) in events {
        let op = &planned[at];
        let time = Instant::from_nanos(time);
        if !is_end {
            ids[at] = Some(history.invoke_at(ClientId(op.client), op.op, time).unwrap());
            continue;
        }
        let id = ids[at].unwrap();
        if op.indeterminate {
            history.indeterminate_at(id, time).unwrap();
        } else {
            history.complete_at(id, outputs[at], time).unwrap();
        }
    }
    history
}

/// How an operation goes into a rebuilt history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum As {
    Recorded,
    /// A completed operation made ambiguous, as the shrinker weakens it.
    Weakened,
}

/// The operations `picks` of `history`, rebuilt in a history of their own,
/// their events in the same order: recorded as they were, or weakened
/// (completed ones made ambiguous).
pub fn rebuild(history: &History<Op, Out>, picks: &[(OpId, As)]) -> History<Op, Out> {
    let mut rebuilt = History::new().open_per_client_max(u32::MAX);
    let mut ids = std::collections::HashMap::new();
    for event in history.events() {
        let Some(&(_, how)) = picks.iter().find(|(id, _)| *id == event.id) else {
            continue;
        };
        let operation = &history.operations()[event.id.index()];
        if event.kind == EventKind::Invoked {
            let op = *operation.op();
            let new = rebuilt.invoke_at(operation.client(), op, event.at).unwrap();
            ids.insert(event.id, new);
            continue;
        }
        let new = ids[&event.id];
        match (operation.outcome(), how) {
            (Outcome::Completed(out), As::Recorded) => {
                rebuilt.complete_at(new, *out, event.at).unwrap()
            }
            (Outcome::Completed(_) | Outcome::Ambiguous, _) => {
                rebuilt.ambiguous_at(new, event.at).unwrap()
            }
            (Outcome::Indeterminate, _) => rebuilt.indeterminate_at(new, event.at).unwrap(),
            (outcome, _) => panic!("a checked operation is {}", outcome.name()),
        }
    }
    rebuilt
}

/// Checks what a violation of `history` claims: its operations (context ones
/// weakened) are not linearizable; weakening any one conflicting operation
/// makes them linearizable; dropping any one context operation leaves a
/// conflicting operation whose weakening no longer helps; and without
/// context, dropping any one operation makes them linearizable.
pub fn assert_violation_holds(history: &History<Op, Out>, violation: &Violation) {
    assert!(violation.minimal, "shrinking ended minimal: {violation}");
    let picks: Vec<(OpId, As)> = violation
        .operations
        .iter()
        .map(|operation| {
            let how = if operation.context {
                As::Weakened
            } else {
                As::Recorded
            };
            (operation.id, how)
        })
        .collect();
    let not_linearizable = |picks: &[(OpId, As)]| {
        matches!(
            check(&Kv, &rebuild(history, picks)),
            Verdict::NotLinearizable(_)
        )
    };
    assert!(
        not_linearizable(&picks),
        "the violation's operations conflict: {violation}"
    );
    let conflicting: Vec<usize> = (0..picks.len())
        .filter(|&at| picks[at].1 == As::Recorded)
        .collect();
    let weakened = |picks: &[(OpId, As)], at: usize| {
        let mut picks = picks.to_vec();
        picks[at].1 = As::Weakened;
        picks
    };
    for &at in &conflicting {
        assert!(
            !not_linearizable(&weakened(&picks, at)),
            "weakening {} explains the rest: {violation}",
            picks[at].0
        );
    }
    // Without context, the violation is minimal by removal too: every
    // sub-history one operation smaller is linearizable.
    if conflicting.len() == picks.len() {
        for at in 0..picks.len() {
            let mut smaller = picks.clone();
            smaller.remove(at);
            assert!(
                !not_linearizable(&smaller),
                "without {}: {violation}",
                picks[at].0
            );
        }
    }
    for context in (0..picks.len()).filter(|&at| picks[at].1 == As::Weakened) {
        let mut without = picks.clone();
        without.remove(context);
        let needed = conflicting.iter().any(|&at| {
            let at = if at > context { at - 1 } else { at };
            not_linearizable(&weakened(&without, at))
        });
        assert!(
            needed,
            "context {} is needed: {violation}",
            picks[context].0
        );
    }
}
