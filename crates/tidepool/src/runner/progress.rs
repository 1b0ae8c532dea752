//! The progress bar of a campaign on a terminal.

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};

/// Seeds done, failures so far, rate and ETA; hidden when off.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    failures: AtomicU64,
}

impl Progress {
    pub(crate) fn new(enabled: bool, total: u64) -> Progress {
        let bar = enabled.then(|| {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(
                "{bar:30} {pos}/{len} seeds, {msg} failed, {per_sec}, ETA {eta}",
            )
            .expect("a valid progress template");
            bar.set_style(style);
            bar.set_message("0");
            bar
        });
        Progress {
            bar,
            failures: AtomicU64::new(0),
        }
    }

    pub(crate) fn record(&self, failed: bool) {
        let Some(bar) = &self.bar else {
            return;
        };
        if failed {
            let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
            bar.set_message(failures.to_string());
        }
        bar.inc(1);
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
