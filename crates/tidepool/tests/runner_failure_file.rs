//! Failures are kept across campaigns: a campaign with a failure file appends
//! each failure to it (seed, kind, reason, replay command, revision), and the
//! next campaign of the same simulation and replay command re-runs those
//! seeds first, reports them apart, and fails while one still fails. Shards
//! past the first neither re-run nor keep; a line edited into nonsense is
//! skipped and named, never rewritten. The JUnit report holds a test case for
//! the campaign and one per failure with its replay command.

use std::path::{Path, PathBuf};

use tidepool::runner::{FAILURE_FILE_FORMAT, FailureKind, KeptFailure};
use tidepool::{BoxError, SimulationBuilder, SimulationReport, Workload, WorkloadContext};

/// Fails on the seeds in `failing` when `buggy`, with a reason XML must escape.
struct Picky {
    failing: &'static [u64],
    buggy: bool,
}

impl Workload for Picky {
    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        if self.buggy && self.failing.contains(&ctx.seed()) {
            return Err(format!("seed {} hit <the bug> & \"more\"", ctx.seed()).into());
        }
        Ok(())
    }
}

const FAILING: &[u64] = &[2, 5, 7];

fn campaign(
    file: &Path,
    seeds: &[u64],
    buggy: bool,
    command: &str,
    shard: Option<(u64, u64)>,
) -> SimulationReport {
    let mut builder = SimulationBuilder::new("picky")
        .process("idle", |ctx| async move {
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(move |_| Picky {
            failing: FAILING,
            buggy,
        })
        .seeds(seeds.iter().copied())
        .jobs(2)
        .replay_command(command)
        .failure_file(Some(file.to_path_buf()), Some("rev-1".into()));
    if let Some((index, count)) = shard {
        builder = builder.shard(index, count);
    }
    builder.run().unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tidepool-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("kept/failures.jsonl")
}

fn kept_lines(file: &Path) -> Vec<KeptFailure> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn each_failure_is_appended_once_with_its_seed_reason_replay_and_revision() {
    let file = scratch("append");
    let report = campaign(&file, &[1, 2, 3, 5], true, "run picky", None);
    assert_eq!(report.failed, 2);
    assert!(report.kept.is_none(), "nothing was kept before");
    let lines = kept_lines(&file);
    let seeds: Vec<u64> = lines.iter().map(|line| line.seed).collect();
    assert_eq!(seeds, vec![2, 5]);
    let first = &lines[0];
    assert_eq!(first.format, FAILURE_FILE_FORMAT);
    assert_eq!(first.simulation, "picky");
    assert_eq!(first.command, "run picky");
    assert_eq!(first.kind, FailureKind::Workload);
    assert!(
        first.reason.contains("seed 2 hit <the bug>"),
        "{}",
        first.reason
    );
    assert_eq!(first.replay, "run picky --seed 0x0000000000000002");
    assert_eq!(first.revision.as_deref(), Some("rev-1"));
    assert!(
        report
            .notes
            .iter()
            .any(|note| note.contains("2 new failing seed(s) kept"))
    );
    // The same failures again add no line.
    campaign(&file, &[2, 5], true, "run picky", None);
    assert_eq!(kept_lines(&file).len(), 2);
}

#[test]
fn the_next_campaign_reruns_kept_seeds_first_and_fails_while_one_fails() {
    let file = scratch("rerun");
    campaign(&file, &[1, 2, 3, 5], true, "run picky", None);
    // Seeds 10 and 11 pass; kept seeds 2 and 5 still fail: the campaign fails.
    let report = campaign(&file, &[10, 11], true, "run picky", None);
    assert_eq!(
        (report.iterations, report.failed),
        (2, 0),
        "the campaign's own seeds"
    );
    let kept = report.kept.as_ref().expect("kept seeds re-ran");
    assert_eq!(kept.file, file);
    assert_eq!(kept.seeds, vec![2, 5]);
    let again: Vec<u64> = kept
        .still_failing
        .iter()
        .map(|failure| failure.seed)
        .collect();
    assert_eq!(again, vec![2, 5]);
    assert!(!report.is_success());
    let text = report.to_string();
    assert!(text.contains("simulation picky: FAILED"), "{text}");
    assert!(
        text.contains("2 seed(s) re-run first, 2 fail again, 0 pass now"),
        "{text}"
    );
    assert!(
        text.contains("replay run picky --seed 0x0000000000000002"),
        "{text}"
    );
    // The bug fixed: the kept seeds pass, and so does the campaign.
    let fixed = campaign(&file, &[10, 11], false, "run picky", None);
    let kept = fixed.kept.as_ref().expect("kept seeds re-ran");
    assert_eq!(kept.now_passing, vec![2, 5]);
    assert!(kept.still_failing.is_empty());
    assert!(fixed.is_success(), "{fixed}");
}

#[test]
fn another_replay_command_and_later_shards_leave_the_kept_seeds_alone() {
    let file = scratch("scope");
    campaign(&file, &[2], true, "run picky --bug a", None);
    let other = campaign(&file, &[10], true, "run picky", None);
    assert!(other.kept.is_none(), "another configuration's seeds");
    assert!(other.is_success());
    let second_shard = campaign(&file, &[7, 10], true, "run picky --bug a", Some((1, 2)));
    assert!(second_shard.kept.is_none(), "only the first shard re-runs");
    assert_eq!(second_shard.failed, 0, "{second_shard}");
    let first_shard = campaign(&file, &[7, 10], true, "run picky --bug a", Some((0, 2)));
    assert_eq!(first_shard.kept.as_ref().unwrap().seeds, vec![2]);
    let seeds: Vec<u64> = kept_lines(&file).iter().map(|line| line.seed).collect();
    assert_eq!(
        seeds,
        vec![2, 7],
        "the first shard's failure on seed 7 is kept"
    );
}

#[test]
fn an_edited_line_is_skipped_and_named_and_the_file_keeps_it() {
    let file = scratch("edited");
    campaign(&file, &[2], true, "run picky", None);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("{\"format\": 1, \"simul\n");
    std::fs::write(&file, &text).unwrap();
    let report = campaign(&file, &[5], true, "run picky", None);
    let kept = report.kept.as_ref().unwrap();
    assert_eq!(kept.seeds, vec![2]);
    assert_eq!(kept.skipped_lines.len(), 1, "{:?}", kept.skipped_lines);
    assert!(kept.skipped_lines[0].starts_with("line 2: not a failure entry"));
    assert!(report.to_string().contains("skipped line 2"));
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(
        after.starts_with(&text),
        "the edited line stays, the new failure follows"
    );
    assert_eq!(after.lines().count(), 3);
}

#[test]
fn a_failure_file_that_cannot_be_written_is_a_note_and_the_verdict_stands() {
    let blocker = scratch("blocked");
    std::fs::create_dir_all(blocker.parent().unwrap()).unwrap();
    std::fs::write(blocker.parent().unwrap().join("file"), "").unwrap();
    let file = blocker.parent().unwrap().join("file/failures.jsonl");
    let report = campaign(&file, &[2], true, "run picky", None);
    assert_eq!(report.failed, 1);
    assert!(
        report
            .notes
            .iter()
            .any(|note| note.contains("could not be read") || note.contains("could not be kept")),
        "{:?}",
        report.notes
    );
}

/// Tags open and closed in order, and no `<` or `&` outside markup unescaped.
fn assert_well_formed(xml: &str) {
    let mut open: Vec<String> = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        assert!(!text.contains('>'), "a stray > in {text:?}");
        let end = rest[start..].find('>').expect("a tag is closed") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "closing {name}");
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap();
            let attributes = &tag[name.len()..];
            assert!(!attributes.contains('<'), "{attributes}");
            open.push(name.to_string());
        }
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
}

