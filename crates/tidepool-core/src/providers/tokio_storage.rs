//! The production storage provider: the real file system under a root
//! directory, each blocking call on tokio's blocking pool.

use std::fs;
use std::future::Future;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{OpenOptions, StorageFile, StorageProvider, entry_path, relative_path};

/// The real file system under a root directory (the process's data directory).
///
/// Paths given to it are relative to the root; the root itself is not created.
/// Every call runs on tokio's blocking pool (`spawn_blocking`), so it needs a
/// tokio runtime.
#[derive(Clone, Debug)]
pub struct TokioStorage {
    root: Arc<PathBuf>,
}

impl TokioStorage {
    /// Storage rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> TokioStorage {
        TokioStorage {
            root: Arc::new(root.into()),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `path` under the root, or an `InvalidInput` error when it leaves it.
    fn resolve(&self, path: &Path) -> io::Result<PathBuf> {
        Ok(self.root.join(relative_path(path)?))
    }

    /// `path` under the root naming an entry: as [`TokioStorage::resolve`],
    /// also refusing the root itself.
    fn resolve_entry(&self, path: &Path) -> io::Result<PathBuf> {
        Ok(self.root.join(entry_path(path)?))
    }
}

impl Default for TokioStorage {
    /// Storage rooted at the working directory (`.`).
    fn default() -> TokioStorage {
        TokioStorage::new(".")
    }
}

/// Runs `call` on the blocking pool; names `path` in its error.
async fn blocking<T: Send + 'static>(
    path: PathBuf,
    call: impl FnOnce(&Path) -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    let joined =
        tokio::task::spawn_blocking(move || call(&path).map_err(|error| with_path(error, &path)))
            .await;
    joined.map_err(|error| io::Error::other(format!("storage call did not finish: {error}")))?
}

fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

impl StorageProvider for TokioStorage {
    type File = TokioFile;

    fn open(
        &self,
        path: impl AsRef<Path> + Send,
        options: &OpenOptions,
    ) -> impl Future<Output = io::Result<TokioFile>> + Send {
        let resolved = self.resolve_entry(path.as_ref());
        let options = *options;
        async move {
            options.validate()?;
            let path = resolved?;
            let file = blocking(path.clone(), move |path| open_file(path, &options)).await?;
            Ok(TokioFile {
                file: Arc::new(file),
                path: Arc::new(path),
                readable: options.reads(),
                writable: options.writes(),
                append_lock: Arc::default(),
            })
        }
    }

