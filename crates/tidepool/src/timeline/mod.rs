//! The timeline of one replayed seed: one lane per host with its
//! incarnations, messages as arrows from send to delivery, faults as marks
//! and bands, log lines on hover, the failure highlighted.
//!
//! [`Timeline::write_html`] writes it as one self-contained HTML page
//! (`--timeline FILE.html`): data, script and style inline, nothing fetched,
//! zoom and pan over simulated time. [`Timeline::write_chrome_trace`] writes
//! it in the Chrome trace-event format that Perfetto and `chrome://tracing`
//! open (`--trace-out FILE.json`).
//!
//! The data comes from a second run of the seed with the trace recorded and
//! the simulator's recording hooks on (writes put on the wire, deliveries);
//! the hooks change nothing of the run, its trace or its hash.

mod chrome;
pub(crate) mod hook;
mod html;
mod logs;
mod model;
mod record;

pub use model::{
    FailureMark, FaultMark, LOG_LINES_DRAWN_MAX, Lane, Log, MESSAGES_DRAWN_MAX, Message, Timeline,
};
pub(crate) use record::record;