#[test]
fn junit_has_a_case_for_the_campaign_and_one_per_failure_with_its_replay() {
    let file = scratch("junit");
    let report = campaign(&file, &[1, 2, 5], true, "run picky", None);
    let mut xml = Vec::new();
    report.write_junit(&mut xml).unwrap();
    let xml = String::from_utf8(xml).unwrap();
    assert_well_formed(&xml);
    assert!(
        xml.contains(r#"<testsuite name="picky" tests="3" failures="3""#),
        "{xml}"
    );
    assert!(
        xml.contains("campaign: 3 iterations, 1 passed, 2 failed"),
        "{xml}"
    );
    assert!(xml.contains(r#"name="seed 0x0000000000000005""#), "{xml}");
    assert!(
        xml.contains("replay: run picky --seed 0x0000000000000002"),
        "{xml}"
    );
    assert!(
        xml.contains("hit &lt;the bug&gt; &amp; &quot;more&quot;"),
        "{xml}"
    );
    // A passing campaign: one case, no failure.
    let passing = campaign(&scratch("junit-pass"), &[1], true, "run picky", None);
    let mut xml = Vec::new();
    passing.write_junit(&mut xml).unwrap();
    let xml = String::from_utf8(xml).unwrap();
    assert_well_formed(&xml);
    assert!(xml.contains(r#"tests="1" failures="0""#), "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
}

fn picky_builder() -> SimulationBuilder {
    SimulationBuilder::new("picky")
        .process("idle", |ctx| async move {
            ctx.shutdown().requested().await;
            Ok(())
        })
        .workload(|_| Picky {
            failing: FAILING,
            buggy: true,
        })
}

#[test]
fn the_command_line_keeps_failures_of_a_campaign_but_not_of_a_seed_replay() {
    use tidepool::cli::{FailureFileArg, SimArgs};
    let file = scratch("cli");
    let mut args = SimArgs {
        failure_file: Some(FailureFileArg::Path(file.clone())),
        seed: Some(2),
        ..SimArgs::default()
    };
    let status = tidepool::cli::run(picky_builder(), &args);
    assert_eq!(status, std::process::ExitCode::from(1));
    assert!(!file.exists(), "a --seed replay keeps nothing");
    args.seed = None;
    let junit = file.with_file_name("junit.xml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    args.junit = Some(junit.clone());
    tidepool::cli::run(picky_builder().seeds([2, 3]), &args);
    assert_eq!(
        kept_lines(&file).len(),
        1,
        "the campaign's failure on seed 2"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"name="seed 0x0000000000000002""#), "{xml}");
}

#[test]
fn a_junit_file_that_cannot_be_written_exits_3() {
    use tidepool::cli::{FailureFileArg, SimArgs};
    let args = SimArgs {
        failure_file: Some(FailureFileArg::Off),
        iterations: Some(1),
        junit: Some(scratch("junit-bad").with_file_name("no/such/dir/junit.xml")),
        ..SimArgs::default()
    };
    let status = tidepool::cli::run(picky_builder(), &args);
    assert_eq!(status, std::process::ExitCode::from(3));
}
