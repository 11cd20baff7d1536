//! End to end through the real `cifix` binary: toy Python projects in git
//! repositories with a bare `origin`, a local GitHub stand-in (wiremock), and
//! a scripted agent that edits files like a real one (through the production
//! `--agent-cmd` adapter). The user's clone must be unchanged after every flow.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};
use support::*;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn cifix(p: &Project, args: &[&str], env: &[(&str, &str)]) -> Output {
    std::fs::write(p.tmp.path().join("config.toml"), "").unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_cifix"));
    c.args(args)
        .arg("--repo")
        .arg(&p.clone)
        .arg("--outputs")
        .arg(p.tmp.path().join("outputs"))
        .env("PATH", path_with_venv())
        .env("CIFIX_CACHE_DIR", p.tmp.path().join("cache"))
        .env("CIFIX_CONFIG", p.tmp.path().join("config.toml"))
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(p.tmp.path());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn json_out(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn write_info(p: &Project, v: Value) -> PathBuf {
    let f = p.tmp.path().join("info.json");
    std::fs::write(&f, serde_json::to_vec(&v).unwrap()).unwrap();
    f
}

fn invoice_project() -> Project {
    Project::new(&[
        ("invoice.py", INVOICE),
        ("tests/test_invoice.py", INVOICE_TEST),
        ("pytest.ini", PYTEST_INI),
    ])
}

fn invoice_log() -> String {
    pytest_log(
        "tests/test_invoice.py",
        "test_total",
        "assert total([0.1, 0.2], discount=0.0) == 0.3",
        "AssertionError: assert 0.30000000000000004 == 0.3",
    )
}

/// An agent script that fixes the rounding bug the way an agent would.
fn fixing_agent(p: &Project) -> String {
    let script = p.tmp.path().join("agent-fix.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nset -e\ncd \"$1\"\ngrep -q 'Task: fix a CI failure' \"$2\"\n\
         sed -i 's/return sum(prices) \\* (1 - discount)/return round(sum(prices) * (1 - discount), 2)/' invoice.py\n\
         printf 'Root cause: float arithmetic in total() left 0.30000000000000004; totals are now rounded to cents.\\n' > CIFIX_NOTES.md\n",
    )
    .unwrap();
    format!("sh {} {{workdir}} {{prompt_file}}", script.display())
}

/// The clone is byte-for-byte as before (a pushed `fix/*` branch may remain
/// as a new local branch only when `fix_branch_ok`).
fn assert_untouched(p: &Project, before: &[(String, Vec<u8>)]) {
    assert_clone(p, before, false)
}

fn assert_clone(p: &Project, before: &[(String, Vec<u8>)], fix_branch_ok: bool) {
    let after = p.snapshot();
    assert_eq!(
        before.len(),
        after.len(),
        "files appeared or vanished in the user's clone"
    );
    for (a, b) in before.iter().zip(after.iter()) {
        assert_eq!(a, b, "{} changed in the user's clone", a.0);
    }
    assert_eq!(
        git(&p.clone, &["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "feature"
    );
    assert!(git(&p.clone, &["stash", "list"]).contains("WIP on main"));
    if !fix_branch_ok {
        assert!(
            git(&p.clone, &["branch", "--list", "fix/*"])
                .trim()
                .is_empty(),
            "a local fix branch was left behind"
        );
    }
    assert!(
        git(&p.clone, &["worktree", "list"]).lines().count() == 1,
        "a worktree was left behind"
    );
}

#[test]
fn deterministic_failure_reproduces_with_the_rerun_command() {
    let p = invoice_project();
    let before = p.snapshot();
    let info = write_info(
        &p,
        json!({"deterministic": true, "prompt": "test_total fails", "raw-logs": invoice_log()}),
    );
    let o = cifix(
        &p,
        &["reproduce", "--json", "--info", info.to_str().unwrap()],
        &[],
    );
    let v = json_out(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(v["reproduced"], true);
    assert_eq!(v["strategy"], "deterministic-minimal");
    assert_eq!(
        v["command"],
        json!(["pytest", "tests/test_invoice.py::test_total"])
    );
    assert_eq!(
        (v["runs"].as_u64(), v["failures"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(v["rate"], 1.0);
    let folder = PathBuf::from(v["failure_folder"].as_str().unwrap());
    let readme = std::fs::read_to_string(folder.join("README.md")).unwrap();
    assert!(
        readme.contains("**Reproduced:** yes") && readme.contains("AssertionError"),
        "{readme}"
    );
    assert!(folder.join("logs/raw.log").is_file() && folder.join("tests/command").is_file());
    let runs = std::fs::read_to_string(folder.join("runs.jsonl")).unwrap();
    assert!(runs.contains("failed-expected"), "{runs}");
    assert_untouched(&p, &before);
}

#[test]
fn a_different_failure_is_not_a_reproduction() {
    // CI failed with an AssertionError; here the same test dies of ZeroDivisionError.
    let p = Project::new(&[
        (
            "invoice.py",
            "def total(prices, discount):\n    return 1 / 0\n",
        ),
        ("tests/test_invoice.py", INVOICE_TEST),
        ("pytest.ini", PYTEST_INI),
    ]);
    let info = write_info(
        &p,
        json!({"deterministic": true, "prompt": "test_total fails", "raw-logs": invoice_log()}),
    );
    let o = cifix(
        &p,
        &["reproduce", "--json", "--info", info.to_str().unwrap()],
        &[],
    );
    let v = json_out(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(v["reproduced"], false);
    assert_eq!(v["failures"], 0);
    assert!(v["other_failures"].as_u64().unwrap() >= 1, "{v}");
}

#[test]
fn nd_stress_finds_an_intermittent_race_at_the_promised_rate() {
    let p = Project::new(&[
        ("tests/test_flaky.py", FLAKY_TEST),
        ("pytest.ini", PYTEST_INI),
    ]);
    let info = write_info(
        &p,
        json!({"deterministic": false, "prompt": "test_worker_finishes_in_time is flaky", "existing-test-path": "tests/test_flaky.py"}),
    );
    // n = ⌈ln 0.05 / ln 0.95⌉ = 59 runs must see a ≥5% flake with 95% confidence.
    let trials = 4;
    let mut found = 0;
    for _ in 0..trials {
        let o = cifix(
            &p,
            &[
                "reproduce",
                "--json",
                "--flake-rate",
                "0.05",
                "--info",
                info.to_str().unwrap(),
            ],
            &[],
        );
        let v = json_out(&o);
        assert_eq!(v["strategy"], "nd-stress");
        assert!(v["runs"].as_u64().unwrap() <= 59, "{v}");
        let (lo, hi) = (
            v["ci95"][0].as_f64().unwrap(),
            v["ci95"][1].as_f64().unwrap(),
        );
        let rate = v["rate"].as_f64().unwrap();
        assert!(lo <= rate && rate <= hi, "{v}");
        if v["reproduced"] == true {
            found += 1;
            assert!(v["failures"].as_u64().unwrap() >= 1);
            let folder = PathBuf::from(v["failure_folder"].as_str().unwrap());
            let readme = std::fs::read_to_string(folder.join("README.md")).unwrap();
            assert!(
                readme.contains("Wilson") && readme.contains("= 59"),
                "{readme}"
            );
        }
    }
    assert!(
        found >= trials - 1,
        "found the flake in only {found} of {trials} trials"
    );
}

fn pr_server_mount(rt: &tokio::runtime::Runtime, api: &MockServer) {
    let mut pull: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/github/pull-request.json")).unwrap(),
    )
    .unwrap();
    pull["draft"] = json!(true);
    pull["html_url"] = json!("https://github.com/acme/shop/pull/7");
    pull["number"] = json!(7);
    rt.block_on(
        Mock::given(method("POST"))
            .and(path("/repos/acme/shop/pulls"))
            .and(body_partial_json(json!({"draft": true, "base": "main"})))
            .respond_with(ResponseTemplate::new(201).set_body_json(pull.clone()))
            .expect(1)
            .mount(api),
    );
    // The body is replaced by the finished run's once the run is over.
    rt.block_on(
        Mock::given(method("PATCH"))
            .and(path("/repos/acme/shop/pulls/7"))
            .respond_with(ResponseTemplate::new(200).set_body_json(pull))
            .expect(1)
            .mount(api),
    );
}

fn show(o: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn branch_of(v: &Value) -> String {
    v["branch"].as_str().unwrap().to_string()
}

fn origin_file(p: &Project, branch: &str, file: &str) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(&p.origin)
        .args(["show", &format!("{branch}:{file}")])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn raw_logs_to_a_verified_fix_and_a_draft_pr() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(MockServer::start());
    pr_server_mount(&rt, &api);
    let p = invoice_project();
    let before = p.snapshot();
    let info = write_info(
        &p,
        json!({"deterministic": true, "prompt": "Fix the rounding in total()", "raw-logs": invoice_log()}),
    );
    let agent = fixing_agent(&p);
    let o = cifix(
        &p,
        &[
            "-v",
            "run",
            "--json",
            "--info",
            info.to_str().unwrap(),
            "--agent-cmd",
            &agent,
            "--github-repo",
            "acme/shop",
            "--github-api-url",
            &api.uri(),
            "--fix-budget-secs",
            "500",
            "--reproduce-budget-secs",
            "300",
        ],
        &[("GITHUB_TOKEN", "ghp_test")],
    );
    let v = json_out(&o);
    assert_eq!(v["status"], "success", "{}", show(&o));
    assert_valid("run-report.schema.json", &v);
    // One load and one instance of the strategy for the whole run (reproduce and verify).
    let stderr = String::from_utf8_lossy(&o.stderr);
    let count = |what: &str| {
        stderr
            .lines()
            .filter(|l| l.contains(what) && l.contains("deterministic-minimal"))
            .count()
    };
    assert_eq!(count("plugin instantiated"), 1, "{stderr}");
    assert_eq!(count("plugin loaded"), 1, "{stderr}");
    // The fix prompt shows the fix phase's budget, not the reproduction's.
    let folder = PathBuf::from(v["reproduction"]["failure_folder"].as_str().unwrap());
    let task = std::fs::read_to_string(folder.join("agent/agent-task-1.md")).unwrap();
    let shown: u64 = task
        .split("Time budget: ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no budget in the task:\n{task}"));
    assert!(
        (400..=500).contains(&shown),
        "budget shown: {shown}\n{task}"
    );
    assert_eq!(v["pr_url"], "https://github.com/acme/shop/pull/7");
    let branch = branch_of(&v);
    assert!(branch.starts_with("fix/fix-the-rounding"), "{branch}");
    let fixed = origin_file(&p, &branch, "invoice.py").expect("the fix branch was pushed");
    assert!(fixed.contains("round("), "{fixed}");
    assert!(origin_file(&p, &branch, "CIFIX_NOTES.md").is_none());
    let names: Vec<&str> = v["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fetch", "diagnose", "reproduce", "fix", "publish"]);
    // The report and its JSON.
    let md = std::fs::read_to_string(v["report_files"]["markdown"].as_str().unwrap()).unwrap();
    for s in [
        "✅",
        "## Phase 1: Reproduction",
        "## Phase 2: Root Cause",
        "float arithmetic",
        "passed 5 consecutive times",
        "## Relevant Developers",
        "Dev One",
    ] {
        assert!(md.contains(s), "missing {s:?} in report:\n{md}");
    }
    // The PR body is for reviewers, and the final one is the finished run's;
    // the token went to the API.
    let reqs = rt.block_on(api.received_requests()).unwrap();
    let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
    let opened = body["body"].as_str().unwrap();
    assert!(opened.contains("## What failed"), "{opened}");
    assert!(
        opened.contains("tests/test_invoice.py::test_total"),
        "{opened}"
    );
    let last = reqs.last().unwrap();
    assert_eq!(last.method.as_str(), "PATCH");
    let fin: Value = serde_json::from_slice(&last.body).unwrap();
    let fin = fin["body"].as_str().unwrap();
    for bad in [
        "Total time 0.0",
        "Pull request: -",
        "/tmp/",
        "\"schema_version\"",
    ] {
        assert!(!fin.contains(bad), "{bad:?} in the PR body:\n{fin}");
    }
    assert!(fin.contains("| publish | ok |"), "{fin}");
    assert!(fin.contains("| reproduce | ok |"), "{fin}");
    assert_eq!(
        reqs[0]
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        "Bearer ghp_test"
    );
    assert_clone(&p, &before, true);
    // stats and report over what this run wrote.
    let outputs = p.tmp.path().join("outputs");
    let s = Command::new(env!("CARGO_BIN_EXE_cifix"))
        .args(["stats", "--json", "--outputs"])
        .arg(&outputs)
        .output()
        .unwrap();
    let s: Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(
        (s["reports"].as_u64(), s["success"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(s["kinds"][0][0], "test-failure");
    assert_valid("stats.schema.json", &s);
    let json_path = v["report_files"]["json"].as_str().unwrap();
    let sidecar: Value =
        serde_json::from_str(&std::fs::read_to_string(json_path).unwrap()).unwrap();
    assert_valid("run-report.schema.json", &sidecar);
    let r = Command::new(env!("CARGO_BIN_EXE_cifix"))
        .args(["report", json_path, "-o", "-"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&r.stdout), md);
}

#[test]
fn existing_test_path_brings_the_test_then_removes_it_before_the_pr() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(MockServer::start());
    pr_server_mount(&rt, &api);
    let p = Project::new(&[("invoice.py", INVOICE), ("pytest.ini", PYTEST_INI)]);
    // The user's new, uncommitted test.
    std::fs::create_dir_all(p.clone.join("tests")).unwrap();
    std::fs::write(p.clone.join("tests/test_regression.py"), "from invoice import total\n\n\ndef test_cents():\n    assert total([0.1, 0.2], 0.0) == 0.3\n").unwrap();
    let before = p.snapshot();
    let info = write_info(
        &p,
        json!({"deterministic": true, "prompt": "totals are off by a fraction of a cent", "existing-test-path": "tests/test_regression.py"}),
    );
    let o = cifix(
        &p,
        &[
            "run",
            "--json",
            "--info",
            info.to_str().unwrap(),
            "--agent-cmd",
            &fixing_agent(&p),
            "--github-repo",
            "acme/shop",
            "--github-api-url",
            &api.uri(),
        ],
        &[("GITHUB_TOKEN", "ghp_test")],
    );
    let v = json_out(&o);
    assert_eq!(v["status"], "success", "{}", show(&o));
    let branch = branch_of(&v);
    assert!(
        origin_file(&p, &branch, "tests/test_regression.py").is_none(),
        "the PR must hold only the fix"
    );
    let log = git(
        &p.origin,
        &["log", "--format=%s", &format!("main..{branch}")],
    );
    let subjects: Vec<&str> = log.lines().collect();
    assert_eq!(subjects.len(), 3, "{log}");
    assert!(
        subjects[2].starts_with("test: reproduce")
            && subjects[1].starts_with("fix: ")
            && subjects[0].starts_with("test: remove"),
        "{log}"
    );
    assert_clone(&p, &before, true);
}

#[test]
fn url_to_pr_with_the_github_stand_in() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (api, blob) = rt.block_on(async { (MockServer::start().await, MockServer::start().await) });
    let fixture = |n: &str| -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(root().join(format!("tests/fixtures/github/{n}.json")))
                .unwrap(),
        )
        .unwrap()
    };
    let mut run = fixture("workflow-run");
    run["id"] = json!(42);
    run["run_attempt"] = json!(1);
    run["conclusion"] = json!("failure");
    let mut job = fixture("job-paginated")["jobs"][0].clone();
    job["id"] = json!(4242);
    job["run_id"] = json!(42);
    job["name"] = json!("tests");
    job["conclusion"] = json!("failure");
    let log = invoice_log();
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(path("/repos/acme/shop/actions/runs/42"))
            .respond_with(ResponseTemplate::new(200).set_body_json(run))
            .mount(&api)
            .await;
        Mock::given(method("GET"))
            .and(path("/repos/acme/shop/actions/jobs/4242"))
            .respond_with(ResponseTemplate::new(200).set_body_json(job))
            .mount(&api)
            .await;
        Mock::given(method("GET"))
            .and(path("/repos/acme/shop/actions/jobs/4242/logs"))
            .respond_with(ResponseTemplate::new(302).insert_header(
                "location",
                format!("{}/blob/4242?sig=x", blob.uri()).as_str(),
            ))
            .mount(&api)
            .await;
        Mock::given(method("GET"))
            .and(path("/blob/4242"))
            .respond_with(ResponseTemplate::new(200).set_body_string(log))
            .mount(&blob)
            .await;
    });
    pr_server_mount(&rt, &api);
    let p = invoice_project();
    let before = p.snapshot();
    let info = write_info(
        &p,
        json!({"deterministic": true, "prompt": "Fix the rounding", "url": "https://github.com/acme/shop/actions/runs/42/job/4242"}),
    );
    let o = cifix(
        &p,
        &[
            "run",
            "--json",
            "--info",
            info.to_str().unwrap(),
            "--agent-cmd",
            &fixing_agent(&p),
        ],
        &[("GITHUB_TOKEN", "ghp_test"), ("GITHUB_API_URL", &api.uri())],
    );
    let v = json_out(&o);
    assert_eq!(v["status"], "success", "{}", show(&o));
    assert_eq!(v["pr_url"], "https://github.com/acme/shop/pull/7");
    let blob_reqs = rt.block_on(blob.received_requests()).unwrap();
    assert!(
        blob_reqs
            .iter()
            .all(|r| r.headers.get("authorization").is_none()),
        "token leaked to the log host"
    );
    assert_clone(&p, &before, true);
}

#[test]
fn an_agent_without_progress_ends_failed_and_cleaned_up() {
    let p = invoice_project();
    let before = p.snapshot();
    let info = write_info(
        &p,
        json!({"deterministic": true, "prompt": "Fix the rounding", "raw-logs": invoice_log()}),
    );
    let o = cifix(
        &p,
        &[
            "run",
            "--json",
            "--info",
            info.to_str().unwrap(),
            "--agent-cmd",
            "true",
            "--max-attempts",
            "2",
            "--no-pr",
        ],
        &[],
    );
    let v = json_out(&o);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert_eq!(v["status"], "failed");
    assert!(v["branch"].is_null() && v["pr_url"].is_null());
    let md = std::fs::read_to_string(v["report_files"]["markdown"].as_str().unwrap()).unwrap();
    assert!(
        md.contains("❌") && md.contains("no verified progress"),
        "{md}"
    );
    assert!(
        !p.origin_branches().contains("fix/"),
        "{}",
        p.origin_branches()
    );
    assert_untouched(&p, &before);
}

#[test]
fn a_spent_budget_ends_partial_with_the_attempt_saved() {
    let p = invoice_project();
    let before = p.snapshot();
    let script = p.tmp.path().join("agent-wrong.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\ncd \"$1\"\necho '# tried something' >> invoice.py\nsleep 2\n",
    )
    .unwrap();
    let info = write_info(
        &p,
        json!({"deterministic": true, "prompt": "Fix the rounding", "raw-logs": invoice_log()}),
    );
    let cmd = format!("sh {} {{workdir}}", script.display());
    let o = cifix(
        &p,
        &[
            "run",
            "--json",
            "--info",
            info.to_str().unwrap(),
            "--agent-cmd",
            &cmd,
            "--fix-budget-secs",
            "4",
            "--max-attempts",
            "10",
            "--no-pr",
        ],
        &[],
    );
    let v = json_out(&o);
    assert_eq!(v["status"], "partial", "{}", show(&o));
    assert_eq!(o.status.code(), Some(3));
    let md = std::fs::read_to_string(v["report_files"]["markdown"].as_str().unwrap()).unwrap();
    assert!(md.contains("⚠️") && md.contains("attempt.patch"), "{md}");
    let folder = md
        .lines()
        .find_map(|l| l.strip_prefix("- Failure folder: `"))
        .map(|s| s.trim_end_matches('`').to_string())
        .unwrap();
    let patch = std::fs::read_to_string(Path::new(&folder).join("attempt.patch")).unwrap();
    assert!(patch.contains("tried something"), "{patch}");
    assert!(!p.origin_branches().contains("fix/"));
    assert_untouched(&p, &before);
}

#[test]
fn intermittent_failure_to_a_pr_with_a_statistical_claim() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(MockServer::start());
    pr_server_mount(&rt, &api);
    let p = Project::new(&[
        ("tests/test_flaky.py", FLAKY_TEST),
        ("pytest.ini", PYTEST_INI),
    ]);
    let before = p.snapshot();
    // The agent removes the race: the test joins the worker before asserting.
    let script = p.tmp.path().join("agent-race.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nset -e\ncd \"$1\"\nsed -i 's/    time.sleep(0.0018)/    t.join()/' tests/test_flaky.py\n\
         printf 'Root cause: the test read the result before joining the worker thread.\\n' > CIFIX_NOTES.md\n",
    )
    .unwrap();
    let info = write_info(
        &p,
        json!({"deterministic": false, "prompt": "test_worker_finishes_in_time is flaky", "existing-test-path": "tests/test_flaky.py"}),
    );
    let cmd = format!("sh {} {{workdir}}", script.display());
    let o = cifix(
        &p,
        &[
            "run",
            "--json",
            "--info",
            info.to_str().unwrap(),
            "--agent-cmd",
            &cmd,
            "--flake-rate",
            "0.05",
            "--github-repo",
            "acme/shop",
            "--github-api-url",
            &api.uri(),
        ],
        &[("GITHUB_TOKEN", "ghp_test")],
    );
    let v = json_out(&o);
    // The race fails ≥10% of runs: 59 runs (sized for 5%) miss it with probability < 0.2%.
    assert_eq!(v["status"], "success", "{}", show(&o));
    let md = std::fs::read_to_string(v["report_files"]["markdown"].as_str().unwrap()).unwrap();
    assert!(
        md.contains("the failure rate is below") && md.contains("with 95% confidence"),
        "{md}"
    );
    eprintln!(
        "{}",
        md.lines()
            .find(|l| l.contains("Verified"))
            .unwrap_or_default()
    );
    let branch = branch_of(&v);
    assert!(
        origin_file(&p, &branch, "tests/test_flaky.py")
            .unwrap()
            .contains("t.join()\n    ok = result")
    );
    assert_clone(&p, &before, true);
}

/// A cargo test log as GitHub Actions shows it.
fn cargo_log() -> String {
    let lines = [
        "##[group]Run cargo test",
        "cargo test",
        "##[endgroup]",
        "   Compiling adder v0.1.0 (/home/runner/work/adder/adder)",
        "    Finished `test` profile [unoptimized + debuginfo] target(s) in 1.02s",
        "     Running unittests src/lib.rs (target/debug/deps/adder-1c2f3e4d5a6b7c8d)",
        "",
        "running 2 tests",
        "test tests::adds_small ... ok",
        "test tests::adds_large ... FAILED",
        "",
        "failures:",
        "",
        "---- tests::adds_large stdout ----",
        "",
        "thread 'tests::adds_large' panicked at src/lib.rs:12:9:",
        "assertion `left == right` failed",
        "  left: 4294967294",
        " right: 8589934590",
        "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
        "",
        "failures:",
        "    tests::adds_large",
        "",
        "test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s",
        "",
        "error: test failed, to rerun pass `--lib`",
        "##[error]Process completed with exit code 101.",
    ];
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("2026-06-21T06:00:{:02}.0000000Z {l}\n", i % 60))
        .collect()
}

#[test]
fn deterministic_rust_failure_reproduces_with_cargo_test() {
    let p = Project::new(&[
        (
            "Cargo.toml",
            "[package]\nname = \"adder\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
        ),
        (
            "src/lib.rs",
            "pub fn add(a: u32, b: u32) -> u32 {\n    a.wrapping_add(b)\n}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn adds_large() {\n        let (a, b) = (u32::MAX, u32::MAX);\n        assert_eq!(add(a, b) as u64, a as u64 + b as u64);\n    }\n\n    #[test]\n    fn adds_small() {\n        assert_eq!(add(1, 2), 3);\n    }\n}\n",
        ),
    ]);
    let before = p.snapshot();
    let info = write_info(
        &p,
        json!({"deterministic": true, "prompt": "adds_large overflows", "raw-logs": cargo_log()}),
    );
    let o = cifix(
        &p,
        &["reproduce", "--json", "--info", info.to_str().unwrap()],
        &[(
            "CARGO_TARGET_DIR",
            p.tmp.path().join("target").to_str().unwrap(),
        )],
    );
    let v = json_out(&o);
    assert_eq!(v["reproduced"], true, "{}", show(&o));
    assert_eq!(v["command"][0], "cargo");
    assert!(
        v["command"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a.as_str().unwrap().contains("adds_large")),
        "{v}"
    );
    assert_eq!(
        (v["runs"].as_u64(), v["failures"].as_u64()),
        (Some(3), Some(3))
    );
    assert_untouched(&p, &before);
}

/// The reproduction runs at the base the fix starts from (the freshly fetched
/// remote branch), not at the user's local HEAD: here the user's clone holds an
/// unpushed local change that hides the failure, and CI's failure still
/// reproduces and gets fixed on the remote's code.
#[test]
fn reproduction_and_fix_share_the_fetched_base_not_the_local_head() {
    let p = invoice_project();
    std::fs::write(
        p.clone.join("invoice.py"),
        "def total(prices, discount):\n    return round(sum(prices) * (1 - discount), 2)\n",
    )
    .unwrap();
    git(&p.clone, &["commit", "-qam", "local, unpushed fix"]);
    let info = write_info(
        &p,
        json!({"deterministic": true, "prompt": "Fix the rounding in total()", "raw-logs": invoice_log()}),
    );
    let agent = fixing_agent(&p);
    let o = cifix(
        &p,
        &[
            "run",
            "--json",
            "--no-pr",
            "--info",
            info.to_str().unwrap(),
            "--agent-cmd",
            &agent,
        ],
        &[],
    );
    let v = json_out(&o);
    assert_eq!(v["reproduction"]["reproduced"], true, "{}", show(&o));
    assert_eq!(v["status"], "success", "{}", show(&o));
    let branch = branch_of(&v);
    let fixed = origin_file(&p, &branch, "invoice.py").expect("the fix branch was pushed");
    assert!(fixed.contains("round("), "{fixed}");
}
