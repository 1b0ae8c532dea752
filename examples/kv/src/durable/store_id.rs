//! The store id: a random number written once, durably, when a store is
//! created in a data directory, and answered with every reply, so that a
//! client can tell a store that kept its data from one that lost it.
//!
//! ```text
//! store_id = magic:"KVID" id:u64 checksum:u32      checksum: CRC-32C of magic and id
//! ```

use std::io;

use tidepool_core::providers::{
    OpenOptions, Providers, RandomProvider, StorageFile, StorageProvider,
};

use super::checksum::crc32c;
use super::log::LOG_FILE;
use super::snapshot::{SNAPSHOT_FILE, SNAPSHOT_TEMP_FILE};
use crate::protocol::STORE_ID_UNKNOWN;

/// The store id's file name, under the storage root.
pub(crate) const STORE_ID_FILE: &str = "store_id";
const STORE_ID_TEMP_FILE: &str = "store_id.tmp";

const MAGIC: [u8; 4] = *b"KVID";
const FILE_BYTES: usize = 4 + 8 + 4;

/// Files a store keeps besides its id: without an id they are leftovers.
const STORE_FILES: [&str; 3] = [SNAPSHOT_FILE, SNAPSHOT_TEMP_FILE, LOG_FILE];

/// The id of the store in the storage root: read, or, when the root holds
/// none, a new random one, made durable before anything else is written.
///
/// # Errors
///
/// The storage's error, or `InvalidData` when the file is not a store id.
pub(crate) async fn load_or_create<P: Providers>(providers: &P) -> io::Result<u64> {
    let storage = providers.storage();
    if storage.exists(STORE_ID_FILE).await? {
        return read(storage).await;
    }
    // No id: no store. A snapshot or a log here cannot be this store's (its
    // id would have been made durable first); a new store must not start
    // from them.
    for leftover in STORE_FILES {
        if storage.exists(leftover).await? {
            tracing::warn!(
                file = leftover,
                "removing a leftover of a store without an id"
            );
            storage.remove_file(leftover).await?;
        }
    }
    let id = providers.random().next_u64().max(STORE_ID_UNKNOWN + 1);
    write(storage, id).await?;
    tracing::info!(store_id = id, "created a new store");
    Ok(id)
}

async fn read<S: StorageProvider>(storage: &S) -> io::Result<u64> {
    let file = storage
        .open(STORE_ID_FILE, &OpenOptions::new().read(true))
        .await?;
    let len = file.len().await?;
    if len != FILE_BYTES as u64 {
        return Err(not_a_store_id(format!("{len} bytes, not {FILE_BYTES}")));
    }
    let mut bytes = [0; FILE_BYTES];
    file.read_exact_at(&mut bytes, 0).await?;
    let (content, stored) = bytes.split_at(FILE_BYTES - 4);
    let stored = u32::from_be_bytes(stored.try_into().expect("4 bytes"));
    if content[..4] != MAGIC || crc32c(content) != stored {
        return Err(not_a_store_id("bad magic or checksum".to_string()));
    }
    Ok(u64::from_be_bytes(
        content[4..].try_into().expect("8 bytes"),
    ))
}

fn not_a_store_id(why: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("'{STORE_ID_FILE}' is not a store id: {why}"),
    )
}

/// Writes `id` durably: a temporary file, synced, renamed, the directory synced.
async fn write<S: StorageProvider>(storage: &S, id: u64) -> io::Result<()> {
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&id.to_be_bytes());
    let checksum = crc32c(&bytes);
    bytes.extend_from_slice(&checksum.to_be_bytes());
    let file = storage.create(STORE_ID_TEMP_FILE).await?;
    file.write_all_at(&bytes, 0).await?;
    file.sync_all().await?;
    drop(file);
    storage.rename(STORE_ID_TEMP_FILE, STORE_ID_FILE).await?;
    storage.sync_dir("").await
}
