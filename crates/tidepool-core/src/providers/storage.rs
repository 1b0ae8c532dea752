//! The storage provider: files and directories, with the durability calls a
//! database author relies on (`sync_data`, `sync_all`, `sync_dir`).

use std::future::Future;
use std::io;
use std::path::Path;

use super::OpenOptions;

/// Files and directories under one root: the process's data directory.
///
/// Paths are relative to the root (`"wal/000001.log"`); an absolute path or one
/// that climbs out with `..` is refused with [`io::ErrorKind::InvalidInput`]
/// (its source is a [`StoragePathError`](super::StoragePathError)), as is the root (`""`) where a file
/// or an entry to rename or remove is meant. A directory cannot be opened as a
/// file (`IsADirectory`), nor a file synced as a directory (`NotADirectory`).
/// Errors are [`io::Error`]s of the kinds
/// the OS gives: `NotFound`, `AlreadyExists`, `StorageFull`, `IsADirectory`,
/// `NotADirectory`, `DirectoryNotEmpty`, `InvalidInput`, and `Other` for EIO.
///
/// Durability follows Linux: data written is visible at once but survives a
/// power loss only once [`StorageFile::sync_data`] (or `sync_all`) returned
/// `Ok`; a created, renamed or removed name survives a power loss only once
/// [`StorageProvider::sync_dir`] of its directory returned `Ok`. A process
/// crash alone loses nothing written (the OS's page cache survives it).
///
/// # Cancellation
///
/// Every call is cancel-safe in the sense that dropping its future leaves the
/// storage as before the call or as after it; which one is unspecified (the
/// simulated disk applies a call when its latency has passed, so a dropped call
/// never happened there).
///
/// # Examples
///
/// A write made durable and read back, on the real file system (a simulation
/// runs the same function on its simulated disk):
///
/// ```
/// use tidepool_core::providers::{OpenOptions, Providers, StorageFile, StorageProvider, TokioProviders};
///
/// async fn save<P: Providers>(providers: P) -> std::io::Result<Vec<u8>> {
///     let storage = providers.storage();
///     storage.create_dir_all("data").await?;
///     let file = storage.open("data/balance", &OpenOptions::new().read(true).write(true).create(true)).await?;
///     file.write_all_at(b"42", 0).await?;
///     file.sync_all().await?;
///     storage.sync_dir("data").await?;
///     file.read_all().await
/// }
///
/// let dir = std::env::temp_dir().join(format!("tidepool-core-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let saved = runtime.block_on(save(TokioProviders::new().with_data_dir(&dir)));
/// std::fs::remove_dir_all(&dir).unwrap();
/// assert_eq!(saved.unwrap(), b"42");
/// ```
pub trait StorageProvider: Clone + Send + Sync + 'static {
    /// An open file.
    type File: StorageFile;

    /// Opens (or creates, as `options` say) the file at `path`.
    fn open(
        &self,
        path: impl AsRef<Path> + Send,
        options: &OpenOptions,
    ) -> impl Future<Output = io::Result<Self::File>> + Send;

    /// Renames `from` to `to`, replacing `to` if it is a file (atomic, as POSIX
    /// `rename`). Durable once the directories of both are synced.
    fn rename(
        &self,
        from: impl AsRef<Path> + Send,
        to: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<()>> + Send;

    /// Removes the file at `path`. Open handles keep reading and writing it.
    fn remove_file(
        &self,
        path: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<()>> + Send;

    /// Removes the empty directory at `path`.
    fn remove_dir(
        &self,
        path: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<()>> + Send;

    /// Creates the directory `path` and every missing parent.
    fn create_dir_all(
        &self,
        path: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<()>> + Send;

    /// The names in directory `path` (`""` is the root), sorted.
    fn read_dir(
        &self,
        path: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<Vec<String>>> + Send;

    /// Whether a file or directory exists at `path`.
    fn exists(
        &self,
        path: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<bool>> + Send;

    /// Makes the names in directory `path` durable (`fsync` of the directory):
    /// the files created, renamed into or removed from it since its last sync.
    fn sync_dir(
        &self,
        path: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<()>> + Send;

    /// Creates (or truncates) `path` for reading and writing, as `File::create`.
    fn create(
        &self,
        path: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<Self::File>> + Send {
        let options = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true);
        async move { self.open(path, &options).await }
    }
}

/// An open file: positional reads and writes, appends, length, syncs.
///
/// Every method takes `&self`, so a handle can be shared (in an `Arc`) by the
/// tasks of a process; positional calls do not move any cursor. A handle
/// opened without `read` refuses reads, one without `write` or `append`
/// refuses writes, appends and `set_len`, both with `PermissionDenied`; any
/// handle may sync.
pub trait StorageFile: Send + Sync + 'static {
    /// Reads into `buf` from `offset`; returns how many bytes were read (0 at or
    /// past the end of the file, as `pread`).
    fn read_at(
        &self,
        buf: &mut [u8],
        offset: u64,
    ) -> impl Future<Output = io::Result<usize>> + Send;

    /// Writes `buf` at `offset`, growing the file if needed; returns how many
    /// bytes were written.
    fn write_at(&self, buf: &[u8], offset: u64) -> impl Future<Output = io::Result<usize>> + Send;

    /// Writes `buf` at the end of the file; returns the offset it was written at.
    fn append(&self, buf: &[u8]) -> impl Future<Output = io::Result<u64>> + Send;

    /// The file's length in bytes.
    fn len(&self) -> impl Future<Output = io::Result<u64>> + Send;

    /// Truncates or extends (with zeros) the file to `len` bytes.
    fn set_len(&self, len: u64) -> impl Future<Output = io::Result<()>> + Send;

    /// Makes the file's data (and its length) durable: `fdatasync`.
    ///
    /// After an error, as on Linux, the data written since the last successful
    /// sync may be lost at the next power loss even if a later sync succeeds.
    fn sync_data(&self) -> impl Future<Output = io::Result<()>> + Send;

    /// Makes the file's data and metadata durable: `fsync`.
    fn sync_all(&self) -> impl Future<Output = io::Result<()>> + Send;

    /// Whether the file is empty.
    fn is_empty(&self) -> impl Future<Output = io::Result<bool>> + Send {
        async move { Ok(self.len().await? == 0) }
    }

    /// Fills `buf` from `offset`, or fails with `UnexpectedEof` naming the
    /// offset, the length asked for and the file's length.
    fn read_exact_at(
        &self,
        buf: &mut [u8],
        offset: u64,
    ) -> impl Future<Output = io::Result<()>> + Send {
        async move {
            let mut done = 0;
            while done < buf.len() {
                let read = self.read_at(&mut buf[done..], offset + done as u64).await?;
                if read == 0 {
                    let len = self.len().await?;
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "read of {} bytes at offset {offset} passes the end of the file ({len} bytes)",
                            buf.len()
                        ),
                    ));
                }
                done += read;
            }
            Ok(())
        }
    }

    /// Writes all of `buf` at `offset`.
    fn write_all_at(&self, buf: &[u8], offset: u64) -> impl Future<Output = io::Result<()>> + Send {
        async move {
            let mut done = 0;
            while done < buf.len() {
                let written = self.write_at(&buf[done..], offset + done as u64).await?;
                if written == 0 {
                    return Err(io::ErrorKind::WriteZero.into());
                }
                done += written;
            }
            Ok(())
        }
    }

    /// The whole file.
    fn read_all(&self) -> impl Future<Output = io::Result<Vec<u8>>> + Send {
        async move {
            let len = self.len().await?;
            let len = usize::try_from(len).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::OutOfMemory,
                    format!("a file of {len} bytes does not fit in memory"),
                )
            })?;
            let mut buf = vec![0; len];
            self.read_exact_at(&mut buf, 0).await?;
            Ok(buf)
        }
    }
}
