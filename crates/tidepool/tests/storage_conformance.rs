//! The storage conformance suite: every check is written once against
//! `StorageProvider` and runs twice, on the simulated disk (`SimStorage`, on the
//! main task of a fault-free world) and on the real file system (`TokioStorage`
//! on a current-thread tokio runtime, rooted in a fresh temporary directory), so
//! the simulation cannot drift from the OS. Errors are compared by their kind,
//! never by their message.

use std::future::Future;
use std::io::{self, ErrorKind};
use std::path::PathBuf;

use tidepool::providers::{
    OpenOptions, Providers, SimProviders, SimStorage, StorageFile, StoragePathError,
    StorageProvider, TokioStorage,
};
use tidepool::sim::{Sim, StorageConfig};

/// The seed of every simulated run; fault-free, so any seed would do.
const SEED: u64 = 7;

/// Runs `check` on the simulated disk of a fault-free world.
fn on_sim<F>(check: fn(SimStorage) -> F)
where
    F: Future<Output = io::Result<()>> + 'static,
{
    let run = Sim::new(SEED)
        .storage(StorageConfig::fault_free())
        .run(async move { check(*SimProviders.storage()).await });
    let outcome = run.outcome.expect("the simulated check runs to its end");
    outcome.expect("the simulated check meets no unexpected storage error");
}

/// Runs `check` on the real file system, in a directory of its own.
fn on_os<F>(name: &str, check: fn(TokioStorage) -> F)
where
    F: Future<Output = io::Result<()>>,
{
    let root = TempRoot::new(name);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let outcome = runtime.block_on(check(TokioStorage::new(root.path.clone())));
    outcome.expect("the OS check meets no unexpected storage error");
}

/// A fresh directory under the system's temporary directory, removed on drop
/// (also when the check panics).
struct TempRoot {
    path: PathBuf,
}

impl TempRoot {
    fn new(name: &str) -> TempRoot {
        let path = std::env::temp_dir().join(format!(
            "tidepool-storage-conformance-{}-{name}",
            std::process::id()
        ));
        // A leftover of an earlier process with the same id would skew the check.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temporary directory");
        TempRoot { path }
    }
}

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Two `#[test]`s per check, `sim::NAME` and `os::NAME`.
macro_rules! conformance {
    ($($check:ident),* $(,)?) => {
        mod sim {
            $(
                #[test]
                fn $check() {
                    super::on_sim(super::$check::<tidepool::providers::SimStorage>);
                }
            )*
        }
        mod os {
            $(
                #[test]
                fn $check() {
                    super::on_os(
                        stringify!($check),
                        super::$check::<tidepool::providers::TokioStorage>,
                    );
                }
            )*
        }
    };
}

conformance!(
    check_open_creates_only_when_asked,
    check_create_new_refuses_what_exists,
    check_truncate_empties_the_file,
    check_access_modes_are_enforced,
    check_invalid_option_combinations,
    check_open_refuses_directories_and_bad_parents,
    check_positional_round_trip,
    check_read_at_or_after_the_end_returns_zero,
    check_read_exact_past_the_end,
    check_write_past_the_end_zero_fills,
    check_append_returns_offsets,
    check_set_len_shrinks_and_extends_with_zeros,
    check_rename_replaces_a_file,
    check_rename_errors,
    check_rename_directories,
    check_remove_file,
    check_remove_dir,
    check_create_dir_all,
    check_read_dir_is_sorted,
    check_exists,
    check_syncs_succeed,
    check_paths_outside_the_root_are_refused,
    check_the_root_is_no_entry,
    check_dot_components_are_dropped,
    check_a_removed_file_stays_readable_while_open,
);

fn read_write() -> OpenOptions {
    OpenOptions::new().read(true).write(true)
}

fn read_only() -> OpenOptions {
    OpenOptions::new().read(true)
}

