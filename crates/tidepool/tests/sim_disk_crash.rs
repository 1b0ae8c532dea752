//! The simulated disk's deaths and faults, which the real file system cannot
//! show: what a process crash, a power loss and a wipe keep; a failed fsync;
//! a full disk; injected read and write errors; silent corruption; stale
//! handles; and determinism. Writers and readers run as tasks on a host "db";
//! the main task (on the root host) kills it, cuts its power and revives it.
//! Properties that depend on the seed are checked across `SEEDS` seeds.

use std::cell::Cell;
use std::future::Future;
use std::io::{self, ErrorKind};
use std::rc::Rc;
use std::time::Duration;

use tidepool::providers::{OpenOptions, SimStorage, StorageFile, StorageProvider};
use tidepool::sim::{self, HostId, Sim, StorageConfig, StorageConfigError, disk};

/// Seeds tried for each property that depends on the seed.
const SEEDS: u64 = 40;
/// A small sector, so that a file of a few sectors tears.
const SECTOR_BYTES: u64 = 16;
/// Sectors in the file the tearing tests overwrite.
const SECTORS: usize = 8;
/// Polls of a flag before a test gives up waiting for a task.
const WAIT_POLLS_MAX: u32 = 10_000;
const WAIT_POLL_INTERVAL: Duration = Duration::from_millis(1);

fn db_host() -> HostId {
    sim::add_host("db", "10.1.0.1".parse().unwrap())
}

fn small_sectors() -> StorageConfig {
    StorageConfig {
        sector_bytes: SECTOR_BYTES,
        ..StorageConfig::fault_free()
    }
}

/// Runs `future` as a task on `host` and waits for its output.
async fn on<T: 'static>(
    host: HostId,
    name: &'static str,
    future: impl Future<Output = T> + 'static,
) -> T {
    sim::spawn_on(host, name, future)
        .await
        .expect("the task on the host runs to its end")
}

/// Creates `path` holding `bytes`, synced, its name synced.
async fn write_durable(path: &str, bytes: &[u8]) -> io::Result<()> {
    let file = SimStorage.create(path).await?;
    file.write_all_at(bytes, 0).await?;
    file.sync_all().await?;
    SimStorage.sync_dir("").await
}

