//! What each storage call does to a disk, once its latency has passed: the
//! world's side of [`super::SimFile`] and [`crate::providers::SimStorage`].

use std::io;
use std::path::Path;

use super::contents::Contents;
use super::disks::{Disk, fault_code};
use super::file::SimFile;
use super::tree::{Node, error};
use crate::providers::OpenOptions;
use crate::sim::trace::{TraceKind, digest};
use crate::sim::world::World;

/// The largest file offset (as `off_t`).
const FILE_BYTES_MAX: u64 = i64::MAX as u64;

/// The kinds of call, for latencies and the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    Read = 1,
    Write = 2,
    Sync = 3,
    Metadata = 4,
}

impl World {
    /// The delay of a `call` on `host`'s disk, in nanoseconds, spikes included.
    pub(crate) fn disk_delay(&mut self, host: u32, call: Call) -> u64 {
        let disks = &self.disks;
        let spike = disks.faults_active && disks.config.slow_probability > 0.0 && {
            let p = disks.config.slow_probability;
            self.random_bool(p)
        };
        let config = &self.disks.config;
        let latency = if spike {
            &config.slow_latency
        } else {
            match call {
                Call::Read => &config.read_latency,
                Call::Write => &config.write_latency,
                Call::Sync => &config.sync_latency,
                Call::Metadata => &config.metadata_latency,
            }
        };
        let latency = latency.clone();
        let delay = latency.sample_nanos(|| self.random_u64());
        if spike {
            self.disks.stats.slow_ops += 1;
            self.record(TraceKind::Fault, host, fault_code::SLOW);
        }
        delay
    }

    /// Draws a fault of probability `p` (only while faults are active).
    fn disk_fault(&mut self, host: u32, p: f64, code: u64) -> bool {
        if !self.disks.faults_active || p <= 0.0 || !self.random_bool(p) {
            return false;
        }
        self.record(TraceKind::Fault, host, code);
        true
    }

    /// The disk a handle points at, or why it is stale.
    fn disk_of(&mut self, file: &SimFile) -> io::Result<&mut Disk> {
        let world = self.id;
        let disk = self.disks.get(file.host);
        if file.world != world || file.epoch != disk.epoch {
            return Err(io::Error::new(
                io::ErrorKind::StaleNetworkFileHandle,
                format!(
                    "{}: the handle was opened before its disk lost power or was wiped; open the file again",
                    file.path
                ),
            ));
        }
        Ok(disk)
    }

    pub(crate) fn disk_open(
        &mut self,
        host: u32,
        path: &Path,
        options: &OpenOptions,
    ) -> io::Result<(u64, u64)> {
        let sector = self.disks.config.sector_bytes;
        let disk = self.disks.get(host);
        let found = disk.tree.lookup(path)?;
        let node = match found.node {
            Some(_) if options.creates_new() => {
                return Err(error(io::ErrorKind::AlreadyExists, path, "already exists"));
            }
            Some(node) if disk.tree.is_dir(node) => {
                return Err(error(io::ErrorKind::IsADirectory, path, "is a directory"));
            }
            Some(node) => node,
            None if options.creates() || options.creates_new() => {
                let node = disk.tree.add_node(Node::File(Contents::default()));
                disk.tree
                    .change(vec![(found.parent, found.name, Some(node))]);
                node
            }
            None => return Err(error(io::ErrorKind::NotFound, path, "no such file")),
        };
        if options.truncates() {
            let contents = disk.tree.contents(node).expect("a file node");
            let len = contents.len();
            contents.truncate(sector);
            disk.tree.used_bytes -= len;
        }
        *disk.open.entry(node).or_insert(0) += 1;
        let epoch = disk.epoch;
        self.record(TraceKind::Disk, host, Call::Metadata as u64);
        Ok((node, epoch))
    }

