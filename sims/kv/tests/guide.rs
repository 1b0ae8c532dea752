//! The guide's code cannot drift from the code: every Rust block of
//! `docs/guide/*.md` is either an excerpt that must appear verbatim in the
//! file it names, or a doctest that `cargo test -p sim-kv --doc` compiles.
//!
//! An excerpt is a block fenced as `rust,ignore` with the line
//! `<!-- excerpt: PATH -->` just before the fence (PATH from the workspace
//! root); its text, trimmed, must be a substring of that file. Every other
//! Rust block is a doctest, so its chapter must be included in `sim_kv`'s
//! `guide` module. Fences carry a language, since rustdoc would compile an
//! untagged block as Rust.

use std::fs;
use std::path::{Path, PathBuf};

/// Fence languages the guide may use besides `rust...`.
const OTHER_LANGUAGES: [&str; 4] = ["sh", "text", "json", "toml"];

const EXCERPT_PREFIX: &str = "<!-- excerpt: ";
const EXCERPT_SUFFIX: &str = " -->";

#[derive(Debug)]
struct Block {
    chapter: String,
    /// 1-based line of the opening fence.
    line: usize,
    info: String,
    excerpt_of: Option<String>,
    text: String,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

fn chapters() -> Vec<PathBuf> {
    let dir = workspace_root().join("docs/guide");
    let mut chapters: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("reading {}: {error}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    chapters.sort();
    chapters
}

/// Every fenced block of `markdown`, with the excerpt marker before it, if any.
fn blocks(chapter: &str, markdown: &str) -> Vec<Block> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut found = Vec::new();
    let mut index = 0;
    // Each turn consumes at least one line.
    while index < lines.len() {
        let Some(info) = lines[index].trim_start().strip_prefix("```") else {
            index += 1;
            continue;
        };
        let excerpt_of = index
            .checked_sub(1)
            .and_then(|previous| lines[previous].trim().strip_prefix(EXCERPT_PREFIX))
            .and_then(|rest| rest.strip_suffix(EXCERPT_SUFFIX))
            .map(|path| path.trim().to_string());
        let end = (index + 1..lines.len())
            .find(|&close| lines[close].trim_start().starts_with("```"))
            .unwrap_or_else(|| panic!("{chapter}:{}: a fence that never closes", index + 1));
        found.push(Block {
            chapter: chapter.to_string(),
            line: index + 1,
            info: info.trim().to_string(),
            excerpt_of,
            text: lines[index + 1..end].join("\n"),
        });
        index = end + 1;
    }
    found
}

fn all_blocks() -> Vec<Block> {
    let chapters = chapters();
    assert!(!chapters.is_empty(), "docs/guide has no chapter");
    chapters
        .iter()
        .flat_map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let markdown = fs::read_to_string(path).expect("a readable chapter");
            blocks(&name, &markdown)
        })
        .collect()
}

fn is_rust(info: &str) -> bool {
    info.split(',').next() == Some("rust")
}

fn is_ignored(info: &str) -> bool {
    info.split(',').any(|attribute| attribute == "ignore")
}

#[test]
fn every_fence_names_its_language() {
    for block in all_blocks() {
        let language = block.info.split(',').next().unwrap_or_default();
        assert!(
            language == "rust" || OTHER_LANGUAGES.contains(&language),
            "{}:{}: fence language '{}' is not rust or one of {OTHER_LANGUAGES:?}",
            block.chapter,
            block.line,
            block.info
        );
    }
}

#[test]
fn excerpts_appear_verbatim_in_the_files_they_name() {
    let root = workspace_root();
    let mut checked = 0;
    for block in all_blocks() {
        let Some(path) = &block.excerpt_of else {
            continue;
        };
        let at = format!("{}:{}", block.chapter, block.line);
        assert!(
            is_rust(&block.info) && is_ignored(&block.info),
            "{at}: an excerpt is fenced as rust,ignore, not '{}'",
            block.info
        );
        let source = fs::read_to_string(root.join(path))
            .unwrap_or_else(|error| panic!("{at}: excerpt of '{path}': {error}"));
        let excerpt = block.text.trim();
        assert!(!excerpt.is_empty(), "{at}: an empty excerpt of '{path}'");
        assert!(
            source.contains(excerpt),
            "{at}: the excerpt no longer appears verbatim in '{path}'; copy it again:\n{excerpt}"
        );
        checked += 1;
    }
    assert!(checked > 0, "the guide has no excerpt");
}

#[test]
fn every_excerpt_marker_sits_just_before_a_fence() {
    for path in chapters() {
        let markdown = fs::read_to_string(&path).expect("a readable chapter");
        let lines: Vec<&str> = markdown.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            if line.trim().starts_with(EXCERPT_PREFIX) {
                let next = lines.get(index + 1).map_or("", |next| next.trim_start());
                assert!(
                    next.starts_with("```"),
                    "{}:{}: an excerpt marker not followed by a fence; it would check nothing",
                    path.display(),
                    index + 1
                );
            }
        }
    }
}

#[test]
fn ignored_rust_blocks_are_all_excerpts() {
    for block in all_blocks() {
        if is_rust(&block.info) && is_ignored(&block.info) {
            assert!(
                block.excerpt_of.is_some(),
                "{}:{}: a rust,ignore block without an `<!-- excerpt: PATH -->` line before it; \
                 make it a doctest or an excerpt",
                block.chapter,
                block.line
            );
        }
    }
}

#[test]
fn chapters_with_doctests_are_included_in_the_library() {
    let lib = fs::read_to_string(workspace_root().join("sims/kv/src/lib.rs")).unwrap();
    for block in all_blocks() {
        if is_rust(&block.info) && !is_ignored(&block.info) {
            let include = format!("include_str!(\"../../../docs/guide/{}\")", block.chapter);
            assert!(
                lib.contains(&include),
                "{}:{}: a doctest in a chapter that sims/kv/src/lib.rs does not include; add \
                 #[doc = {include}] to its `guide` module",
                block.chapter,
                block.line
            );
        }
    }
}

#[test]
fn the_parser_finds_markers_languages_and_text() {
    let markdown =
        "text\n<!-- excerpt: a/b.rs -->\n```rust,ignore\nfn a() {}\n```\n\n```sh\nls\n```\n";
    let found = blocks("test.md", markdown);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].excerpt_of.as_deref(), Some("a/b.rs"));
    assert_eq!(found[0].info, "rust,ignore");
    assert_eq!(found[0].text, "fn a() {}");
    assert_eq!(found[0].line, 3);
    assert_eq!(found[1].excerpt_of, None);
    assert_eq!(found[1].info, "sh");
}
