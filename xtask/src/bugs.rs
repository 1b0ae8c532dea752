//! `cargo xtask bugs`: each planted bug of every simulation that has some,
//! run as one campaign per mode (the fixed fault mix, swarm testing,
//! exploration from rare states) with the same seeds: the share of seeds that
//! catch it in each, the seeds to the first failure, whether that failure
//! replays, and whether swarm or exploration meets the target on the bugs the
//! fixed mix rarely catches.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::output::{Killed, outln};
use crate::workspace::{Simulation, cargo, find_simulation, metadata, simulations};
use tidepool::SimulationReport;
use tidepool::runner::shrink::Shrunk;

/// Default of `cargo xtask bugs --iterations`.
pub(crate) const BUG_SEEDS_DEFAULT: u64 = 1_000;
/// Default of `cargo xtask bugs --base-seed`.
pub(crate) const BUG_BASE_SEED_DEFAULT: &str = "0x2026";
/// A bug that fewer than this percentage of seeds catch under the fixed mix
/// is rare: swarm or exploration must do [`TARGET_FACTOR`] times better.
pub(crate) const RARE_PERCENT: u64 = 10;
/// How many times the fixed mix's share of catching seeds swarm or
/// exploration (the better of the two) must reach on a rare bug.
pub(crate) const TARGET_FACTOR: u64 = 3;
/// Characters of a failure's reason the table shows, at most.
const REASON_CHARS_MAX: usize = 48;
/// The narrowest the bug column is.
const NAME_CHARS_MIN: usize = 28;
/// The exit code of a simulation binary that does not know a flag: a
/// simulation without `--bug` has no planted bugs, one without `--explore`
/// cannot explore.
const USAGE_ERROR: i32 = 2;

/// How a campaign draws its faults: one column of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Mode {
    /// `--no-swarm`: every seed runs the simulation's fixed fault mix.
    Fixed,
    /// The binary's default: each seed turns fault families on or off.
    Swarm,
    /// `--explore`: part of the seeds are spent on branches of seeds that
    /// reached rare states.
    Explore,
}

impl Mode {
    /// Every mode, in the order of the table's columns.
    pub(crate) const ALL: [Mode; 3] = [Mode::Fixed, Mode::Swarm, Mode::Explore];

    /// The mode as `--mode` names it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Fixed => "fixed",
            Mode::Swarm => "swarm",
            Mode::Explore => "explore",
        }
    }

    /// The flags of the simulation binary that select this mode.
    fn flags(self) -> &'static [&'static str] {
        match self {
            Mode::Fixed => &["--no-swarm"],
            Mode::Swarm => &[],
            Mode::Explore => &["--explore"],
        }
    }
}

/// Reads one value of `--mode` (clap splits a comma list into values).
pub(crate) fn parse_mode(text: &str) -> Result<Mode, String> {
    let wanted = text.trim();
    Mode::ALL
        .into_iter()
        .find(|mode| mode.name().eq_ignore_ascii_case(wanted))
        .ok_or_else(|| {
            format!(
                "unknown mode '{wanted}': give fixed, swarm or explore, \
                 repeated or as a comma list (e.g. --mode fixed,swarm); \
                 without --mode all three run"
            )
        })
}

/// The modes to run: those given, in column order and once each; every mode
/// when none is given.
pub(crate) fn selected_modes(given: &[Mode]) -> Vec<Mode> {
    let mut modes = if given.is_empty() {
        Mode::ALL.to_vec()
    } else {
        given.to_vec()
    };
    modes.sort_unstable();
    modes.dedup();
    modes
}

/// What `cargo xtask bugs` was asked for.
pub(crate) struct BugsArgs {
    /// Seeds of every campaign (`--iterations`).
    pub(crate) iterations: u64,
    /// The base seed of every campaign (`--base-seed`), as given.
    pub(crate) base_seed: String,
    /// Only this simulation (`--sim`).
    pub(crate) sim: Option<String>,
    /// Shrinks each bug's first failure (`--shrink`).
    pub(crate) shrink: bool,
    /// The modes given (`--mode`); empty for all three.
    pub(crate) modes: Vec<Mode>,
}

/// How many of a campaign's seeds failed, of how many run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Share {
    failed: u64,
    iterations: u64,
}

impl Share {
    /// The failed seeds as a percentage of those run; 0 for none run.
    fn percent(self) -> f64 {
        if self.iterations == 0 {
            return 0.0;
        }
        100.0 * self.failed as f64 / self.iterations as f64
    }

