//! Bad input to the simulated disk gets a clear error and changes nothing: a
//! write at an absurd offset (past the largest file size, or past the disk's
//! capacity), a `set_len` as large, a read past the end (0 bytes from
//! `read_at`, an error naming offset and length from `read_exact_at`), a path
//! that leaves the root. Nothing panics; the file is as before.

use std::io::ErrorKind;

use tidepool::providers::{
    OpenOptions, SimProviders, StorageFile, StoragePathError, StorageProvider,
};
use tidepool::sim::{Sim, StorageConfig};

const CAPACITY_BYTES: u64 = 1 << 20;

fn run(check: impl AsyncFnOnce(tidepool::providers::SimStorage) + 'static) {
    let config = StorageConfig {
        capacity_bytes: CAPACITY_BYTES,
        ..StorageConfig::fault_free()
    };
    let outcome = Sim::new(5).storage(config).run(async move {
        use tidepool::providers::Providers;
        check(*SimProviders.storage()).await;
    });
    outcome.outcome.expect("the checks ran to the end");
}

#[test]
fn absurd_offsets_are_refused_and_change_nothing() {
    run(async |storage| {
        let file = storage.create("data").await.unwrap();
        file.write_all_at(b"kept", 0).await.unwrap();
        let too_large = file.write_at(b"x", u64::MAX - 1).await.unwrap_err();
        assert_eq!(too_large.kind(), ErrorKind::FileTooLarge);
        assert!(
            too_large.to_string().contains("largest file size"),
            "{too_large}"
        );
        let past_capacity = file.write_at(b"x", 1 << 40).await.unwrap_err();
        assert_eq!(past_capacity.kind(), ErrorKind::StorageFull);
        assert!(
            past_capacity
                .to_string()
                .contains(&format!("capacity {CAPACITY_BYTES}")),
            "{past_capacity}"
        );
        let huge_len = file.set_len(u64::MAX).await.unwrap_err();
        assert_eq!(huge_len.kind(), ErrorKind::FileTooLarge);
        let full_len = file.set_len(CAPACITY_BYTES + 1).await.unwrap_err();
        assert_eq!(full_len.kind(), ErrorKind::StorageFull);
        assert_eq!(file.read_all().await.unwrap(), b"kept");
    });
}

#[test]
fn reads_past_the_end_return_nothing_or_name_what_was_asked() {
    run(async |storage| {
        let file = storage.create("data").await.unwrap();
        file.write_all_at(b"four", 0).await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(file.read_at(&mut buf, 4).await.unwrap(), 0);
        assert_eq!(file.read_at(&mut buf, u64::MAX).await.unwrap(), 0);
        let error = file.read_exact_at(&mut buf, 2).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
        let message = error.to_string();
        assert!(
            message.contains("8 bytes at offset 2") && message.contains("(4 bytes)"),
            "{message}"
        );
    });
}

#[test]
fn paths_outside_the_root_are_typed_errors() {
    run(async |storage| {
        let options = OpenOptions::new().write(true).create(true);
        for path in ["/etc/passwd", "../escape", "a/../../b"] {
            let error = storage.open(path, &options).await.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{path}");
            let source = error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<StoragePathError>());
            assert!(
                matches!(source, Some(StoragePathError::OutsideRoot { .. })),
                "{path}: {error:?}"
            );
            assert!(
                error.to_string().contains("leaves the storage root"),
                "{error}"
            );
        }
        assert_eq!(
            storage.read_dir("").await.unwrap(),
            Vec::<String>::new(),
            "nothing was created"
        );
    });
}
