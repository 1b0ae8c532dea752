//! What xtask prints and the statuses it exits with: standard output that a
//! reader may close early (`| head`), and children that die of a signal.

use std::fmt;
use std::io::{self, Write};
use std::process::{ExitCode, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output's reader has gone: later lines are dropped.
static READER_GONE: AtomicBool = AtomicBool::new(false);

/// Writes `text` to standard output. A reader that closed it early (`| head`)
/// wanted no more: the rest is dropped quietly, as the simulation binaries
/// do, and the exit status stays the command's own.
///
/// # Errors
///
/// Any other write error (a full disk).
pub(crate) fn write_stdout(text: fmt::Arguments<'_>) -> io::Result<()> {
    if READER_GONE.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut stdout = io::stdout().lock();
    match stdout.write_fmt(text).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
            READER_GONE.store(true, Ordering::Relaxed);
            Ok(())
        }
        written => written,
    }
}

/// `println!` that survives a closed standard output (see [`write_stdout`]);
/// returns `io::Result<()>`.
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

/// A child that did not exit but was killed by a signal.
#[derive(Debug)]
pub(crate) struct Killed {
    pub(crate) program: String,
    pub(crate) signal: i32,
}

impl fmt::Display for Killed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} was killed by signal {} ({}): not a verdict of the simulation; \
             out of memory (the kernel's OOM killer), a timeout or a crash may have ended it",
            self.program,
            self.signal,
            signal_name(self.signal)
        )
    }
}

impl std::error::Error for Killed {}

impl Killed {
    /// The exit status a shell gives a command killed by this signal: 128 + N.
    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(u8::try_from(128 + self.signal).unwrap_or(u8::MAX))
    }
}

/// The exit status of `program` as xtask's own: its code, or for a child
/// killed by a signal, the [`Killed`] error.
pub(crate) fn exit_of(program: &str, status: ExitStatus) -> Result<ExitCode, Killed> {
    if let Some(code) = status.code() {
        return Ok(ExitCode::from(u8::try_from(code).unwrap_or(u8::MAX)));
    }
    Err(Killed {
        program: program.to_string(),
        signal: signal_of(status),
    })
}

#[cfg(unix)]
fn signal_of(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.signal().unwrap_or(0)
}

#[cfg(not(unix))]
fn signal_of(_: ExitStatus) -> i32 {
    0
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        6 => "SIGABRT",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => "another signal",
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn a_child_killed_by_a_signal_is_not_a_usage_error() {
        let killed = exit_of("sim-kv", ExitStatus::from_raw(9)).unwrap_err();
        assert_eq!(killed.signal, 9);
        assert_eq!(killed.exit_code(), ExitCode::from(137));
        assert!(killed.to_string().contains("killed by signal 9 (SIGKILL)"));
        assert_eq!(
            exit_of("sim-kv", ExitStatus::from_raw(1 << 8)).unwrap(),
            ExitCode::from(1)
        );
    }
}
