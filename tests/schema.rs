//! The published JSON Schemas (`schema/`) are the model's, and what cifix prints
//! validates against them. (`e2e` checks `run --json`, the report sidecar and
//! `stats --json` of a real run.)

mod support;

use assert_cmd::Command;
use serde_json::Value;
use support::{assert_valid, root};

/// `schema/` holds exactly what the model generates. Regenerate with
/// `CIFIX_UPDATE_SCHEMA=1 cargo test --test schema`.
#[test]
fn published_schemas_match_the_model() {
    let dir = root().join("schema");
    for (file, schema) in cifix_model::schema::all() {
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        let path = dir.join(file);
        if std::env::var_os("CIFIX_UPDATE_SCHEMA").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == text,
            "{} is out of date: run CIFIX_UPDATE_SCHEMA=1 cargo test --test schema",
            path.display()
        );
    }
}

/// Run cifix with `args`; it must succeed and print JSON.
fn json_of(args: &[&std::ffi::OsStr]) -> Value {
    let out = Command::cargo_bin("cifix")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn parse_logs_json_validates() {
    let log = root().join("examples/ci-failure.log");
    let v = json_of(&["parse-logs".as_ref(), "--json".as_ref(), log.as_os_str()]);
    assert!(!v["failures"].as_array().unwrap().is_empty());
    assert_valid("failure-report.schema.json", &v);
}

#[test]
fn stats_json_of_an_empty_folder_validates() {
    let dir = tempfile::tempdir().unwrap();
    let v = json_of(&[
        "stats".as_ref(),
        "--json".as_ref(),
        "--outputs".as_ref(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(v["reports"], 0);
    assert_valid("stats.schema.json", &v);
}

/// A report written by cifix 0.1 (schema 1) is still read by `stats` and `report`.
#[test]
fn version_1_reports_are_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = r#"{"schema":1,"status":"success","title":"t","started":"2026-11-30_10-00-00",
      "total_seconds":5.1,"input":{"deterministic":true,"prompt":"p","source":"raw-logs",
      "url":null,"existing_test_path":null},"strategy":"deterministic-minimal",
      "strategy_version":"0.1.0","agent":"custom","failure":{"kind":"test-failure",
      "test":"t","message":"m","signature":"s","file":null,"line":null,"rerun":null,
      "flaky_signals":[]},"reproduction":{"reproduced":true,"command":["pytest"],"runs":3,
      "failures":3,"rate":1.0,"ci95":[0.43,1.0],"failure_folder":"/tmp/f"},
      "root_cause":null,"fix":{"attempts":1,"verified":true,"claim":"c",
      "changed_files":["a.py"],"commits":["abc"]},"branch":"fix/t","pr_url":"http://x/pull/1",
      "phases":[{"name":"reproduce","status":"ok","seconds":1.0,"detail":""}],
      "next_steps":[],"reviewers":[]}"#;
    std::fs::write(dir.path().join("2026-11-30_10-00-00_t.json"), v1).unwrap();
    let v = json_of(&[
        "stats".as_ref(),
        "--json".as_ref(),
        "--outputs".as_ref(),
        dir.path().as_os_str(),
    ]);
    assert_eq!(
        (v["reports"].as_u64(), v["success"].as_u64()),
        (Some(1), Some(1))
    );
    assert_valid("stats.schema.json", &v);
    let md = Command::cargo_bin("cifix")
        .unwrap()
        .args(["report", "-o", "-"])
        .arg(dir.path().join("2026-11-30_10-00-00_t.json"))
        .output()
        .unwrap();
    assert!(
        md.status.success(),
        "{}",
        String::from_utf8_lossy(&md.stderr)
    );
    assert!(String::from_utf8_lossy(&md.stdout).contains("Success"));
}
