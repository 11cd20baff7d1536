//! Every info.json rule, through the real binary: a violation exits 2 with a
//! message naming the field and the fix, and nothing is written.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

/// A temp folder that is a git repository with one test file.
fn repo() -> TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join(".git")).unwrap();
    std::fs::create_dir(d.path().join("tests")).unwrap();
    std::fs::write(
        d.path().join("tests/test_bug.py"),
        "def test_bug():\n    assert False\n",
    )
    .unwrap();
    d
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn validate(dir: &TempDir, info: &str) -> assert_cmd::assert::Assert {
    std::fs::write(dir.path().join("info.json"), info).unwrap();
    let before = snapshot(dir.path());
    let a = Command::cargo_bin("cifix")
        .unwrap()
        .current_dir(dir.path())
        .env(
            "CIFIX_CACHE_DIR",
            dir.path()
                .join("..")
                .join(format!("cache-{}", std::process::id())),
        )
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .args(["validate", "--info", "info.json"])
        .assert();
    assert_eq!(
        before,
        snapshot(dir.path()),
        "validate wrote into the repository"
    );
    a
}

fn rejects(info: &str, needles: &[&str]) {
    let d = repo();
    let out = validate(&d, info).code(2).get_output().stdout.clone();
    let text = String::from_utf8_lossy(&out);
    for n in needles {
        assert!(text.contains(n), "expected {n:?} in:\n{text}");
    }
}

#[test]
fn valid_with_raw_logs() {
    let d = repo();
    validate(
        &d,
        r#"{"deterministic": true, "prompt": "fix it", "raw-logs": "FAILED tests/x.py::t"}"#,
    )
    .success()
    .stdout(predicate::str::contains("✓ info.json"))
    .stdout(predicate::str::contains("ready"));
}

#[test]
fn valid_with_url() {
    let d = repo();
    validate(&d, r#"{"deterministic": false, "prompt": "flaky", "url": "https://github.com/o/r/actions/runs/1/job/2"}"#)
        .success();
}

#[test]
fn valid_with_existing_test_path() {
    let d = repo();
    validate(
        &d,
        r#"{"deterministic": true, "prompt": "fix", "existing-test-path": "tests/test_bug.py"}"#,
    )
    .success();
}

#[test]
fn missing_prompt() {
    rejects(
        r#"{"deterministic": true, "raw-logs": "x"}"#,
        &["field `prompt` is missing", "Fix: add \"prompt\""],
    );
}

#[test]
fn empty_prompt() {
    rejects(
        r#"{"deterministic": true, "prompt": "  ", "raw-logs": "x"}"#,
        &["field `prompt` is empty"],
    );
}

#[test]
fn prompt_not_a_string() {
    rejects(
        r#"{"deterministic": true, "prompt": 3, "raw-logs": "x"}"#,
        &["field `prompt` must be a string", "the number 3"],
    );
}

#[test]
fn missing_deterministic() {
    rejects(
        r#"{"prompt": "p", "raw-logs": "x"}"#,
        &["field `deterministic` is missing", "Fix:"],
    );
}

#[test]
fn deterministic_as_string() {
    rejects(
        r#"{"deterministic": "true", "prompt": "p", "raw-logs": "x"}"#,
        &[
            "field `deterministic` must be true or false",
            "without quotes",
        ],
    );
}

#[test]
fn no_source() {
    rejects(
        r#"{"deterministic": true, "prompt": "p"}"#,
        &[
            "no failure source",
            "`url`",
            "`raw-logs`",
            "`existing-test-path`",
        ],
    );
}

#[test]
fn existing_test_path_must_exist() {
    rejects(
        r#"{"deterministic": true, "prompt": "p", "existing-test-path": "tests/nope.py"}"#,
        &["field `existing-test-path`", "does not exist"],
    );
}

#[test]
fn bad_url() {
    rejects(
        r#"{"deterministic": true, "prompt": "p", "url": "https://github.com/o/r/pull/3"}"#,
        &["field `url`", "actions/runs/ID"],
    );
}

#[test]
fn url_not_a_string() {
    rejects(
        r#"{"deterministic": true, "prompt": "p", "url": 5}"#,
        &["field `url` must be a string"],
    );
}

#[test]
fn empty_raw_logs() {
    rejects(
        r#"{"deterministic": true, "prompt": "p", "raw-logs": ""}"#,
        &["field `raw-logs` is empty"],
    );
}

#[test]
fn invalid_json_names_line() {
    rejects(
        "{\"deterministic\": true,\n \"prompt\": }",
        &["not valid JSON at line 2"],
    );
}

#[test]
fn not_an_object() {
    rejects("[1, 2]", &["top level must be a JSON object"]);
}

#[test]
fn both_url_and_raw_logs_warns_and_prefers_url() {
    let d = repo();
    validate(
        &d,
        r#"{"deterministic": true, "prompt": "p", "url": "https://github.com/o/r/actions/runs/1", "raw-logs": "x"}"#,
    )
    .success()
    .stdout(predicate::str::contains("using `url` and ignoring `raw-logs`"))
    .stdout(predicate::str::contains("url https://github.com/o/r/actions/runs/1"));
}

#[test]
fn unknown_fields_warn_with_suggestion() {
    let d = repo();
    validate(&d, r#"{"deterministic": true, "prompt": "p", "raw_logs": "x", "url": "https://github.com/o/r/actions/runs/1", "colour": 1}"#)
        .success()
        .stdout(predicate::str::contains("unknown field `raw_logs` ignored (did you mean `raw-logs`?)"))
        .stdout(predicate::str::contains("unknown field `colour`"));
}

#[test]
fn missing_file_names_it() {
    let d = repo();
    Command::cargo_bin("cifix")
        .unwrap()
        .current_dir(d.path())
        .args(["validate", "--info", "nope.json"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("nope.json: cannot read it"));
}

#[test]
fn flags_instead_of_a_file() {
    let d = repo();
    Command::cargo_bin("cifix")
        .unwrap()
        .current_dir(d.path())
        .args([
            "validate",
            "--prompt",
            "p",
            "--deterministic",
            "true",
            "--raw-logs",
            "boom",
        ])
        .assert()
        .success();
}

#[test]
fn not_a_git_repository() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("info.json"),
        r#"{"deterministic": true, "prompt": "p", "raw-logs": "x"}"#,
    )
    .unwrap();
    Command::cargo_bin("cifix")
        .unwrap()
        .current_dir(d.path())
        .args(["validate"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("not inside a git repository"));
}

#[test]
fn run_refuses_invalid_info_before_any_work() {
    let d = repo();
    std::fs::write(
        d.path().join("info.json"),
        r#"{"prompt": "p", "raw-logs": "x"}"#,
    )
    .unwrap();
    let before = snapshot(d.path());
    Command::cargo_bin("cifix")
        .unwrap()
        .current_dir(d.path())
        .args(["run", "--info", "info.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("field `deterministic` is missing"));
    assert_eq!(before, snapshot(d.path()));
}