    /// Whether fewer than [`RARE_PERCENT`] of the seeds failed.
    fn is_rare(self) -> bool {
        u128::from(self.failed) * 100 < u128::from(self.iterations) * u128::from(RARE_PERCENT)
    }

    /// Whether this share is at least `factor` times `other`, in exact
    /// integers (the two campaigns may have run different counts).
    fn at_least(self, factor: u64, other: Share) -> bool {
        u128::from(self.failed) * u128::from(other.iterations)
            >= u128::from(factor) * u128::from(other.failed) * u128::from(self.iterations)
    }
}

/// A share as the table shows it: `9.8% (1st @4)`, with the seeds run until
/// the first failure; `0% (none)` when no seed failed, `-` when none ran.
fn share_text(share: Share, first_at: Option<u64>) -> String {
    if share.iterations == 0 {
        return "-".to_string();
    }
    let percent = share.percent();
    let percent = if share.failed == 0 {
        "0%".to_string()
    } else if percent < 0.1 {
        "<0.1%".to_string()
    } else {
        format!("{percent:.1}%")
    };
    match first_at {
        Some(seeds) if share.failed > 0 => format!("{percent} (1st @{seeds})"),
        _ if share.failed == 0 => format!("{percent} (none)"),
        _ => percent,
    }
}

/// Whether a bug meets the target: a bug that fewer than [`RARE_PERCENT`]
/// of seeds catch under the fixed mix must be caught by at least
/// [`TARGET_FACTOR`] times as many under swarm or exploration.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    /// The fixed mix catches it often enough: no target.
    Common,
    /// The better of swarm and exploration does this many times better
    /// (`None`: infinitely, the fixed mix caught it on no seed).
    Met(Option<f64>),
    /// It does only this many times better (`None`: neither caught it at all).
    Missed(Option<f64>),
    /// Not judged: no fixed column, or neither swarm nor exploration ran.
    Unjudged,
}

impl Target {
    /// `fixed`'s share against the better of `others` (swarm, exploration).
    fn judge(fixed: Option<Share>, others: &[Share]) -> Target {
        let Some(fixed) = fixed.filter(|share| share.iterations > 0) else {
            return Target::Unjudged;
        };
        if !fixed.is_rare() {
            return Target::Common;
        }
        let best = others
            .iter()
            .copied()
            .filter(|share| share.iterations > 0)
            .reduce(|best, share| if share.at_least(1, best) { share } else { best });
        let Some(best) = best else {
            return Target::Unjudged;
        };
        let ratio = (fixed.failed > 0).then(|| best.percent() / fixed.percent());
        let ratio = match (ratio, best.failed) {
            (None, 0) => None,
            (None, _) => return Target::Met(None),
            (ratio, _) => ratio,
        };
        if best.failed > 0 && best.at_least(TARGET_FACTOR, fixed) {
            Target::Met(ratio)
        } else {
            Target::Missed(ratio)
        }
    }

    /// The TARGET cell: `3.2x ok`, `1.4x MISSED`, blank for a common bug.
    fn text(self) -> String {
        // Rounded down, so that a ratio just under the target never reads as it.
        let times = |ratio: f64| format!("{:.1}x", (ratio * 10.0).floor() / 10.0);
        match self {
            Target::Common => String::new(),
            Target::Met(Some(ratio)) => format!("{} ok", times(ratio)),
            Target::Met(None) => "new ok".to_string(),
            Target::Missed(Some(ratio)) => format!("{} MISSED", times(ratio)),
            Target::Missed(None) => "none MISSED".to_string(),
            Target::Unjudged => "-".to_string(),
        }
    }
}

/// The simulation binary's flags in a failure's replay command: every word
/// from the first flag on (`cargo xtask sim run kv --bug B --seed 0x2a`
/// gives `--bug B --seed 0x2a`); `None` when it names no flag.
fn replay_flags(replay: &str) -> Option<Vec<String>> {
    let flags: Vec<String> = replay
        .split_whitespace()
        .skip_while(|word| !word.starts_with("--"))
        .map(str::to_string)
        .collect();
    (!flags.is_empty()).then_some(flags)
}

/// `flags` without `--seed SEED` (a replay file carries its seed).
fn without_seed(flags: &[String]) -> Vec<String> {
    let mut kept = Vec::new();
    let mut words = flags.iter();
    while let Some(word) = words.next() {
        if word == "--seed" {
            words.next();
        } else if !word.starts_with("--seed=") {
            kept.push(word.clone());
        }
    }
    kept
}

