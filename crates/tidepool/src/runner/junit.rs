//! The report as JUnit XML, which CI systems (GitHub Actions' test
//! reporters, GitLab, Jenkins) read.

use std::io;

use super::failure::Failure;
use super::report::SimulationReport;

impl SimulationReport {
    /// Writes the report as JUnit XML: one test suite named after the
    /// simulation, holding one test case for the campaign (failed when the
    /// campaign failed), one per failure kept in detail (named by its seed,
    /// its message the reason, its text the replay command), and one per
    /// kept seed that fails again.
    ///
    /// # Errors
    ///
    /// When writing fails.
    pub fn write_junit(&self, mut writer: impl io::Write) -> io::Result<()> {
        let kept_failing = self
            .kept
            .as_ref()
            .map_or(&[][..], |kept| &kept.still_failing[..]);
        let cases = 1 + self.failures.len() + kept_failing.len();
        let failed = usize::from(!self.is_success()) + self.failures.len() + kept_failing.len();
        let name = escape(&self.name);
        writeln!(writer, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            writer,
            r#"<testsuites name="tidepool" tests="{cases}" failures="{failed}" time="{:.3}">"#,
            self.wall_time_s
        )?;
        writeln!(
            writer,
            r#"  <testsuite name="{name}" tests="{cases}" failures="{failed}" errors="0" time="{:.3}">"#,
            self.wall_time_s
        )?;
        self.write_campaign_case(&mut writer, &name)?;
        for failure in &self.failures {
            write_failure_case(&mut writer, &name, "seed", failure)?;
        }
        for failure in kept_failing {
            write_failure_case(&mut writer, &name, "kept seed", failure)?;
        }
        writeln!(writer, "  </testsuite>")?;
        writeln!(writer, "</testsuites>")
    }

    fn write_campaign_case(&self, writer: &mut impl io::Write, name: &str) -> io::Result<()> {
        let title = escape(&format!(
            "campaign: {} iterations, {} passed, {} failed",
            self.iterations, self.passed, self.failed
        ));
        write!(
            writer,
            r#"    <testcase classname="{name}" name="{title}" time="{:.3}""#,
            self.wall_time_s
        )?;
        if self.is_success() {
            return writeln!(writer, "/>");
        }
        let summary = escape(&self.to_string());
        writeln!(writer, ">")?;
        writeln!(
            writer,
            r#"      <failure message="the campaign failed" type="campaign">{summary}</failure>"#
        )?;
        writeln!(writer, "    </testcase>")
    }
}

fn write_failure_case(
    writer: &mut impl io::Write,
    name: &str,
    label: &str,
    failure: &Failure,
) -> io::Result<()> {
    let title = match failure.branch.is_empty() {
        true => format!("{label} {:#018x}", failure.seed),
        false => format!(
            "{label} {:#018x} branch {}",
            failure.seed,
            super::explore::format_branches(&failure.branch)
        ),
    };
    let title = escape(&title);
    writeln!(
        writer,
        r#"    <testcase classname="{name}" name="{title}">"#
    )?;
    writeln!(
        writer,
        r#"      <failure message="{}" type="{}">replay: {}&#10;at {} from {}</failure>"#,
        escape(&failure.reason),
        escape(failure.kind.label()),
        escape(&failure.replay),
        failure.time,
        escape(&failure.origin)
    )?;
    writeln!(writer, "    </testcase>")
}

/// `text` with XML's special characters escaped, and control characters
/// (which XML 1.0 cannot hold) replaced by U+FFFD.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\n' => escaped.push_str("&#10;"),
            '\t' | '\r' => escaped.push(' '),
            c if (c as u32) < 0x20 => escaped.push('\u{fffd}'),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn special_and_control_characters_are_escaped() {
        assert_eq!(escape(r#"a<b>&"c"'"#), "a&lt;b&gt;&amp;&quot;c&quot;&apos;");
        assert_eq!(escape("x\ny\u{1}"), "x&#10;y\u{fffd}");
    }
}