/// Asserts `result` failed with `kind`; `what` names the call.
#[track_caller]
fn assert_kind<T>(result: io::Result<T>, kind: ErrorKind, what: &str) {
    match result {
        Ok(_) => panic!("{what}: succeeded, expected an error of kind {kind:?}"),
        Err(error) => assert_eq!(error.kind(), kind, "{what}: {error}"),
    }
}

/// Creates `path` holding `bytes`.
async fn write_file<S: StorageProvider>(storage: &S, path: &str, bytes: &[u8]) -> io::Result<()> {
    let file = storage.create(path).await?;
    file.write_all_at(bytes, 0).await
}

/// The whole file at `path`.
async fn read_file<S: StorageProvider>(storage: &S, path: &str) -> io::Result<Vec<u8>> {
    storage.open(path, &read_only()).await?.read_all().await
}

async fn check_open_creates_only_when_asked<S: StorageProvider>(storage: S) -> io::Result<()> {
    // Opening a missing file fails unless `create` is set; `create` on an
    // existing file opens it as it is.
    assert_kind(
        storage.open("missing", &read_write()).await,
        ErrorKind::NotFound,
        "open of a missing file without create",
    );
    assert!(!storage.exists("missing").await?);
    let file = storage.open("new", &read_write().create(true)).await?;
    assert!(storage.exists("new").await?);
    assert!(file.is_empty().await?);
    file.write_all_at(b"kept", 0).await?;
    let again = storage.open("new", &read_write().create(true)).await?;
    assert_eq!(again.read_all().await?, b"kept");
    Ok(())
}

async fn check_create_new_refuses_what_exists<S: StorageProvider>(storage: S) -> io::Result<()> {
    // `create_new` creates a missing file and refuses an existing file or
    // directory with `AlreadyExists`, leaving it intact.
    let create_new = OpenOptions::new().write(true).create_new(true);
    let file = storage.open("fresh", &create_new).await?;
    file.write_all_at(b"first", 0).await?;
    assert_kind(
        storage.open("fresh", &create_new).await,
        ErrorKind::AlreadyExists,
        "create_new on an existing file",
    );
    assert_eq!(read_file(&storage, "fresh").await?, b"first");
    storage.create_dir_all("dir").await?;
    assert_kind(
        storage.open("dir", &create_new).await,
        ErrorKind::AlreadyExists,
        "create_new on a directory",
    );
    Ok(())
}

async fn check_truncate_empties_the_file<S: StorageProvider>(storage: S) -> io::Result<()> {
    // `truncate` cuts an existing file to nothing; `create` (the default of
    // `StorageProvider::create`) truncates too.
    write_file(&storage, "log", b"old contents").await?;
    let file = storage.open("log", &read_write().truncate(true)).await?;
    assert_eq!(file.len().await?, 0);
    file.write_all_at(b"new", 0).await?;
    assert_eq!(read_file(&storage, "log").await?, b"new");
    let created = storage.create("log").await?;
    assert!(created.is_empty().await?);
    Ok(())
}

async fn check_access_modes_are_enforced<S: StorageProvider>(storage: S) -> io::Result<()> {
    // A read-only handle refuses writes, appends and `set_len`; a write-only
    // handle refuses reads; both with `PermissionDenied`, changing nothing.
    // Either may sync.
    write_file(&storage, "file", b"data").await?;
    let reader = storage.open("file", &read_only()).await?;
    assert_kind(
        reader.write_at(b"x", 0).await,
        ErrorKind::PermissionDenied,
        "write_at on a read-only handle",
    );
    assert_kind(
        reader.append(b"x").await,
        ErrorKind::PermissionDenied,
        "append on a read-only handle",
    );
    assert_kind(
        reader.set_len(1).await,
        ErrorKind::PermissionDenied,
        "set_len on a read-only handle",
    );
    reader.sync_data().await?;
    let writer = storage
        .open("file", &OpenOptions::new().write(true))
        .await?;
    let mut buf = [0u8; 4];
    assert_kind(
        writer.read_at(&mut buf, 0).await,
        ErrorKind::PermissionDenied,
        "read_at on a write-only handle",
    );
    writer.sync_all().await?;
    assert_eq!(reader.read_all().await?, b"data");
    Ok(())
}