/// The first failure of a campaign (the lowest failing iteration).
struct First {
    /// Seeds run until it: its position in the campaign, from 1.
    seeds: u64,
    seed: u64,
    reason: String,
    /// The simulation binary's flags that replay it.
    flags: Vec<String>,
    /// Whether those flags fail for the same reason again.
    replays: bool,
}

/// What one campaign in one mode found.
struct Outcome {
    share: Share,
    first: Option<First>,
    /// Whether the campaign passed ([`SimulationReport::is_success`]).
    success: bool,
}

/// One campaign in one mode: its outcome (`None` when the binary refused the
/// mode's flag) and its wall time.
struct ModeRun {
    mode: Mode,
    outcome: Option<Outcome>,
    wall: Duration,
}

/// One planted bug's campaigns, as the table shows them.
struct BugRow {
    name: String,
    /// One campaign per mode, in column order.
    runs: Vec<ModeRun>,
    /// With `--shrink`: the first failure shrunk, and whether its replay
    /// file re-runs it to the same failure.
    shrunk: Option<(Shrunk, bool)>,
}

impl BugRow {
    /// The share of seeds `mode` caught it in, if that campaign ran.
    fn share(&self, mode: Mode) -> Option<Share> {
        self.runs
            .iter()
            .find(|run| run.mode == mode)
            .and_then(|run| run.outcome.as_ref())
            .map(|outcome| outcome.share)
    }

    /// The first failure of the leftmost mode that caught the bug.
    fn first(&self) -> Option<(Mode, &First)> {
        self.runs.iter().find_map(|run| {
            let first = run.outcome.as_ref()?.first.as_ref()?;
            Some((run.mode, first))
        })
    }

    /// Whether some mode caught it.
    fn caught(&self) -> bool {
        self.first().is_some()
    }

    /// The modes whose first failure did not replay.
    fn not_replayed(&self) -> Vec<Mode> {
        self.runs
            .iter()
            .filter(|run| {
                let first = run.outcome.as_ref().and_then(|o| o.first.as_ref());
                first.is_some_and(|first| !first.replays)
            })
            .map(|run| run.mode)
            .collect()
    }

    /// The target's judgement of this bug.
    fn target(&self) -> Target {
        let others: Vec<Share> = [Mode::Swarm, Mode::Explore]
            .into_iter()
            .filter_map(|mode| self.share(mode))
            .collect();
        Target::judge(self.share(Mode::Fixed), &others)
    }
}

/// How every campaign of one simulation is run.
struct Campaign<'a> {
    binary: &'a Path,
    iterations: u64,
    base_seed: &'a str,
    /// Shrinks each bug's first failure (`--shrink`).
    shrink: bool,
    /// The modes run, in column order.
    modes: &'a [Mode],
    /// Modes the binary refused (exit 2), with what it said: not asked again.
    refused: Vec<(Mode, String)>,
}

/// Bugs of the simulations run so far measured against the target.
#[derive(Default)]
struct Tally {
    /// Bugs that fewer than [`RARE_PERCENT`] of seeds catch under the fixed mix.
    rare: u64,
    /// Those of them that swarm or exploration catches [`TARGET_FACTOR`]x as often.
    meeting: u64,
}