/// The contents of `path`, or `None` when it does not exist.
async fn read_if_exists(path: &str) -> io::Result<Option<Vec<u8>>> {
    match SimStorage.open(path, &OpenOptions::new().read(true)).await {
        Ok(file) => Ok(Some(file.read_all().await?)),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// In a world of `seed`: runs `write` on host "db", cuts its power, revives
/// it and returns what a new task reads at `path`.
fn after_power_loss<Fut>(
    seed: u64,
    config: StorageConfig,
    path: &'static str,
    write: impl FnOnce() -> Fut + 'static,
) -> Option<Vec<u8>>
where
    Fut: Future<Output = io::Result<()>> + 'static,
{
    let run = Sim::new(seed).storage(config).run(async move {
        let host = db_host();
        on(host, "writer", write())
            .await
            .expect("the writes succeed");
        disk::power_loss(host);
        sim::revive(host);
        on(host, "reader", read_if_exists(path))
            .await
            .expect("the read succeeds")
    });
    run.outcome.expect("the run ends")
}

#[test]
fn a_process_crash_keeps_unsynced_writes_and_names() {
    // A task creates a file and writes it without any sync, then blocks with
    // the file open; its host is killed and revived: a new task reads it all.
    let run = Sim::new(1).run(async {
        let host = db_host();
        let written = Rc::new(Cell::new(false));
        let flag = written.clone();
        let writer = sim::spawn_on(host, "writer", async move {
            let file = SimStorage.create("wal").await.unwrap();
            file.write_all_at(b"unsynced", 0).await.unwrap();
            file.append(b" tail").await.unwrap();
            flag.set(true);
            std::future::pending::<()>().await;
        });
        wait_for(&written).await;
        sim::kill(host);
        assert!(writer.await.is_err(), "the writer died with its host");
        sim::revive(host);
        on(host, "reader", read_if_exists("wal")).await.unwrap()
    });
    assert_eq!(run.outcome.unwrap().as_deref(), Some(&b"unsynced tail"[..]));
}

/// Waits until `flag` is set, polling the simulated clock.
async fn wait_for(flag: &Cell<bool>) {
    for _ in 0..WAIT_POLLS_MAX {
        if flag.get() {
            return;
        }
        sim::sleep(WAIT_POLL_INTERVAL).await;
    }
    panic!("the flag was not set within {WAIT_POLLS_MAX} polls");
}

#[test]
fn a_power_loss_keeps_synced_data() {
    // Data synced with `sync_all` and a name synced with `sync_dir` survive a
    // power loss on every seed, beside unsynced writes to another file.
    for seed in 0..SEEDS {
        let read = after_power_loss(seed, StorageConfig::fault_free(), "durable", || async {
            write_durable("durable", b"synced bytes").await?;
            let other = SimStorage.create("scratch").await?;
            other.write_all_at(b"never synced", 0).await
        });
        assert_eq!(read.as_deref(), Some(&b"synced bytes"[..]), "seed {seed}");
    }
}

#[test]
fn a_power_loss_tears_unsynced_sectors_old_or_new() {
    // A synced file of `SECTORS` sectors of 'o' is overwritten with 'n' and not
    // synced. After a power loss each sector holds all 'o' or all 'n', never a
    // mix; across seeds both happen, and some seed keeps a file of both.
    let (mut old, mut new, mut torn_files) = (0, 0, 0);
    for seed in 0..SEEDS {
        let read = after_power_loss(seed, small_sectors(), "table", || async {
            write_durable("table", &[b'o'; SECTOR_BYTES as usize * SECTORS]).await?;
            let file = SimStorage
                .open("table", &OpenOptions::new().write(true))
                .await?;
            file.write_all_at(&[b'n'; SECTOR_BYTES as usize * SECTORS], 0)
                .await
        });
        let read = read.expect("the synced name survives");
        assert_eq!(read.len(), SECTOR_BYTES as usize * SECTORS, "seed {seed}");
        let mut kinds = Vec::new();
        for sector in read.chunks(SECTOR_BYTES as usize) {
            assert!(
                sector.iter().all(|&byte| byte == sector[0]),
                "seed {seed}: a sector mixes old and new: {sector:?}"
            );
            kinds.push(sector[0]);
        }
        old += kinds.iter().filter(|&&kind| kind == b'o').count();
        new += kinds.iter().filter(|&&kind| kind == b'n').count();
        torn_files += usize::from(kinds.contains(&b'o') && kinds.contains(&b'n'));
    }
    assert!(old > 0, "no sector ever kept its old contents");
    assert!(new > 0, "no sector ever kept its new contents");
    assert!(torn_files > 0, "no file was ever torn between sectors");
}

#[test]
fn a_power_loss_may_revert_an_unsynced_length() {
    // Two unsynced sectors appended to a synced file of two: after a power
    // loss the length is the old or the new one (both happen across seeds),
    // the synced sectors are intact and each appended sector is all new bytes
    // or all zeros.
    let sector = SECTOR_BYTES as usize;
    let mut lengths = std::collections::BTreeSet::new();
    for seed in 0..SEEDS {
        let read = after_power_loss(seed, small_sectors(), "log", move || async move {
            write_durable("log", &vec![b'o'; 2 * sector]).await?;
            let file = SimStorage
                .open("log", &OpenOptions::new().write(true))
                .await?;
            file.append(&vec![b'n'; 2 * sector]).await.map(drop)
        });
        let read = read.expect("the synced name survives");
        assert!(
            read[..2 * sector].iter().all(|&byte| byte == b'o'),
            "seed {seed}"
        );
        for appended in read[2 * sector..].chunks(sector) {
            let first = appended[0];
            assert!(first == b'n' || first == 0, "seed {seed}: {appended:?}");
            assert!(appended.iter().all(|&byte| byte == first), "seed {seed}");
        }
        lengths.insert(read.len());
    }
    assert_eq!(
        lengths,
        [2 * sector, 4 * sector].into(),
        "both lengths happen across seeds, and no other"
    );
}

#[test]
fn a_created_file_without_sync_dir_may_vanish() {
    // A file whose data is synced but whose name is not vanishes in a power
    // loss on some seeds and survives on others; with `sync_dir` it survives
    // on every seed.
    let mut vanished = 0;
    for seed in 0..SEEDS {
        let read = after_power_loss(seed, StorageConfig::fault_free(), "wal", || async {
            let file = SimStorage.create("wal").await?;
            file.write_all_at(b"entry", 0).await?;
            file.sync_all().await
        });
        match read {
            None => vanished += 1,
            Some(read) => assert_eq!(read, b"entry", "seed {seed}"),
        }
        let synced = after_power_loss(seed, StorageConfig::fault_free(), "wal", || async {
            write_durable("wal", b"entry").await
        });
        assert_eq!(synced.as_deref(), Some(&b"entry"[..]), "seed {seed}");
    }
    assert!(vanished > 0, "the unsynced name never vanished");
    assert!(vanished < SEEDS, "the unsynced name always vanished");
}

/// Replaces "snapshot" (durable, "old") by a synced "snapshot.tmp" ("new")
/// renamed over it; syncs the directory after when `sync_dir` says so.
async fn replace_snapshot(sync_dir: bool) -> io::Result<()> {
    write_durable("snapshot", b"old").await?;
    let file = SimStorage.create("snapshot.tmp").await?;
    file.write_all_at(b"new", 0).await?;
    file.sync_all().await?;
    SimStorage.rename("snapshot.tmp", "snapshot").await?;
    if sync_dir {
        SimStorage.sync_dir("").await?;
    }
    Ok(())
}

#[test]
fn a_rename_without_sync_dir_can_come_back_as_the_old_file() {
    // A snapshot replaced by rename without a directory sync reads old on some
    // seeds and new on others, never anything else; after `sync_dir` it reads
    // new on every seed.
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..SEEDS {
        let read = after_power_loss(seed, StorageConfig::fault_free(), "snapshot", || {
            replace_snapshot(false)
        });
        seen.insert(read.expect("a snapshot always exists"));
        let synced = after_power_loss(seed, StorageConfig::fault_free(), "snapshot", || {
            replace_snapshot(true)
        });
        assert_eq!(synced.as_deref(), Some(&b"new"[..]), "seed {seed}");
    }
    assert_eq!(seen, [b"new".to_vec(), b"old".to_vec()].into());
}

#[test]
fn a_wipe_empties_the_disk() {
    // Durable files and directories are gone after a wipe; the disk is usable.
    let run = Sim::new(3).run(async {
        let host = db_host();
        on(host, "writer", async {
            SimStorage.create_dir_all("data/wal").await?;
            write_durable("data/wal/000001.log", b"entry").await?;
            SimStorage.sync_dir("data/wal").await?;
            SimStorage.sync_dir("data").await
        })
        .await
        .unwrap();
        disk::wipe(host);
        sim::revive(host);
        let read = on(host, "reader", async {
            let names = SimStorage.read_dir("").await?;
            let exists = SimStorage.exists("data/wal/000001.log").await?;
            write_durable("fresh", b"ok").await?;
            Ok::<_, io::Error>((names, exists, read_if_exists("fresh").await?))
        })
        .await
        .unwrap();
        (read, disk::stats().wipes)
    });
    let ((names, exists, fresh), wipes) = run.outcome.unwrap();
    assert!(names.is_empty(), "left after the wipe: {names:?}");
    assert!(!exists);
    assert_eq!(fresh.as_deref(), Some(&b"ok"[..]));
    assert_eq!(wipes, 1);
}

#[test]
fn a_failed_fsync_dooms_the_data_even_after_a_good_sync() {
    // Every sync fails while faults are on. A durable "old!" is overwritten
    // with "new!" whose sync fails (kind `Other`); it stays readable, and a
    // later sync (faults off) succeeds. A power loss still brings back "old!",
    // on every seed, as Linux's fsync error semantics have it.
    let config = StorageConfig {
        sync_failure_probability: 1.0,
        ..StorageConfig::fault_free()
    };
    for seed in 0..SEEDS {
        let read = after_power_loss(seed, config.clone(), "data", || async {
            disk::set_faults_active(false);
            write_durable("data", b"old!").await?;
            let file = SimStorage
                .open("data", &OpenOptions::new().read(true).write(true))
                .await?;
            file.write_all_at(b"new!", 0).await?;
            disk::set_faults_active(true);
            let failed = file.sync_data().await.expect_err("the sync fails");
            assert_eq!(failed.kind(), ErrorKind::Other, "{failed}");
            disk::set_faults_active(false);
            file.sync_data().await?;
            assert_eq!(file.read_all().await?, b"new!", "the page cache keeps it");
            assert_eq!(disk::stats().sync_failures, 1);
            Ok(())
        });
        assert_eq!(read.as_deref(), Some(&b"old!"[..]), "seed {seed}");
    }
}

#[test]
fn a_full_disk_refuses_a_write_and_writes_nothing() {
    // With a capacity of `CAPACITY_BYTES`, writes, appends and `set_len` that
    // would pass it fail with `StorageFull` and change nothing; the disk's
    // files share the capacity; writes within it still succeed.
    const CAPACITY_BYTES: u64 = 100;
    let config = StorageConfig {
        capacity_bytes: CAPACITY_BYTES,
        ..StorageConfig::fault_free()
    };
    let run = Sim::new(4).storage(config).run(async {
        let file = SimStorage.create("a").await?;
        file.write_all_at(&[1; 60], 0).await?;
        let full = [
            file.write_at(&[2; 50], 60).await.map(drop),
            file.append(&[2; 41]).await.map(drop),
            file.set_len(CAPACITY_BYTES + 1).await,
        ];
        for (call, result) in full.into_iter().enumerate() {
            let error = result.expect_err("the disk is full");
            assert_eq!(error.kind(), ErrorKind::StorageFull, "call {call}: {error}");
        }
        assert_eq!(file.read_all().await?, [1; 60], "nothing was written");
        let other = SimStorage.create("b").await?;
        let error = other
            .write_at(&[3; 41], 0)
            .await
            .expect_err("the disk is full");
        assert_eq!(error.kind(), ErrorKind::StorageFull);
        assert!(other.is_empty().await?);
        other.write_all_at(&[3; 40], 0).await?;
        file.set_len(10).await?;
        other.append(&[4; 50]).await?;
        assert_eq!(disk::stats().disk_full, 4);
        Ok::<_, io::Error>(())
    });
    run.outcome.unwrap().unwrap();
}

#[test]
fn injected_read_and_write_errors_are_of_kind_other() {
    // With read and write errors at probability 1, every read, write, append
    // and `set_len` fails with kind `Other`; the failed writes changed nothing.
    let config = StorageConfig {
        read_error_probability: 1.0,
        write_error_probability: 1.0,
        ..StorageConfig::fault_free()
    };
    let run = Sim::new(5).storage(config).run(async {
        let file = SimStorage.create("file").await?;
        disk::set_faults_active(false);
        file.write_all_at(b"before", 0).await?;
        disk::set_faults_active(true);
        let mut buf = [0u8; 6];
        let failed = [
            file.read_at(&mut buf, 0).await.map(drop),
            file.write_at(b"after!", 0).await.map(drop),
            file.append(b"more").await.map(drop),
            file.set_len(0).await,
        ];
        for (call, result) in failed.into_iter().enumerate() {
            let error = result.expect_err("the fault is certain");
            assert_eq!(error.kind(), ErrorKind::Other, "call {call}: {error}");
        }
        disk::set_faults_active(false);
        assert_eq!(file.read_all().await?, b"before");
        let stats = disk::stats();
        assert_eq!((stats.read_errors, stats.write_errors), (1, 3));
        Ok::<_, io::Error>(())
    });
    run.outcome.unwrap().unwrap();
}

#[test]
fn corruption_flips_exactly_one_bit_of_what_was_read() {
    // With corruption at probability 1, each read returns its bytes with
    // exactly one bit flipped; the stored data stays intact.
    const READS: u64 = 20;
    let config = StorageConfig {
        corruption_probability: 1.0,
        ..StorageConfig::fault_free()
    };
    let run = Sim::new(6).storage(config).run(async {
        let stored: Vec<u8> = (0..64u8).collect();
        let file = SimStorage.create("file").await?;
        file.write_all_at(&stored, 0).await?;
        for read in 0..READS {
            let mut buf = vec![0u8; stored.len()];
            assert_eq!(file.read_at(&mut buf, 0).await?, stored.len());
            let flipped: u32 = buf
                .iter()
                .zip(&stored)
                .map(|(got, want)| (got ^ want).count_ones())
                .sum();
            assert_eq!(flipped, 1, "read {read}: {buf:?}");
        }
        disk::set_faults_active(false);
        assert_eq!(file.read_all().await?, stored, "the stored data is intact");
        assert_eq!(disk::stats().corruptions, READS);
        Ok::<_, io::Error>(())
    });
    run.outcome.unwrap().unwrap();
}

#[test]
fn a_handle_opened_before_a_power_loss_or_wipe_is_stale() {
    // A handle from before a power loss fails every call with
    // `StaleNetworkFileHandle`; one opened after works; a wipe does the same.
    let run = Sim::new(7).run(async {
        let host = db_host();
        let before = on(host, "opener", async {
            write_durable("data", b"durable").await?;
            SimStorage
                .open("data", &OpenOptions::new().read(true).write(true))
                .await
        });
        let before = before.await.unwrap();
        disk::power_loss(host);
        assert_stale(&before).await;
        sim::revive(host);
        let after = on(host, "reopener", async {
            SimStorage
                .open("data", &OpenOptions::new().read(true).write(true))
                .await
        });
        let after = after.await.unwrap();
        assert_eq!(after.read_all().await.unwrap(), b"durable");
        disk::wipe(host);
        assert_stale(&after).await;
    });
    run.outcome.unwrap();
}

async fn assert_stale(file: &impl StorageFile) {
    let mut buf = [0u8; 4];
    let calls = [
        file.read_at(&mut buf, 0).await.map(drop),
        file.write_at(b"x", 0).await.map(drop),
        file.append(b"x").await.map(drop),
        file.len().await.map(drop),
        file.set_len(0).await,
        file.sync_data().await,
    ];
    for (call, result) in calls.into_iter().enumerate() {
        let error = result.expect_err("the handle is stale");
        assert_eq!(
            error.kind(),
            ErrorKind::StaleNetworkFileHandle,
            "call {call}: {error}"
        );
    }
}

/// Writes, syncs, renames and reads on host "db" under faults, cuts its power
/// and returns every call's outcome and what the disk holds after.
async fn faulty_workload() -> Vec<String> {
    let host = db_host();
    let mut log = on(host, "writer", async {
        let mut log = Vec::new();
        for index in 0..50u32 {
            let path = format!("file-{}", index % 5);
            let result = async {
                let file = SimStorage
                    .open(
                        &path,
                        &OpenOptions::new().read(true).write(true).create(true),
                    )
                    .await?;
                file.append(&index.to_le_bytes()).await?;
                file.sync_data().await?;
                if index % 7 == 0 {
                    SimStorage.rename(&path, format!("renamed-{index}")).await?;
                }
                file.read_all().await
            };
            log.push(format!(
                "{index}: {:?}",
                result.await.map_err(|error| error.kind())
            ));
        }
        log
    })
    .await;
    disk::power_loss(host);
    sim::revive(host);
    let after = on(host, "reader", async {
        let mut after = Vec::new();
        for name in SimStorage.read_dir("").await.unwrap() {
            after.push(format!(
                "{name}: {:?}",
                read_if_exists(&name).await.map_err(|e| e.kind())
            ));
        }
        after
    });
    log.extend(after.await);
    log
}

fn faulty() -> StorageConfig {
    StorageConfig {
        slow_probability: 0.05,
        read_error_probability: 0.05,
        write_error_probability: 0.05,
        sync_failure_probability: 0.05,
        corruption_probability: 0.05,
        ..StorageConfig::default()
    }
}

#[test]
fn the_same_seed_gives_the_same_trace_and_contents() {
    // Two runs of one seed under storage faults and a power loss have the same
    // trace hash, the same outcomes and the same disk after; another seed
    // differs.
    let first = Sim::new(8).storage(faulty()).run(faulty_workload());
    let second = Sim::new(8).storage(faulty()).run(faulty_workload());
    let other = Sim::new(9).storage(faulty()).run(faulty_workload());
    assert_eq!(first.trace_hash, second.trace_hash);
    let first = first.outcome.unwrap();
    assert_eq!(first, second.outcome.unwrap());
    assert_ne!(first, other.outcome.unwrap(), "seeds 8 and 9 ran alike");
    assert!(
        first.iter().any(|line| line.contains("Err")),
        "no fault: {first:?}"
    );
}

#[test]
fn a_storage_fault_changes_the_trace_hash() {
    // One run of a write and a read, fault-free and with a certain corruption
    // of the read: the trace hashes differ, while two fault-free runs agree.
    let run = |config: StorageConfig| {
        Sim::new(10).storage(config).run(async {
            let file = SimStorage.create("file").await.unwrap();
            file.write_all_at(b"bytes", 0).await.unwrap();
            file.read_all().await.unwrap().len()
        })
    };
    let corrupted = StorageConfig {
        corruption_probability: 1.0,
        ..StorageConfig::fault_free()
    };
    let clean = run(StorageConfig::fault_free());
    let again = run(StorageConfig::fault_free());
    let faulty = run(corrupted);
    assert_eq!(clean.trace_hash, again.trace_hash);
    assert_ne!(clean.trace_hash, faulty.trace_hash);
    assert_eq!(clean.outcome.unwrap(), faulty.outcome.unwrap());
}

/// One probability of a `StorageConfig`, to set.
type ProbabilityField = fn(&mut StorageConfig) -> &mut f64;

#[test]
fn validate_rejects_settings_out_of_bounds() {
    // A zero capacity, a sector that is no power of two, and any probability
    // outside 0..=1 are refused, each naming the setting.
    let base = StorageConfig::fault_free;
    assert_eq!(StorageConfig::default().validate(), Ok(()));
    assert_eq!(base().validate(), Ok(()));
    let zero = StorageConfig {
        capacity_bytes: 0,
        ..base()
    };
    assert_eq!(zero.validate(), Err(StorageConfigError::ZeroCapacity));
    for sector_bytes in [0, 3, 4095, 2 << 20] {
        let config = StorageConfig {
            sector_bytes,
            ..base()
        };
        assert_eq!(
            config.validate(),
            Err(StorageConfigError::Sector { sector_bytes })
        );
    }
    let settings: [(&str, ProbabilityField); 5] = [
        ("slow_probability", |config| &mut config.slow_probability),
        ("read_error_probability", |config| {
            &mut config.read_error_probability
        }),
        ("write_error_probability", |config| {
            &mut config.write_error_probability
        }),
        ("sync_failure_probability", |config| {
            &mut config.sync_failure_probability
        }),
        ("corruption_probability", |config| {
            &mut config.corruption_probability
        }),
    ];
    for (name, field) in settings {
        for value in [-0.1, 1.5, f64::NAN] {
            let mut config = base();
            *field(&mut config) = value;
            match config.validate() {
                Err(StorageConfigError::Probability { setting, .. }) => {
                    assert_eq!(setting, name, "{name} = {value}")
                }
                other => panic!("{name} = {value}: {other:?}"),
            }
        }
    }
}
