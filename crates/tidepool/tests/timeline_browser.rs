//! The timeline of a replayed seed, opened in a real headless browser
//! (Debian's chromium): the page renders without a script error, shows one
//! lane per host by name, draws messages, fault marks and the failure mark.
//! A run of over 100,000 events renders too, thinned, and says so. The
//! Chrome trace of the same run holds a process per host, message flows and
//! the failure. Without chromium (and no way to install it) the browser
//! checks are skipped with a loud message; CI installs it (`.ci/run`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tidepool::prelude::*;
use tidepool::runner::FaultHandle;
use tidepool::timeline::Timeline;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Echoes every byte on every connection until shut down.
struct Echo;

impl Process for Echo {
    async fn run<P: Providers>(&mut self, ctx: ProcessContext<P>) -> Result<(), BoxError> {
        let listener = ctx.bind(ctx.address()).await?;
        loop {
            let accepted = tidepool::select! {
                accepted = listener.accept() => accepted,
                _ = ctx.shutdown().requested() => return Ok(()),
            };
            let Ok((mut stream, _)) = accepted else {
                continue;
            };
            drop(ctx.spawn("echo", async move {
                let mut buf = [0u8; 64];
                while let Ok(read) = stream.read(&mut buf).await {
                    if read == 0 || stream.write_all(&buf[..read]).await.is_err() {
                        break;
                    }
                }
            }));
        }
    }
}

/// Pings server-1 `pings` times, then fails on purpose.
struct Pinger {
    pings: usize,
}

impl Workload for Pinger {
    fn name(&self) -> &str {
        "pinger"
    }

    async fn run(&mut self, ctx: &WorkloadContext) -> Result<(), BoxError> {
        let server = ctx.processes("server")[0];
        let mut stream = None;
        for ping in 0..self.pings {
            if stream.is_none() {
                stream = ctx.connect(server).await.ok();
            }
            if let Some(connection) = stream.as_mut() {
                let mut reply = [0u8; 8];
                let sent = connection.write_all(&(ping as u64).to_le_bytes()).await;
                if sent.is_err() || connection.read_exact(&mut reply).await.is_err() {
                    stream = None;
                }
            }
            if ping % 100 == 0 {
                tracing::info!(ping, "pinged <server-1> & waited");
            }
            ctx.sleep(Duration::from_millis(1)).await;
        }
        Err("the planted failure: pinged enough".into())
    }
}

fn simulation(pings: usize) -> SimulationBuilder {
    SimulationBuilder::new("timeline")
        .processes("server", 2, || Echo)
        .workload(move |_| Pinger { pings })
        .chaos_duration(Duration::from_secs(3600))
        .fault_injector("vandal", |faults: FaultHandle| async move {
            faults.sleep(Duration::from_millis(30)).await;
            let one = faults.process("server-1").expect("server-1");
            let two = faults.process("server-2").expect("server-2");
            faults.partition(one, two);
            faults.kill(two);
            faults.sleep(Duration::from_millis(40)).await;
            faults.restart(two);
            faults.heal(one, two);
            faults.clog(one, two, Duration::from_millis(5));
        })
        .failure_file(None, None)
}

fn record(pings: usize) -> Timeline {
    let (report, timeline) = simulation(pings)
        .run_with_timeline(7, "info")
        .expect("a valid simulation");
    assert_eq!(report.failed, 1, "{report}");
    // The recording hooks change nothing of the run: the same events as the replay's.
    assert_eq!(report.events, timeline.events);
    timeline
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tidepool-timeline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The browser, installed with apt-get when missing and possible; `None`
/// (after a loud message) when there is none.
fn chromium() -> Option<PathBuf> {
    let find = || {
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|name| {
                let found = Command::new("which").arg(name).output().ok()?;
                let path = String::from_utf8_lossy(&found.stdout).trim().to_string();
                (found.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
            })
    };
    if let Some(path) = find() {
        return Some(path);
    }
    let installed = Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", "chromium"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .is_ok_and(|status| status.success());
    let found = if installed { find() } else { None };
    if found.is_none() {
        eprintln!(
            "\n\n!!!!!!!!!! SKIPPED: no chromium, and `apt-get install chromium` failed: the \
             timeline's browser checks did not run. Install chromium (CI's .ci/run does). !!!!!!!!!!\n\n"
        );
    }
    found
}

/// The page's DOM after its script ran, from headless chromium.
fn rendered_dom(browser: &Path, page: &Path) -> String {
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1400,900",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("a UTF-8 DOM")
}

/// The value of `attribute` on the page's status element.
fn status<'a>(dom: &'a str, attribute: &str) -> &'a str {
    let element = dom
        .find("id=\"status\"")
        .map(|at| &dom[at..at + dom[at..].find('>').unwrap()])
        .expect("the status element");
    let key = format!("{attribute}=\"");
    let start = element
        .find(&key)
        .unwrap_or_else(|| panic!("no {attribute} in {element}: did the script run?"))
        + key.len();
    &element[start..start + element[start..].find('"').unwrap()]
}

