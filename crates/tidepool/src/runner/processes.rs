//! The processes of one iteration: booting, stopping and rebooting them.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use super::failure::{self, Cause, FailureKind};
use super::process::{ProcessFactory, sim_context};
use super::{Restart, Shutdown};
use crate::sim::{self, HostId, JoinHandle};

pub(crate) struct ProcessEntry {
    pub(crate) group: String,
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) host: HostId,
    pub(crate) address: SocketAddr,
    factory: ProcessFactory,
    shutdown: Shutdown,
    handle: Option<JoinHandle<()>>,
    /// True from boot until the process is killed.
    pub(crate) up: bool,
}

/// Every process of the iteration, shared by the driver and the chaos tasks.
pub(crate) struct ProcessTable {
    pub(crate) entries: Vec<ProcessEntry>,
    pub(crate) topology: Arc<BTreeMap<String, Vec<SocketAddr>>>,
    /// Set by the final shutdown: nothing boots afterwards.
    pub(crate) stopping: bool,
}

pub(crate) type Processes = Rc<RefCell<ProcessTable>>;

impl ProcessTable {
    pub(crate) fn new() -> ProcessTable {
        ProcessTable {
            entries: Vec::new(),
            topology: Arc::default(),
            stopping: false,
        }
    }

    pub(crate) fn add(
        &mut self,
        group: &str,
        index: usize,
        host: HostId,
        address: SocketAddr,
        factory: ProcessFactory,
    ) {
        self.entries.push(ProcessEntry {
            group: group.to_string(),
            index,
            name: sim::host_name(host),
            host,
            address,
            factory,
            shutdown: Shutdown::new(),
            handle: None,
            up: false,
        });
    }

    /// The index of the process named `name`.
    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|entry| entry.name == name)
    }
}

/// How long a process that asked for a restart stays down: a supervisor's
/// back-off.
pub const RESTART_DELAY: Duration = Duration::from_millis(100);

/// Boots a fresh instance of process `index` (reviving its host if it is down).
pub(crate) fn boot(processes: &Processes, index: usize) {
    let mut table = processes.borrow_mut();
    let topology = table.topology.clone();
    let entry = &mut table.entries[index];
    if !sim::is_alive(entry.host) {
        sim::revive(entry.host);
    }
    let incarnation = sim::incarnation(entry.host) as u64;
    entry.shutdown = Shutdown::new();
    let ctx = sim_context(
        entry.address,
        entry.name.clone(),
        entry.index,
        incarnation,
        entry.shutdown.clone(),
        topology,
    );
    let run = (entry.factory)(ctx);
    let name = entry.name.clone();
    let shutdown = entry.shutdown.clone();
    let table = processes.clone();
    tracing::debug!(process = %name, incarnation, "boot");
    entry.handle = Some(sim::spawn_on(entry.host, "process", async move {
        match run.await {
            Ok(()) => {}
            Err(error) => match error.downcast_ref::<Restart>() {
                Some(restart) if !shutdown.is_requested() => {
                    tracing::debug!(process = %name, reason = restart.reason(), "restart requested");
                    drop(sim::spawn_on(
                        HostId::ROOT,
                        "process-restart",
                        self::restart(table, index),
                    ));
                }
                // Asked to stop, it stops: a restart would outlive the request.
                Some(_) => {}
                None => failure::record(Cause {
                    kind: FailureKind::Process,
                    origin: format!("{name}/process"),
                    reason: format!("process {name} failed: {error}"),
                }),
            },
        }
    }));
    entry.up = true;
}

/// A restart a process asked for by returning [`Restart`]: killed as by a
/// crash (its disk keeps what it wrote), then booted again after
/// [`RESTART_DELAY`], unless something else booted it first.
async fn restart(processes: Processes, index: usize) {
    let host = {
        let mut table = processes.borrow_mut();
        let entry = &mut table.entries[index];
        entry.up = false;
        entry.host
    };
    sim::kill(host);
    super::chaos::count(|faults| faults.restarts += 1);
    sim::sleep(RESTART_DELAY).await;
    if is_down(&processes, index) && !processes.borrow().stopping {
        boot(&processes, index);
    }
}

/// How a process dies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Death {
    /// Its shutdown signal fires; it has a grace period to return, then it is killed.
    Graceful,
    /// Killed at once (kill -9); its disk keeps every write, synced or not.
    Crash,
    /// Killed at once by a power cut; its disk keeps what was synced, each
    /// unsynced sector torn old-or-new, unsynced names maybe undone.
    PowerLoss,
    /// Killed at once and its machine replaced: it boots on an empty disk.
    Wipe,
}

/// Stops process `index` by `death` (a graceful stop has up to `grace` to
/// return before the kill). Its host stays down until [`boot`].
pub(crate) async fn stop(processes: &Processes, index: usize, death: Death, grace: Duration) {
    let (host, shutdown, handle, name) = {
        let mut table = processes.borrow_mut();
        let entry = &mut table.entries[index];
        entry.up = false;
        (
            entry.host,
            entry.shutdown.clone(),
            entry.handle.take(),
            entry.name.clone(),
        )
    };
    tracing::debug!(process = %name, ?death, "stop");
    match death {
        Death::Graceful => {
            shutdown.request();
            if let Some(handle) = handle {
                let _ = sim::timeout(grace, handle).await;
            }
            // A graceful stop ends in a kill too: whatever the process left
            // running (connection tasks, timers) dies with it, as when its OS
            // process exits.
            sim::kill(host);
        }
        Death::Crash => sim::kill(host),
        Death::PowerLoss => sim::disk::power_loss(host),
        Death::Wipe => sim::disk::wipe(host),
    }
}

/// Whether process `index` is down or on its way down.
pub(crate) fn is_down(processes: &Processes, index: usize) -> bool {
    let table = processes.borrow();
    let entry = &table.entries[index];
    !entry.up || entry.shutdown.is_requested() || !sim::is_alive(entry.host)
}

/// Boots every process that is down, after killing any caught mid-shutdown.
pub(crate) fn restore_all(processes: &Processes) {
    let count = processes.borrow().entries.len();
    for index in 0..count {
        if is_down(processes, index) {
            let host = processes.borrow().entries[index].host;
            if sim::is_alive(host) {
                sim::kill(host);
            }
            boot(processes, index);
        }
    }
}

/// Asks every process to shut down, waits up to `grace` for all, then kills the rest.
pub(crate) async fn shutdown_all(processes: &Processes, grace: Duration) {
    let handles: Vec<(HostId, Option<JoinHandle<()>>)> = {
        let mut table = processes.borrow_mut();
        table.stopping = true;
        table
            .entries
            .iter_mut()
            .map(|entry| {
                entry.shutdown.request();
                entry.up = false;
                (entry.host, entry.handle.take())
            })
            .collect()
    };
    let deadline = sim::now() + grace;
    for (host, handle) in handles {
        if let Some(handle) = handle {
            let _ = sim::timeout(deadline - sim::now(), handle).await;
        }
        if sim::is_alive(host) {
            sim::kill(host);
        }
    }
}
