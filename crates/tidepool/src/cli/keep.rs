//! Where the command line keeps failures, and the revision it names.

use std::path::{Path, PathBuf};

use crate::runner::FAILURE_FILE_DEFAULT;

/// The variable that names the code revision written with each kept failure;
/// when unset, `git rev-parse HEAD` in the current directory is asked.
pub const REVISION_VARIABLE: &str = "TIDEPOOL_REVISION";

/// A `--failure-file` value: a path, or `off`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureFileArg {
    /// Keep failures in this file.
    Path(PathBuf),
    /// Keep none, re-run none.
    Off,
}

/// Parses `--failure-file`: `off`, or a path (not empty).
pub fn parse_failure_file(text: &str) -> Result<FailureFileArg, String> {
    if text.eq_ignore_ascii_case("off") {
        return Ok(FailureFileArg::Off);
    }
    if text.trim().is_empty() {
        return Err("an empty failure file path; give a path, or off".to_string());
    }
    Ok(FailureFileArg::Path(PathBuf::from(text)))
}

/// The failure file a campaign keeps: the one given, or
/// [`FAILURE_FILE_DEFAULT`] under the workspace holding the current directory
/// (the nearest directory up with a `Cargo.lock`), else under the current directory.
pub fn failure_file_path(given: Option<&FailureFileArg>) -> Option<PathBuf> {
    match given {
        Some(FailureFileArg::Off) => None,
        Some(FailureFileArg::Path(path)) => Some(path.clone()),
        None => {
            let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            Some(workspace_of(&here).join(FAILURE_FILE_DEFAULT))
        }
    }
}

/// Where `--shrink` writes replay files unless given `--shrink-dir`:
/// `.tidepool/shrunk` in the workspace (as for the failure file).
pub fn shrink_dir_default() -> PathBuf {
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    workspace_of(&here).join(".tidepool/shrunk")
}

fn workspace_of(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or(start)
        .to_path_buf()
}

/// The code revision: [`REVISION_VARIABLE`], else the current git commit
/// (with `-dirty` when the working tree has changes), else none.
pub fn revision() -> Option<String> {
    if let Ok(revision) = std::env::var(REVISION_VARIABLE) {
        return Some(revision).filter(|revision| !revision.is_empty());
    }
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "HEAD"]).filter(|commit| !commit.is_empty())?;
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|status| !status.is_empty());
    Some(if dirty {
        format!("{commit}-dirty")
    } else {
        commit
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_keeps_nothing_and_a_path_is_kept_as_given() {
        assert_eq!(parse_failure_file("off"), Ok(FailureFileArg::Off));
        assert!(parse_failure_file(" ").unwrap_err().contains("empty"));
        let given = parse_failure_file("x/f.jsonl").unwrap();
        assert_eq!(
            failure_file_path(Some(&given)),
            Some(PathBuf::from("x/f.jsonl"))
        );
        assert_eq!(failure_file_path(Some(&FailureFileArg::Off)), None);
    }

    #[test]
    fn the_default_sits_in_the_workspace_that_holds_the_directory() {
        let root = std::env::temp_dir().join(format!("tidepool-keep-{}", std::process::id()));
        let nested = root.join("sims/kv");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::write(root.join("Cargo.lock"), "").unwrap();
        assert_eq!(workspace_of(&nested), root);
        std::fs::remove_file(root.join("Cargo.lock")).unwrap();
        assert_eq!(
            workspace_of(&nested),
            nested,
            "no workspace: the directory itself"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