    pub(crate) fn disk_close(&mut self, file: &SimFile) {
        let world = self.id;
        let Some(disk) = self.disks.existing(file.host) else {
            return;
        };
        if file.world != world || file.epoch != disk.epoch {
            return;
        }
        if let Some(count) = disk.open.get_mut(&file.node) {
            *count -= 1;
            if *count == 0 {
                disk.open.remove(&file.node);
                disk.collect();
            }
        }
    }

    pub(crate) fn disk_read(
        &mut self,
        file: &SimFile,
        buf: &mut [u8],
        offset: u64,
    ) -> io::Result<usize> {
        let config = &self.disks.config;
        let (error_p, corrupt_p) = (config.read_error_probability, config.corruption_probability);
        if self.disk_fault(file.host, error_p, fault_code::READ_ERROR) {
            self.disks.stats.read_errors += 1;
            return Err(eio(&file.path, "read"));
        }
        let disk = self.disk_of(file)?;
        let contents = disk.tree.contents(file.node).expect("a file node");
        let len = contents.len();
        if offset >= len || buf.is_empty() {
            return Ok(0);
        }
        let start = offset as usize;
        let count = buf.len().min((len - offset) as usize);
        buf[..count].copy_from_slice(&contents.data[start..start + count]);
        self.record(
            TraceKind::Disk,
            file.host,
            trace_detail(Call::Read, count as u64),
        );
        if self.disk_fault(file.host, corrupt_p, fault_code::CORRUPTION) {
            self.disks.stats.corruptions += 1;
            // One bit of one sector of what was read flips on its way up; the
            // stored data stays intact.
            let bit = self.random_below(count as u64 * 8);
            buf[(bit / 8) as usize] ^= 1 << (bit % 8);
        }
        Ok(count)
    }

    /// Writes `buf` at `offset`, or at the end when `offset` is `None`;
    /// returns where it was written.
    pub(crate) fn disk_write(
        &mut self,
        file: &SimFile,
        buf: &[u8],
        offset: Option<u64>,
    ) -> io::Result<u64> {
        let (old_len, new_len, offset) = self.disk_grow(file, "write", |old_len| {
            let offset = offset.unwrap_or(old_len);
            let end = offset.checked_add(buf.len() as u64)?;
            Some((end.max(old_len), offset))
        })?;
        let sector = self.disks.config.sector_bytes;
        let disk = self.disk_of(file)?;
        let contents = disk.tree.contents(file.node).expect("a file node");
        contents.write(buf, offset, sector);
        disk.tree.used_bytes = disk.tree.used_bytes - old_len + new_len;
        let detail = trace_detail(Call::Write, digest(0, buf));
        self.record(TraceKind::Disk, file.host, detail);
        Ok(offset)
    }

    pub(crate) fn disk_len(&mut self, file: &SimFile) -> io::Result<u64> {
        let disk = self.disk_of(file)?;
        Ok(disk.tree.contents(file.node).expect("a file node").len())
    }

    pub(crate) fn disk_set_len(&mut self, file: &SimFile, len: u64) -> io::Result<()> {
        let (old_len, new_len, ()) = self.disk_grow(file, "set_len", |_| Some((len, ())))?;
        let sector = self.disks.config.sector_bytes;
        let disk = self.disk_of(file)?;
        let contents = disk.tree.contents(file.node).expect("a file node");
        contents.set_len(new_len, sector);
        disk.tree.used_bytes = disk.tree.used_bytes - old_len + new_len;
        self.record(TraceKind::Disk, file.host, trace_detail(Call::Write, 0));
        Ok(())
    }