async fn check_invalid_option_combinations<S: StorageProvider>(storage: S) -> io::Result<()> {
    // Options without an access mode, or creating or truncating without
    // write access, are refused with `InvalidInput` and create nothing.
    let refused = [
        ("no access mode", OpenOptions::new()),
        ("create without write", read_only().create(true)),
        ("create_new without write", read_only().create_new(true)),
        ("truncate without write", read_only().truncate(true)),
    ];
    for (what, options) in refused {
        assert_kind(
            storage.open("file", &options).await,
            ErrorKind::InvalidInput,
            what,
        );
    }
    assert!(!storage.exists("file").await?);
    Ok(())
}

async fn check_open_refuses_directories_and_bad_parents<S: StorageProvider>(
    storage: S,
) -> io::Result<()> {
    // A directory cannot be opened as a file, for reading or writing; a path
    // under a file is `NotADirectory`; under a missing directory `NotFound`.
    storage.create_dir_all("dir").await?;
    assert_kind(
        storage.open("dir", &read_only()).await,
        ErrorKind::IsADirectory,
        "open of a directory for reading",
    );
    assert_kind(
        storage.open("dir", &read_write().create(true)).await,
        ErrorKind::IsADirectory,
        "open of a directory for writing",
    );
    write_file(&storage, "file", b"x").await?;
    assert_kind(
        storage.open("file/child", &read_write().create(true)).await,
        ErrorKind::NotADirectory,
        "open under a file",
    );
    assert_kind(
        storage
            .open("nowhere/child", &read_write().create(true))
            .await,
        ErrorKind::NotFound,
        "open under a missing directory",
    );
    Ok(())
}

async fn check_positional_round_trip<S: StorageProvider>(storage: S) -> io::Result<()> {
    // Positional writes land where asked, an overwrite replaces only its
    // bytes, and reads at any offset give them back.
    let file = storage.create("file").await?;
    assert_eq!(file.write_at(b"hello world", 0).await?, 11);
    file.write_all_at(b"WORLD", 6).await?;
    let mut middle = [0u8; 5];
    file.read_exact_at(&mut middle, 3).await?;
    assert_eq!(&middle, b"lo WO");
    assert_eq!(file.read_all().await?, b"hello WORLD");
    let other = storage.open("file", &read_only()).await?;
    assert_eq!(
        other.read_all().await?,
        b"hello WORLD",
        "another handle sees the writes at once"
    );
    Ok(())
}

async fn check_read_at_or_after_the_end_returns_zero<S: StorageProvider>(
    storage: S,
) -> io::Result<()> {
    // `read_at` at the end or past it reads 0 bytes; one across the end reads
    // up to it.
    write_file(&storage, "file", b"0123456789").await?;
    let file = storage.open("file", &read_only()).await?;
    let mut buf = [0u8; 8];
    assert_eq!(file.read_at(&mut buf, 10).await?, 0);
    assert_eq!(file.read_at(&mut buf, 1_000).await?, 0);
    assert_eq!(file.read_at(&mut buf, 6).await?, 4);
    assert_eq!(&buf[..4], b"6789");
    assert_eq!(file.read_at(&mut [], 0).await?, 0);
    Ok(())
}

async fn check_read_exact_past_the_end<S: StorageProvider>(storage: S) -> io::Result<()> {
    // `read_exact_at` across or past the end fails with `UnexpectedEof`.
    write_file(&storage, "file", b"0123456789").await?;
    let file = storage.open("file", &read_only()).await?;
    let mut buf = [0u8; 4];
    file.read_exact_at(&mut buf, 6).await?;
    assert_eq!(&buf, b"6789");
    assert_kind(
        file.read_exact_at(&mut buf, 8).await,
        ErrorKind::UnexpectedEof,
        "read_exact_at across the end",
    );
    assert_kind(
        file.read_exact_at(&mut buf, 100).await,
        ErrorKind::UnexpectedEof,
        "read_exact_at past the end",
    );
    Ok(())
}

