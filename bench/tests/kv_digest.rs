//! kv-bench does the peers' work: over seeds 1..=100 its requests and
//! responses fold into the digest the specification gives, through
//! `SimulationBuilder` with every campaign check on. A change to the draws,
//! the protocol, the client numbering or the folding order changes it.

use tidepool_bench::kv::{DIGEST_SEEDS_1_TO_100, KvBench};

#[test]
fn seeds_1_to_100_give_the_specified_digest() {
    let run = KvBench {
        seeds: 1..=100,
        ..KvBench::default()
    }
    .run()
    .expect("a valid configuration");
    assert_eq!(run.report.failed, 0, "{}", run.report);
    assert_eq!(run.report.iterations, 100);
    assert_eq!(run.digest, DIGEST_SEEDS_1_TO_100, "got {:016x}", run.digest);
}

/// Two worker threads do the same work as one: the digest folds the
/// iterations in seed order, whichever thread ran them.
#[test]
fn the_digest_does_not_depend_on_threads() {
    let bench = KvBench {
        seeds: 1..=100,
        jobs: 2,
        ..KvBench::default()
    };
    let run = bench.run().expect("a valid configuration");
    assert_eq!(run.report.failed, 0, "{}", run.report);
    assert_eq!(run.digest, DIGEST_SEEDS_1_TO_100);
}

/// Other seeds give another digest: the digest covers the seeds' work.
#[test]
fn other_seeds_give_another_digest() {
    let run = KvBench {
        seeds: 2..=101,
        ..KvBench::default()
    }
    .run()
    .expect("a valid configuration");
    assert_eq!(run.report.failed, 0, "{}", run.report);
    assert_ne!(run.digest, DIGEST_SEEDS_1_TO_100);
}
