//! Campaigns across threads and machines: `jobs(N)` gives the one-thread
//! report, and shard reports merge into the whole campaign's report.

use std::time::Duration;

use tidepool::providers::{Listener, Providers};
use tidepool::{
    Attrition, BoxError, Process, ProcessContext, SimulationBuilder, SimulationReport, Workload,
    WorkloadContext,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Echo;

impl Process for Echo {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let listener = ctx.providers().bind(ctx.address()).await?;
        loop {
            let (mut stream, _) = tidepool::select! {
                accepted = listener.accept() => accepted?,
                () = ctx.shutdown().requested() => return Ok(()),
            };
            ctx.providers().spawn("echo", async move {
                let mut byte = [0u8; 1];
                while stream.read_exact(&mut byte).await.is_ok()
                    && stream.write_all(&byte).await.is_ok()
                {}
            });
        }
    }
}

/// Echoes bytes; fails when an answer differs, which only a reset can cause here.
struct Chatter;

impl Workload for Chatter {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        for _ in 0..20 {
            let servers = ctx.processes("echo");
            let server = servers[ctx.random_below(servers.len() as u64) as usize];
            let Ok(mut stream) = ctx.providers().connect(server).await else {
                continue;
            };
            let byte = ctx.random_below(256) as u8;
            let mut answer = [0u8; 1];
            if stream.write_all(&[byte]).await.is_ok()
                && stream.read_exact(&mut answer).await.is_ok()
                && answer[0] != byte
            {
                return Err(format!("sent {byte}, got {}", answer[0]).into());
            }
            tidepool::assert_sometimes!(answer[0] == byte, "scale echo answered");
            ctx.providers()
                .sleep(Duration::from_millis(ctx.random_below(100)))
                .await;
        }
        if ctx.random_below(10) == 0 {
            return Err("a planted one-in-ten failure".into());
        }
        Ok(())
    }
}

fn campaign() -> SimulationBuilder {
    SimulationBuilder::new("scale")
        .processes("echo", 3, || Echo)
        .workloads(3, |_| Chatter)
        .network(tidepool::sim::NetworkConfig::default())
        .attrition(Attrition {
            interval: (Duration::from_millis(100), Duration::from_millis(500)),
            ..Attrition::default()
        })
        .iterations(40)
        .base_seed(1234)
}

/// The report without its wall-clock figures.
fn timeless(mut report: SimulationReport) -> SimulationReport {
    report.wall_time_s = 0.0;
    report
}

#[test]
fn many_threads_give_the_one_thread_report() {
    let one = timeless(campaign().jobs(1).run().unwrap());
    let four = timeless(campaign().jobs(4).run().unwrap());
    assert!(
        one.failed > 0 && one.passed > 0,
        "the campaign should mix passes and failures:\n{one}"
    );
    assert_eq!(one, four);
}

#[test]
fn shard_reports_merge_into_the_whole_campaign() {
    let whole = timeless(campaign().jobs(2).run().unwrap());
    let mut merged: Option<SimulationReport> = None;
    for index in 0..3 {
        let shard = campaign().shard(index, 3).jobs(1).run().unwrap();
        assert_eq!(shard.shard, Some((index, 3)));
        // Through JSON, as shards on other machines would hand them over.
        let mut json = Vec::new();
        shard.write_json(&mut json).unwrap();
        let shard: SimulationReport = serde_json::from_slice(&json).unwrap();
        match &mut merged {
            Some(merged) => merged.merge(&shard).unwrap(),
            None => merged = Some(shard),
        }
    }
    let merged = timeless(merged.unwrap());
    assert_eq!(merged.iterations, whole.iterations);
    assert_eq!(merged.failures, whole.failures);
    assert_eq!(merged.fingerprint, whole.fingerprint);
    assert_eq!(merged.faults, whole.faults);
    assert_eq!(merged.assertions, whole.assertions);
    assert_eq!(merged.events, whole.events);
    assert_eq!(merged.shard, None);
}

#[test]
fn a_duplicate_or_foreign_shard_does_not_merge() {
    let first = campaign().shard(0, 2).jobs(1).run().unwrap();
    let mut merged = first.clone();
    let error = merged.merge(&first).unwrap_err();
    assert_eq!(
        error,
        tidepool::runner::MergeError::Duplicate { index: 0, count: 2 }
    );
    assert_eq!(merged, first, "a refused merge changes nothing");
    let other = campaign().base_seed(1).shard(1, 2).jobs(1).run().unwrap();
    assert!(matches!(
        merged.merge(&other),
        Err(tidepool::runner::MergeError::Campaign { .. })
    ));
    let split_three = campaign().shard(1, 3).jobs(1).run().unwrap();
    assert!(matches!(
        merged.merge(&split_three),
        Err(tidepool::runner::MergeError::ShardCount { .. })
    ));
    assert_eq!(merged.missing_shards(), vec![1]);
}