async fn check_write_past_the_end_zero_fills<S: StorageProvider>(storage: S) -> io::Result<()> {
    // A write past the end grows the file and leaves zeros in the gap.
    let file = storage.create("file").await?;
    file.write_all_at(b"ab", 0).await?;
    file.write_all_at(b"yz", 6).await?;
    assert_eq!(file.len().await?, 8);
    assert_eq!(file.read_all().await?, b"ab\0\0\0\0yz");
    Ok(())
}

async fn check_append_returns_offsets<S: StorageProvider>(storage: S) -> io::Result<()> {
    // `append` writes at the end and returns where, on an append handle and on
    // a write handle; `write_at` stays positional on an append handle.
    let options = OpenOptions::new().read(true).append(true).create(true);
    let log = storage.open("log", &options).await?;
    assert_eq!(log.append(b"one").await?, 0);
    assert_eq!(log.append(b"two").await?, 3);
    log.write_all_at(b"ONE", 0).await?;
    let writer = storage.open("log", &OpenOptions::new().write(true)).await?;
    assert_eq!(writer.append(b"three").await?, 6);
    writer.write_all_at(b"!", 20).await?;
    assert_eq!(log.append(b"four").await?, 21);
    assert_eq!(log.len().await?, 25);
    let mut head = [0u8; 11];
    log.read_exact_at(&mut head, 0).await?;
    assert_eq!(&head, b"ONEtwothree");
    Ok(())
}

async fn check_set_len_shrinks_and_extends_with_zeros<S: StorageProvider>(
    storage: S,
) -> io::Result<()> {
    // `set_len` cuts the file; extending it again gives zeros, not the bytes
    // cut before.
    write_file(&storage, "file", b"abcdefgh").await?;
    let file = storage.open("file", &read_write()).await?;
    file.set_len(3).await?;
    assert_eq!(file.len().await?, 3);
    assert_eq!(file.read_all().await?, b"abc");
    file.set_len(6).await?;
    assert_eq!(file.read_all().await?, b"abc\0\0\0");
    file.set_len(0).await?;
    assert!(file.is_empty().await?);
    Ok(())
}

async fn check_rename_replaces_a_file<S: StorageProvider>(storage: S) -> io::Result<()> {
    // A rename moves a file's name, replacing a file at the target; a handle
    // on the replaced file still reads the old contents, one on the moved file
    // still writes to it. Renaming a file onto itself changes nothing.
    write_file(&storage, "snapshot.tmp", b"new").await?;
    write_file(&storage, "snapshot", b"old").await?;
    let replaced = storage.open("snapshot", &read_only()).await?;
    let moved = storage.open("snapshot.tmp", &read_write()).await?;
    storage.rename("snapshot.tmp", "snapshot").await?;
    assert!(!storage.exists("snapshot.tmp").await?);
    assert_eq!(read_file(&storage, "snapshot").await?, b"new");
    assert_eq!(replaced.read_all().await?, b"old");
    moved.write_all_at(b"N", 0).await?;
    assert_eq!(read_file(&storage, "snapshot").await?, b"New");
    storage.rename("snapshot", "snapshot").await?;
    assert_eq!(read_file(&storage, "snapshot").await?, b"New");
    storage.create_dir_all("archive").await?;
    storage.rename("snapshot", "archive/snapshot").await?;
    assert_eq!(storage.read_dir("").await?, ["archive"]);
    assert_eq!(read_file(&storage, "archive/snapshot").await?, b"New");
    Ok(())
}