/// `cargo xtask bugs`: for every simulation with planted bugs (only `sim`'s
/// when given), exits 0 when every bug is caught in some mode, every first
/// failure replays, no rare bug misses the target, and the correct server
/// passes in every mode; 1 otherwise.
pub(crate) fn bugs(args: &BugsArgs) -> Result<ExitCode> {
    let sims = match &args.sim {
        Some(name) => vec![find_simulation(name)?],
        None => simulations()?,
    };
    let modes = selected_modes(&args.modes);
    let judged = modes.contains(&Mode::Fixed) && modes.len() > 1;
    let mut all_ok = true;
    let mut with_bugs = 0;
    let mut tally = Tally::default();
    for sim in sims {
        let binary = build_release(&sim.package, &sim.binary)?;
        let Some(names) = planted_bugs(&binary)? else {
            continue;
        };
        if with_bugs > 0 {
            outln!()?;
        }
        with_bugs += 1;
        let mut campaign = Campaign {
            binary: &binary,
            iterations: args.iterations,
            base_seed: &args.base_seed,
            shrink: args.shrink,
            modes: &modes,
            refused: Vec::new(),
        };
        all_ok &= bugs_of(&sim, &mut campaign, names, &mut tally)?;
    }
    if with_bugs == 0 {
        bail!("no simulation has planted bugs (none answers `--bug list`)");
    }
    outln!()?;
    if judged {
        if with_bugs > 1 {
            outln!(
                "all simulations: bugs under {RARE_PERCENT}% today: {}; meeting {TARGET_FACTOR}x: {}",
                tally.rare,
                tally.meeting
            )?;
        }
        outln!("bugs_meeting_target={}/{}", tally.meeting, tally.rare)?;
    } else {
        outln!("bugs_meeting_target=not_judged")?;
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The planted bugs `binary` lists (`--bug list`), or `None` when it takes no
/// `--bug` flag.
fn planted_bugs(binary: &Path) -> Result<Option<Vec<String>>> {
    let output = Command::new(binary)
        .args(["--bug", "list"])
        .output()
        .with_context(|| format!("running {} --bug list", binary.display()))?;
    match output.status.code() {
        Some(0) => {}
        Some(USAGE_ERROR) => return Ok(None),
        None => return Err(killed(binary, output.status).into()),
        _ => bail!(
            "{} --bug list failed: {}",
            binary.display(),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
    let listing = String::from_utf8_lossy(&output.stdout);
    let names = listing
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect();
    Ok(Some(names))
}

/// Runs each of `names` and the correct server on `sim` in every mode,
/// prints the table; whether every bug was caught and replayed, every rare
/// one met the target, and the correct server passed.
fn bugs_of(
    sim: &Simulation,
    campaign: &mut Campaign<'_>,
    names: Vec<String>,
    tally: &mut Tally,
) -> Result<bool> {
    let mut rows = Vec::new();
    for name in names {
        let mut runs = Vec::new();
        for &mode in campaign.modes {
            runs.push(campaign.run(Some(&name), mode)?);
        }
        progress(&sim.name, &name, &runs);
        let mut row = BugRow {
            name,
            runs,
            shrunk: None,
        };
        if campaign.shrink {
            row.shrunk = match row.first() {
                Some((_, first)) => campaign.shrunk(&first.flags)?,
                None => None,
            };
        }
        rows.push(row);
    }
    let mut honest = Vec::new();
    for &mode in campaign.modes {
        honest.push(campaign.run(None, mode)?);
    }
    progress(&sim.name, "correct server", &honest);
    print_bug_table(&sim.name, &rows, campaign, &honest, tally)?;
    if campaign.shrink {
        print_shrink_table(&rows)?;
    }
    let bugs_ok = rows.iter().all(|row| {
        let shrunk_ok = !campaign.shrink || row.shrunk.as_ref().is_some_and(|(_, same)| *same);
        let target_ok = !matches!(row.target(), Target::Missed(_));
        row.caught() && row.not_replayed().is_empty() && target_ok && shrunk_ok
    });
    let honest_ok = honest
        .iter()
        .filter_map(|run| run.outcome.as_ref())
        .all(|outcome| outcome.success);
    Ok(bugs_ok && honest_ok)
}

/// Tells standard error that one bug's campaigns are done, and how long each took.
fn progress(sim: &str, what: &str, runs: &[ModeRun]) {
    let times: Vec<String> = runs
        .iter()
        .map(|run| match run.outcome {
            Some(_) => format!("{} {:.1}s", run.mode.name(), run.wall.as_secs_f64()),
            None => format!("{} -", run.mode.name()),
        })
        .collect();
    eprintln!("{sim}: {what}: {}", times.join(", "));
}

impl Campaign<'_> {
    /// The campaign in `mode` with `bug` planted, or the correct server's;
    /// its first failure replayed.
    fn run(&mut self, bug: Option<&str>, mode: Mode) -> Result<ModeRun> {
        let refused = ModeRun {
            mode,
            outcome: None,
            wall: Duration::ZERO,
        };
        if self.refused.iter().any(|(refused, _)| *refused == mode) {
            return Ok(refused);
        }
        let mut command = Command::new(self.binary);
        command.args(["--iterations", &self.iterations.to_string()]);
        command.args(["--base-seed", self.base_seed, "--json"]);
        // The table measures each campaign alone, not the seeds kept from earlier ones.
        command.args(["--failure-file", "off"]);
        command.args(mode.flags());
        if let Some(bug) = bug {
            command.args(["--bug", bug]);
        }
        let start = Instant::now();
        let output = run_command(&mut command)?;
        let wall = start.elapsed();
        // Only a flag a binary may not have yet is refused quietly.
        if mode == Mode::Explore && output.status.code() == Some(USAGE_ERROR) {
            let said = String::from_utf8_lossy(&output.stderr);
            let said = said.lines().next().unwrap_or("").trim().to_string();
            self.refused.push((mode, said));
            return Ok(refused);
        }
        let report = report_from(&command, &output)?;
        let first = match report.failures.iter().min_by_key(|f| f.iteration) {
            Some(failure) => {
                let flags = replay_flags(&failure.replay).unwrap_or_else(|| {
                    let mut flags: Vec<String> = bug
                        .map(|bug| vec!["--bug".to_string(), bug.to_string()])
                        .unwrap_or_default();
                    flags.extend(mode.flags().iter().map(|flag| flag.to_string()));
                    flags.extend(["--seed".to_string(), format!("{:#x}", failure.seed)]);
                    flags
                });
                let replays = self.replays(&flags, &failure.reason)?;
                Some(First {
                    seeds: failure.iteration + 1,
                    seed: failure.seed,
                    reason: failure.reason.clone(),
                    flags,
                    replays,
                })
            }
            None => None,
        };
        let outcome = Outcome {
            share: Share {
                failed: report.failed,
                iterations: report.iterations,
            },
            first,
            success: report.is_success(),
        };
        Ok(ModeRun {
            mode,
            outcome: Some(outcome),
            wall,
        })
    }

    /// Whether the binary run with a failure's replay `flags` fails for
    /// `reason` again.
    fn replays(&self, flags: &[String], reason: &str) -> Result<bool> {
        let mut replay = Command::new(self.binary);
        replay.args(flags).args(["--json", "--log", "off"]);
        let replayed = report_of(&mut replay)?;
        Ok(replayed.failures.first().map(|f| f.reason.as_str()) == Some(reason))
    }
}

/// Directory of the replay files `--shrink` writes.
const SHRUNK_DIR: &str = "target/tidepool-bugs/shrunk";

impl Campaign<'_> {
    /// The failure that the replay `flags` re-run, shrunk; with whether its
    /// replay file re-runs to the same failure (kind and origin).
    fn shrunk(&self, flags: &[String]) -> Result<Option<(Shrunk, bool)>> {
        let mut command = Command::new(self.binary);
        command.args(flags).args(["--json", "--shrink"]);
        command.args(["--shrink-dir", SHRUNK_DIR, "--log", "off"]);
        let Some(shrunk) = report_of(&mut command)?.shrunk else {
            return Ok(None);
        };
        let Some(file) = &shrunk.file else {
            return Ok(Some((shrunk, false)));
        };
        let mut replay = Command::new(self.binary);
        replay.args(without_seed(flags));
        replay.args(["--json", "--log", "off", "--replay"]);
        replay.arg(file);
        let replayed = report_of(&mut replay)?;
        let same = replayed.failures.first().is_some_and(|failure| {
            failure.kind == shrunk.identity.kind && failure.origin == shrunk.identity.origin
        }) && replayed
            .notes
            .iter()
            .any(|note| note.contains("reproduced exactly"));
        Ok(Some((shrunk, same)))
    }
}

/// The median of `values` (the lower middle of an even count); 0 for none.
fn median(mut values: Vec<u64>) -> u64 {
    values.sort_unstable();
    values
        .get(values.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0)
}

/// Before and after shrinking, each bug's faults and operations, and the medians.
fn print_shrink_table(rows: &[BugRow]) -> Result<()> {
    let width = rows
        .iter()
        .map(|row| row.name.len())
        .max()
        .unwrap_or(0)
        .max(NAME_CHARS_MIN);
    outln!()?;
    outln!(
        "{:<width$} {:>14}  {:>14}  {:>16}  {:>5}  SAME FAILURE",
        "SHRUNK",
        "FAULTS",
        "OPERATIONS",
        "SIMULATED TIME",
        "RUNS"
    )?;
    let (mut faults, mut operations) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    for row in rows {
        let Some((shrunk, same)) = &row.shrunk else {
            outln!("{:<width$} {:>14}", row.name, "not shrunk")?;
            continue;
        };
        let (before, after) = (&shrunk.original, &shrunk.shrunk);
        faults.0.push(before.fault_total());
        faults.1.push(after.fault_total());
        let ops = match (before.operations, after.operations) {
            (Some(b), Some(a)) => {
                operations.0.push(b);
                operations.1.push(a);
                format!("{b} -> {a}")
            }
            _ => "-".to_string(),
        };
        outln!(
            "{:<width$} {:>14}  {:>14}  {:>16}  {:>5}  {}",
            row.name,
            format!("{} -> {}", before.fault_total(), after.fault_total()),
            ops,
            format!(
                "{:.1}s -> {:.1}s",
                before.sim_time_ns as f64 / 1e9,
                after.sim_time_ns as f64 / 1e9
            ),
            shrunk.runs,
            if *same { "yes (replays exactly)" } else { "NO" }
        )?;
    }
    let ratio = |(before, after): (Vec<u64>, Vec<u64>)| {
        if before.is_empty() {
            return "not counted".to_string();
        }
        let (before, after) = (median(before), median(after));
        match after {
            0 if before > 0 => format!("{before} -> 0 (all gone)"),
            0 => "0 -> 0".to_string(),
            _ => format!("{before} -> {after} ({:.1}x)", before as f64 / after as f64),
        }
    };
    outln!()?;
    outln!(
        "median faults {}, median operations {}",
        ratio(faults),
        ratio(operations)
    )?;
    Ok(())
}

/// Prints `rows` under `header`, each column as wide as its widest cell (the
/// first at least [`NAME_CHARS_MIN`]), two spaces apart.
fn print_columns(header: &[String], rows: &[Vec<String>]) -> Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|cell| cell.chars().count()).collect();
    widths[0] = widths[0].max(NAME_CHARS_MIN);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        outln!("{}", line.join("  ").trim_end())?;
    }
    Ok(())
}

