//! Calls on names: rename, remove, directories, listings, directory syncs.

use std::io;
use std::path::Path;

use super::calls::Call;
use super::disks::fault_code;
use super::tree::{Dir, Node, error};
use crate::sim::trace::TraceKind;
use crate::sim::world::World;

impl World {
    pub(crate) fn disk_rename(&mut self, host: u32, from: &Path, to: &Path) -> io::Result<()> {
        let disk = self.disks.get(host);
        let source = disk.tree.lookup(from)?;
        let Some(node) = source.node else {
            return Err(error(
                io::ErrorKind::NotFound,
                from,
                "no such file or directory",
            ));
        };
        let target = disk.tree.lookup(to)?;
        if target.node == Some(node) {
            return Ok(());
        }
        let moving_dir = disk.tree.is_dir(node);
        match target.node {
            Some(existing) if disk.tree.is_dir(existing) && !moving_dir => {
                return Err(error(io::ErrorKind::IsADirectory, to, "is a directory"));
            }
            Some(existing) if moving_dir && !disk.tree.is_dir(existing) => {
                return Err(error(
                    io::ErrorKind::NotADirectory,
                    to,
                    "is not a directory",
                ));
            }
            Some(existing)
                if moving_dir && !disk.tree.names(existing).unwrap_or_default().is_empty() =>
            {
                return Err(error(
                    io::ErrorKind::DirectoryNotEmpty,
                    to,
                    "directory not empty",
                ));
            }
            _ => {}
        }
        if moving_dir && disk.tree.is_ancestor(node, target.parent) {
            return Err(error(
                io::ErrorKind::InvalidInput,
                to,
                "is inside the directory being moved",
            ));
        }
        disk.tree.change(vec![
            (source.parent, source.name, None),
            (target.parent, target.name, Some(node)),
        ]);
        disk.collect();
        self.record(TraceKind::Disk, host, Call::Metadata as u64);
        Ok(())
    }

    pub(crate) fn disk_remove(&mut self, host: u32, path: &Path, dir: bool) -> io::Result<()> {
        let disk = self.disks.get(host);
        let found = disk.tree.lookup(path)?;
        let Some(node) = found.node else {
            return Err(error(
                io::ErrorKind::NotFound,
                path,
                "no such file or directory",
            ));
        };
        match (dir, disk.tree.names(node)) {
            (false, Some(_)) => {
                return Err(error(io::ErrorKind::IsADirectory, path, "is a directory"));
            }
            (true, None) => {
                return Err(error(
                    io::ErrorKind::NotADirectory,
                    path,
                    "is not a directory",
                ));
            }
            (true, Some(names)) if !names.is_empty() => {
                return Err(error(
                    io::ErrorKind::DirectoryNotEmpty,
                    path,
                    "directory not empty",
                ));
            }
            _ => {}
        }
        disk.tree.change(vec![(found.parent, found.name, None)]);
        disk.collect();
        self.record(TraceKind::Disk, host, Call::Metadata as u64);
        Ok(())
    }

    pub(crate) fn disk_create_dir_all(&mut self, host: u32, path: &Path) -> io::Result<()> {
        let disk = self.disks.get(host);
        let mut walked = std::path::PathBuf::new();
        let levels = path.iter().count();
        for (level, name) in path.iter().enumerate() {
            walked.push(name);
            let found = disk.tree.lookup(&walked)?;
            match found.node {
                Some(node) if disk.tree.is_dir(node) => {}
                // As `mkdir`: EEXIST for the last level, ENOTDIR beneath a file.
                Some(_) if level + 1 == levels => {
                    return Err(error(io::ErrorKind::AlreadyExists, path, "is a file"));
                }
                Some(_) => {
                    return Err(error(
                        io::ErrorKind::NotADirectory,
                        path,
                        "a parent is a file",
                    ));
                }
                None => {
                    let node = disk.tree.add_node(Node::Dir(Dir::default()));
                    disk.tree
                        .change(vec![(found.parent, found.name, Some(node))]);
                }
            }
        }
        self.record(TraceKind::Disk, host, Call::Metadata as u64);
        Ok(())
    }

    pub(crate) fn disk_read_dir(&mut self, host: u32, path: &Path) -> io::Result<Vec<String>> {
        let disk = self.disks.get(host);
        let Some(node) = disk.tree.walk(path)? else {
            return Err(error(io::ErrorKind::NotFound, path, "no such directory"));
        };
        disk.tree
            .names(node)
            .ok_or_else(|| error(io::ErrorKind::NotADirectory, path, "is not a directory"))
    }

    /// Whether `path` names an entry; a path beneath a file is an error
    /// (`NotADirectory`), as `stat` gives it on Linux.
    pub(crate) fn disk_exists(&mut self, host: u32, path: &Path) -> io::Result<bool> {
        let disk = self.disks.get(host);
        Ok(disk.tree.walk(path)?.is_some())
    }

    pub(crate) fn disk_sync_dir(&mut self, host: u32, path: &Path) -> io::Result<()> {
        let failure_p = self.disks.config.sync_failure_probability;
        let disk = self.disks.get(host);
        let Some(node) = disk.tree.walk(path)? else {
            return Err(error(io::ErrorKind::NotFound, path, "no such directory"));
        };
        if !disk.tree.is_dir(node) {
            return Err(error(
                io::ErrorKind::NotADirectory,
                path,
                "is not a directory",
            ));
        }
        if self.disks.faults_active && failure_p > 0.0 && self.random_bool(failure_p) {
            self.record(TraceKind::Fault, host, fault_code::SYNC_FAILURE);
            self.disks.stats.sync_failures += 1;
            return Err(io::Error::other(format!(
                "{}: sync failed: input/output error (injected)",
                path.display()
            )));
        }
        self.disks.get(host).tree.sync_dir(node);
        self.record(TraceKind::Disk, host, Call::Sync as u64);
        Ok(())
    }
}
