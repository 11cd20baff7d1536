//! The GitHub Actions job-log shape: BOM, timestamps, groups, annotations.

use cifix_logparse::{Kind, parse_bytes};

fn gh_log() -> String {
    let body = [
        "##[group]Run actions/checkout@v4",
        "with:",
        "  repository: acme/ledger",
        "##[endgroup]",
        "Syncing repository: acme/ledger",
        "##[group]Run cargo test --workspace",
        "\u{1b}[36;1mcargo test --workspace\u{1b}[0m",
        "##[endgroup]",
        "   Compiling ledger-core v0.3.0 (/home/runner/work/ledger/ledger/core)",
        "     Running unittests src/lib.rs (target/debug/deps/ledger_core-3f2a9c1b7d4e5f60)",
        "",
        "running 2 tests",
        "test money::tests::adds ... ok",
        "test money::tests::rounds_half_even ... \u{1b}[31mFAILED\u{1b}[0m",
        "",
        "failures:",
        "",
        "---- money::tests::rounds_half_even stdout ----",
        "thread 'money::tests::rounds_half_even' panicked at core/src/money.rs:88:9:",
        "assertion `left == right` failed",
        "  left: 2",
        " right: 3",
        "",
        "failures:",
        "    money::tests::rounds_half_even",
        "",
        "test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out",
        "##[error]Process completed with exit code 101.",
        "##[group]Run actions/upload-artifact@v4",
        "##[warning]No files were found with the provided path: target/report. No artifacts will be uploaded.",
        "##[endgroup]",
    ];
    let mut s = String::from("\u{feff}");
    for (i, l) in body.iter().enumerate() {
        s.push_str(&format!(
            "2026-06-21T05:34:{:02}.{:07}Z {}\n",
            i % 60,
            i * 1234,
            l
        ));
    }
    s
}

#[test]
fn github_actions_shape() {
    let log = gh_log();
    let r = parse_bytes(log.as_bytes());
    assert_eq!(r.format, "github-actions");
    assert_eq!(r.lines, 31);
    assert_eq!(r.bytes, log.len() as u64);
    let f = &r.failures[0];
    assert_eq!(f.kind, Kind::TestFailure);
    assert_eq!(f.test.as_deref(), Some("money::tests::rounds_half_even"));
    assert_eq!(f.step.as_deref(), Some("cargo test --workspace"));
    assert_eq!(f.file.as_deref(), Some("core/src/money.rs"));
    assert_eq!(f.line, Some(88));
    // excerpt line numbers slice the original text
    let orig: Vec<&str> = log.split('\n').collect();
    let e = &f.excerpt;
    let got: Vec<&str> = e.text.split('\n').collect();
    assert_eq!(got.len() as u64, e.end_line - e.start_line + 1);
    for (k, line) in got.iter().enumerate() {
        let raw = orig[e.start_line as usize - 1 + k];
        let raw = raw.trim_start_matches('\u{feff}');
        let raw = &raw[29..]; // timestamp + space
        assert_eq!(*line, raw.trim_end(), "line {}", e.start_line as usize + k);
    }
    assert!(
        e.text
            .starts_with("---- money::tests::rounds_half_even stdout ----")
    );
    // the warning is not a failure; nothing is reported from the upload step
    assert!(
        r.failures
            .iter()
            .all(|f| f.step.as_deref() != Some("actions/upload-artifact@v4"))
    );
}

#[test]
fn github_error_annotation_alone() {
    let log = "2026-06-21T05:34:54.5273610Z ##[group]Run ./deploy.sh\n\
               2026-06-21T05:34:55.0000000Z uploading\n\
               2026-06-21T05:34:56.0000000Z ##[error]Deployment token expired for environment prod\n";
    let r = parse_bytes(log.as_bytes());
    let f = &r.failures[0];
    assert_eq!(f.message, "Deployment token expired for environment prod");
    assert_eq!(f.step.as_deref(), Some("./deploy.sh"));
    assert_eq!((f.excerpt.start_line, f.excerpt.end_line), (3, 3));
}
