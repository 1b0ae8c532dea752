//! `SimFile`: an open file of a simulated disk, and the calls on names.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::calls::Call;
use crate::providers::{OpenOptions, StorageFile, entry_path, relative_path};
use crate::sim::context::{try_with_world, with_world};
use crate::sim::world::World;

/// An open file of a simulated disk: a small handle (host, file, disk epoch)
/// into the thread's world. Dropping it closes the file.
///
/// Every call waits for its latency, then takes effect (a call whose future is
/// dropped before that never happened). A handle opened before its disk lost
/// power or was wiped fails every call with `StaleNetworkFileHandle`.
#[derive(Debug)]
pub struct SimFile {
    pub(crate) world: u64,
    pub(crate) host: u32,
    pub(crate) node: u64,
    pub(crate) epoch: u64,
    pub(crate) path: Arc<str>,
    readable: bool,
    writable: bool,
}

impl Drop for SimFile {
    fn drop(&mut self) {
        // Outside its world (or while the world is busy) there is nothing to
        // close: the world that held the file is gone or will free it.
        let _ = try_with_world(|world| world.disk_close(self));
    }
}

/// Logs a failed call (outside the world's borrow, so the line carries the
/// simulated time and host): injected faults show in a replay's log.
fn logged<T>(result: io::Result<T>, call: &str, path: &str) -> io::Result<T> {
    if let Err(error) = &result {
        tracing::debug!(call, path, %error, "storage call failed");
    }
    result
}

/// Waits for the latency of a `call` on `host`'s disk.
async fn delay(host: u32, call: Call) {
    // One borrow of the world for the draw and the clock: this runs on every
    // storage call.
    let deadline = with_world("storage", |world| {
        let nanos = world.disk_delay(host, call);
        (nanos > 0).then(|| world.now() + std::time::Duration::from_nanos(nanos))
    });
    if let Some(deadline) = deadline {
        crate::sim::sleep_until(deadline).await;
    }
}

/// The host whose disk a call of the calling task reaches: its own.
fn caller() -> u32 {
    with_world("storage", |world| world.current_host())
}

/// Runs a call on names for the calling task's host, after its latency;
/// `path` is already clean.
async fn on_names<T>(
    path: PathBuf,
    call: impl FnOnce(&mut World, u32, &Path) -> io::Result<T>,
) -> io::Result<T> {
    let host = caller();
    delay(host, Call::Metadata).await;
    let result = with_world("storage", |world| call(world, host, &path));
    logged(result, "names", &path.to_string_lossy())
}

pub(crate) async fn open(path: &Path, options: OpenOptions) -> io::Result<SimFile> {
    options.validate()?;
    let clean = entry_path(path)?;
    let host = caller();
    delay(host, Call::Metadata).await;
    let opened = with_world("storage", |world| {
        let opened = world.disk_open(host, &clean, &options)?;
        Ok::<_, io::Error>((world.id, opened))
    });
    let (world, (node, epoch)) = logged(opened, "open", &clean.to_string_lossy())?;
    Ok(SimFile {
        world,
        host,
        node,
        epoch,
        path: Arc::from(clean.to_string_lossy().as_ref()),
        readable: options.reads(),
        writable: options.writes(),
    })
}

pub(crate) async fn rename(from: &Path, to: &Path) -> io::Result<()> {
    let from = entry_path(from)?;
    let to = entry_path(to)?;
    on_names(from, |world, host, from| world.disk_rename(host, from, &to)).await
}

pub(crate) async fn remove(path: &Path, dir: bool) -> io::Result<()> {
    let path = entry_path(path)?;
    on_names(path, |world, host, path| world.disk_remove(host, path, dir)).await
}

pub(crate) async fn create_dir_all(path: &Path) -> io::Result<()> {
    on_names(relative_path(path)?, |world, host, path| {
        world.disk_create_dir_all(host, path)
    })
    .await
}

pub(crate) async fn read_dir(path: &Path) -> io::Result<Vec<String>> {
    on_names(relative_path(path)?, |world, host, path| {
        world.disk_read_dir(host, path)
    })
    .await
}

pub(crate) async fn exists(path: &Path) -> io::Result<bool> {
    on_names(relative_path(path)?, |world, host, path| {
        world.disk_exists(host, path)
    })
    .await
}

pub(crate) async fn sync_dir(path: &Path) -> io::Result<()> {
    let path = relative_path(path)?;
    let host = caller();
    delay(host, Call::Sync).await;
    let result = with_world("storage", |world| world.disk_sync_dir(host, &path));
    logged(result, "sync_dir", &path.to_string_lossy())
}

impl SimFile {
    fn check(&self, allowed: bool, access: &str) -> io::Result<()> {
        if allowed {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{}: the file was opened without {access}", self.path),
            ))
        }
    }
}

impl StorageFile for SimFile {
    async fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.check(self.readable, "read")?;
        delay(self.host, Call::Read).await;
        let result = with_world("storage", |world| world.disk_read(self, buf, offset));
        logged(result, "read_at", &self.path)
    }

    async fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        self.check(self.writable, "write or append")?;
        delay(self.host, Call::Write).await;
        let result = with_world("storage", |world| world.disk_write(self, buf, Some(offset)));
        logged(result, "write_at", &self.path)?;
        Ok(buf.len())
    }

    async fn append(&self, buf: &[u8]) -> io::Result<u64> {
        self.check(self.writable, "write or append")?;
        delay(self.host, Call::Write).await;
        let result = with_world("storage", |world| world.disk_write(self, buf, None));
        logged(result, "append", &self.path)
    }

    async fn len(&self) -> io::Result<u64> {
        with_world("storage", |world| world.disk_len(self))
    }

    async fn set_len(&self, len: u64) -> io::Result<()> {
        self.check(self.writable, "write or append")?;
        delay(self.host, Call::Write).await;
        let result = with_world("storage", |world| world.disk_set_len(self, len));
        logged(result, "set_len", &self.path)
    }

    async fn sync_data(&self) -> io::Result<()> {
        delay(self.host, Call::Sync).await;
        let result = with_world("storage", |world| world.disk_sync(self));
        logged(result, "sync", &self.path)
    }

    async fn sync_all(&self) -> io::Result<()> {
        self.sync_data().await
    }
}