async fn check_rename_errors<S: StorageProvider>(storage: S) -> io::Result<()> {
    // A missing source is `NotFound`, as is a target in a missing directory; a
    // file onto a directory is `IsADirectory`; nothing moves.
    write_file(&storage, "file", b"x").await?;
    storage.create_dir_all("dir").await?;
    assert_kind(
        storage.rename("missing", "other").await,
        ErrorKind::NotFound,
        "rename of a missing source",
    );
    assert_kind(
        storage.rename("file", "nowhere/file").await,
        ErrorKind::NotFound,
        "rename into a missing directory",
    );
    assert_kind(
        storage.rename("file", "dir").await,
        ErrorKind::IsADirectory,
        "rename of a file onto a directory",
    );
    assert_eq!(storage.read_dir("").await?, ["dir", "file"]);
    assert!(storage.read_dir("dir").await?.is_empty());
    Ok(())
}

async fn check_rename_directories<S: StorageProvider>(storage: S) -> io::Result<()> {
    // A directory moves with its contents and may replace an empty directory;
    // onto a file it is `NotADirectory`, onto a non-empty directory
    // `DirectoryNotEmpty`, into itself `InvalidInput`.
    storage.create_dir_all("a/inner").await?;
    write_file(&storage, "a/inner/file", b"x").await?;
    write_file(&storage, "file", b"y").await?;
    storage.create_dir_all("full/child").await?;
    storage.create_dir_all("empty").await?;
    assert_kind(
        storage.rename("a", "file").await,
        ErrorKind::NotADirectory,
        "rename of a directory onto a file",
    );
    assert_kind(
        storage.rename("a", "full").await,
        ErrorKind::DirectoryNotEmpty,
        "rename of a directory onto a non-empty one",
    );
    assert_kind(
        storage.rename("a", "a/inner/a").await,
        ErrorKind::InvalidInput,
        "rename of a directory into itself",
    );
    storage.rename("a", "empty").await?;
    assert_eq!(read_file(&storage, "empty/inner/file").await?, b"x");
    assert_eq!(storage.read_dir("").await?, ["empty", "file", "full"]);
    Ok(())
}

async fn check_remove_file<S: StorageProvider>(storage: S) -> io::Result<()> {
    // `remove_file` removes a file's name; a missing file is `NotFound`, a
    // directory `IsADirectory`.
    write_file(&storage, "file", b"x").await?;
    storage.create_dir_all("dir").await?;
    storage.remove_file("file").await?;
    assert!(!storage.exists("file").await?);
    assert_kind(
        storage.remove_file("file").await,
        ErrorKind::NotFound,
        "remove_file of a missing file",
    );
    assert_kind(
        storage.remove_file("dir").await,
        ErrorKind::IsADirectory,
        "remove_file of a directory",
    );
    assert!(storage.exists("dir").await?);
    Ok(())
}

async fn check_remove_dir<S: StorageProvider>(storage: S) -> io::Result<()> {
    // `remove_dir` removes an empty directory; a non-empty one is
    // `DirectoryNotEmpty`, a file `NotADirectory`, a missing one `NotFound`.
    storage.create_dir_all("dir/sub").await?;
    write_file(&storage, "file", b"x").await?;
    assert_kind(
        storage.remove_dir("dir").await,
        ErrorKind::DirectoryNotEmpty,
        "remove_dir of a non-empty directory",
    );
    assert_kind(
        storage.remove_dir("file").await,
        ErrorKind::NotADirectory,
        "remove_dir of a file",
    );
    assert_kind(
        storage.remove_dir("missing").await,
        ErrorKind::NotFound,
        "remove_dir of a missing directory",
    );
    storage.remove_dir("dir/sub").await?;
    storage.remove_dir("dir").await?;
    assert_eq!(storage.read_dir("").await?, ["file"]);
    Ok(())
}

