//! The hand-made mutations `cargo xtask mutants` applies, one at a time.
//!
//! Each is a one-line bug the engine could plausibly grow, and names the
//! tests that must catch it. To add one: pick the exact text (it must occur
//! once in its file, so take enough of the line), write the bug, name the
//! narrowest test target that should fail, and run
//! `cargo xtask mutants --only NAME`: SURVIVED means a test is missing.

/// One mutation: `find` (exactly once in `file`) becomes `replace`.
pub(crate) struct Mutation {
    /// A short name, for `--only`.
    pub(crate) name: &'static str,
    /// The file, from the workspace root.
    pub(crate) file: &'static str,
    pub(crate) find: &'static str,
    pub(crate) replace: &'static str,
    /// Arguments of `cargo test` that must fail under the mutation.
    pub(crate) tests: &'static [&'static str],
    /// What the mutation breaks, in a few words.
    pub(crate) why: &'static str,
}

const WORLD: &str = "crates/tidepool/src/sim/world.rs";
const EVENTS: &str = "crates/tidepool/src/sim/events.rs";
const TRANSFER: &str = "crates/tidepool/src/sim/net/transfer.rs";
const MODEL: &str = "crates/tidepool/src/sim/net/model.rs";

const SCHEDULE_TESTS: &[&str] = &["-p", "tidepool", "--test", "sim_task_schedule"];
const EVENTS_TESTS: &[&str] = &["-p", "tidepool", "--lib", "sim::events"];
const EDGE_TESTS: &[&str] = &["-p", "tidepool", "--test", "sim_net_transfer_edges"];
const NET_UNIT_TESTS: &[&str] = &["-p", "tidepool", "--lib", "sim::net"];
const RUNTIME_TESTS: &[&str] = &["-p", "tidepool", "--test", "sim_runtime"];
const TIMER_TESTS: &[&str] = &["-p", "tidepool", "--test", "sim_timers_order"];
const SEED_TESTS: &[&str] = &["-p", "tidepool", "--lib", "sim::seed"];
const CAMPAIGN_TESTS: &[&str] = &["-p", "tidepool", "--test", "runner_fingerprint"];

