//! The guide's "Adding your own simulation" template makes a simulation that
//! `cargo xtask sim list` finds, with no edit outside its own directory.
//!
//! The test takes the template's files from chapter 1 (each block marked
//! `<!-- file: sims/NAME/PATH -->`), writes them into a temporary workspace
//! whose root manifest is the real one and whose other members are the real
//! ones (linked), then runs `sim list` and `cargo metadata` there. Nothing is
//! built: the template's `main.rs` compiles as a doctest of the chapter
//! (`cargo test -p sim-kv --doc`), which this test checks it is fenced as.
#![cfg(unix)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

const CHAPTER: &str = "docs/guide/01-your-first-simulation.md";
const FILE_PREFIX: &str = "<!-- file: ";
const FILE_SUFFIX: &str = " -->";

/// One file of the template: where it goes, its fence's info string, its text.
struct TemplateFile {
    path: String,
    info: String,
    text: String,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the workspace root exists")
}

/// Every fenced block of `markdown` with a `<!-- file: PATH -->` line just before it.
fn template_files(markdown: &str) -> Vec<TemplateFile> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(path) = line
            .trim()
            .strip_prefix(FILE_PREFIX)
            .and_then(|rest| rest.strip_suffix(FILE_SUFFIX))
        else {
            continue;
        };
        let fence = lines.get(index + 1).copied().unwrap_or_default();
        let info = fence.strip_prefix("```").unwrap_or_else(|| {
            panic!(
                "{CHAPTER}:{}: a file marker not followed by a fence",
                index + 1
            )
        });
        let end = (index + 2..lines.len())
            .find(|&close| lines[close].starts_with("```"))
            .unwrap_or_else(|| panic!("{CHAPTER}:{}: a fence that never closes", index + 2));
        found.push(TemplateFile {
            path: path.trim().to_string(),
            info: info.trim().to_string(),
            text: lines[index + 2..end].join("\n") + "\n",
        });
    }
    found
}

/// A directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "tidepool-template-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("a temporary directory");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A workspace at `dir` laid out as the real one: its root manifest copied,
/// every other top-level entry linked, except `sims/` (empty), `target/` and `.git/`.
fn lay_out_workspace(real: &Path, dir: &Path) {
    for entry in fs::read_dir(real).expect("the workspace root is readable") {
        let entry = entry.expect("a directory entry");
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        match name {
            "sims" | "target" | ".git" | "Cargo.lock" => {}
            "Cargo.toml" => {
                fs::copy(entry.path(), dir.join(name)).expect("the root manifest is copied");
            }
            _ => std::os::unix::fs::symlink(entry.path(), dir.join(name))
                .unwrap_or_else(|error| panic!("linking {name}: {error}")),
        }
    }
    fs::create_dir(dir.join("sims")).expect("an empty sims/");
}

/// The value of `key = "..."` in a manifest's text.
fn manifest_string(manifest: &str, key: &str) -> String {
    manifest
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once('=')?;
            (name.trim() == key).then(|| value.trim().trim_matches('"').to_string())
        })
        .unwrap_or_else(|| panic!("the template's Cargo.toml has no {key}"))
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Runs `xtask sim list` in `dir`; returns the line that names `name`.
fn sim_list_line(dir: &Path, name: &str) -> String {
    let listed = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["sim", "list"])
        .current_dir(dir)
        .env("CARGO_NET_OFFLINE", "true")
        .output()
        .expect("xtask runs");
    assert!(
        listed.status.success(),
        "sim list failed: {}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let stdout = String::from_utf8_lossy(&listed.stdout);
    stdout
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("sim list does not name '{name}':\n{stdout}"))
        .to_string()
}

/// The manifest path and binary targets of `package`, as `cargo metadata`
/// run in `dir` sees them.
fn package_binaries(dir: &Path, package: &str) -> (String, Vec<String>) {
    let output = Command::new(cargo())
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .arg("--offline")
        .current_dir(dir)
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let found = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|candidate| candidate["name"] == package)
        .unwrap_or_else(|| panic!("cargo metadata does not list {package}"));
    let is_bin = |target: &&serde_json::Value| {
        target["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|kind| kind == "bin"))
    };
    let binaries = found["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(is_bin)
        .map(|target| target["name"].as_str().unwrap().to_string())
        .collect();
    (
        found["manifest_path"].as_str().unwrap().to_string(),
        binaries,
    )
}

#[test]
fn the_guides_template_makes_a_simulation_that_sim_list_finds() {
    let real = workspace_root();
    let chapter = fs::read_to_string(real.join(CHAPTER)).expect("chapter 1 is readable");
    let files = template_files(&chapter);
    let paths: Vec<&str> = files.iter().map(|file| file.path.as_str()).collect();
    let name = paths
        .first()
        .and_then(|path| path.strip_prefix("sims/"))
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("{CHAPTER} has no template file under sims/: {paths:?}"));
    let package_dir = format!("sims/{name}");
    assert_eq!(
        paths,
        [
            format!("{package_dir}/Cargo.toml"),
            format!("{package_dir}/src/main.rs")
        ],
        "the template is a manifest and a main.rs, in that order"
    );
    let (manifest, main) = (&files[0], &files[1]);
    assert_eq!(manifest.info, "toml");
    assert!(
        main.info == "rust" || main.info == "rust,no_run",
        "the template's main.rs is fenced as '{}', so `cargo test -p sim-kv --doc` does not \
         compile it; fence it as rust,no_run",
        main.info
    );
    assert!(
        main.text.contains("tidepool::cli::main(") || main.text.contains("tidepool::cli::run("),
        "the template's main.rs hands its builder to tidepool::cli"
    );
    let package = manifest_string(&manifest.text, "name");
    let description = manifest_string(&manifest.text, "description");
    assert_eq!(package, format!("sim-{name}"));

    let dir = TempDir::new();
    lay_out_workspace(&real, &dir.0);
    for file in &files {
        let path = dir.0.join(&file.path);
        fs::create_dir_all(path.parent().expect("a file has a parent")).unwrap();
        fs::write(&path, &file.text).unwrap();
    }

    let line = sim_list_line(&dir.0, name);
    assert!(line.ends_with(&description), "{line}");
    let (manifest_path, binaries) = package_binaries(&dir.0, &package);
    assert!(
        manifest_path.ends_with(&format!("{package_dir}/Cargo.toml")),
        "{manifest_path}"
    );
    assert_eq!(binaries, [package]);
}
