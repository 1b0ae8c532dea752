//! `cargo xtask mutants`: hand-made mutations of the engine, each applied to
//! a scratch copy of the workspace in turn, each checked against the tests
//! that must catch it.
//!
//! The working tree is never edited: the workspace's files (tracked and
//! untracked, as `git ls-files` lists them, uncommitted changes included) are
//! copied to a scratch workspace under `target/mutants/`, which keeps its own
//! build between runs. A mutation replaces one exact piece of a source file;
//! its tests must then fail (CAUGHT), or the suite has a gap (SURVIVED). A
//! mutation whose text is no longer in its file is STALE: the code moved on
//! and the list must follow.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::mutations::{MUTATIONS, Mutation};
use crate::workspace::cargo;

/// Default of `cargo xtask mutants --timeout-s`: a mutant whose tests run
/// longer (a heap that loops) counts as caught, by the timeout.
pub(crate) const MUTANT_TIMEOUT_S_DEFAULT: u64 = 300;
/// How often a running test command is checked for its end.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// What one mutant came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Its tests failed: the suite guards this code.
    Caught,
    /// Its tests ran past the timeout (they hang under the mutation).
    TimedOut,
    /// Its tests passed: nothing checks what the mutation broke.
    Survived,
    /// The mutated code did not compile: the mutation needs fixing.
    Unviable,
    /// Its text is not in its file (exactly once): the list needs updating.
    Stale,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Caught => "CAUGHT",
            Outcome::TimedOut => "TIMEOUT",
            Outcome::Survived => "SURVIVED",
            Outcome::Unviable => "UNVIABLE",
            Outcome::Stale => "STALE",
        }
    }

    /// Whether the suite did its job for this mutant.
    fn is_good(self) -> bool {
        matches!(self, Outcome::Caught | Outcome::TimedOut)
    }
}

/// What `cargo xtask mutants` was asked.
pub(crate) struct MutantsArgs {
    /// Only the mutations whose name contains one of these (all when empty).
    pub(crate) only: Vec<String>,
    /// Lists the mutations instead of running them.
    pub(crate) list: bool,
    /// Seconds a mutant's tests may run.
    pub(crate) timeout_s: u64,
}