/// The REPLAYS cell: `yes` when the first failure of every mode that caught
/// the bug replays, `NO (MODES)` naming those that do not, `-` when none caught it.
fn replays_text(row: &BugRow) -> String {
    if !row.caught() {
        return "-".to_string();
    }
    let not_replayed: Vec<&str> = row.not_replayed().iter().map(|mode| mode.name()).collect();
    if not_replayed.is_empty() {
        "yes".to_string()
    } else {
        format!("NO ({})", not_replayed.join(", "))
    }
}

/// The table of one simulation's bugs, the correct server's campaigns, the
/// wall time of each mode, and the target's count (added to `tally`).
fn print_bug_table(
    sim: &str,
    rows: &[BugRow],
    campaign: &Campaign<'_>,
    honest: &[ModeRun],
    tally: &mut Tally,
) -> Result<()> {
    let (iterations, base_seed) = (campaign.iterations, campaign.base_seed);
    let modes = campaign.modes;
    let judged = modes.contains(&Mode::Fixed) && modes.len() > 1;
    outln!(
        "planted bugs of the {sim} simulation, {iterations} seeds per campaign from base seed {base_seed}"
    )?;
    outln!()?;
    let mut header = vec!["BUG".to_string()];
    header.extend(modes.iter().map(|mode| mode.name().to_uppercase()));
    if judged {
        header.push("TARGET".to_string());
    }
    header.extend(["SEED", "REPLAYS", "REASON"].map(str::to_string));
    let mut lines = Vec::new();
    for row in rows {
        let mut line = vec![row.name.clone()];
        for run in &row.runs {
            line.push(match &run.outcome {
                Some(outcome) => share_text(
                    outcome.share,
                    outcome.first.as_ref().map(|first| first.seeds),
                ),
                None => "-".to_string(),
            });
        }
        if judged {
            let target = row.target();
            match target {
                Target::Met(_) => (tally.rare, tally.meeting) = (tally.rare + 1, tally.meeting + 1),
                Target::Missed(_) | Target::Unjudged => tally.rare += 1,
                Target::Common => {}
            }
            line.push(target.text());
        }
        match row.first() {
            Some((_, first)) => line.extend([
                format!("{:#018x}", first.seed),
                replays_text(row),
                short_reason(&first.reason),
            ]),
            None => line.extend(["-", "-", "not caught"].map(str::to_string)),
        }
        lines.push(line);
    }
    print_columns(&header, &lines)?;
    outln!()?;
    if modes.len() > 1 {
        outln!("SEED and REASON: the first failure of the leftmost mode that caught the bug")?;
    }
    for (mode, said) in &campaign.refused {
        outln!(
            "{}: the binary refuses {} ({said}): its column shows -",
            mode.name(),
            mode.flags().join(" ")
        )?;
    }
    let honest_text: Vec<String> = honest
        .iter()
        .map(|run| match &run.outcome {
            Some(outcome) => format!(
                "{} {} of {} seeds failed",
                run.mode.name(),
                outcome.share.failed,
                outcome.share.iterations
            ),
            None => format!("{} -", run.mode.name()),
        })
        .collect();
    outln!("correct server: {}", honest_text.join(", "))?;
    let walls: Vec<String> = modes
        .iter()
        .map(|&mode| {
            let runs = rows
                .iter()
                .flat_map(|row| &row.runs)
                .chain(honest)
                .filter(|run| run.mode == mode);
            let mut ran = false;
            let mut wall = Duration::ZERO;
            for run in runs {
                ran |= run.outcome.is_some();
                wall += run.wall;
            }
            match ran {
                true => format!("{} {:.1}s", mode.name(), wall.as_secs_f64()),
                false => format!("{} -", mode.name()),
            }
        })
        .collect();
    outln!(
        "wall time per mode ({} campaigns of {iterations} seeds each): {}",
        rows.len() + 1,
        walls.join(", ")
    )?;
    if judged {
        let rare: Vec<Target> = rows
            .iter()
            .map(BugRow::target)
            .filter(|target| *target != Target::Common)
            .collect();
        let meeting = rare
            .iter()
            .filter(|target| matches!(target, Target::Met(_)))
            .count();
        outln!(
            "bugs under {RARE_PERCENT}% today: {}; meeting {TARGET_FACTOR}x: {meeting}",
            rare.len()
        )?;
    } else {
        outln!(
            "target not judged: it compares fixed with swarm or explore (give --mode fixed and one of them)"
        )?;
    }
    Ok(())
}

