//! The campaign's assertion table: every site, its counts over all seeds, and
//! its verdict.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};
use tidepool_core::assertions::{AssertionKind, AssertionSite, SiteLocation, sites};

use super::run::{RunAssertions, SiteCounts};
use crate::core_serde;

/// The verdict on one site over a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssertionStatus {
    /// The site did what its kind demands.
    Pass,
    /// An `always` was false, or an `unreachable` was reached.
    Fail,
    /// Not exercised: a `sometimes` never true, a `reachable` never reached, an
    /// `always` never evaluated. A coverage gap, not a failure.
    Miss,
}

impl AssertionStatus {
    /// The verdict on a site of `kind` with `counts` over a campaign.
    ///
    /// # Examples
    ///
    /// ```
    /// use tidepool::assertions::{AssertionKind, AssertionStatus, SiteCounts};
    ///
    /// let never = SiteCounts::default();
    /// assert_eq!(AssertionStatus::judge(AssertionKind::Always, never), AssertionStatus::Miss);
    /// assert_eq!(AssertionStatus::judge(AssertionKind::Unreachable, never), AssertionStatus::Pass);
    /// let once_false = SiteCounts { true_count: 9, false_count: 1 };
    /// assert_eq!(AssertionStatus::judge(AssertionKind::Always, once_false), AssertionStatus::Fail);
    /// assert_eq!(AssertionStatus::judge(AssertionKind::Sometimes, once_false), AssertionStatus::Pass);
    /// ```
    pub fn judge(kind: AssertionKind, counts: SiteCounts) -> AssertionStatus {
        match kind {
            AssertionKind::Always if counts.false_count > 0 => AssertionStatus::Fail,
            AssertionKind::Unreachable if counts.true_count > 0 => AssertionStatus::Fail,
            AssertionKind::Unreachable => AssertionStatus::Pass,
            _ if counts.true_count > 0 => AssertionStatus::Pass,
            _ => AssertionStatus::Miss,
        }
    }

    /// `PASS`, `FAIL` or `MISS`.
    pub const fn label(self) -> &'static str {
        match self {
            AssertionStatus::Pass => "PASS",
            AssertionStatus::Fail => "FAIL",
            AssertionStatus::Miss => "MISS",
        }
    }
}

impl fmt::Display for AssertionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.label())
    }
}

/// One site of an [`AssertionTable`] with its counts over the merged runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionRow {
    /// The verdict, from `kind` and the counts.
    pub status: AssertionStatus,
    /// Which macro the site was written with.
    #[serde(with = "core_serde::AssertionKindDef")]
    pub kind: AssertionKind,
    /// The message given to the macro.
    pub message: String,
    /// Where the macro was written.
    #[serde(with = "core_serde::SiteLocationDef")]
    pub site: SiteLocation,
    /// Evaluations with a true condition (for `reachable` and `unreachable`:
    /// times reached).
    pub true_count: u64,
    /// Evaluations with a false condition.
    pub false_count: u64,
}

impl AssertionRow {
    fn unreached(site: &AssertionSite) -> AssertionRow {
        AssertionRow {
            status: AssertionStatus::judge(site.kind, SiteCounts::default()),
            kind: site.kind,
            message: site.message.to_owned(),
            site: site.location(),
            true_count: 0,
            false_count: 0,
        }
    }

    /// The row's counts.
    pub fn counts(&self) -> SiteCounts {
        SiteCounts {
            true_count: self.true_count,
            false_count: self.false_count,
        }
    }

    fn add(&mut self, counts: SiteCounts) {
        let mut total = self.counts();
        total.add(counts);
        self.true_count = total.true_count;
        self.false_count = total.false_count;
        self.status = AssertionStatus::judge(self.kind, total);
    }

    /// Report order: file, line, column, message, kind.
    fn order(
        &self,
        file: &str,
        line: u32,
        column: u32,
        message: &str,
        kind: AssertionKind,
    ) -> Ordering {
        (
            self.site.file.as_str(),
            self.site.line,
            self.site.column,
            self.message.as_str(),
            self.kind,
        )
            .cmp(&(file, line, column, message, kind))
    }

    fn order_site(&self, site: &AssertionSite) -> Ordering {
        self.order(site.file, site.line, site.column, site.message, site.kind)
    }

    fn order_row(&self, other: &AssertionRow) -> Ordering {
        let site = &other.site;
        self.order(
            &site.file,
            site.line,
            site.column,
            &other.message,
            other.kind,
        )
    }
}

/// Assertion counts merged over the runs of a campaign, one row per site.
///
/// [`AssertionTable::new`] lists every site registered in this program, so a
/// site no seed reached shows as `MISS` (or `PASS` for an `unreachable`). Runs
/// are added with [`add_run`](AssertionTable::add_run); a runner adds them in
/// seed order, though the sums do not depend on the order. Reports of shards
/// (from JSON) combine with [`merge`](AssertionTable::merge).
///
/// [`Default`] gives an empty table: no rows, no runs, the starting point to
/// merge shard reports into.
///
/// # Examples
///
/// ```
/// use tidepool::assertions::{self, AssertionStatus, AssertionTable};
/// use tidepool::sim::Sim;
///
/// let mut table = AssertionTable::new();
/// for seed in 0..20 {
///     let run = Sim::new(seed).run(async {
///         let coin = tidepool::sim::random_bool(0.5);
///         tidepool::assert_sometimes!(coin, "the coin lands heads");
///         tidepool::assert_always!(u8::from(coin) <= 1, "a coin is 0 or 1");
///         assertions::take_run_results()
///     });
///     table.add_run(&run.outcome.unwrap());
/// }
/// assert_eq!(table.runs(), 20);
/// let heads = table.rows().iter().find(|row| row.message == "the coin lands heads").unwrap();
/// assert_eq!(heads.status, AssertionStatus::Pass);
/// assert_eq!(heads.true_count + heads.false_count, 20);
/// assert!(table.coverage_gaps().all(|gap| gap.message != "the coin lands heads"));
/// println!("{table}");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionTable {
    /// How many runs were added, over every merged table.
    runs: u64,
    /// One row per site, in report order (file, line, column, message, kind).
    rows: Vec<AssertionRow>,
}

