//! The workload through `SimulationBuilder`: an honest server passes under
//! network faults and reboots, and every coverage goal of the workload is met
//! somewhere in the campaign; the planted bug `ack_set_without_store` is
//! caught by the linearizability check; a second instance is refused.

use std::time::Duration;

use kv::{Bugs, KvConfig, KvServer};
use kv_workload::{KvWorkload, KvWorkloadConfig};
use tidepool::assertions::AssertionStatus;
use tidepool::sim::NetworkConfig;
use tidepool::{Attrition, SimulationBuilder};

fn kv_sim(bugs: Bugs) -> SimulationBuilder {
    let config = KvConfig {
        bugs,
        ..KvConfig::default()
    };
    SimulationBuilder::new("kv-test")
        .processes("server", 2, move || KvServer::new(config.clone()))
        .workload(|_| {
            KvWorkload::new(KvWorkloadConfig {
                clients: 3,
                ..KvWorkloadConfig::default()
            })
        })
        .base_seed(0x6b76)
        .jobs(1)
}

#[test]
fn an_honest_server_passes_under_faults_and_reboots_and_covers_every_goal() {
    // Partitions, so that some requests time out.
    let network = NetworkConfig {
        partition_probability: 0.001,
        ..NetworkConfig::default()
    };
    let report = kv_sim(Bugs::default())
        .network(network)
        .attrition(Attrition {
            interval: (Duration::from_millis(500), Duration::from_secs(2)),
            recovery_delay: (Duration::from_millis(100), Duration::from_secs(1)),
            ..Attrition::default()
        })
        .iterations(40)
        .run()
        .expect("a valid configuration");
    assert!(report.is_success(), "{report}");
    for row in report.assertions.rows() {
        // The durable store's sites are the durable simulation's to cover.
        if row.site.file.contains("kv") && !row.site.file.contains("kv/src/durable/") {
            assert_ne!(
                row.status,
                AssertionStatus::Miss,
                "coverage gap: {}\n{report}",
                row.message
            );
        }
    }
}

#[test]
fn acknowledging_a_set_without_storing_it_is_caught() {
    let bugs = Bugs::only("ack_set_without_store").unwrap();
    let report = kv_sim(bugs)
        .iterations(5)
        .run()
        .expect("a valid configuration");
    assert_eq!(report.failed, 5, "{report}");
    let failure = &report.failures[0];
    assert!(
        failure.reason.contains("the history is linearizable"),
        "{}",
        failure.reason
    );
}

#[test]
fn a_second_instance_is_refused_with_a_reason() {
    // Instances would share keys but not their history: each would take the
    // others' writes for values nobody wrote.
    let report = SimulationBuilder::new("kv-twice")
        .processes("server", 1, || KvServer::new(KvConfig::default()))
        .workloads(2, |_| KvWorkload::new(KvWorkloadConfig::default()))
        .iterations(1)
        .run()
        .expect("a valid configuration");
    assert_eq!(report.failed, 1, "{report}");
    let reason = &report.failures[0].reason;
    assert!(reason.contains("kv workload: 2 instances"), "{reason}");
}
