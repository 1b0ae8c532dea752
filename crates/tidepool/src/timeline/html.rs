//! The timeline as one self-contained HTML page.

use std::io;

use super::model::Timeline;

const STYLE: &str = include_str!("assets/timeline.css");
const SCRIPT: &str = include_str!("assets/timeline.js");

impl Timeline {
    /// Writes the timeline as one HTML page holding its data, script and
    /// style: it opens from a file, with no network. One lane per host
    /// (incarnations as bars, down time as gaps), messages as arrows from
    /// send to delivery (red stubs: never delivered), faults as marks and
    /// bands, log lines as ticks shown on hover, the failure as a red line
    /// with its reason above; the mouse wheel zooms, dragging pans. What was
    /// thinned to keep it drawable is said at the top.
    ///
    /// # Errors
    ///
    /// When writing fails.
    pub fn write_html(&self, mut writer: impl io::Write) -> io::Result<()> {
        let data = serde_json::to_string(self).map_err(io::Error::other)?;
        // Inside a script element, `</` could end it early.
        let data = data.replace("</", "<\\/").replace("<!--", "<\\!--");
        let title = escape(&format!("{} seed {:#018x}", self.simulation, self.seed));
        write!(
            writer,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>tidepool timeline: {title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n"
        )?;
        self.write_header(&mut writer, &title)?;
        write!(
            writer,
            "<div id=\"view\"><div id=\"labels\"><div id=\"axis-spacer\"></div></div>\
             <div id=\"plot\"><canvas id=\"canvas\"></canvas>\
             <div id=\"failure-mark\" class=\"failure-mark\"></div></div></div>\n\
             <div id=\"legend\"><span><i style=\"background:#cfe3f7\"></i>incarnation (up)</span>\
             <span><i style=\"background:#eceef2\"></i>down</span>\
             <span><i style=\"background:rgba(40,70,140,0.55)\"></i>message</span>\
             <span><i style=\"background:#c62828\"></i>lost message, kill, failure</span>\
             <span><i style=\"background:#f0a030\"></i>partition</span>\
             <span><i style=\"background:#7b61ff\"></i>clog</span>\
             <span><i style=\"background:#2e7d32\"></i>chaos window ends</span>\
             <span><i style=\"background:#8893a6\"></i>log line</span></div>\n\
             <div id=\"tooltip\"></div>\n<pre id=\"status\" hidden></pre>\n\
             <script type=\"application/json\" id=\"timeline-data\">{data}</script>\n\
             <script>\n{SCRIPT}</script>\n</body>\n</html>\n"
        )
    }

    fn write_header(&self, writer: &mut impl io::Write, title: &str) -> io::Result<()> {
        writeln!(writer, "<header><h1>{title}</h1>")?;
        writeln!(
            writer,
            "<div class=\"meta\">{} hosts, {} events, {} messages, {} faults, {} log lines, \
             simulated time {:.3} s</div>",
            self.hosts.len(),
            self.events,
            self.messages.len(),
            self.faults.len(),
            self.logs.len(),
            self.end_ns as f64 / 1e9
        )?;
        if let Some(failure) = &self.failure {
            writeln!(
                writer,
                "<div id=\"failure-banner\">FAILED at {:.6} s: {} at {}\n{}</div>",
                failure.time_ns as f64 / 1e9,
                escape(&failure.kind),
                escape(&failure.origin),
                escape(&failure.reason)
            )?;
        }
        if !self.thinned.is_empty() {
            writeln!(
                writer,
                "<div id=\"thinned\">Thinned to stay drawable: {}</div>",
                escape(&self.thinned.join("; "))
            )?;
        }
        writeln!(
            writer,
            "<div id=\"controls\"><button id=\"fit\">fit</button><button id=\"zoom-in\">zoom in</button>\
             <button id=\"zoom-out\">zoom out</button><button id=\"to-failure\">go to failure</button>\
             <span id=\"zoom-note\"></span> (wheel: zoom, drag: pan, hover: details)</div></header>"
        )
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