/// Every mutation, engine first, then the runner's determinism check.
pub(crate) const MUTATIONS: &[Mutation] = &[
    Mutation {
        name: "pick-first-ready",
        file: WORLD,
        find: "_ => ((rng.next_u64() as u128 * ready as u128) >> 64) as usize,",
        replace: "_ => { let _ = rng; 0 }",
        tests: SCHEDULE_TESTS,
        why: "the executor polls the first ready task, not the seeded pick",
    },
    Mutation {
        name: "pick-never-last",
        file: WORLD,
        find: "_ => ((rng.next_u64() as u128 * ready as u128) >> 64) as usize,",
        replace: "_ => ((rng.next_u64() as u128 * (ready - 1) as u128) >> 64) as usize,",
        tests: SCHEDULE_TESTS,
        why: "the pick never takes the last ready task",
    },
    Mutation {
        name: "spawn-dead-unsized",
        file: WORLD,
        find: "if sched.slots.len() <= index {",
        replace: "if alive && sched.slots.len() <= index {",
        tests: SCHEDULE_TESTS,
        why: "a task spawned on a dead host gets no wake state",
    },
    Mutation {
        name: "retain-size-threshold",
        file: EVENTS,
        find: "if len < 2 {",
        replace: "if len < 3 {",
        tests: EVENTS_TESTS,
        why: "retain leaves two events unordered",
    },
    Mutation {
        name: "retain-skips-root",
        file: EVENTS,
        find: "for parent in (0..=(len - 2) / ARITY).rev() {",
        replace: "for parent in (1..=(len - 2) / ARITY).rev() {",
        tests: EVENTS_TESTS,
        why: "the heap rebuild never sifts the root",
    },
    Mutation {
        name: "retain-skips-last-parent",
        file: EVENTS,
        find: "for parent in (0..=(len - 2) / ARITY).rev() {",
        replace: "for parent in (0..(len - 2) / ARITY).rev() {",
        tests: EVENTS_TESTS,
        why: "the heap rebuild misses the last parent",
    },
    Mutation {
        name: "sift-down-from-child-index",
        file: EVENTS,
        find: "let first = hole * ARITY + 1;\n            if first >= len {",
        replace: "let first = hole * ARITY + 2;\n            if first >= len {",
        tests: EVENTS_TESTS,
        why: "the rebuild's child arithmetic skips the first child",
    },
    Mutation {
        name: "sift-down-from-last-child",
        file: EVENTS,
        find: "(first + 1..(first + ARITY).min(len))",
        replace: "(first + 1..(first + ARITY - 1).min(len))",
        tests: EVENTS_TESTS,
        why: "the rebuild never looks at a node's fourth child",
    },
    Mutation {
        name: "pop-smallest-of-four",
        file: EVENTS,
        find: "let low = (keys[1].key < keys[0].key) as usize;",
        replace: "let low = (keys[1].key > keys[0].key) as usize;",
        tests: EVENTS_TESTS,
        why: "a pop follows the larger of two children",
    },
    Mutation {
        name: "pop-child-index",
        file: EVENTS,
        find: "let first = hole * ARITY + 1;\n            let smallest = if",
        replace: "let first = hole * ARITY + 2;\n            let smallest = if",
        tests: EVENTS_TESTS,
        why: "a pop's child arithmetic skips the first child",
    },
    Mutation {
        name: "sift-up-compare",
        file: EVENTS,
        find: "if self.heap[parent].key <= entry.key {",
        replace: "if self.heap[parent].key >= entry.key {",
        tests: EVENTS_TESTS,
        why: "a push climbs past smaller parents",
    },
    Mutation {
        name: "sift-up-compare-in-runs",
        file: EVENTS,
        find: "if self.heap[parent].key <= entry.key {",
        replace: "if self.heap[parent].key >= entry.key {",
        tests: RUNTIME_TESTS,
        why: "the same, caught in whole runs by the clock's assert (not a hang)",
    },
    Mutation {
        name: "pop-smallest-of-four-in-runs",
        file: EVENTS,
        find: "let low = (keys[1].key < keys[0].key) as usize;",
        replace: "let low = (keys[1].key > keys[0].key) as usize;",
        tests: TIMER_TESTS,
        why: "a broken pop, caught in whole runs by the clock's assert (not a hang)",
    },
    Mutation {
        name: "reset-overtakes-data",
        file: TRANSFER,
        find: "let time = (self.now + latency).max(last_time);",
        replace: "let time = self.now + latency;",
        tests: EDGE_TESTS,
        why: "a reset is not held behind the bytes in flight",
    },
    Mutation {
        name: "write-after-shutdown",
        file: TRANSFER,
        find: "if dir.fin_written || entry.ends[end].closed {",
        replace: "if dir.fin_written && entry.ends[end].closed {",
        tests: EDGE_TESTS,
        why: "writing after one's own shutdown succeeds",
    },
    Mutation {
        name: "send-buffer-division",
        file: MODEL,
        find: "        self.written - self.consumed\n",
        replace: "        self.written / self.consumed.max(1)\n",
        tests: EDGE_TESTS,
        why: "the send buffer's space is not written minus consumed",
    },
    Mutation {
        name: "close-unread-sends-fin",
        file: TRANSFER,
        find: "if self.net.conns[conn as usize].dirs[1 - end].readable() > 0 {",
        replace: "if false {",
        tests: EDGE_TESTS,
        why: "closing with unread bytes sends a FIN, not a reset",
    },
    Mutation {
        name: "repeated-shutdown",
        file: TRANSFER,
        find: "if entry.ends[end].dead || entry.dirs[end].fin_written {",
        replace: "if entry.ends[end].dead {",
        tests: EDGE_TESTS,
        why: "a second shutdown sends a second FIN",
    },
    Mutation {
        name: "marker-merge-window",
        file: TRANSFER,
        find: "Some(last) if last.time == time && !last.fin =>",
        replace: "Some(last) if last.time + 1_000_000 >= time && !last.fin =>",
        tests: EDGE_TESTS,
        why: "writes 1 ms apart are delivered together",
    },
    Mutation {
        name: "reset-on-fin-only",
        file: TRANSFER,
        find: "if receiver_closed && delivered > 0 {",
        replace: "if receiver_closed {",
        tests: EDGE_TESTS,
        why: "a FIN reaching a closed end is answered with a reset",
    },
    Mutation {
        name: "partial-write-unsplit",
        file: TRANSFER,
        find: "count = 1 + self.random_below(count as u64 - 1) as usize;\n        }\n        self.net.conns[conn as usize].dirs[end].write",
        replace: "let _ = self.random_below(count as u64 - 1);\n        }\n        self.net.conns[conn as usize].dirs[end].write",
        tests: EDGE_TESTS,
        why: "a partial write is counted but takes every byte",
    },
    Mutation {
        name: "uniform-ignores-draw",
        file: "crates/tidepool/src/sim/net/config.rs",
        find: "Latency::Uniform { min, max } => uniform(draw(), *min, *max),",
        replace: "Latency::Uniform { min, max } => uniform(draw() & 0, *min, *max),",
        tests: NET_UNIT_TESTS,
        why: "a uniform latency is always its minimum",
    },
    Mutation {
        name: "partition-never-lifts",
        file: "crates/tidepool/src/sim/net/link_state.rs",
        find: "if link.fault_partitioned {\n                    link.fault_partitioned = false;",
        replace: "if link.fault_partitioned {\n                    link.fault_partitioned = true;",
        tests: EDGE_TESTS,
        why: "a random partition never ends by itself",
    },
    Mutation {
        name: "kill-skips-accounting",
        file: MODEL,
        find: "entry.dirs[1 - end].drop_unread();",
        replace: "entry.dirs[1 - end].buf = VecDeque::new();",
        tests: EDGE_TESTS,
        why: "a kill drops unread bytes without counting them consumed",
    },
    Mutation {
        name: "conn-slots-never-reused",
        file: MODEL,
        find: "self.free_conns.push(conn);",
        replace: "let _ = &self.free_conns;",
        tests: NET_UNIT_TESTS,
        why: "closed connections keep their slots for the whole run",
    },
    Mutation {
        name: "derive-seed-plus",
        file: "crates/tidepool/src/sim/seed.rs",
        find: "splitmix64(splitmix64(base) ^ index.wrapping_mul(0xd1b5_4a32_d192_ed03))",
        replace: "splitmix64(splitmix64(base).wrapping_add(index))",
        tests: SEED_TESTS,
        why: "seed i is derived as base + i, mixed once",
    },
    Mutation {
        name: "trace-hash-skips-time",
        file: "crates/tidepool/src/sim/trace.rs",
        find: "hash = (hash.rotate_left(5) ^ time).wrapping_mul(MIX);",
        replace: "hash = hash.rotate_left(5).wrapping_mul(MIX);",
        tests: EDGE_TESTS,
        why: "the fingerprint ignores when events happen",
    },
    Mutation {
        name: "trace-hash-skips-time-campaign",
        file: "crates/tidepool/src/sim/trace.rs",
        find: "hash = (hash.rotate_left(5) ^ time).wrapping_mul(MIX);",
        replace: "hash = hash.rotate_left(5).wrapping_mul(MIX);",
        tests: CAMPAIGN_TESTS,
        why: "the same, caught by the pinned campaign",
    },
    Mutation {
        name: "pick-first-ready-campaign",
        file: WORLD,
        find: "_ => ((rng.next_u64() as u128 * ready as u128) >> 64) as usize,",
        replace: "_ => { let _ = rng; 0 }",
        tests: CAMPAIGN_TESTS,
        why: "the first-ready pick, caught by the pinned campaign",
    },
    Mutation {
        name: "uniform-ignores-draw-campaign",
        file: "crates/tidepool/src/sim/net/config.rs",
        find: "Latency::Uniform { min, max } => uniform(draw(), *min, *max),",
        replace: "Latency::Uniform { min, max } => uniform(draw() & 0, *min, *max),",
        tests: CAMPAIGN_TESTS,
        why: "the uniform latency's bug, caught by the pinned campaign",
    },
    Mutation {
        name: "partition-never-lifts-campaign",
        file: "crates/tidepool/src/sim/net/link_state.rs",
        find: "if link.fault_partitioned {\n                    link.fault_partitioned = false;",
        replace: "if link.fault_partitioned {\n                    link.fault_partitioned = true;",
        tests: CAMPAIGN_TESTS,
        why: "the never-lifting partition, caught by the pinned campaign",
    },
    Mutation {
        name: "reset-overtakes-data-campaign",
        file: TRANSFER,
        find: "let time = (self.now + latency).max(last_time);",
        replace: "let time = self.now + latency;",
        tests: CAMPAIGN_TESTS,
        why: "the overtaking reset, caught by the pinned campaign",
    },
    Mutation {
        name: "derive-seed-plus-campaign",
        file: "crates/tidepool/src/sim/seed.rs",
        find: "splitmix64(splitmix64(base) ^ index.wrapping_mul(0xd1b5_4a32_d192_ed03))",
        replace: "splitmix64(splitmix64(base).wrapping_add(index))",
        tests: CAMPAIGN_TESTS,
        why: "the seed derivation's bug, caught by the pinned campaign",
    },
    Mutation {
        name: "update-other-type-default",
        file: "crates/tidepool-core/src/shared_state.rs",
        find: "other_type(OPERATION, key, std::any::type_name::<T>());",
        replace: "Box::default()",
        tests: &["-p", "tidepool", "--test", "core_shared_state"],
        why: "SharedState::update replaces a value of another type with the default",
    },
    Mutation {
        name: "incarnation-missing-key-passes",
        file: "sims/kv/src/lib.rs",
        find: "let booted = state.require::<BTreeMap<SocketAddr, u64>>(INCARNATIONS_BOOTED)?;",
        replace: "let Some(booted) = state.get::<BTreeMap<SocketAddr, u64>>(INCARNATIONS_BOOTED) else { return Ok(()) };",
        tests: &["-p", "sim-kv", "--test", "kv_incarnation_invariant"],
        why: "the KV incarnation invariant passes when the boots' key is missing",
    },
    Mutation {
        name: "determinism-compares-verdicts",
        file: "crates/tidepool/src/runner/campaign.rs",
        find: "if first.trace_hash != second.trace_hash {",
        replace: "if first.failure.is_some() != second.failure.is_some() {",
        tests: CAMPAIGN_TESTS,
        why: "--check-determinism compares verdicts, not traces",
    },
];
