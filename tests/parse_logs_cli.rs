//! `cifix parse-logs` through the CLI: the `--json` contract, GitHub Actions
//! line numbers, run-log zips, JUnit XML, and bad inputs (empty, binary,
//! missing, corrupt).

use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn cifix() -> Command {
    let mut c = Command::cargo_bin("cifix").unwrap();
    // keep compiled components out of the user's cache, but share them
    // between the tests of this run
    c.env(
        "CIFIX_CACHE_DIR",
        std::env::temp_dir().join("cifix-test-cache-parse-logs"),
    );
    c
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn json_of(args: &[&str]) -> Value {
    let out = cifix()
        .arg("parse-logs")
        .args(args)
        .arg("--json")
        .assert()
        .success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

/// Lines as the parser numbers them: `\n`, `\r\n` and a lone `\r` each end one.
fn universal_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push(std::mem::take(&mut cur)),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push(std::mem::take(&mut cur));
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A GitHub Actions line as it looks once its BOM, timestamp and colours are gone.
fn visible(line: &str) -> String {
    let line = line.trim_start_matches('\u{feff}');
    let line = match line.split_once(' ') {
        Some((ts, rest)) if ts.len() >= 20 && ts.ends_with('Z') && ts.as_bytes()[4] == b'-' => rest,
        _ => line,
    };
    let mut out = String::new();
    let mut it = line.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\x1b' {
            for d in it.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A GitHub Actions job log: BOM, timestamps, groups, colours, `\r\n` line
/// ends in one step, passing tests, then a cargo test failure.
fn gh_log(fail_test: &str, passing: usize) -> String {
    let mut s = String::from("\u{feff}");
    let mut t = 0u32;
    let mut line = |s: &mut String, text: &str| {
        t += 1;
        s.push_str(&format!(
            "2026-06-21T05:{:02}:{:02}.{:07}Z {text}\n",
            (t / 60) % 60,
            t % 60,
            t
        ));
    };
    line(&mut s, "##[group]Run actions/checkout@v4");
    line(&mut s, "Syncing repository: acme/widgets");
    line(&mut s, "##[endgroup]");
    line(&mut s, "##[group]Run cargo test -p widgets");
    line(&mut s, "cargo test -p widgets");
    line(&mut s, "##[endgroup]");
    line(
        &mut s,
        "\x1b[1m\x1b[32m   Compiling\x1b[0m widgets v0.1.0 (/home/runner/work/widgets)",
    );
    line(&mut s, "running 1000 tests");
    for i in 0..passing {
        line(&mut s, &format!("test tests::case_{i} ... ok"));
    }
    line(&mut s, &format!("test {fail_test} ... FAILED"));
    line(&mut s, "");
    line(&mut s, "failures:");
    line(&mut s, "");
    line(&mut s, &format!("---- {fail_test} stdout ----"));
    line(
        &mut s,
        &format!("thread '{fail_test}' panicked at src/lib.rs:42:9:"),
    );
    line(&mut s, "assertion `left == right` failed");
    line(&mut s, "  left: 3");
    line(&mut s, " right: 4");
    line(
        &mut s,
        "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
    );
    line(&mut s, "");
    line(&mut s, "failures:");
    line(&mut s, &format!("    {fail_test}"));
    line(&mut s, "");
    line(
        &mut s,
        &format!("test result: FAILED. {passing} passed; 1 failed; 0 ignored"),
    );
    line(&mut s, "");
    line(&mut s, "##[error]Process completed with exit code 101.");
    s
}

fn assert_excerpt_indexes_file(f: &Value, original: &str) {
    let lines = universal_lines(original);
    let start = f["excerpt"]["start_line"].as_u64().unwrap() as usize;
    let end = f["excerpt"]["end_line"].as_u64().unwrap() as usize;
    assert!(
        1 <= start && start <= end && end <= lines.len(),
        "{start}-{end} of {}",
        lines.len()
    );
    let want: Vec<String> = lines[start - 1..end].iter().map(|l| visible(l)).collect();
    let got: Vec<&str> = f["excerpt"]["text"].as_str().unwrap().split('\n').collect();
    assert_eq!(got.len(), end - start + 1, "{f:#}");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            g.trim_end(),
            w.trim_end(),
            "excerpt line differs from the file's line"
        );
    }
}

#[test]
fn json_contract_fields() {
    let v = json_of(&[root().join("examples/ci-failure.log").to_str().unwrap()]);
    assert_eq!(v["format"], "github-actions");
    assert!(v["lines"].as_u64().unwrap() > 0);
    assert!(v["bytes"].as_u64().unwrap() > 0);
    let fs = v["failures"].as_array().unwrap();
    assert!(!fs.is_empty());
    for f in fs {
        for key in [
            "kind",
            "framework",
            "test",
            "file",
            "line",
            "message",
            "signature",
            "rerun",
            "score",
            "excerpt",
            "log",
        ] {
            assert!(f.get(key).is_some(), "missing `{key}` in {f:#}");
        }
        assert!(f["kind"].is_string());
        assert!(f["framework"].is_string() || f["framework"].is_null());
        assert!(f["test"].is_string() || f["test"].is_null());
        assert!(f["file"].is_string() || f["file"].is_null());
        assert!(f["line"].is_u64() || f["line"].is_null());
        assert!(f["message"].is_string() && f["signature"].is_string());
        assert!(f["rerun"].is_string() || f["rerun"].is_null());
        assert!(f["score"].is_number());
        for key in ["start_line", "end_line"] {
            assert!(f["excerpt"][key].as_u64().unwrap() >= 1);
        }
        assert!(f["excerpt"]["text"].is_string());
    }
    let scores: Vec<f64> = fs.iter().map(|f| f["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let top = &fs[0];
    assert_eq!(top["kind"], "test-failure");
    assert_eq!(top["framework"], "pytest");
    assert_eq!(top["test"], "tests/test_invoice.py::test_total");
    assert_eq!(top["file"], "tests/test_invoice.py");
    assert_eq!(top["line"], 7);
    assert!(
        top["rerun"]
            .as_str()
            .unwrap()
            .contains("tests/test_invoice.py::test_total")
    );
    assert!(top["log"].as_str().unwrap().ends_with("ci-failure.log"));
    let original = std::fs::read_to_string(root().join("examples/ci-failure.log")).unwrap();
    assert_excerpt_indexes_file(top, &original);
}

#[test]
fn github_actions_lines_index_the_original_file() {
    let dir = tempfile::tempdir().unwrap();
    let log = gh_log("tests::adds_up", 300);
    let p = write(dir.path(), "job.log", log.as_bytes());
    let v = json_of(&[p.to_str().unwrap()]);
    assert_eq!(v["format"], "github-actions");
    assert_eq!(
        v["lines"].as_u64().unwrap() as usize,
        universal_lines(&log).len()
    );
    let top = &v["failures"][0];
    assert_eq!(top["framework"], "cargo-test");
    assert_eq!(top["test"], "tests::adds_up");
    assert_eq!(top["file"], "src/lib.rs");
    assert_eq!(top["line"], 42);
    assert_excerpt_indexes_file(top, &log);
    // the panic line is inside the excerpt, at its own line number
    let panic_line = universal_lines(&log)
        .iter()
        .position(|l| l.contains("panicked at"))
        .unwrap() as u64
        + 1;
    let (s, e) = (
        top["excerpt"]["start_line"].as_u64().unwrap(),
        top["excerpt"]["end_line"].as_u64().unwrap(),
    );
    assert!(
        s <= panic_line && panic_line <= e,
        "{s}-{e} misses line {panic_line}"
    );
}

#[test]
fn stdin_is_read() {
    let log = gh_log("tests::from_stdin", 10);
    let out = cifix()
        .args(["parse-logs", "-", "--json"])
        .write_stdin(log.clone())
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["failures"][0]["test"], "tests::from_stdin");
    assert_eq!(v["failures"][0]["log"], "-");
    assert_excerpt_indexes_file(&v["failures"][0], &log);
}

#[test]
fn empty_input_is_an_empty_report() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "empty.log", b"");
    let v = json_of(&[p.to_str().unwrap()]);
    assert_eq!(v["lines"], 0);
    assert_eq!(v["bytes"], 0);
    assert_eq!(v["failures"].as_array().unwrap().len(), 0);
    cifix()
        .args(["parse-logs", p.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("empty"));
    cifix()
        .args(["parse-logs", "-", "--json"])
        .write_stdin("")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"failures\": []"));
}

