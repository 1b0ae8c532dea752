//! `cargo xtask bench history`: the linearizability checker on one core.
//!
//! The history is what a correct key-value store gives: `--clients` clients
//! run `--ops` reads and writes one at a time over random overlapping
//! intervals on `--keys` keys; each takes effect at a point inside its
//! interval, outputs come from a map applying the effects in order, and
//! `--indeterminate-percent` of the operations time out (half of those take
//! effect, possibly after their client gave up; half never do). Values are
//! drawn from `--values`, few enough that reads are ambiguous.
//!
//! - ops_per_s: operations checked per second, the history found linearizable;
//! - violation_ms: the same history with a completed write and a stale read
//!   of its key added at the end: finding the violation and shrinking it;
//! - violation_ops: the operations the violation reports (`unknown` when the
//!   search ran out of steps first, as it may with thousands of operations and
//!   hundreds of timeouts on one key).
//!
//! Only the checks are timed, not the making of the histories.

use std::collections::HashMap;
use std::time::Duration;

use clap::Parser;
use tidepool::history::{ClientId, History, Model, Outcome, Verdict, check};
use tidepool::sim::splitmix64;
use tidepool::time::Instant;
use tidepool_bench::{rate, timed};

#[derive(Parser)]
#[command(about = "Linearizability checking: operations checked per second")]
struct Args {
    /// Operations in the history.
    #[arg(long, default_value_t = 10_000)]
    ops: usize,
    /// Keys, each checked as its own partition.
    #[arg(long, default_value_t = 100)]
    keys: u32,
    /// Clients, each with one operation open at a time.
    #[arg(long, default_value_t = 50)]
    clients: u64,
    /// Distinct values written.
    #[arg(long, default_value_t = 10)]
    values: u32,
    /// Operations whose client times out.
    #[arg(long, default_value_t = 10)]
    indeterminate_percent: u64,
    /// Runs of each check; the fastest is reported, since a shared machine
    /// only ever slows a run down.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// The seed of the history.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() {
    let args = Args::parse();
    let history = generate(&args);
    let (verdict, check_time) = best(args.rounds, || check(&Kv, &history));
    assert_eq!(verdict, Verdict::Linearizable, "a correct store's history");
    let indeterminate = history
        .operations()
        .iter()
        .filter(|operation| operation.outcome() == &Outcome::Indeterminate)
        .count();
    eprintln!(
        "history: {} operations, {indeterminate} indeterminate, {} keys, {} clients; checked in {check_time:?}",
        history.len(),
        args.keys,
        args.clients
    );

    let stale = make_stale(&history);
    let (verdict, violation_time) = best(args.rounds, || check(&Kv, &stale));
    eprintln!("{verdict}\nin {violation_time:?}");
    assert!(!verdict.is_linearizable(), "a stale read never passes");
    let violation_ops = match verdict.violation() {
        Some(violation) => violation.operations.len().to_string(),
        None => "unknown".to_string(),
    };

    let ops_per_s = rate(history.len() as u64, check_time);
    let violation_ms = violation_time.as_secs_f64() * 1e3;
    println!(
        "bench history ops_per_s={ops_per_s} violation_ms={violation_ms:.1} violation_ops={violation_ops}"
    );
}

/// The fastest of `rounds` runs of `f`, and its result.
fn best<T>(rounds: usize, f: impl Fn() -> T) -> (T, Duration) {
    let mut fastest = timed(&f);
    for _ in 1..rounds {
        let run = timed(&f);
        if run.1 < fastest.1 {
            fastest = run;
        }
    }
    fastest
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Write(u32, u32),
    Read(u32),
}

