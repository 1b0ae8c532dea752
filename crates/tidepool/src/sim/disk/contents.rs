//! A simulated file's bytes: what a process reads, what a power loss keeps.

use std::collections::BTreeSet;

use super::sectors::SectorSet;

/// The contents of one file: the volatile view every read sees, the durable
/// image a power loss falls back to, and which sectors differ between them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Contents {
    /// What reads see: every write so far.
    pub(crate) data: Vec<u8>,
    /// What survived the last successful sync.
    durable: Vec<u8>,
    /// Sectors written since the last sync, which the next sync makes durable.
    unsynced: SectorSet,
    /// Sectors whose writes a failed sync dropped: still readable, lost at the
    /// next power loss whatever later syncs do (Linux marks them clean).
    doomed: BTreeSet<u64>,
    /// Whether the length changed since the last sync.
    len_unsynced: bool,
}

impl Contents {
    pub(crate) fn len(&self) -> u64 {
        self.data.len() as u64
    }

    /// Marks `start..end` (bytes) as written since the last sync.
    fn touch(&mut self, start: u64, end: u64, sector: u64) {
        if start >= end {
            return;
        }
        let sectors = start / sector..=(end - 1) / sector;
        for index in sectors.clone() {
            self.unsynced.insert(index);
        }
        // Rare: only a failed sync dooms sectors; a rewrite saves them.
        if !self.doomed.is_empty() {
            for index in sectors {
                self.doomed.remove(&index);
            }
        }
    }

    /// Writes `buf` at `offset`, zero-filling any gap. The caller checked the
    /// capacity.
    pub(crate) fn write(&mut self, buf: &[u8], offset: u64, sector: u64) {
        let start = offset as usize;
        let end = start + buf.len();
        if self.data.len() < end {
            if self.data.len() < start {
                self.touch(self.data.len() as u64, start as u64, sector);
            }
            self.data.resize(end, 0);
            self.len_unsynced = true;
        }
        self.data[start..end].copy_from_slice(buf);
        self.touch(offset, end as u64, sector);
    }

    /// Cuts or zero-extends to `len`.
    pub(crate) fn set_len(&mut self, len: u64, sector: u64) {
        let old = self.len();
        if len == old {
            return;
        }
        self.data.resize(len as usize, 0);
        self.len_unsynced = true;
        if len > old {
            self.touch(old, len, sector);
        }
    }

    /// Empties the file (open with `truncate`).
    pub(crate) fn truncate(&mut self, sector: u64) {
        self.set_len(0, sector);
    }

    /// A successful sync: the unsynced sectors and the length become durable.
    pub(crate) fn sync(&mut self, sector: u64) {
        let len = self.data.len();
        self.durable.resize(len, 0);
        for index in self.unsynced.iter() {
            let start = (index * sector) as usize;
            if start >= len {
                continue;
            }
            let end = (start + sector as usize).min(len);
            self.durable[start..end].copy_from_slice(&self.data[start..end]);
        }
        self.unsynced.clear();
        self.len_unsynced = false;
    }

    /// A failed sync: what it was to persist is dropped from the way to disk.
    pub(crate) fn sync_failed(&mut self) {
        self.doomed.extend(self.unsynced.iter());
        self.unsynced.clear();
    }

    /// Whether a power loss could change what reads see.
    pub(crate) fn is_dirty(&self) -> bool {
        self.len_unsynced || !self.unsynced.is_empty() || !self.doomed.is_empty()
    }

    /// A power loss: an unsynced length may revert, each unsynced sector keeps
    /// its old or its new contents (`keep_new` decides, one call per sector in
    /// order), doomed sectors revert. The result is durable.
    pub(crate) fn power_loss(&mut self, sector: u64, mut keep_new: impl FnMut() -> bool) {
        if !self.is_dirty() {
            return;
        }
        let len = if self.len_unsynced && !keep_new() {
            self.durable.len()
        } else {
            self.data.len()
        };
        let mut image = std::mem::take(&mut self.durable);
        image.resize(len, 0);
        for &index in self.unsynced.sorted() {
            let start = (index * sector) as usize;
            let end = (start + sector as usize).min(len).min(self.data.len());
            if start < end && keep_new() {
                image[start..end].copy_from_slice(&self.data[start..end]);
            }
        }
        self.data = image.clone();
        self.durable = image;
        self.unsynced.clear();
        self.doomed.clear();
        self.len_unsynced = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECTOR: u64 = 4;

    fn synced(bytes: &[u8]) -> Contents {
        let mut contents = Contents::default();
        contents.write(bytes, 0, SECTOR);
        contents.sync(SECTOR);
        contents
    }

    #[test]
    fn a_synced_write_survives_a_power_loss() {
        let mut contents = synced(b"abcdefgh");
        contents.power_loss(SECTOR, || false);
        assert_eq!(contents.data, b"abcdefgh");
    }

    #[test]
    fn unsynced_sectors_tear_independently() {
        let mut contents = synced(b"aaaabbbb");
        contents.write(b"XXXXYYYY", 0, SECTOR);
        let mut draws = [true, false].into_iter();
        contents.power_loss(SECTOR, || draws.next().unwrap());
        assert_eq!(contents.data, b"XXXXbbbb");
    }

    #[test]
    fn an_unsynced_append_may_vanish_with_its_length() {
        let mut contents = synced(b"aaaa");
        contents.write(b"bbbb", 4, SECTOR);
        contents.power_loss(SECTOR, || false);
        assert_eq!(contents.data, b"aaaa");
    }

    #[test]
    fn a_failed_sync_dooms_its_data_even_after_a_good_sync() {
        let mut contents = synced(b"aaaa");
        contents.write(b"bbbb", 0, SECTOR);
        contents.sync_failed();
        assert_eq!(contents.data, b"bbbb", "the page cache still has it");
        contents.sync(SECTOR);
        contents.power_loss(SECTOR, || true);
        assert_eq!(contents.data, b"aaaa");
    }

    #[test]
    fn a_write_after_a_failed_sync_can_be_synced_again() {
        let mut contents = synced(b"aaaa");
        contents.write(b"bbbb", 0, SECTOR);
        contents.sync_failed();
        contents.write(b"cccc", 0, SECTOR);
        contents.sync(SECTOR);
        contents.power_loss(SECTOR, || false);
        assert_eq!(contents.data, b"cccc");
    }

    #[test]
    fn a_gap_is_zero_filled_and_unsynced() {
        let mut contents = Contents::default();
        contents.write(b"zz", 6, SECTOR);
        assert_eq!(contents.data, b"\0\0\0\0\0\0zz");
        contents.sync(SECTOR);
        contents.power_loss(SECTOR, || false);
        assert_eq!(contents.data, b"\0\0\0\0\0\0zz");
    }
}