#[test]
fn binary_input_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.extend((0..4096u32).map(|i| (i % 7) as u8));
    let p = write(dir.path(), "a.out", &elf);
    cifix()
        .args(["parse-logs", p.to_str().unwrap(), "--json"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("a.out").and(predicate::str::contains("not a text log")));
    let gz = write(
        dir.path(),
        "job.log.gz",
        &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3],
    );
    cifix()
        .args(["parse-logs", gz.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("gzip"));
    cifix()
        .args(["parse-logs", "-"])
        .write_stdin(elf)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a text log"));
}

#[test]
fn non_utf8_and_truncated_text_still_parse() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"error: build failed \xff\xfe\xc3 in caf\xe9\n".to_vec();
    bytes.extend_from_slice(b"thread 'main' panicked at src/main.rs:3:5:\nboom \xe2\x82"); // cut mid-character
    let p = write(dir.path(), "latin1.log", &bytes);
    let v = json_of(&[p.to_str().unwrap()]);
    assert_eq!(v["lines"], 3);
    assert!(!v["failures"].as_array().unwrap().is_empty());
}

#[test]
fn missing_file_is_a_usage_error() {
    cifix()
        .args(["parse-logs", "/nonexistent/dir/job.log"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("/nonexistent/dir/job.log")
                .and(predicate::str::contains("cannot read the log")),
        );
}

fn make_zip(path: &Path, entries: &[(&str, &[u8])]) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    for (i, (name, data)) in entries.iter().enumerate() {
        let method = if i % 2 == 0 {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        if name.ends_with('/') {
            z.add_directory(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            continue;
        }
        z.start_file(
            *name,
            zip::write::SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

#[test]
fn run_log_zip_parses_each_job_file_with_its_own_lines() {
    let dir = tempfile::tempdir().unwrap();
    let test_log = gh_log("tests::in_job_file", 500);
    let lint_step = gh_log("tests::in_step_file", 20);
    let passing = "2026-06-21T05:00:00.0000000Z ##[group]Run cargo build\n2026-06-21T05:00:01.0000000Z    Finished dev\n";
    let hidden = gh_log("tests::in_a_step_of_a_job_with_a_file", 5);
    let zip = dir.path().join("logs_123.zip");
    make_zip(
        &zip,
        &[
            ("1_build.txt", passing.as_bytes()),
            ("build/", b""),
            ("build/1_Set up job.txt", hidden.as_bytes()),
            ("2_test.txt", test_log.as_bytes()),
            ("lint/1_Set up job.txt", passing.as_bytes()),
            ("lint/2_Run clippy.txt", lint_step.as_bytes()),
        ],
    );
    let v = json_of(&[zip.to_str().unwrap()]);
    assert_eq!(v["format"], "zip");
    let z = zip.to_str().unwrap();
    let logs: Vec<&str> = v["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["log"].as_str().unwrap())
        .collect();
    assert_eq!(
        logs,
        [
            format!("{z}!1_build.txt"),
            format!("{z}!2_test.txt"),
            format!("{z}!lint/1_Set up job.txt"),
            format!("{z}!lint/2_Run clippy.txt")
        ]
    );
    let fs = v["failures"].as_array().unwrap();
    let tests: Vec<&str> = fs.iter().filter_map(|f| f["test"].as_str()).collect();
    assert!(tests.contains(&"tests::in_job_file"), "{tests:?}");
    assert!(tests.contains(&"tests::in_step_file"), "{tests:?}");
    assert!(
        !tests.contains(&"tests::in_a_step_of_a_job_with_a_file"),
        "step files of a job with a job file are skipped"
    );
    let scores: Vec<f64> = fs.iter().map(|f| f["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for f in fs {
        let log = f["log"].as_str().unwrap();
        let original = if log.ends_with("2_test.txt") {
            &test_log
        } else if log.ends_with("2_Run clippy.txt") {
            &lint_step
        } else {
            panic!("failure from an unexpected log: {log}")
        };
        assert_excerpt_indexes_file(f, original);
    }
    assert_eq!(
        v["lines"].as_u64().unwrap() as usize,
        [passing, &test_log, passing, &lint_step]
            .iter()
            .map(|s| universal_lines(s).len())
            .sum::<usize>()
    );
    // the summary names the log of each failure
    cifix()
        .args(["parse-logs", z])
        .assert()
        .success()
        .stdout(predicate::str::contains("!2_test.txt"));
}

#[test]
fn bad_zips_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let corrupt = write(
        dir.path(),
        "run.zip",
        b"PK\x03\x04 this is not really a zip archive at all",
    );
    cifix()
        .args(["parse-logs", corrupt.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a readable zip archive"));
    let empty = dir.path().join("empty.zip");
    make_zip(&empty, &[("logs/", b"")]);
    cifix()
        .args(["parse-logs", empty.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds no log file"));
    let bytes = std::fs::read(&empty).unwrap();
    cifix()
        .args(["parse-logs", "-"])
        .write_stdin(bytes)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("give its path"));
}

#[test]
fn junit_xml_failures_match_quick_junit() {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut report = Report::new("ci");
    let mut suite = TestSuite::new("billing");
    suite.add_test_case({
        let mut c = TestCase::new("subtotal", TestCaseStatus::success());
        c.set_classname("com.acme.billing.InvoiceTest");
        c
    });
    suite.add_test_case({
        let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
        st.set_message("expected: <119.0> but was: <100.0>");
        st.set_type("org.opentest4j.AssertionFailedError");
        st.set_description("org.opentest4j.AssertionFailedError: expected: <119.0> but was: <100.0>\n\tat com.acme.billing.InvoiceTest.totalIncludesTax(InvoiceTest.java:42)");
        let mut c = TestCase::new("totalIncludesTax", st);
        c.set_classname("com.acme.billing.InvoiceTest");
        c
    });
    suite.add_test_case({
        let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
        st.set_message("NullPointerException");
        let mut c = TestCase::new("refund", st);
        c.set_classname("com.acme.billing.RefundTest");
        c
    });
    report.add_test_suite(suite);
    let xml = report.to_string().unwrap();
    // quick-junit's reading of its own report is the oracle
    let oracle = Report::deserialize_from_str(&xml).unwrap();
    let mut want: Vec<String> = oracle
        .test_suites
        .iter()
        .flat_map(|s| s.test_cases.iter())
        .filter(|c| !matches!(c.status, TestCaseStatus::Success { .. }))
        .map(|c| {
            format!(
                "{}.{}",
                c.classname.as_deref().unwrap_or_default(),
                &*c.name
            )
        })
        .collect();
    want.sort();

    let dir = tempfile::tempdir().unwrap();
    // by extension, and by content under another name
    for name in ["TEST-billing.xml", "report.out"] {
        let p = write(dir.path(), name, xml.as_bytes());
        let v = json_of(&[p.to_str().unwrap()]);
        assert_eq!(v["format"], "junit-xml");
        let fs = v["failures"].as_array().unwrap();
        let mut got: Vec<String> = fs
            .iter()
            .map(|f| f["test"].as_str().unwrap().to_string())
            .collect();
        got.sort();
        assert_eq!(got, want);
        let lines = universal_lines(&xml);
        for f in fs {
            assert_eq!(f["kind"], "test-failure");
            let start = f["excerpt"]["start_line"].as_u64().unwrap() as usize;
            let name = f["test"]
                .as_str()
                .unwrap()
                .rsplit('.')
                .next()
                .unwrap()
                .to_string();
            assert!(
                lines[start - 1].contains(&format!("name=\"{name}\"")),
                "line {start} is not the <testcase> of {name}"
            );
        }
        let top = fs
            .iter()
            .find(|f| f["test"] == "com.acme.billing.InvoiceTest.totalIncludesTax")
            .unwrap();
        assert!(
            top["message"]
                .as_str()
                .unwrap()
                .contains("expected: <119.0> but was: <100.0>"),
            "{top:#}"
        );
    }
}
