//! A simulated disk's names: directories of entries, with the entries a power
//! loss keeps (those made durable by a directory sync) apart from the rest.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use super::contents::Contents;

/// The root directory's node.
pub(crate) const ROOT: u64 = 0;

/// A file or a directory.
#[derive(Debug)]
pub(crate) enum Node {
    File(Contents),
    Dir(Dir),
}

#[derive(Debug, Default)]
pub(crate) struct Dir {
    /// What lookups see.
    entries: BTreeMap<String, u64>,
    /// What survived the directory's last sync.
    durable: BTreeMap<String, u64>,
}

/// One change to a directory not yet made durable: `name` now points to
/// `node`, or is gone.
#[derive(Clone, Debug)]
struct Change {
    dir: u64,
    name: String,
    node: Option<u64>,
}

/// The files and directories of one disk.
#[derive(Debug)]
pub(crate) struct Tree {
    pub(crate) nodes: BTreeMap<u64, Node>,
    next_node: u64,
    /// Directory changes not yet made durable, in the order they were made;
    /// each group (one rename) survives a power loss whole or not at all.
    pending: Vec<Vec<Change>>,
    /// The sum of every file's length.
    pub(crate) used_bytes: u64,
}

/// Where a path leads: its parent directory and last name, and the node there.
pub(crate) struct Lookup {
    pub(crate) parent: u64,
    pub(crate) name: String,
    pub(crate) node: Option<u64>,
}

impl Tree {
    pub(crate) fn new() -> Tree {
        Tree {
            nodes: BTreeMap::from([(ROOT, Node::Dir(Dir::default()))]),
            next_node: ROOT + 1,
            pending: Vec::new(),
            used_bytes: 0,
        }
    }

    fn dir(&self, node: u64) -> Option<&Dir> {
        match self.nodes.get(&node) {
            Some(Node::Dir(dir)) => Some(dir),
            _ => None,
        }
    }

    pub(crate) fn is_dir(&self, node: u64) -> bool {
        self.dir(node).is_some()
    }

    pub(crate) fn contents(&mut self, node: u64) -> Option<&mut Contents> {
        match self.nodes.get_mut(&node) {
            Some(Node::File(contents)) => Some(contents),
            _ => None,
        }
    }

    /// Walks `path` (already relative and clean) from the root.
    pub(crate) fn walk(&self, path: &Path) -> io::Result<Option<u64>> {
        let mut node = ROOT;
        for name in path.iter() {
            let Some(dir) = self.dir(node) else {
                return Err(error(
                    io::ErrorKind::NotADirectory,
                    path,
                    "a parent is a file",
                ));
            };
            match dir.entries.get(name.to_string_lossy().as_ref()) {
                Some(&child) => node = child,
                None => return Ok(None),
            }
        }
        Ok(Some(node))
    }

    /// The parent directory of `path` and what its last name points to.
    pub(crate) fn lookup(&self, path: &Path) -> io::Result<Lookup> {
        let Some(name) = path.file_name() else {
            return Err(error(
                io::ErrorKind::InvalidInput,
                path,
                "names the root, not an entry",
            ));
        };
        let parent_path = path.parent().unwrap_or(Path::new(""));
        let parent = match self.walk(parent_path)? {
            Some(parent) if self.is_dir(parent) => parent,
            Some(_) => {
                return Err(error(
                    io::ErrorKind::NotADirectory,
                    path,
                    "a parent is a file",
                ));
            }
            None => {
                return Err(error(io::ErrorKind::NotFound, path, "no such directory"));
            }
        };
        let name = name.to_string_lossy().into_owned();
        let node = self
            .dir(parent)
            .and_then(|dir| dir.entries.get(&name).copied());
        Ok(Lookup { parent, name, node })
    }

    /// Whether `node` is `other` or one of its ancestors.
    pub(crate) fn is_ancestor(&self, node: u64, other: u64) -> bool {
        let mut stack = vec![node];
        while let Some(next) = stack.pop() {
            if next == other {
                return true;
            }
            if let Some(dir) = self.dir(next) {
                stack.extend(dir.entries.values().copied());
            }
        }
        false
    }

    /// A new node, not yet named anywhere.
    pub(crate) fn add_node(&mut self, node: Node) -> u64 {
        let id = self.next_node;
        self.next_node += 1;
        self.nodes.insert(id, node);
        id
    }

    /// Applies `changes` now; they become durable with their directories' sync.
    pub(crate) fn change(&mut self, changes: Vec<(u64, String, Option<u64>)>) {
        let mut group = Vec::with_capacity(changes.len());
        for (dir, name, node) in changes {
            if let Some(Node::Dir(entries)) = self.nodes.get_mut(&dir) {
                match node {
                    Some(node) => entries.entries.insert(name.clone(), node),
                    None => entries.entries.remove(&name),
                };
            }
            group.push(Change { dir, name, node });
        }
        self.pending.push(group);
    }

    /// The names in directory `node`, sorted.
    pub(crate) fn names(&self, node: u64) -> Option<Vec<String>> {
        self.dir(node)
            .map(|dir| dir.entries.keys().cloned().collect())
    }

    /// Makes directory `node`'s entries durable as they are now.
    pub(crate) fn sync_dir(&mut self, node: u64) {
        if let Some(Node::Dir(dir)) = self.nodes.get_mut(&node) {
            dir.durable = dir.entries.clone();
        }
        for group in &mut self.pending {
            group.retain(|change| change.dir != node);
        }
        self.pending.retain(|group| !group.is_empty());
    }

    /// A power loss of the names: a prefix of the pending change groups, `kept`
    /// of them, lands; the rest is undone. Nodes no longer reachable from the
    /// root are freed, so that only live files go through their own power loss.
    pub(crate) fn power_loss(&mut self, kept: usize) {
        let pending = std::mem::take(&mut self.pending);
        for change in pending.into_iter().take(kept).flatten() {
            if let Some(Node::Dir(dir)) = self.nodes.get_mut(&change.dir) {
                match change.node {
                    Some(node) => dir.durable.insert(change.name, node),
                    None => dir.durable.remove(&change.name),
                };
            }
        }
        for node in self.nodes.values_mut() {
            if let Node::Dir(dir) = node {
                dir.entries = dir.durable.clone();
            }
        }
        self.collect_unreachable(|_| false);
    }

    /// How many change groups a power loss would choose among.
    pub(crate) fn pending_groups(&self) -> usize {
        self.pending.len()
    }

    /// Frees every node reachable from no directory, except those `keep` names
    /// (files still open).
    pub(crate) fn collect_unreachable(&mut self, keep: impl Fn(u64) -> bool) {
        let mut reachable = std::collections::BTreeSet::from([ROOT]);
        let mut stack = vec![ROOT];
        while let Some(node) = stack.pop() {
            if let Some(dir) = self.dir(node) {
                for (_, &child) in dir.entries.iter().chain(dir.durable.iter()) {
                    if reachable.insert(child) {
                        stack.push(child);
                    }
                }
            }
        }
        for group in &self.pending {
            for change in group {
                if let Some(node) = change.node {
                    reachable.insert(node);
                }
            }
        }
        self.nodes
            .retain(|&node, _| reachable.contains(&node) || keep(node));
        self.used_bytes = self
            .nodes
            .values()
            .map(|node| match node {
                Node::File(contents) => contents.len(),
                Node::Dir(_) => 0,
            })
            .sum();
    }
}

pub(crate) fn error(kind: io::ErrorKind, path: &Path, what: &str) -> io::Error {
    io::Error::new(kind, format!("{}: {what}", path.display()))
}
