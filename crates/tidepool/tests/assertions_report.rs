//! The assertion table as a report shows it: a text table and stable JSON.

use tidepool::assertions::{self, AssertionTable};
use tidepool::sim::Sim;

fn table() -> AssertionTable {
    let mut table = AssertionTable::new();
    for seed in 0..4 {
        let run = Sim::new(seed).run(async move {
            tidepool::assert_always!(seed != 2, "seed two is special", seed = seed);
            tidepool::assert_sometimes!(seed == 99, "seed ninety-nine comes up");
            tidepool::assert_reachable!("every seed gets here");
            assertions::take_run_results()
        });
        table.add_run(&run.outcome.unwrap());
    }
    table
}

#[test]
fn text_table_lists_status_kind_message_site_and_counts() {
    // One header, one line per site with aligned columns, one summary line.
    let text = table().to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[0].starts_with("STATUS  KIND         MESSAGE"),
        "{text}"
    );
    assert!(lines[0].ends_with("TRUE  FALSE"), "{text}");
    let line_of = |message: &str| *lines.iter().find(|line| line.contains(message)).unwrap();
    let fail = line_of("seed two is special");
    assert!(fail.starts_with("FAIL    always       "), "{fail}");
    assert!(fail.contains("assertions_report.rs:"), "{fail}");
    assert!(fail.ends_with("   3      1"), "{fail}");
    assert!(line_of("seed ninety-nine").starts_with("MISS    sometimes    "));
    assert!(line_of("every seed gets here").starts_with("PASS    reachable    "));
    assert_eq!(lines[4], "1 pass, 1 fail, 1 miss over 4 runs");
    // Columns line up: every row has the same length as the header.
    assert!(
        lines[1..4].iter().all(|line| line.len() == lines[0].len()),
        "{text}"
    );
}

#[test]
fn json_has_stable_snake_case_fields_and_round_trips() {
    // The report's JSON carries the table; field names and enum values are
    // part of the format.
    let table = table();
    let json: serde_json::Value = serde_json::to_value(&table).unwrap();
    assert_eq!(json["runs"], 4);
    let row = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["message"] == "seed two is special")
        .unwrap();
    assert_eq!(row["status"], "fail");
    assert_eq!(row["kind"], "always");
    assert_eq!(row["true_count"], 3);
    assert_eq!(row["false_count"], 1);
    assert!(
        row["site"]["file"]
            .as_str()
            .unwrap()
            .ends_with("assertions_report.rs")
    );
    assert!(row["site"]["line"].as_u64().unwrap() > 0);
    assert!(row["site"]["column"].as_u64().unwrap() > 0);

    let back: AssertionTable = serde_json::from_value(json).unwrap();
    assert_eq!(back, table);
}

#[test]
fn merging_shards_sums_counts_and_keeps_unknown_rows() {
    // Two shards' tables merge into one whose counts are the sums; a row only
    // one shard knows (another build's site) is kept.
    let mut other: serde_json::Value = serde_json::to_value(table()).unwrap();
    other["rows"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "status": "pass", "kind": "sometimes", "message": "from another build",
            "site": {"file": "src/elsewhere.rs", "line": 7, "column": 5},
            "true_count": 2, "false_count": 1,
        }));
    let other: AssertionTable = serde_json::from_value(other).unwrap();
    let mut merged = table();
    merged.merge(&other);
    assert_eq!(merged.runs(), 8);
    let find = |message: &str| {
        merged
            .rows()
            .iter()
            .find(|row| row.message == message)
            .unwrap()
    };
    assert_eq!(
        (
            find("seed two is special").true_count,
            find("seed two is special").false_count
        ),
        (6, 2)
    );
    assert_eq!(find("from another build").true_count, 2);
    assert_eq!(merged.rows().len(), table().rows().len() + 1);
}