    /// What every call that changes a file's contents checks before it changes
    /// anything, in order: a stale handle, an injected EIO, the largest file
    /// size, the disk's capacity. `plan` gives, from the file's length, the new
    /// length and what the call needs besides (`None`: past `u64`). Returns the
    /// old length, the new one, and that.
    fn disk_grow<T>(
        &mut self,
        file: &SimFile,
        call: &str,
        plan: impl FnOnce(u64) -> Option<(u64, T)>,
    ) -> io::Result<(u64, u64, T)> {
        let (error_p, capacity) = (
            self.disks.config.write_error_probability,
            self.disks.config.capacity_bytes,
        );
        self.disk_of(file)?;
        if self.disk_fault(file.host, error_p, fault_code::WRITE_ERROR) {
            self.disks.stats.write_errors += 1;
            return Err(eio(&file.path, call));
        }
        let disk = self.disk_of(file)?;
        let used = disk.tree.used_bytes;
        let old_len = disk.tree.contents(file.node).expect("a file node").len();
        let planned = plan(old_len).filter(|(new_len, _)| *new_len <= FILE_BYTES_MAX);
        let Some((new_len, extra)) = planned else {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!(
                    "{}: a {call} would pass the largest file size ({FILE_BYTES_MAX} bytes)",
                    file.path
                ),
            ));
        };
        if used - old_len + new_len > capacity {
            self.disks.stats.disk_full += 1;
            self.record(TraceKind::Fault, file.host, fault_code::DISK_FULL);
            let more = new_len.saturating_sub(old_len);
            return Err(full(&file.path, used, more, capacity));
        }
        Ok((old_len, new_len, extra))
    }

    pub(crate) fn disk_sync(&mut self, file: &SimFile) -> io::Result<()> {
        let config = &self.disks.config;
        let (failure_p, sector) = (config.sync_failure_probability, config.sector_bytes);
        self.disk_of(file)?;
        let failed = self.disk_fault(file.host, failure_p, fault_code::SYNC_FAILURE);
        let disk = self.disk_of(file)?;
        let contents = disk.tree.contents(file.node).expect("a file node");
        if failed {
            contents.sync_failed();
            self.disks.stats.sync_failures += 1;
            return Err(eio(&file.path, "sync"));
        }
        contents.sync(sector);
        self.record(TraceKind::Disk, file.host, trace_detail(Call::Sync, 0));
        Ok(())
    }

    /// A power loss of `host`'s disk: unsynced names and data torn or lost.
    /// Returns how many of the pending directory changes it kept, of how many.
    pub(crate) fn disk_power_loss(&mut self, host: u32) -> (usize, usize) {
        self.disks.stats.power_losses += 1;
        self.record(TraceKind::Fault, host, fault_code::POWER_LOSS);
        let sector = self.disks.config.sector_bytes;
        let Some(pending) = self
            .disks
            .existing(host)
            .map(|disk| disk.tree.pending_groups())
        else {
            return (0, 0);
        };
        let kept = self.random_below(pending as u64 + 1) as usize;
        let rng = &mut self.rng;
        let disk = self.disks.get(host);
        disk.epoch += 1;
        disk.open.clear();
        disk.tree.power_loss(kept);
        for node in disk.tree.nodes.values_mut() {
            if let Node::File(contents) = node {
                contents.power_loss(sector, || rand_core::RngCore::next_u64(rng) & 1 == 1);
            }
        }
        disk.collect();
        (kept, pending)
    }

    /// Replaces `host`'s disk with an empty one.
    pub(crate) fn disk_wipe(&mut self, host: u32) {
        self.record(TraceKind::Fault, host, fault_code::WIPE);
        self.disks.wipe(host);
    }
}

/// A `Disk` event's detail: the call kind in the top byte, `low` below it.
fn trace_detail(call: Call, low: u64) -> u64 {
    (call as u64) << 56 | (low & ((1 << 56) - 1))
}

fn eio(path: &str, call: &str) -> io::Error {
    io::Error::other(format!(
        "{path}: {call} failed: input/output error (injected)"
    ))
}

fn full(path: &str, used: u64, more: u64, capacity: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::StorageFull,
        format!(
            "{path}: no space left on device: {used} bytes used, {more} more asked, capacity {capacity}"
        ),
    )
}