impl AssertionTable {
    /// A table of every assertion site registered in this program, none reached.
    pub fn new() -> AssertionTable {
        AssertionTable::scoped(|_| true)
    }

    /// A table of the sites `in_scope` keeps, none reached. A site outside the
    /// scope gets a row only once a run evaluates it, so it is never a
    /// coverage gap, and a failure of it still shows.
    pub fn scoped(in_scope: impl Fn(&AssertionSite) -> bool) -> AssertionTable {
        let mut table = AssertionTable::default();
        for site in sites().iter().filter(|site| in_scope(site)) {
            table.row_for(site);
        }
        table
    }

    /// Adds the counts of one run (one seed).
    pub fn add_run(&mut self, run: &RunAssertions) {
        self.runs = self.runs.saturating_add(1);
        for (site, counts) in run.evaluated() {
            self.row_for(site).add(counts);
        }
    }

    /// Adds every row and run of `other`, such as the report of another shard.
    /// Rows match by site, message and kind; rows only `other` has are added.
    pub fn merge(&mut self, other: &AssertionTable) {
        self.runs = self.runs.saturating_add(other.runs);
        for row in &other.rows {
            let index = match self.rows.binary_search_by(|mine| mine.order_row(row)) {
                Ok(index) => index,
                Err(index) => {
                    let mut empty = row.clone();
                    empty.true_count = 0;
                    empty.false_count = 0;
                    self.rows.insert(index, empty);
                    index
                }
            };
            self.rows[index].add(row.counts());
        }
    }

    /// Every row, in report order: by file, line, column, then message.
    pub fn rows(&self) -> &[AssertionRow] {
        &self.rows
    }

    /// How many runs were added.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// The rows not exercised ([`AssertionStatus::Miss`]): a `sometimes` never
    /// true, a `reachable` never reached, an `always` never evaluated.
    pub fn coverage_gaps(&self) -> impl Iterator<Item = &AssertionRow> {
        self.with_status(AssertionStatus::Miss)
    }

    /// The failed rows ([`AssertionStatus::Fail`]): an `always` ever false, an
    /// `unreachable` ever reached.
    pub fn failures(&self) -> impl Iterator<Item = &AssertionRow> {
        self.with_status(AssertionStatus::Fail)
    }

    fn with_status(&self, status: AssertionStatus) -> impl Iterator<Item = &AssertionRow> {
        self.rows.iter().filter(move |row| row.status == status)
    }

    fn row_for(&mut self, site: &AssertionSite) -> &mut AssertionRow {
        let index = match self.rows.binary_search_by(|row| row.order_site(site)) {
            Ok(index) => index,
            Err(index) => {
                self.rows.insert(index, AssertionRow::unreached(site));
                index
            }
        };
        &mut self.rows[index]
    }
}

impl fmt::Display for AssertionTable {
    /// A text table, one line per site, then a summary line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rows.is_empty() {
            return writeln!(f, "no assertions ({} runs)", self.runs);
        }
        let sites: Vec<String> = self.rows.iter().map(|row| row.site.to_string()).collect();
        let width = |header: &str, cell: &dyn Fn(usize) -> usize| {
            (0..self.rows.len())
                .map(cell)
                .max()
                .unwrap_or(0)
                .max(header.len())
        };
        let message_width = width("MESSAGE", &|index| self.rows[index].message.chars().count());
        let site_width = width("SITE", &|index| sites[index].chars().count());
        let true_width = width("TRUE", &|index| digits(self.rows[index].true_count));
        let false_width = width("FALSE", &|index| digits(self.rows[index].false_count));
        writeln!(
            f,
            "{:<8}{:<13}{:<message_width$}  {:<site_width$}  {:>true_width$}  {:>false_width$}",
            "STATUS", "KIND", "MESSAGE", "SITE", "TRUE", "FALSE"
        )?;
        for (row, site) in self.rows.iter().zip(&sites) {
            writeln!(
                f,
                "{:<8}{:<13}{:<message_width$}  {:<site_width$}  {:>true_width$}  {:>false_width$}",
                row.status, row.kind, row.message, site, row.true_count, row.false_count
            )?;
        }
        let count = |status| self.with_status(status).count();
        writeln!(
            f,
            "{} pass, {} fail, {} miss over {} runs",
            count(AssertionStatus::Pass),
            count(AssertionStatus::Fail),
            count(AssertionStatus::Miss),
            self.runs
        )
    }
}

fn digits(value: u64) -> usize {
    value.checked_ilog10().unwrap_or(0) as usize + 1
}
