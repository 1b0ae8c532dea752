//! Where a call came from: the first frames of user code in a captured stack.

use std::backtrace::Backtrace;

/// Frames shown per site.
const FRAMES_SHOWN: usize = 3;

/// Path and symbol prefixes of frames that are not the user's: the standard
/// library, the sanitizer, tidepool's executor, and crates that only pass the
/// call along.
const NOT_USER: &[&str] = &[
    "std::",
    "core::",
    "alloc::",
    "<std::",
    "<core::",
    "<alloc::",
    "std[",
    "core[",
    "alloc[",
    "tidepool::sanitizer",
    "tidepool::sim::",
    "tidepool::runner::",
    "<tidepool::sim::",
    "<tidepool::runner::",
    "tidepool_core::providers::",
    "syscall",
    "clock_gettime",
    "getrandom",
    "getentropy",
    "gettimeofday",
    "pthread_create",
    "__rust",
    "rust_begin_unwind",
    "_start",
    "__libc",
    "start_thread",
    "clone",
    "rand::",
    "rand_core::",
    "<rand",
    "getrandom::",
    "hashbrown::",
    "<hashbrown::",
];

/// The first frames of user code in `stack`, innermost first, as
/// `function (file:line)` joined by ` ← `; `"unknown site"` when none has a name.
/// When the call came through tokio (its runtime reading the clock, say), the
/// tokio function the user called follows as `via tokio::...`: tokio's own
/// frames are not the user's code, but they say what the user reached for.
pub fn user_frames(stack: &Backtrace) -> String {
    let text = stack.to_string();
    let frames = parse(&text);
    let is_user = |frame: &&Frame| {
        !NOT_USER
            .iter()
            .chain(THROUGH)
            .any(|prefix| frame.symbol.starts_with(prefix))
    };
    let user: Vec<String> = frames
        .iter()
        .filter(is_user)
        .take(FRAMES_SHOWN)
        .map(|frame| match &frame.location {
            Some(location) => format!("{} ({location})", frame.symbol),
            None => frame.symbol.clone(),
        })
        .collect();
    if user.is_empty() {
        return "unknown site".to_string();
    }
    let first_user = frames.iter().position(|frame| is_user(&frame));
    let through = frames[..first_user.unwrap_or(0)]
        .iter()
        .rev()
        .find(|frame| {
            THROUGH
                .iter()
                .any(|prefix| frame.symbol.starts_with(prefix))
        });
    match through {
        Some(frame) => format!("{} via {}", user.join(" ← "), frame.symbol),
        None => user.join(" ← "),
    }
}

/// Crates a call passes through on its way from user code: named after the
/// site, since they say what the user called.
const THROUGH: &[&str] = &["tokio::", "<tokio::"];

struct Frame {
    symbol: String,
    location: Option<String>,
}

/// Reads std's rendering of a backtrace: `  N: symbol` lines, each followed
/// by `at file:line:column` lines for its inlined and outer locations.
fn parse(text: &str) -> Vec<Frame> {
    let mut frames: Vec<Frame> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(location) = line.strip_prefix("at ") {
            if let Some(frame) = frames.last_mut()
                && frame.location.is_none()
            {
                frame.location = Some(short_location(location));
            }
            continue;
        }
        let Some((number, symbol)) = line.split_once(": ") else {
            continue;
        };
        if number.chars().all(|c| c.is_ascii_digit()) && !number.is_empty() {
            frames.push(Frame {
                symbol: strip_hash(symbol.trim()),
                location: None,
            });
        }
    }
    frames
}

/// `path/to/src/file.rs:10:5` as `src/file.rs:10`, or the file's last two
/// components: enough to find it, short enough to read.
fn short_location(location: &str) -> String {
    let without_column = match location.rsplit_once(':') {
        Some((rest, column)) if column.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => location,
    };
    let parts: Vec<&str> = without_column.split('/').collect();
    let keep = parts.len().min(2);
    parts[parts.len() - keep..].join("/")
}

/// `crate::f::h0123456789abcdef` as `crate::f`.
fn strip_hash(symbol: &str) -> String {
    match symbol.rsplit_once("::h") {
        Some((rest, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            rest.to_string()
        }
        _ => symbol.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_keeps_user_frames_with_their_first_location() {
        let text = "   0: std::backtrace::Backtrace::force_capture\n             at /rustc/abc/library/std/src/backtrace.rs:310:13\n   1: tidepool::sanitizer::record\n   2: clock_gettime\n   3: std::time::Instant::now\n   4: my_server::handle::h0123456789abcdef\n             at ./src/server.rs:42:17\n             at ./src/server.rs:10:5\n   5: my_server::main\n";
        let frames = parse(text);
        assert_eq!(frames.len(), 6);
        let user: Vec<&Frame> = frames
            .iter()
            .filter(|f| !NOT_USER.iter().any(|p| f.symbol.starts_with(p)))
            .collect();
        assert_eq!(user[0].symbol, "my_server::handle");
        assert_eq!(user[0].location.as_deref(), Some("src/server.rs:42"));
        assert_eq!(user[1].symbol, "my_server::main");
    }
}