#[test]
fn the_page_renders_lanes_messages_faults_and_the_failure_in_a_browser() {
    let timeline = record(300);
    let names: Vec<&str> = timeline
        .hosts
        .iter()
        .map(|lane| lane.name.as_str())
        .collect();
    for lane in ["server-1", "server-2", "pinger-0"] {
        assert!(names.contains(&lane), "{names:?}");
    }
    let two = names.iter().position(|name| *name == "server-2").unwrap();
    assert_eq!(
        timeline.hosts[two].incarnations.len(),
        2,
        "killed and restarted"
    );
    let kinds: Vec<&str> = timeline
        .faults
        .iter()
        .map(|fault| fault.kind.as_str())
        .collect();
    for kind in ["partition", "kill", "clog"] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
    let partition = timeline
        .faults
        .iter()
        .find(|f| f.kind == "partition")
        .unwrap();
    assert_eq!(
        partition.end_ns,
        Some(70_000_000),
        "the band ends at the heal"
    );
    assert!(
        timeline.messages.len() >= 500,
        "{} messages",
        timeline.messages.len()
    );
    assert!(
        timeline
            .logs
            .iter()
            .any(|log| log.text.contains("pinged <server-1>"))
    );
    let failure = timeline.failure.as_ref().expect("the run failed");
    let pinger = names.iter().position(|name| *name == "pinger-0").unwrap();
    assert_eq!(
        failure.host,
        Some(pinger),
        "the failure sits on its workload's lane"
    );
    assert!(timeline.thinned.is_empty(), "{:?}", timeline.thinned);

    let page = scratch("small.html");
    timeline
        .write_html(std::fs::File::create(&page).unwrap())
        .unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing fetched"
    );
    let Some(browser) = chromium() else { return };
    let dom = rendered_dom(&browser, &page);
    let at = dom.find("id=\"status\"").unwrap();
    let shown = &dom[at..(at + 600).min(dom.len())];
    assert_eq!(status(&dom, "data-errors"), "0", "{shown}");
    assert_eq!(status(&dom, "data-rendered"), "1");
    assert_eq!(status(&dom, "data-lanes"), timeline.hosts.len().to_string());
    assert_eq!(status(&dom, "data-lane-names"), names.join(","));
    assert_eq!(status(&dom, "data-failure"), "1");
    assert!(status(&dom, "data-arrows-drawn").parse::<usize>().unwrap() >= 500);
    for name in &names {
        assert!(
            dom.contains(&format!("data-lane=\"{name}\"")),
            "lane {name}"
        );
    }
    assert!(
        dom.contains("id=\"failure-banner\">FAILED"),
        "the failure's banner"
    );
    let mark = &dom[dom.find("id=\"failure-mark\"").expect("the failure mark")..];
    assert!(
        mark[..mark.find('>').unwrap()].contains("display: block"),
        "{}",
        &mark[..200]
    );
}

#[test]
fn a_run_of_over_100000_events_is_thinned_says_so_and_renders() {
    let timeline = record(30_000);
    assert!(timeline.events > 100_000, "{} events", timeline.events);
    assert!(
        timeline.messages.len() <= tidepool::timeline::MESSAGES_DRAWN_MAX,
        "{}",
        timeline.messages.len()
    );
    assert!(
        timeline
            .thinned
            .iter()
            .any(|note| note.starts_with("messages thinned")),
        "{:?}",
        timeline.thinned
    );
    let page = scratch("large.html");
    timeline
        .write_html(std::fs::File::create(&page).unwrap())
        .unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("Thinned to stay drawable: messages thinned"),
        "said on the page"
    );
    let Some(browser) = chromium() else { return };
    let dom = rendered_dom(&browser, &page);
    assert_eq!(status(&dom, "data-errors"), "0");
    assert_eq!(status(&dom, "data-failure"), "1");
    let drawn: usize = status(&dom, "data-arrows-drawn").parse().unwrap();
    assert!(
        (1..=3000).contains(&drawn),
        "{drawn} arrows drawn at full zoom"
    );
    assert!(
        dom.contains("thinned at this zoom"),
        "the zoom note says so"
    );
}

#[test]
fn the_chrome_trace_has_a_process_per_host_message_flows_and_the_failure() {
    let timeline = record(50);
    let mut json = Vec::new();
    timeline.write_chrome_trace(&mut json).unwrap();
    let trace: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let named: Vec<&str> = events
        .iter()
        .filter(|event| event["ph"] == "M" && event["name"] == "process_name")
        .map(|event| event["args"]["name"].as_str().unwrap())
        .collect();
    let lanes: Vec<&str> = timeline
        .hosts
        .iter()
        .map(|lane| lane.name.as_str())
        .collect();
    assert_eq!(named, lanes);
    let phase = |ph: &str| events.iter().filter(|event| event["ph"] == ph).count();
    assert!(phase("s") >= 100 && phase("f") >= 100, "message flows");
    assert!(
        events
            .iter()
            .all(|event| event["ts"].is_number() || event["ph"] == "M")
    );
    let failure = events
        .iter()
        .find(|event| event["cat"] == "failure")
        .unwrap();
    assert_eq!(failure["name"], "FAILED: workload error");
    assert_eq!(trace["otherData"]["seed"], "0x0000000000000007");
}
