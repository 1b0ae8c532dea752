//! The workload's swarm knobs: under swarm testing each seed may run its
//! own mix of the workload (here: pipelining, which the configuration turns
//! off, comes back in the seeds that vary it); `swarm_knobs: false`, or no
//! swarm, runs the configuration as written.

use kv::{KvConfig, KvServer};
use kv_workload::{KvWorkload, KvWorkloadConfig};
use tidepool::{SimulationBuilder, SimulationReport};

const PIPELINE_SITE: &str = "a pipeline of several requests is answered in full";

fn run(swarm: bool, swarm_knobs: bool) -> SimulationReport {
    SimulationBuilder::new("kv-knobs")
        .processes("server", 2, || KvServer::new(KvConfig::default()))
        .workload(move |_| {
            KvWorkload::new(KvWorkloadConfig {
                clients: 3,
                operations: 40,
                pipeline_percent: 0,
                swarm_knobs,
                ..KvWorkloadConfig::default()
            })
        })
        .swarm(swarm)
        .iterations(24)
        .base_seed(0x6b6e)
        .jobs(1)
        .run()
        .expect("a valid configuration")
}

fn pipelines(report: &SimulationReport) -> u64 {
    report
        .assertions
        .rows()
        .iter()
        .find(|row| row.message == PIPELINE_SITE)
        .map_or(0, |row| row.true_count)
}

#[test]
fn swarm_varies_the_workload_s_knobs_and_the_table_names_them() {
    let report = run(true, true);
    assert!(report.is_success(), "{report}");
    let names: Vec<&str> = report
        .swarm
        .knobs
        .iter()
        .map(|row| row.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "kv.delete_weight",
            "kv.get_weight",
            "kv.hot_percent",
            "kv.keys",
            "kv.pipeline_percent",
            "kv.set_weight",
            "kv.value_letters_max",
        ],
        "{report}"
    );
    let varied = report.swarm.knobs[4].seeds_varied;
    assert!(varied > 0 && varied < 24, "{report}");
    assert!(
        pipelines(&report) > 0,
        "a varied pipeline_percent pipelines: {report}"
    );
}

#[test]
fn without_knobs_or_without_swarm_the_configuration_runs_as_written() {
    let fixed = run(true, false);
    assert!(fixed.swarm.knobs.is_empty(), "{fixed}");
    assert_eq!(pipelines(&fixed), 0, "{fixed}");
    let plain = run(false, true);
    assert_eq!(pipelines(&plain), 0, "{plain}");
}