async fn check_create_dir_all<S: StorageProvider>(storage: S) -> io::Result<()> {
    // `create_dir_all` creates every missing level and is idempotent; a file
    // in the way is `AlreadyExists` as the last level, `NotADirectory` above it.
    storage.create_dir_all("a/b/c").await?;
    storage.create_dir_all("a/b/c").await?;
    storage.create_dir_all("a").await?;
    storage.create_dir_all("").await?;
    assert_eq!(storage.read_dir("a").await?, ["b"]);
    assert_eq!(storage.read_dir("a/b").await?, ["c"]);
    write_file(&storage, "a/file", b"x").await?;
    assert_kind(
        storage.create_dir_all("a/file").await,
        ErrorKind::AlreadyExists,
        "create_dir_all onto a file",
    );
    assert_kind(
        storage.create_dir_all("a/file/sub").await,
        ErrorKind::NotADirectory,
        "create_dir_all through a file",
    );
    assert_eq!(storage.read_dir("a").await?, ["b", "file"]);
    Ok(())
}

async fn check_read_dir_is_sorted<S: StorageProvider>(storage: S) -> io::Result<()> {
    // `read_dir` lists files and directories by name, sorted, without `.`
    // and `..`; a file is `NotADirectory`, a missing directory `NotFound`.
    storage.create_dir_all("dir").await?;
    for name in ["m", "b", "z", "a10", "a2"] {
        write_file(&storage, &format!("dir/{name}"), b"").await?;
    }
    storage.create_dir_all("dir/c").await?;
    assert_eq!(
        storage.read_dir("dir").await?,
        ["a10", "a2", "b", "c", "m", "z"]
    );
    assert_eq!(storage.read_dir("").await?, ["dir"]);
    assert_kind(
        storage.read_dir("dir/m").await,
        ErrorKind::NotADirectory,
        "read_dir of a file",
    );
    assert_kind(
        storage.read_dir("missing").await,
        ErrorKind::NotFound,
        "read_dir of a missing directory",
    );
    Ok(())
}

async fn check_exists<S: StorageProvider>(storage: S) -> io::Result<()> {
    // `exists` is true for files, directories and the root, false for a
    // missing name; a path beneath a file is `NotADirectory`, not false.
    write_file(&storage, "file", b"x").await?;
    storage.create_dir_all("dir").await?;
    assert!(storage.exists("file").await?);
    assert!(storage.exists("dir").await?);
    assert!(storage.exists("").await?);
    assert!(!storage.exists("missing").await?);
    assert!(!storage.exists("dir/missing").await?);
    assert!(!storage.exists("missing/deeper").await?);
    assert_kind(
        storage.exists("file/child").await,
        ErrorKind::NotADirectory,
        "exists beneath a file",
    );
    Ok(())
}

async fn check_syncs_succeed<S: StorageProvider>(storage: S) -> io::Result<()> {
    // `sync_data`, `sync_all` and `sync_dir` succeed on what exists;
    // `sync_dir` of a missing directory is `NotFound`, of a file
    // `NotADirectory`.
    storage.create_dir_all("dir").await?;
    let file = storage.create("dir/file").await?;
    file.write_all_at(b"durable", 0).await?;
    file.sync_data().await?;
    file.append(b"!").await?;
    file.sync_all().await?;
    storage.sync_dir("dir").await?;
    storage.sync_dir("").await?;
    assert_kind(
        storage.sync_dir("missing").await,
        ErrorKind::NotFound,
        "sync_dir of a missing directory",
    );
    assert_kind(
        storage.sync_dir("dir/file").await,
        ErrorKind::NotADirectory,
        "sync_dir of a file",
    );
    assert_eq!(file.read_all().await?, b"durable!");
    Ok(())
}

/// Asserts `result` is the refusal of a path outside the root.
#[track_caller]
fn assert_outside_root<T>(result: io::Result<T>, what: &str) {
    let Err(error) = result else {
        panic!("{what}: succeeded, expected a path outside the root to be refused");
    };
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{what}: {error}");
    let source = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<StoragePathError>());
    assert!(
        matches!(source, Some(StoragePathError::OutsideRoot { .. })),
        "{what}: the source is not StoragePathError::OutsideRoot: {error:?}"
    );
}

