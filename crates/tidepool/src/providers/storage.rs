//! The storage provider: files and directories, with the durability calls a
//! database author relies on (`sync_data`, `sync_all`, `sync_dir`).

use std::future::Future;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Files and directories under one root: the process's data directory.
///
/// Paths are relative to the root (`"wal/000001.log"`); an absolute path or one
/// that climbs out with `..` is refused with [`io::ErrorKind::InvalidInput`]
/// (its source is a [`StoragePathError`]), as is the root (`""`) where a file
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
/// A write made durable, read back in a simulation:
///
/// ```
/// use tidepool::providers::{OpenOptions, Providers, SimProviders, StorageFile, StorageProvider};
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
/// let run = tidepool::sim::Sim::new(1).run(save(SimProviders));
/// assert_eq!(run.outcome.unwrap().unwrap(), b"42");
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

/// How to open a file: the flags of `open(2)`, as `std::fs::OpenOptions`.
///
/// Every flag defaults to `false`. At least one of `read`, `write` or `append`
/// must be set; `create`, `create_new` and `truncate` need `write` or `append`.
///
/// # Examples
///
/// ```
/// use tidepool::providers::OpenOptions;
///
/// let log = OpenOptions::new().read(true).append(true).create(true);
/// assert!(log.validate().is_ok());
/// assert!(OpenOptions::new().create(true).validate().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenOptions {
    pub(crate) read: bool,
    pub(crate) write: bool,
    pub(crate) append: bool,
    pub(crate) create: bool,
    pub(crate) create_new: bool,
    pub(crate) truncate: bool,
}

impl OpenOptions {
    /// No flag set.
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Open for reading. Default: false.
    pub fn read(mut self, read: bool) -> OpenOptions {
        self.read = read;
        self
    }

    /// Open for writing. Default: false.
    pub fn write(mut self, write: bool) -> OpenOptions {
        self.write = write;
        self
    }

    /// Open for writing, every [`StorageFile::write_at`] still positional and
    /// [`StorageFile::append`] at the end. Default: false.
    pub fn append(mut self, append: bool) -> OpenOptions {
        self.append = append;
        self
    }

    /// Create the file when it does not exist. Default: false.
    pub fn create(mut self, create: bool) -> OpenOptions {
        self.create = create;
        self
    }

    /// Create the file, failing with `AlreadyExists` when it exists. Default: false.
    pub fn create_new(mut self, create_new: bool) -> OpenOptions {
        self.create_new = create_new;
        self
    }

    /// Cut the file to length 0 on opening. Default: false.
    pub fn truncate(mut self, truncate: bool) -> OpenOptions {
        self.truncate = truncate;
        self
    }

    /// Whether the handle may write.
    pub fn writes(&self) -> bool {
        self.write || self.append
    }

    /// Checks the combination of flags.
    ///
    /// # Errors
    ///
    /// An [`io::ErrorKind::InvalidInput`] error naming what is missing, as
    /// `std::fs::OpenOptions` gives for the same combinations.
    pub fn validate(&self) -> io::Result<()> {
        if !self.read && !self.writes() {
            return Err(invalid_input(
                "open options set none of read, write, append: set at least one",
            ));
        }
        if self.truncate && self.append && !self.create_new {
            return Err(invalid_input(
                "open options truncate and append conflict: appending keeps what is there",
            ));
        }
        if (self.create || self.create_new || self.truncate) && !self.writes() {
            return Err(invalid_input(
                "open options create, create_new or truncate need write or append",
            ));
        }
        Ok(())
    }
}

fn invalid_input(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// A path a storage provider refuses: it leaves the root, or it is empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoragePathError {
    /// An absolute path, or one with a `..` that climbs out of the root.
    #[error(
        "path '{path}' leaves the storage root; give a path relative to the root, without '..'"
    )]
    OutsideRoot {
        /// The path as given.
        path: PathBuf,
    },
    /// A path naming the root (`""`, `"."`) where a file or an entry is meant.
    #[error("the path names the storage root; name a file or directory under it")]
    Empty,
}

impl From<StoragePathError> for io::Error {
    fn from(error: StoragePathError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, error)
    }
}

/// `path` as a list of plain names relative to the root: `.` is dropped, `..`
/// and roots are refused. The empty list is the root itself.
///
/// # Errors
///
/// [`StoragePathError::OutsideRoot`] for an absolute path or a `..` component.
pub fn relative_path(path: &Path) -> Result<PathBuf, StoragePathError> {
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => clean.push(name),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(StoragePathError::OutsideRoot {
                    path: path.to_path_buf(),
                });
            }
        }
    }
    Ok(clean)
}

/// `path` as [`relative_path`] gives it, naming an entry: the root itself (an
/// empty path) is refused, since no file is there and it may not be renamed or
/// removed.
///
/// # Errors
///
/// [`StoragePathError::Empty`] for the root, and those of [`relative_path`].
pub(crate) fn entry_path(path: &Path) -> Result<PathBuf, StoragePathError> {
    let clean = relative_path(path)?;
    if clean.as_os_str().is_empty() {
        return Err(StoragePathError::Empty);
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_drop_dots_and_refuse_escapes() {
        assert_eq!(
            relative_path(Path::new("./a/./b")).unwrap(),
            PathBuf::from("a/b")
        );
        assert_eq!(relative_path(Path::new("")).unwrap(), PathBuf::new());
        assert!(matches!(
            relative_path(Path::new("/etc/passwd")),
            Err(StoragePathError::OutsideRoot { .. })
        ));
        assert!(matches!(
            relative_path(Path::new("a/../../b")),
            Err(StoragePathError::OutsideRoot { .. })
        ));
    }

    #[test]
    fn entry_paths_refuse_the_root() {
        assert_eq!(entry_path(Path::new("./a")).unwrap(), PathBuf::from("a"));
        assert_eq!(entry_path(Path::new("")), Err(StoragePathError::Empty));
        assert_eq!(entry_path(Path::new("./.")), Err(StoragePathError::Empty));
    }

    #[test]
    fn open_options_need_an_access_mode() {
        assert!(OpenOptions::new().validate().is_err());
        assert!(
            OpenOptions::new()
                .read(true)
                .truncate(true)
                .validate()
                .is_err()
        );
        assert!(
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .validate()
                .is_ok()
        );
    }
}
