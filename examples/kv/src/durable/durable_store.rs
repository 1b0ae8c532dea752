//! `DurableStore`: the server's keys in memory, every change written and
//! synced to the write-ahead log before it is applied there and acknowledged.

use std::error::Error;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tidepool_core::providers::{FileOf, Providers};
use tokio::sync::{Mutex, MutexGuard};

use super::log::WriteAheadLog;
use super::record::Change;
use super::recovery;
use super::snapshot::{self, Snapshot};
use crate::memory::Memory;
use crate::protocol::{Request, Response, STORE_ID_UNKNOWN};
use crate::{DurableConfig, KvConfig};

type Log<P> = Option<WriteAheadLog<FileOf<P>>>;

/// A durable store, shared by the connection tasks of one incarnation.
///
/// Memory holds exactly what the files hold once synced: a change is logged
/// and synced first, then applied to memory, then acknowledged, all under one
/// lock, so writes are applied in log order and a read never sees a change
/// that a power loss could take back.
///
/// Any storage error makes the store unavailable: the log is dropped, every
/// request is answered [`Response::Unavailable`], and the next request runs
/// a recovery (see [`super::recovery`]), which rebuilds memory and the files
/// from what is on disk. A failed sync is never retried as if the data were
/// safe.
pub(crate) struct DurableStore<P: Providers> {
    shared: Arc<Shared<P>>,
}

impl<P: Providers> Clone for DurableStore<P> {
    fn clone(&self) -> DurableStore<P> {
        DurableStore {
            shared: self.shared.clone(),
        }
    }
}

struct Shared<P: Providers> {
    providers: P,
    memory: Memory,
    config: DurableConfig,
    /// The largest snapshot the server's bounds allow.
    snapshot_bytes_max: u64,
    /// The log: `None` until a recovery succeeds, and again from a storage
    /// failure until the next one. Writes and recoveries hold the lock.
    log: Mutex<Log<P>>,
    /// Whether memory holds what the files hold, so that reads may be served
    /// from it without the lock: set once `log` is `Some`, cleared before it
    /// is dropped.
    ready: AtomicBool,
    /// [`STORE_ID_UNKNOWN`] until the first recovery reads it.
    store_id: AtomicU64,
}

impl<P: Providers> DurableStore<P> {
    /// The store in the storage root of `providers`, recovered into `memory`
    /// now if the storage allows (if not, at the next request).
    pub(crate) async fn open(
        providers: P,
        memory: Memory,
        config: &KvConfig,
        durable: &DurableConfig,
    ) -> DurableStore<P> {
        let snapshot_bytes_max = Snapshot::bytes_max(config.keys_max, config.stored_bytes_max);
        let store = DurableStore {
            shared: Arc::new(Shared {
                providers,
                memory,
                config: durable.clone(),
                snapshot_bytes_max,
                log: Mutex::new(None),
                ready: AtomicBool::new(false),
                store_id: AtomicU64::new(STORE_ID_UNKNOWN),
            }),
        };
        let mut log = store.shared.log.lock().await;
        // A failure is logged; the store answers Unavailable until it recovers.
        let _ = store.recover_if_needed(&mut log).await;
        drop(log);
        store
    }

    /// The planted bugs the store was made with.
    pub(crate) fn bugs(&self) -> super::DurableBugs {
        self.shared.config.bugs
    }

    /// The id of the store, or [`STORE_ID_UNKNOWN`] before it was read.
    pub(crate) fn store_id(&self) -> u64 {
        self.shared.store_id.load(Ordering::Acquire)
    }

    /// Applies `request` and says what to answer.
    pub(crate) async fn apply(&self, request: Request) -> Response {
        match request {
            Request::Get { .. } => self.read(request).await,
            Request::Set { .. } | Request::Delete { .. } => self.write(request).await,
        }
    }