async fn check_paths_outside_the_root_are_refused<S: StorageProvider>(
    storage: S,
) -> io::Result<()> {
    // An absolute path or one with `..` is refused by every call with
    // `InvalidInput`, its source a `StoragePathError`, before touching anything.
    storage.create_dir_all("a").await?;
    write_file(&storage, "a/file", b"x").await?;
    for path in ["/etc/passwd", "../escape", "a/../../escape", "a/../file"] {
        let what = |call: &str| format!("{call}('{path}')");
        assert_outside_root(
            storage.open(path, &read_write().create(true)).await,
            &what("open"),
        );
        assert_outside_root(storage.rename("a/file", path).await, &what("rename to"));
        assert_outside_root(storage.rename(path, "b").await, &what("rename from"));
        assert_outside_root(storage.remove_file(path).await, &what("remove_file"));
        assert_outside_root(storage.remove_dir(path).await, &what("remove_dir"));
        assert_outside_root(storage.create_dir_all(path).await, &what("create_dir_all"));
        assert_outside_root(storage.read_dir(path).await, &what("read_dir"));
        assert_outside_root(storage.exists(path).await, &what("exists"));
        assert_outside_root(storage.sync_dir(path).await, &what("sync_dir"));
    }
    assert_eq!(storage.read_dir("").await?, ["a"]);
    assert_eq!(read_file(&storage, "a/file").await?, b"x");
    Ok(())
}

async fn check_the_root_is_no_entry<S: StorageProvider>(storage: S) -> io::Result<()> {
    // The root (`""` or `.`) cannot be opened, renamed or removed: each call
    // is `InvalidInput`, its source `StoragePathError::Empty`.
    write_file(&storage, "file", b"x").await?;
    for path in ["", "."] {
        let refused = |result: io::Result<()>, call: &str| {
            let error = result.expect_err(call);
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{call}('{path}')");
            let source = error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<StoragePathError>());
            assert_eq!(source, Some(&StoragePathError::Empty), "{call}('{path}')");
        };
        let opened = storage.open(path, &read_only()).await.map(drop);
        refused(opened, "open");
        refused(storage.rename(path, "moved").await, "rename from");
        refused(storage.rename("file", path).await, "rename to");
        refused(storage.remove_file(path).await, "remove_file");
        refused(storage.remove_dir(path).await, "remove_dir");
    }
    assert_eq!(storage.read_dir("").await?, ["file"]);
    Ok(())
}

async fn check_dot_components_are_dropped<S: StorageProvider>(storage: S) -> io::Result<()> {
    // `./a/./b` names the same file as `a/b`, and `.` the root.
    storage.create_dir_all("./a/.").await?;
    write_file(&storage, "./a/./b", b"dotted").await?;
    assert_eq!(read_file(&storage, "a/b").await?, b"dotted");
    assert_eq!(storage.read_dir(".").await?, ["a"]);
    assert_eq!(storage.read_dir("./a").await?, ["b"]);
    storage.rename("a/./b", "./a/c").await?;
    assert!(storage.exists("./a/c").await?);
    storage.sync_dir("./a/").await?;
    Ok(())
}

async fn check_a_removed_file_stays_readable_while_open<S: StorageProvider>(
    storage: S,
) -> io::Result<()> {
    // A file removed while open keeps its contents for its handles, which may
    // still read, write and sync it; its name is gone and can be reused.
    write_file(&storage, "file", b"still here").await?;
    let file = storage.open("file", &read_write()).await?;
    storage.remove_file("file").await?;
    assert!(!storage.exists("file").await?);
    assert!(storage.read_dir("").await?.is_empty());
    assert_eq!(file.read_all().await?, b"still here");
    file.append(b"!").await?;
    file.sync_data().await?;
    assert_eq!(file.read_all().await?, b"still here!");
    write_file(&storage, "file", b"other").await?;
    assert_eq!(file.read_all().await?, b"still here!");
    assert_eq!(read_file(&storage, "file").await?, b"other");
    Ok(())
}