/// The gist of a failure's reason: an assertion's message without its site,
/// time and details.
fn short_reason(reason: &str) -> String {
    let gist = match reason.split_once("s: ") {
        Some((_, message)) if reason.starts_with("always violated") => message,
        _ => reason,
    };
    let gist = gist.split(" (").next().unwrap_or(gist);
    gist.chars().take(REASON_CHARS_MAX).collect()
}

/// Runs `command`, which prints a JSON report, and reads the report.
fn report_of(command: &mut Command) -> Result<SimulationReport> {
    let output = run_command(command)?;
    report_from(command, &output)
}

/// Runs `command` to its end; a child killed by a signal is an error.
fn run_command(command: &mut Command) -> Result<Output> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if output.status.code().is_none() {
        let program = command.get_program().to_string_lossy().into_owned();
        return Err(killed(Path::new(&program), output.status).into());
    }
    Ok(output)
}

/// The JSON report `command` printed in `output`; exit codes 0 and 1 (a
/// failed campaign) are both answers.
fn report_from(command: &Command, output: &Output) -> Result<SimulationReport> {
    if !matches!(output.status.code(), Some(0 | 1)) {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout).context("reading the simulation's JSON report")
}

/// The error of `binary`, killed by a signal (`status` has no exit code).
fn killed(binary: &Path, status: std::process::ExitStatus) -> Killed {
    crate::output::exit_of(&binary.display().to_string(), status)
        .expect_err("a status without an exit code is a signal's")
}

