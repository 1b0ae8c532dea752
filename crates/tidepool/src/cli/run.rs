//! Running a simulation from its command line: flags onto the builder, the
//! report out, the exit status.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use super::args::{SHARD_INDEX_VARIABLE, SimArgs, shard_from_env};
use crate::runner::SimulationBuilder;

#[derive(Parser)]
#[command(about = "Runs a tidepool simulation: many seeds, then a report")]
struct DefaultCli {
    #[command(flatten)]
    sim: SimArgs,
}

/// Parses the process's arguments as [`SimArgs`] and runs `builder` with them.
///
/// Exit status: 0 when every iteration passed, 1 when any failed, 2 on a
/// usage or configuration error, 3 when the report could not be written.
pub fn main(builder: SimulationBuilder) -> ExitCode {
    let cli = DefaultCli::parse();
    run(builder, &cli.sim)
}

/// Applies `args` to `builder`, runs it, prints the report, and returns the exit status
/// (0: every iteration passed; 1: some failed; 2: the configuration is invalid;
/// 3: the report could not be written). A reader that closes the output early
/// (`| head`) changes nothing: the status is the verdict's.
pub fn run(builder: SimulationBuilder, args: &SimArgs) -> ExitCode {
    crate::logging::install(
        args.log.as_deref(),
        args.seed.is_some() || args.replay.is_some(),
    );
    let mut args = args.clone();
    if args.shard_from_env {
        match shard_from_env(
            std::env::var(SHARD_INDEX_VARIABLE).ok().as_deref(),
            args.shards,
        ) {
            Ok(shard) => args.shard = Some(shard),
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(2);
            }
        }
    }
    let builder = apply(builder, &args);
    let wants_timeline = args.timeline.is_some() || args.trace_out.is_some();
    if wants_timeline && args.seed.is_none() && args.replay.is_none() {
        eprintln!("error: --timeline and --trace-out need --seed SEED or --replay FILE");
        return ExitCode::from(2);
    }
    let log = args.log.as_deref().unwrap_or("debug");
    let run = match (args.seed, &args.replay) {
        (_, Some(path)) => builder
            .run_replay(path, wants_timeline.then_some(log))
            .map_err(|error| error.to_string()),
        (Some(seed), None) if wants_timeline => builder
            .run_with_timeline(seed, log)
            .map(|(report, timeline)| (report, Some(timeline)))
            .map_err(|error| error.to_string()),
        _ => builder
            .run()
            .map(|report| (report, None))
            .map_err(|error| error.to_string()),
    };
    let (report, timeline) = match run {
        Ok(run) => run,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(timeline) = &timeline {
        if let Err(error) = super::timeline::write(timeline, &args) {
            eprintln!("error: {error}");
            return ExitCode::from(EXIT_OUTPUT_ERROR);
        }
    }
    let verdict = if report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    if let Some(path) = &args.junit {
        if let Err(error) = write_junit(&report, path) {
            eprintln!(
                "error: writing the JUnit report to {}: {error}",
                path.display()
            );
            return ExitCode::from(EXIT_OUTPUT_ERROR);
        }
    }
    match print_report(&report, args.json) {
        Ok(()) => verdict,
        // A reader that stopped early (`| head`) wanted no more: the verdict stands.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => verdict,
        Err(error) => {
            eprintln!("error: writing the report: {error}");
            ExitCode::from(EXIT_OUTPUT_ERROR)
        }
    }
}

/// The exit status when the report could not be written (a full disk, a
/// closed output; not a reader that stopped early).
const EXIT_OUTPUT_ERROR: u8 = 3;

fn write_junit(report: &crate::SimulationReport, path: &std::path::Path) -> std::io::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    report.write_junit(&mut file)?;
    file.flush()
}

fn print_report(report: &crate::SimulationReport, json: bool) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    if json {
        report.write_json(&mut stdout)?;
        writeln!(stdout)?;
    } else {
        write!(stdout, "{report}")?;
    }
    stdout.flush()
}

/// Applies the flags to the builder (flags given override the simulation's own settings).
pub fn apply(mut builder: SimulationBuilder, args: &SimArgs) -> SimulationBuilder {
    if let Some(iterations) = args.iterations {
        builder = builder.iterations(iterations);
    }
    if let Some(base) = args.base_seed {
        builder = builder.base_seed(base);
    }
    if let Some(jobs) = args.jobs {
        builder = builder.jobs(jobs);
    }
    if let Some((index, count)) = args.shard {
        builder = builder.shard(index, count);
    }
    if let Some(limit) = args.max_memory_per_seed {
        builder = builder.memory_per_seed_max(limit.max());
    }
    if let Some(limit) = args.max_wall_per_seed {
        builder = builder.wall_per_seed_max(limit.max());
    }
    if let Some(preset) = args.network {
        builder = preset.apply(builder);
    }
    if let Some(preset) = args.attrition {
        builder = preset.apply(builder);
    }
    if let Some(preset) = args.storage {
        builder = preset.apply(builder);
    }
    if let Some(mode) = args.sanitizer {
        builder = builder.sanitizer(mode);
    }
    builder = builder.swarm(!args.no_swarm);
    if args.shrink {
        let dir = args
            .shrink_dir
            .clone()
            .unwrap_or_else(super::keep::shrink_dir_default);
        builder = builder.shrink(Some(dir));
    }
    if let Some(seed) = args.seed {
        builder = builder.seeds([seed]).jobs(1).verbose_replay(true);
        if let Some(points) = &args.branch {
            builder = builder.branch(points.clone());
        }
    } else if args.replay.is_some() {
        builder = builder.verbose_replay(true);
    } else if let Some(path) = super::keep::failure_file_path(args.failure_file.as_ref()) {
        builder = builder.failure_file(Some(path), super::keep::revision());
    }
    let extra = passthrough_args();
    let program = std::env::args().next().unwrap_or_default();
    if let Some(name) = std::path::Path::new(&program)
        .file_name()
        .and_then(|name| name.to_str())
    {
        if let Some(sim) = name.strip_prefix("sim-") {
            let mut command = format!("cargo xtask sim run {sim}");
            for arg in extra {
                command.push(' ');
                command.push_str(&arg);
            }
            builder = builder.replay_command(command);
        }
    }
    builder
        .explore(args.explore)
        .check_determinism(args.check_determinism)
        .strict_coverage(args.strict_coverage)
        .progress(!args.json && args.seed.is_none() && std::io::stderr().is_terminal())
}

/// The arguments that are the simulation's own (not campaign control), kept in replay commands.
fn passthrough_args() -> Vec<String> {
    // The per-seed budgets stay: a seed that failed on one fails again under it.
    const WITH_VALUE: [&str; 14] = [
        "--branch",
        "--replay",
        "--shrink-dir",
        "--timeline",
        "--trace-out",
        "--failure-file",
        "--junit",
        "--iterations",
        "--seed",
        "--base-seed",
        "--log",
        "--jobs",
        "--shard",
        "--shards",
    ];
    const ALONE: [&str; 6] = [
        "--explore",
        "--shrink",
        "--json",
        "--check-determinism",
        "--strict-coverage",
        "--shard-from-env",
    ];
    let mut kept = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let name = arg.split('=').next().unwrap_or_default();
        if WITH_VALUE.contains(&name) {
            if !arg.contains('=') {
                args.next();
            }
        } else if !ALONE.contains(&name) {
            kept.push(arg);
        }
    }
    kept
}
