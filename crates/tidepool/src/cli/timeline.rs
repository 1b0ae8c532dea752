//! Writing a replayed seed's timeline where `--timeline` and `--trace-out` say.

use std::io::Write;
use std::path::Path;

use super::args::SimArgs;
use crate::timeline::Timeline;

/// Writes `timeline` as HTML to `--timeline` and as a Chrome trace to
/// `--trace-out`, each when given, and says where on standard error.
///
/// # Errors
///
/// The file that could not be written, and why.
pub(crate) fn write(timeline: &Timeline, args: &SimArgs) -> Result<(), String> {
    if let Some(path) = &args.timeline {
        write_file(path, |file| timeline.write_html(file))?;
        eprintln!("timeline written to {}", path.display());
    }
    if let Some(path) = &args.trace_out {
        write_file(path, |file| timeline.write_chrome_trace(file))?;
        eprintln!(
            "trace events written to {} (open in https://ui.perfetto.dev)",
            path.display()
        );
    }
    Ok(())
}

fn write_file(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> Result<(), String> {
    let written = std::fs::File::create(path).and_then(|file| {
        let mut file = std::io::BufWriter::new(file);
        write(&mut file)?;
        file.flush()
    });
    written.map_err(|error| format!("writing {}: {error}", path.display()))
}