    fn rename(
        &self,
        from: impl AsRef<Path> + Send,
        to: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<()>> + Send {
        let paths = self
            .resolve_entry(from.as_ref())
            .and_then(|from| Ok((from, self.resolve_entry(to.as_ref())?)));
        async move {
            let (from, to) = paths?;
            blocking(from, move |from| fs::rename(from, &to)).await
        }
    }

    fn remove_file(
        &self,
        path: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<()>> + Send {
        let resolved = self.resolve_entry(path.as_ref());
        async move { blocking(resolved?, |path| fs::remove_file(path)).await }
    }

    fn remove_dir(
        &self,
        path: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<()>> + Send {
        let resolved = self.resolve_entry(path.as_ref());
        async move { blocking(resolved?, |path| fs::remove_dir(path)).await }
    }

    fn create_dir_all(
        &self,
        path: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<()>> + Send {
        let resolved = self.resolve(path.as_ref());
        async move { blocking(resolved?, |path| fs::create_dir_all(path)).await }
    }

    fn read_dir(
        &self,
        path: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<Vec<String>>> + Send {
        let resolved = self.resolve(path.as_ref());
        async move {
            blocking(resolved?, |path| {
                let mut names = Vec::new();
                for entry in fs::read_dir(path)? {
                    names.push(entry?.file_name().to_string_lossy().into_owned());
                }
                names.sort();
                Ok(names)
            })
            .await
        }
    }

    fn exists(
        &self,
        path: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<bool>> + Send {
        let resolved = self.resolve(path.as_ref());
        async move { blocking(resolved?, |path| path.try_exists()).await }
    }

    fn sync_dir(
        &self,
        path: impl AsRef<Path> + Send,
    ) -> impl Future<Output = io::Result<()>> + Send {
        let resolved = self.resolve(path.as_ref());
        async move { blocking(resolved?, sync_dir).await }
    }
}

/// Opens the file at `path`, refusing a directory: Linux opens one read-only,
/// but a `StorageFile` is a file (and the simulated disk refuses it too).
fn open_file(path: &Path, options: &OpenOptions) -> io::Result<fs::File> {
    // O_APPEND is not used: on Linux it makes `pwrite` append too, and
    // `write_at` must stay positional on every handle.
    let file = fs::OpenOptions::new()
        .read(options.reads())
        .write(options.writes())
        .create(options.creates())
        .create_new(options.creates_new())
        .truncate(options.truncates())
        .open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::ErrorKind::IsADirectory.into());
    }
    Ok(file)
}

/// `fsync` of the directory at `path`, refusing a file as `open(O_DIRECTORY)`
/// would: a file's sync is `StorageFile::sync_all`.
fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = fs::File::open(path)?;
    if !dir.metadata()?.is_dir() {
        return Err(io::ErrorKind::NotADirectory.into());
    }
    dir.sync_all()
}

/// An open file of [`TokioStorage`].
#[derive(Clone, Debug)]
pub struct TokioFile {
    file: Arc<fs::File>,
    path: Arc<PathBuf>,
    readable: bool,
    writable: bool,
    /// Serialises appends of this handle: the length read and the write at it
    /// must not interleave with another append.
    append_lock: Arc<std::sync::Mutex<()>>,
}

impl TokioFile {
    /// Runs `call` with the file on the blocking pool.
    async fn call<T: Send + 'static>(
        &self,
        call: impl FnOnce(&fs::File) -> io::Result<T> + Send + 'static,
    ) -> io::Result<T> {
        let file = self.file.clone();
        blocking(PathBuf::clone(&self.path), move |_| call(&file)).await
    }

    /// Refuses a call the handle's access mode does not allow, as the
    /// simulated disk does (Linux would give EBADF).
    fn check(&self, allowed: bool, access: &str) -> io::Result<()> {
        if allowed {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{}: the file was opened without {access}",
                    self.path.display()
                ),
            ))
        }
    }

    fn check_writable(&self) -> io::Result<()> {
        self.check(self.writable, "write or append")
    }
}

impl StorageFile for TokioFile {
    async fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.check(self.readable, "read")?;
        let len = buf.len();
        let data = self
            .call(move |file| {
                let mut data = vec![0; len];
                let read = file.read_at(&mut data, offset)?;
                data.truncate(read);
                Ok(data)
            })
            .await?;
        buf[..data.len()].copy_from_slice(&data);
        Ok(data.len())
    }

    async fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        self.check_writable()?;
        let data = buf.to_vec();
        self.call(move |file| file.write_at(&data, offset)).await
    }

    async fn append(&self, buf: &[u8]) -> io::Result<u64> {
        self.check_writable()?;
        let data = buf.to_vec();
        let lock = self.append_lock.clone();
        self.call(move |file| {
            let _appending = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let offset = file.metadata()?.len();
            file.write_all_at(&data, offset)?;
            Ok(offset)
        })
        .await
    }

    async fn len(&self) -> io::Result<u64> {
        self.call(|file| Ok(file.metadata()?.len())).await
    }

    async fn set_len(&self, len: u64) -> io::Result<()> {
        self.check_writable()?;
        self.call(move |file| file.set_len(len)).await
    }

    async fn sync_data(&self) -> io::Result<()> {
        self.call(|file| file.sync_data()).await
    }

    async fn sync_all(&self) -> io::Result<()> {
        self.call(|file| file.sync_all()).await
    }
}