impl Op {
    fn key(self) -> u32 {
        match self {
            Op::Write(key, _) | Op::Read(key) => key,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Out {
    Ok,
    Value(Option<u32>),
}

/// A register per key.
struct Kv;

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

/// Draws from splitmix64 over a counter.
struct Draws {
    counter: u64,
}

impl Draws {
    fn below(&mut self, n: u64) -> u64 {
        self.counter += 1;
        splitmix64(self.counter) % n
    }
}

/// One operation as planned: its interval (even microseconds), its effect,
/// and whether its client timed out.
struct Planned {
    client: u64,
    op: Op,
    invoked: u64,
    ended: u64,
    effect: Option<u64>,
    indeterminate: bool,
}

/// A history a correct store gives (see the module's docs). Effects are at
/// odd microseconds, strictly inside intervals, so the order in which events
/// at one instant are recorded cannot matter.
fn generate(args: &Args) -> History<Op, Out> {
    let mut draws = Draws {
        counter: args.seed << 32,
    };
    let mut free = vec![0u64; args.clients as usize];
    let mut planned = Vec::with_capacity(args.ops);
    for _ in 0..args.ops {
        let client = draws.below(args.clients);
        let invoked = free[client as usize] + 2 * (1 + draws.below(10));
        let ended = invoked + 2 * (1 + draws.below(20));
        free[client as usize] = ended;
        let key = draws.below(u64::from(args.keys)) as u32;
        let op = match draws.below(2) {
            0 => Op::Write(key, draws.below(u64::from(args.values)) as u32),
            _ => Op::Read(key),
        };
        let indeterminate = draws.below(100) < args.indeterminate_percent;
        let span = ended - invoked;
        let effect = match (indeterminate, draws.below(2)) {
            (false, _) => Some(invoked + 1 + 2 * draws.below(span / 2)),
            (true, 0) => None,
            (true, _) => Some(invoked + 1 + 2 * draws.below(3 * span / 2)),
        };
        planned.push(Planned {
            client,
            op,
            invoked,
            ended,
            effect,
            indeterminate,
        });
    }
    record(&planned, &outputs(&planned))
}

/// Each operation's output, from applying the effects in time order.
fn outputs(planned: &[Planned]) -> Vec<Out> {
    let mut order: Vec<usize> = (0..planned.len())
        .filter(|&at| planned[at].effect.is_some())
        .collect();
    order.sort_by_key(|&at| planned[at].effect);
    let mut map = HashMap::new();
    let mut outputs = vec![Out::Ok; planned.len()];
    for at in order {
        if let Op::Read(key) = planned[at].op {
            outputs[at] = Out::Value(map.get(&key).copied());
        } else if let Op::Write(key, value) = planned[at].op {
            map.insert(key, value);
        }
    }
    outputs
}

/// The events of `planned` recorded in time order, invocations first at one
/// instant.
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
        // Plan units are microseconds, so reports read well.
        let (op, time) = (&planned[at], Instant::from_nanos(time * 1_000));
        if !is_end {
            let id = history.invoke_at(ClientId(op.client), op.op, time);
            ids[at] = Some(id.expect("a client has one operation open"));
            continue;
        }
        let id = ids[at].expect("invoked before it ends");
        let recorded = if op.indeterminate {
            history.indeterminate_at(id, time)
        } else {
            history.complete_at(id, outputs[at], time)
        };
        recorded.expect("an operation ends once, after its invocation");
    }
    history
}

/// `history` with one more operation: a read of the key most written, after
/// everything, that returns a value no longer there.
fn make_stale(history: &History<Op, Out>) -> History<Op, Out> {
    let mut stale = history.clone().operations_max(history.len() + 2);
    let last = history.events().last().expect("a history").at;
    let mut writes: HashMap<u32, Vec<u32>> = HashMap::new();
    for operation in history.operations() {
        if let (Op::Write(key, value), Some(_)) = (*operation.op(), operation.output()) {
            writes.entry(key).or_default().push(value);
        }
    }
    let (&key, values) = writes
        .iter()
        .max_by_key(|(key, values)| (values.len(), **key))
        .expect("writes");
    let latest = *values.last().expect("a write");
    let old = values.iter().rev().find(|&&value| value != latest).copied();
    let write = stale
        .invoke_at(
            ClientId(u64::MAX - 1),
            Op::Write(key, latest),
            last + Duration::from_micros(1),
        )
        .unwrap();
    stale
        .complete_at(write, Out::Ok, last + Duration::from_micros(2))
        .unwrap();
    let read = stale
        .invoke_at(
            ClientId(u64::MAX),
            Op::Read(key),
            last + Duration::from_micros(3),
        )
        .unwrap();
    stale
        .complete_at(read, Out::Value(old), last + Duration::from_micros(4))
        .unwrap();
    stale
}