/// Runs the selected mutations; exits 0 when every one is caught, 1 when one
/// survived, is unviable or stale.
pub(crate) fn mutants(args: &MutantsArgs) -> Result<ExitCode> {
    let selected: Vec<&Mutation> = MUTATIONS
        .iter()
        .filter(|mutation| {
            args.only.is_empty() || args.only.iter().any(|part| mutation.name.contains(part))
        })
        .collect();
    if selected.is_empty() {
        let names: Vec<&str> = MUTATIONS.iter().map(|mutation| mutation.name).collect();
        bail!(
            "no mutation matches {:?}; the mutations are: {}",
            args.only,
            names.join(", ")
        );
    }
    if args.list {
        for mutation in &selected {
            println!(
                "{:<32} {}  [{}]",
                mutation.name, mutation.file, mutation.why
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let root = workspace_root();
    let scratch = root.join("target").join("mutants").join("workspace");
    sync_scratch(&root, &scratch)?;
    let timeout = Duration::from_secs(args.timeout_s);
    check_baseline(&scratch, &selected, timeout)?;
    let mut outcomes = Vec::new();
    for mutation in selected {
        let started = Instant::now();
        let outcome = run_mutant(&scratch, mutation, timeout)?;
        println!(
            "{:<9} {:<32} {:>6.1}s  {}",
            outcome.label(),
            mutation.name,
            started.elapsed().as_secs_f64(),
            mutation.why
        );
        outcomes.push(outcome);
    }
    let count = |wanted: Outcome| {
        outcomes
            .iter()
            .filter(|&&outcome| outcome == wanted)
            .count()
    };
    println!(
        "mutants caught={} timed_out={} survived={} unviable={} stale={}",
        count(Outcome::Caught),
        count(Outcome::TimedOut),
        count(Outcome::Survived),
        count(Outcome::Unviable),
        count(Outcome::Stale)
    );
    Ok(if outcomes.iter().all(|outcome| outcome.is_good()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// Makes `scratch` hold the workspace's files as they are now: files whose
/// content changed are rewritten (the others keep their times, so the
/// scratch build stays incremental), files gone from the workspace go.
fn sync_scratch(root: &Path, scratch: &Path) -> Result<()> {
    let output = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root)
        .output()
        .context("running git ls-files (cargo xtask mutants needs git)")?;
    if !output.status.success() {
        bail!(
            "git ls-files failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let files: BTreeSet<PathBuf> = output
        .stdout
        .split(|&byte| byte == 0)
        .filter(|name| !name.is_empty())
        .map(|name| PathBuf::from(String::from_utf8_lossy(name).into_owned()))
        .filter(|name| root.join(name).is_file())
        .collect();
    for file in &files {
        let (source, target) = (root.join(file), scratch.join(file));
        let content = fs::read(&source).with_context(|| format!("reading {}", source.display()))?;
        if fs::read(&target).ok().as_deref() == Some(&content[..]) {
            continue;
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        fs::write(&target, &content).with_context(|| format!("writing {}", target.display()))?;
    }
    remove_extra_files(scratch, scratch, &files)
}

/// Removes the files under `dir` (but not under the scratch's own `target/`)
/// that the workspace no longer has.
fn remove_extra_files(scratch: &Path, dir: &Path, keep: &BTreeSet<PathBuf>) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        let relative = path.strip_prefix(scratch).expect("under the scratch");
        if relative == Path::new("target") {
            continue;
        }
        if path.is_dir() {
            remove_extra_files(scratch, &path, keep)?;
        } else if !keep.contains(relative) {
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

/// Runs each distinct test command once without mutations: a test that fails
/// already would count every mutant as caught.
fn check_baseline(scratch: &Path, selected: &[&Mutation], timeout: Duration) -> Result<()> {
    let commands: BTreeSet<&[&str]> = selected.iter().map(|mutation| mutation.tests).collect();
    for tests in commands {
        match run_tests(scratch, tests, timeout)? {
            TestRun::Passed => {}
            TestRun::Failed => bail!(
                "the tests fail without any mutation: cargo test {}; fix them first",
                tests.join(" ")
            ),
            TestRun::TimedOut => bail!(
                "the tests ran past {}s without any mutation: cargo test {}; raise --timeout-s",
                timeout.as_secs(),
                tests.join(" ")
            ),
        }
    }
    Ok(())
}

/// Applies `mutation` to the scratch copy, runs its tests, and restores the file.
fn run_mutant(scratch: &Path, mutation: &Mutation, timeout: Duration) -> Result<Outcome> {
    match with_mutation(scratch, mutation, || {
        test_mutant(scratch, mutation, timeout)
    })? {
        Some(outcome) => outcome,
        None => Ok(Outcome::Stale),
    }
}

/// Runs `during` with `mutation` applied to its file under `root`, then puts
/// the file back as it was, even when `during` panics. `None` when the
/// mutation's text is not in the file exactly once (nothing is changed then).
fn with_mutation<R>(
    root: &Path,
    mutation: &Mutation,
    during: impl FnOnce() -> R,
) -> Result<Option<R>> {
    let path = root.join(mutation.file);
    let original =
        fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    if original.matches(mutation.find).count() != 1 {
        return Ok(None);
    }
    let mutated = original.replacen(mutation.find, mutation.replace, 1);
    fs::write(&path, mutated).with_context(|| format!("writing {}", path.display()))?;
    let restore = Restore {
        path: &path,
        original: &original,
    };
    let result = during();
    drop(restore);
    Ok(Some(result))
}

/// Writes a mutated file back as it was when dropped.
struct Restore<'a> {
    path: &'a Path,
    original: &'a str,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        if let Err(error) = fs::write(self.path, self.original) {
            eprintln!("error: restoring {}: {error}", self.path.display());
        }
    }
}

fn test_mutant(scratch: &Path, mutation: &Mutation, timeout: Duration) -> Result<Outcome> {
    let build = Command::new(cargo())
        .args(["test", "--quiet", "--no-run"])
        .args(mutation.tests)
        .current_dir(scratch)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("running cargo test --no-run")?;
    if !build.success() {
        return Ok(Outcome::Unviable);
    }
    Ok(match run_tests(scratch, mutation.tests, timeout)? {
        TestRun::Passed => Outcome::Survived,
        TestRun::Failed => Outcome::Caught,
        TestRun::TimedOut => Outcome::TimedOut,
    })
}

enum TestRun {
    Passed,
    Failed,
    TimedOut,
}

/// Runs `cargo test ARGS` in the scratch workspace, killed (with every test
/// process it started) past `timeout`.
fn run_tests(scratch: &Path, tests: &[&str], timeout: Duration) -> Result<TestRun> {
    let mut command = Command::new(cargo());
    command
        .args(["test", "--quiet"])
        .args(tests)
        .current_dir(scratch)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().context("running cargo test")?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().context("waiting for cargo test")? {
            return Ok(if status.success() {
                TestRun::Passed
            } else {
                TestRun::Failed
            });
        }
        if started.elapsed() > timeout {
            kill_group(&mut child);
            return Ok(TestRun::TimedOut);
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// Kills `child` and the test binaries it started (its process group).
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", &format!("-{}", child.id())])
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-mutants-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    const SAMPLE: Mutation = Mutation {
        name: "sample",
        file: "lib.rs",
        find: "a < b",
        replace: "a > b",
        tests: &[],
        why: "test",
    };

    #[test]
    fn a_mutation_is_applied_during_the_run_and_undone_after_even_a_panic() {
        let dir = scratch_dir("apply");
        let file = dir.join("lib.rs");
        fs::write(&file, "fn less(a: u8, b: u8) -> bool { a < b }").unwrap();
        let seen = with_mutation(&dir, &SAMPLE, || fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(
            seen.as_deref(),
            Some("fn less(a: u8, b: u8) -> bool { a > b }")
        );
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            "fn less(a: u8, b: u8) -> bool { a < b }"
        );
        let panicked = std::panic::catch_unwind(|| {
            with_mutation(&dir, &SAMPLE, || panic!("the tests blew up")).unwrap()
        });
        assert!(panicked.is_err());
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            "fn less(a: u8, b: u8) -> bool { a < b }"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_mutation_whose_text_is_missing_or_repeated_changes_nothing() {
        let dir = scratch_dir("stale");
        let file = dir.join("lib.rs");
        for content in ["fn f() {}", "a < b; a < b"] {
            fs::write(&file, content).unwrap();
            let ran = with_mutation(&dir, &SAMPLE, || ()).unwrap();
            assert!(ran.is_none(), "{content}");
            assert_eq!(fs::read_to_string(&file).unwrap(), content);
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_mutation_finds_its_text_exactly_once() {
        // A mutation whose text moved would only be noticed as STALE when
        // someone runs `cargo xtask mutants`; `cargo test -p xtask` says so first.
        let root = workspace_root();
        for mutation in MUTATIONS {
            let content = fs::read_to_string(root.join(mutation.file)).unwrap();
            assert_eq!(
                content.matches(mutation.find).count(),
                1,
                "mutation {} ({}): its text is not in the file exactly once",
                mutation.name,
                mutation.file
            );
        }
    }
}