/// Directory of the copies of the simulation binaries the campaigns run.
const BINARIES_DIR: &str = "tidepool-bugs/bin";

/// Builds `binary` of `package` in release and returns the path of a copy of
/// it (under the target directory's [`BINARIES_DIR`]): a build of the
/// workspace while the campaigns run (an edit, another command) cannot swap
/// the binary between a campaign and the replay of its failure.
fn build_release(package: &str, binary: &str) -> Result<PathBuf> {
    let status = Command::new(cargo())
        .args(["build", "--quiet", "--release", "--package", package])
        .args(["--bin", binary])
        .status()
        .with_context(|| format!("building {binary}"))?;
    if !status.success() {
        bail!("building {binary} failed");
    }
    let metadata = metadata()?;
    let target = PathBuf::from(
        metadata["target_directory"]
            .as_str()
            .context("cargo metadata names no target directory")?,
    );
    let built = target.join("release").join(binary);
    let dir = target.join(BINARIES_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let copy = dir.join(binary);
    // A fresh file each time: a copy still running elsewhere keeps its own.
    let _ = std::fs::remove_file(&copy);
    std::fs::copy(&built, &copy)
        .with_context(|| format!("copying {} to {}", built.display(), copy.display()))?;
    Ok(copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn share(failed: u64, iterations: u64) -> Share {
        Share { failed, iterations }
    }

    #[test]
    fn short_reasons_keep_an_assertion_message_only() {
        let reason = "always violated at examples/kv/src/workload.rs:505:9 at 4.472632s: \
                      a DELETE matches the model (server=10.1.0.1:4500, key=3)";
        assert_eq!(short_reason(reason), "a DELETE matches the model");
        assert_eq!(
            short_reason("workload kv: no reply"),
            "workload kv: no reply"
        );
    }

    #[test]
    fn shares_read_as_a_percentage_and_the_first_failure() {
        assert_eq!(share_text(share(98, 1000), Some(4)), "9.8% (1st @4)");
        assert_eq!(share_text(share(1000, 1000), Some(1)), "100.0% (1st @1)");
        assert_eq!(share_text(share(1, 1000), Some(734)), "0.1% (1st @734)");
        assert_eq!(share_text(share(1, 100_000), Some(9)), "<0.1% (1st @9)");
        assert_eq!(share_text(share(0, 1000), None), "0% (none)");
        assert_eq!(share_text(share(0, 0), None), "-");
        // A failure past those the report keeps in detail: the share alone.
        assert_eq!(share_text(share(5, 1000), None), "0.5%");
    }

    #[test]
    fn a_bug_caught_by_ten_percent_of_fixed_seeds_has_no_target() {
        assert_eq!(
            Target::judge(Some(share(100, 1000)), &[share(0, 1000)]),
            Target::Common
        );
        assert_eq!(Target::Common.text(), "");
        assert!(share(99, 1000).is_rare());
        assert!(!share(100, 1000).is_rare());
    }

    #[test]
    fn a_rare_bug_needs_three_times_the_seeds_under_swarm_or_explore() {
        // 3% fixed: 9% meets the target exactly, 8.9% misses it.
        let met = Target::judge(Some(share(30, 1000)), &[share(90, 1000)]);
        assert_eq!(met, Target::Met(Some(3.0)));
        assert_eq!(met.text(), "3.0x ok");
        let missed = Target::judge(Some(share(30, 1000)), &[share(89, 1000)]);
        assert!(matches!(missed, Target::Missed(Some(_))));
        // Rounded down: 2.96x never reads as 3.0x.
        assert_eq!(missed.text(), "2.9x MISSED");
        // The better of swarm and explore counts.
        let best = Target::judge(Some(share(20, 1000)), &[share(30, 1000), share(64, 1000)]);
        assert_eq!(best.text(), "3.2x ok");
        let neither = Target::judge(Some(share(50, 1000)), &[share(70, 1000), share(60, 1000)]);
        assert_eq!(neither.text(), "1.4x MISSED");
    }

    #[test]
    fn a_bug_the_fixed_mix_never_catches_meets_the_target_once_caught_at_all() {
        let new = Target::judge(Some(share(0, 1000)), &[share(0, 1000), share(3, 1000)]);
        assert_eq!(new, Target::Met(None));
        assert_eq!(new.text(), "new ok");
        let none = Target::judge(Some(share(0, 1000)), &[share(0, 1000)]);
        assert_eq!(none, Target::Missed(None));
        assert_eq!(none.text(), "none MISSED");
    }

    #[test]
    fn the_target_is_not_judged_without_both_sides() {
        assert_eq!(Target::judge(None, &[share(5, 1000)]), Target::Unjudged);
        assert_eq!(Target::judge(Some(share(5, 1000)), &[]), Target::Unjudged);
        assert_eq!(Target::Unjudged.text(), "-");
    }

    #[test]
    fn shares_of_campaigns_of_different_lengths_compare_exactly() {
        // 10 of 500 (2%) against 3 of 1000 (0.3%): more than 3x.
        assert!(share(10, 500).at_least(3, share(3, 1000)));
        assert!(!share(3, 1000).at_least(3, share(10, 500)));
    }

    #[test]
    fn modes_parse_by_name_and_a_bad_one_says_what_to_give() {
        assert_eq!(parse_mode("fixed"), Ok(Mode::Fixed));
        assert_eq!(parse_mode(" Swarm"), Ok(Mode::Swarm));
        assert_eq!(parse_mode("explore"), Ok(Mode::Explore));
        let error = parse_mode("swram").unwrap_err();
        assert!(error.contains("unknown mode 'swram'"), "{error}");
        assert!(error.contains("fixed, swarm or explore"), "{error}");
    }

    #[test]
    fn every_mode_runs_by_default_and_given_ones_once_in_column_order() {
        assert_eq!(selected_modes(&[]), Mode::ALL.to_vec());
        assert_eq!(
            selected_modes(&[Mode::Explore, Mode::Fixed, Mode::Explore]),
            vec![Mode::Fixed, Mode::Explore]
        );
    }

    #[test]
    fn a_replay_command_gives_the_binarys_flags() {
        let replay =
            "cargo xtask sim run kv-durable --bug reply_before_fsync --no-swarm --seed 0x2a";
        let flags = replay_flags(replay).unwrap();
        assert_eq!(
            flags,
            [
                "--bug",
                "reply_before_fsync",
                "--no-swarm",
                "--seed",
                "0x2a"
            ]
        );
        assert_eq!(
            without_seed(&flags),
            ["--bug", "reply_before_fsync", "--no-swarm"]
        );
        assert_eq!(replay_flags("cargo xtask sim run kv"), None);
        assert_eq!(replay_flags(""), None);
    }
}