    async fn read(&self, request: Request) -> Response {
        if !self.shared.ready.load(Ordering::Acquire) {
            let mut log = self.shared.log.lock().await;
            if let Err(unavailable) = self.recover_if_needed(&mut log).await {
                return unavailable;
            }
        }
        self.shared.memory.apply(request)
    }

    async fn write(&self, request: Request) -> Response {
        let mut log = self.shared.log.lock().await;
        if let Err(unavailable) = self.recover_if_needed(&mut log).await {
            return unavailable;
        }
        let change = match self.change_of(&request) {
            Ok(change) => change,
            Err(answer) => return answer,
        };
        let appended = log.as_mut().expect("recovered above").append(change).await;
        if let Err(error) = appended {
            return self.fail(&mut log, "writing the log failed", &error);
        }
        let response = self.shared.memory.apply(request);
        let snapshotted = self.snapshot_if_due(&mut log).await;
        if let Err(error) = snapshotted {
            // The change is in the log, synced: its acknowledgement stands.
            self.fail(&mut log, "writing a snapshot failed", &error);
        }
        response
    }

    /// The change `request` makes, or the answer when it makes none: a
    /// refused SET, a DELETE of an absent key.
    fn change_of(&self, request: &Request) -> Result<Change, Response> {
        let memory = &self.shared.memory;
        match request {
            Request::Set { key, value } => match memory.check_set(key, value) {
                Some(refusal) => Err(refusal),
                None => Ok(Change::Set {
                    key: key.clone(),
                    value: value.clone(),
                }),
            },
            Request::Delete { key } if memory.contains(key) => {
                Ok(Change::Delete { key: key.clone() })
            }
            Request::Delete { .. } => Err(Response::NotFound),
            Request::Get { .. } => unreachable!("a GET is no write"),
        }
    }

    /// Once the log holds `snapshot_records` records: a snapshot of memory,
    /// then the log emptied.
    async fn snapshot_if_due(&self, log: &mut MutexGuard<'_, Log<P>>) -> io::Result<()> {
        let log = log.as_mut().expect("a write holds the log");
        if log.records() < self.shared.config.snapshot_records.max(1) {
            return Ok(());
        }
        let snapshot = Snapshot {
            lsn: log.last_lsn(),
            entries: self.shared.memory.entries(),
        };
        let storage = self.shared.providers.storage();
        snapshot::write(storage, &snapshot, self.shared.config.bugs).await?;
        log.empty(snapshot.lsn).await
    }

    /// Drops the log after a storage failure (`what` failed with `error`):
    /// nothing is served until a recovery succeeds.
    fn fail(&self, log: &mut MutexGuard<'_, Log<P>>, what: &str, error: &io::Error) -> Response {
        self.shared.ready.store(false, Ordering::Release);
        **log = None;
        tracing::warn!(%error, "{what}; the store is unavailable until it recovers");
        Response::unavailable(format!("{what}: {error}"))
    }

    /// Recovers when the log was dropped (or never opened); the answer to give
    /// when that fails.
    async fn recover_if_needed(&self, log: &mut MutexGuard<'_, Log<P>>) -> Result<(), Response> {
        if log.is_some() {
            return Ok(());
        }
        let shared = &self.shared;
        let bugs = shared.config.bugs;
        match recovery::recover(&shared.providers, shared.snapshot_bytes_max, bugs).await {
            Ok(recovered) => {
                shared.memory.replace(recovered.entries);
                shared.store_id.store(recovered.store_id, Ordering::Release);
                **log = Some(recovered.log);
                shared.ready.store(true, Ordering::Release);
                Ok(())
            }
            Err(error) => {
                let message = with_sources(&error);
                tracing::warn!(error = %message, "recovery failed; the store stays unavailable");
                Err(Response::unavailable(format!(
                    "storage unavailable: {message}"
                )))
            }
        }
    }
}

/// `error` and its sources, joined by `: `.
fn with_sources(error: &dyn Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    // Bounded by the chain's length.
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
