//! `cargo xtask bench storage`: the simulated disk's rates, one world on one
//! core, `StorageConfig::fault_free()` (real latencies: the clock jumps over
//! them), the trace hash on.
//!
//! - writes: 4 KiB `write_at`s cycling over a file of `FILE_BYTES`;
//! - syncs: one 4 KiB `write_at` then one `sync_data`, the sync counted;
//! - reads: 4 KiB `read_at`s cycling over the written file.
//!
//! Each phase runs in a world of its own; only its loop is timed, not the
//! world's setup nor the filling of the file the reads phase reads.

use std::time::{Duration, Instant};

use clap::Parser;
use tidepool::providers::OpenOptions;
use tidepool::providers::{SimStorage, StorageFile, StorageProvider};
use tidepool::sim::{Sim, StorageConfig};
use tidepool_bench::rate;

/// The size of every write and read.
const BLOCK_BYTES: usize = 4096;
/// The file the phases cycle over: 64 MiB, 16 Ki blocks.
const FILE_BYTES: u64 = 64 << 20;
const BLOCKS: u64 = FILE_BYTES / BLOCK_BYTES as u64;

/// Runs of each phase; the best rate is reported, since a shared machine only
/// ever slows a run down.
const ROUNDS: usize = 3;

#[derive(Parser)]
#[command(about = "Simulated disk: 4 KiB positional writes, syncs and reads per second")]
struct Args {
    /// 4 KiB writes in the writes phase.
    #[arg(long, default_value_t = 1_000_000)]
    writes: u64,
    /// Write-and-sync pairs in the syncs phase.
    #[arg(long, default_value_t = 200_000)]
    syncs: u64,
    /// 4 KiB reads in the reads phase.
    #[arg(long, default_value_t = 1_000_000)]
    reads: u64,
}

fn main() {
    let args = Args::parse();
    let writes_per_s = best(|| bench_writes(args.writes));
    let syncs_per_s = best(|| bench_syncs(args.syncs));
    let reads_per_s = best(|| bench_reads(args.reads));
    println!(
        "bench storage writes_per_s={writes_per_s} syncs_per_s={syncs_per_s} reads_per_s={reads_per_s}"
    );
}

fn best(phase: impl Fn() -> u64) -> u64 {
    (0..ROUNDS).map(|_| phase()).max().unwrap_or(0)
}

/// The offset of the `index`th block of a cycle over the file.
fn block_offset(index: u64) -> u64 {
    (index % BLOCKS) * BLOCK_BYTES as u64
}

/// A block whose bytes name its index, so a misplaced write would show.
fn block(index: u64) -> [u8; BLOCK_BYTES] {
    [index as u8; BLOCK_BYTES]
}

/// Runs `phase` in a fault-free world of `seed`; reports what it did and
/// returns its rate. `phase` returns the wall time of its timed loop.
fn run_phase<F>(name: &str, seed: u64, count: u64, phase: F) -> u64
where
    F: Future<Output = Duration> + 'static,
{
    let run = Sim::new(seed)
        .storage(StorageConfig::fault_free())
        .run(phase);
    let elapsed = run.outcome.expect("the phase ends");
    eprintln!(
        "{name}: {count} in {elapsed:?}, {} polls, {} simulated, trace hash {:#x}",
        run.polls, run.end_time, run.trace_hash
    );
    rate(count, elapsed)
}

fn bench_writes(writes: u64) -> u64 {
    run_phase("writes", 1, writes, async move {
        let file = SimStorage.create("data").await.expect("a fresh disk");
        let blocks = [block(1), block(2)];
        let start = Instant::now();
        for index in 0..writes {
            let buf = &blocks[(index & 1) as usize];
            let written = file.write_at(buf, block_offset(index)).await;
            assert_eq!(written.expect("no faults"), BLOCK_BYTES);
        }
        start.elapsed()
    })
}

fn bench_syncs(syncs: u64) -> u64 {
    run_phase("syncs", 2, syncs, async move {
        let file = SimStorage.create("data").await.expect("a fresh disk");
        let buf = block(3);
        let start = Instant::now();
        for index in 0..syncs {
            let written = file.write_at(&buf, block_offset(index)).await;
            assert_eq!(written.expect("no faults"), BLOCK_BYTES);
            file.sync_data().await.expect("no faults");
        }
        start.elapsed()
    })
}

fn bench_reads(reads: u64) -> u64 {
    run_phase("reads", 3, reads, async move {
        let options = OpenOptions::new().read(true).write(true).create(true);
        let file = SimStorage
            .open("data", &options)
            .await
            .expect("a fresh disk");
        for index in 0..BLOCKS {
            file.write_all_at(&block(index), block_offset(index))
                .await
                .expect("no faults");
        }
        let mut buf = [0u8; BLOCK_BYTES];
        let start = Instant::now();
        for index in 0..reads {
            let read = file.read_at(&mut buf, block_offset(index)).await;
            assert_eq!(read.expect("no faults"), BLOCK_BYTES);
            assert_eq!(buf[0], (index % BLOCKS) as u8, "block {index} misplaced");
        }
        start.elapsed()
    })
}
