//! `LineLog`: an append-only file of checksummed text lines, each synced
//! before `append` returns. The account servers keep their ledgers in one,
//! the coordinator its journal of intents.

use std::io;

use tidepool::providers::{OpenOptions, StorageFile, StorageProvider};

/// A durable log of lines, opened by [`LineLog::open`].
///
/// Each line is stored as `<record> <checksum>\n`, the checksum an FNV-1a
/// hash of the record in 8 hex digits. Appends are synced one at a time
/// (the caller serialises them), so after a power loss at most the last
/// line can be torn: [`LineLog::open`] drops it and cuts the file back.
#[derive(Debug)]
pub struct LineLog<F> {
    file: F,
    records: u64,
    records_max: u64,
}

/// What [`LineLog::open`] found: the log, and the records in it, in order.
pub type Recovered<F> = (LineLog<F>, Vec<String>);

impl<F: StorageFile> LineLog<F> {
    /// Opens the log at `path` (creating it, and making its name durable with
    /// `sync_dir`), reads every intact record, and cuts a torn last line off.
    /// It holds at most `records_max` records.
    ///
    /// # Errors
    ///
    /// Storage errors, and `InvalidData` when a line other than the last is
    /// damaged: this log's writes never leave one so, whatever the death.
    pub async fn open<S>(storage: &S, path: &str, records_max: u64) -> io::Result<Recovered<F>>
    where
        S: StorageProvider<File = F>,
    {
        let options = OpenOptions::new().read(true).append(true).create(true);
        let file = storage.open(path, &options).await?;
        // The name must survive a power loss before any record relies on it.
        // A previous boot may have died between its create and this sync.
        storage.sync_dir(parent(path)).await?;
        let contents = file.read_all().await?;
        let (records, intact_bytes) = intact_records(&contents).map_err(|line| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{path}: line {line} is damaged and is not the last"),
            )
        })?;
        if intact_bytes < contents.len() as u64 {
            tracing::info!(
                path,
                torn_bytes = contents.len() as u64 - intact_bytes,
                "cutting off a torn last line"
            );
            file.set_len(intact_bytes).await?;
            file.sync_data().await?;
        }
        let log = LineLog {
            file,
            records: records.len() as u64,
            records_max,
        };
        Ok((log, records))
    }

    /// Appends `record` (one line of text without a newline) and syncs it.
    ///
    /// # Errors
    ///
    /// Storage errors; `StorageFull` when the log holds `records_max` records.
    ///
    /// # Panics
    ///
    /// When `record` holds a newline: the caller builds records, not users.
    pub async fn append(&mut self, record: &str) -> io::Result<()> {
        assert!(!record.contains('\n'), "a record is one line: {record:?}");
        if self.records >= self.records_max {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                format!("the log holds {} records, its most", self.records_max),
            ));
        }
        let line = format!("{record} {:08x}\n", checksum(record.as_bytes()));
        self.file.append(line.as_bytes()).await?;
        self.file.sync_data().await?;
        self.records += 1;
        Ok(())
    }

    /// How many records the log holds.
    pub fn records(&self) -> u64 {
        self.records
    }
}

/// The directory holding `path`: `""` (the storage root) for a bare name.
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(parent, _)| parent)
}

/// The records of `contents` and the length of the intact lines; a damaged
/// line may only be the last (with or without its newline). `Err` gives the
/// 1-based number of a damaged line that is not the last.
fn intact_records(contents: &[u8]) -> Result<(Vec<String>, u64), usize> {
    let mut records = Vec::new();
    let mut intact_bytes = 0;
    let mut lines = contents.split_inclusive(|&byte| byte == b'\n').peekable();
    // Bounded by the file's lines.
    while let Some(line) = lines.next() {
        match unseal(line) {
            Some(record) => {
                records.push(record);
                intact_bytes += line.len() as u64;
            }
            None if lines.peek().is_none() => break,
            None => return Err(records.len() + 1),
        }
    }
    Ok((records, intact_bytes))
}

/// The record of a stored line, if it is whole: newline, UTF-8, checksum.
fn unseal(line: &[u8]) -> Option<String> {
    let line = std::str::from_utf8(line.strip_suffix(b"\n")?).ok()?;
    let (record, sum) = line.rsplit_once(' ')?;
    let sum = u32::from_str_radix(sum, 16).ok()?;
    (sum == checksum(record.as_bytes())).then(|| record.to_string())
}

/// 32-bit FNV-1a: enough to tell a torn line from a whole one.
fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash, &byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed(record: &str) -> String {
        format!("{record} {:08x}\n", checksum(record.as_bytes()))
    }

    #[test]
    fn whole_lines_are_records() {
        let contents = format!("{}{}", sealed("a 1"), sealed("b 2"));
        let (records, intact) = intact_records(contents.as_bytes()).unwrap();
        assert_eq!(records, ["a 1", "b 2"]);
        assert_eq!(intact, contents.len() as u64);
    }

    #[test]
    fn a_torn_last_line_is_dropped() {
        let whole = sealed("a 1");
        for torn in ["b 2 0bad", "b 2", "\0\0\0 2 1234abcd\n", "b 2 00000000\n"] {
            let contents = format!("{whole}{torn}");
            let (records, intact) = intact_records(contents.as_bytes()).unwrap();
            assert_eq!(records, ["a 1"], "torn tail {torn:?}");
            assert_eq!(intact, whole.len() as u64);
        }
    }

    #[test]
    fn a_damaged_line_before_the_last_is_an_error() {
        let contents = format!("{}garbage\n{}", sealed("a 1"), sealed("c 3"));
        assert_eq!(intact_records(contents.as_bytes()), Err(2));
    }

    #[test]
    fn parents_of_paths() {
        assert_eq!(parent("ledger"), "");
        assert_eq!(parent("bank/ledger"), "bank");
    }
}
