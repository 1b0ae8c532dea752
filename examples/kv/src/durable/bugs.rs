//! `DurableBugs`: durability mistakes a durable server can be told to make,
//! so that a simulation with power losses can show that it catches them.

/// Planted durability bugs, each a named flag, all off by default.
///
/// They take effect through [`DurableConfig::bugs`](crate::DurableConfig::bugs),
/// in durable mode only. Each one is a mistake real storage engines have
/// shipped; none shows without a power loss or a storage fault, which is why
/// tests that only restart processes miss them.
///
/// # Examples
///
/// ```
/// use kv::DurableBugs;
///
/// let hasty = DurableBugs::only("reply_before_fsync").unwrap();
/// assert!(hasty.reply_before_fsync);
/// assert_eq!(DurableBugs::default(), DurableBugs::only("nope").unwrap_or_default());
/// assert!(DurableBugs::catalog().iter().all(|(name, _)| DurableBugs::only(name).is_some()));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DurableBugs {
    /// A write is acknowledged once its record is written to the log, which
    /// is synced only before the next record: a power loss in between loses
    /// an acknowledged write. Default: off.
    pub reply_before_fsync: bool,
    /// Log records carry no checksum and recovery trusts their length: the
    /// torn tail a power loss leaves is replayed as data. Default: off.
    pub log_without_checksums: bool,
    /// A snapshot is renamed over the old one without syncing the directory,
    /// and the log is then emptied: a power loss can undo the rename and keep
    /// the emptied log. Default: off.
    pub snapshot_rename_without_dir_sync: bool,
    /// A failed log sync is retried until one succeeds, and the write then
    /// acknowledged, although Linux dropped the data the failed sync was to
    /// persist: a later power loss loses it. Default: off.
    pub fsync_error_ignored: bool,
    /// Recovery leaves out the last complete record of the log, as if it were
    /// the torn one: the last acknowledged write before a restart is lost.
    /// Default: off.
    pub recovery_drops_last_record: bool,
    /// On a graceful shutdown, the SETs and DELETEs a connection has already
    /// read are applied in memory and acknowledged without going through the
    /// log ("the process is exiting anyway"): the next incarnation has lost
    /// them. Only requests pipelined into a draining server reach it.
    /// Default: off.
    pub drain_writes_skip_the_log: bool,
    /// When the checkpoint that ends recovery (a snapshot, then the log
    /// emptied) fails on a storage fault, recovery goes on with the log as
    /// it is ("every good record is still there") instead of staying
    /// unavailable: a torn tail stays in it, new records go after it, and
    /// the next recovery stops at the tail, losing every write acknowledged
    /// since. It takes a death that tears the log's tail, a storage fault
    /// during the next recovery's checkpoint, writes, and another death
    /// before a snapshot: a rare combination of faults. Default: off.
    pub checkpoint_failure_resumes_log: bool,
}

impl DurableBugs {
    /// Every bug by name, with what it does.
    pub fn catalog() -> &'static [(&'static str, &'static str)] {
        &[
            (
                "reply_before_fsync",
                "server acknowledges a write before its log record is synced",
            ),
            (
                "log_without_checksums",
                "log records carry no checksum: a torn tail is replayed as data",
            ),
            (
                "snapshot_rename_without_dir_sync",
                "snapshot renamed into place without a directory sync, then the log emptied",
            ),
            (
                "fsync_error_ignored",
                "a failed log sync is retried and the write acknowledged as if it were safe",
            ),
            (
                "recovery_drops_last_record",
                "recovery leaves out the last complete record of the log",
            ),
            (
                "drain_writes_skip_the_log",
                "writes answered while draining are applied in memory only, never logged",
            ),
            (
                "checkpoint_failure_resumes_log",
                "a failed checkpoint after recovery keeps the log, torn tail and all, and appends after it",
            ),
        ]
    }

    /// Only the bug named `name`, or `None` when no bug has that name.
    pub fn only(name: &str) -> Option<DurableBugs> {
        let mut bugs = DurableBugs::default();
        *bugs.flag_mut(name)? = true;
        Some(bugs)
    }

    fn flag_mut(&mut self, name: &str) -> Option<&mut bool> {
        let flag = match name {
            "reply_before_fsync" => &mut self.reply_before_fsync,
            "log_without_checksums" => &mut self.log_without_checksums,
            "snapshot_rename_without_dir_sync" => &mut self.snapshot_rename_without_dir_sync,
            "fsync_error_ignored" => &mut self.fsync_error_ignored,
            "recovery_drops_last_record" => &mut self.recovery_drops_last_record,
            "drain_writes_skip_the_log" => &mut self.drain_writes_skip_the_log,
            "checkpoint_failure_resumes_log" => &mut self.checkpoint_failure_resumes_log,
            _ => return None,
        };
        Some(flag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cataloged_bug_sets_its_own_flag() {
        let catalog = DurableBugs::catalog();
        for (index, (name, about)) in catalog.iter().enumerate() {
            assert!(!about.is_empty());
            let bugs = DurableBugs::only(name).unwrap();
            assert_ne!(bugs, DurableBugs::default(), "{name}");
            for (other, _) in &catalog[index + 1..] {
                assert_ne!(
                    bugs,
                    DurableBugs::only(other).unwrap(),
                    "{name} and {other}"
                );
            }
        }
        assert_eq!(DurableBugs::only("nope"), None);
    }
}
