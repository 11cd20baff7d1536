//! GitHub integration against local stand-ins: one wiremock server plays the
//! API (bodies from GitHub's OpenAPI examples in tests/fixtures/github/), a
//! second one plays the log storage host the API redirects to. No network.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use cifix_host::forge::github::{
    ClientConfig, Error, GitHub, LogSource, PrAction, PrRequest, Token, TokenSource,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const OWNER: &str = "octo-org";
const REPO: &str = "octo-repo";
const RUN: u64 = 30433642;
const API_RUN: &str = "/repos/octo-org/octo-repo/actions/runs/30433642";
const RUN_URL: &str = "https://github.com/octo-org/octo-repo/actions/runs/30433642";

fn fixture(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/github")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

/// The OpenAPI `workflow-run` example as a failed, completed run.
fn run_body(attempt: u32) -> Value {
    let mut r = fixture("workflow-run");
    r["id"] = json!(RUN);
    r["run_attempt"] = json!(attempt);
    r["status"] = json!("completed");
    r["conclusion"] = json!("failure");
    r
}

/// The OpenAPI `job-paginated` job, renamed, with its "Run Tests" step failed
/// when `conclusion` is failure. The example has no `run_attempt` and
/// `head_branch: null` would break octocrab's model; we send both shapes.
fn job(id: u64, name: &str, conclusion: &str) -> Value {
    let mut j = fixture("job-paginated")["jobs"][0].clone();
    j["id"] = json!(id);
    j["run_id"] = json!(RUN);
    j["name"] = json!(name);
    j["conclusion"] = json!(conclusion);
    j["head_branch"] = Value::Null;
    if conclusion == "failure" {
        for s in j["steps"].as_array_mut().unwrap() {
            if s["name"] == "Run Tests" {
                s["conclusion"] = json!("failure");
            }
        }
    }
    j
}

fn jobs(list: Vec<Value>) -> Value {
    json!({ "total_count": list.len(), "jobs": list })
}

fn token() -> Token {
    Token::new("ghp_test", TokenSource::GithubToken)
}

fn client(api: &MockServer) -> GitHub {
    let mut cfg = ClientConfig::new(api.uri(), Some(token()));
    cfg.retry.backoff = Duration::from_millis(10);
    cfg.retry.max_wait = Duration::from_secs(5);
    GitHub::new(cfg).unwrap()
}

fn redirect(to: String) -> ResponseTemplate {
    ResponseTemplate::new(302).insert_header("location", to.as_str())
}

fn gh_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.to_string(),
    }))
}

async fn mount_run(api: &MockServer, attempt: u32) {
    Mock::given(method("GET"))
        .and(path(API_RUN))
        .respond_with(ResponseTemplate::new(200).set_body_json(run_body(attempt)))
        .mount(api)
        .await;
}

/// Job `id`'s log: the API redirects to the blob host, which serves `text`.
async fn mount_job_log(api: &MockServer, blob: &MockServer, id: u64, text: &str) {
    let blob_path = format!("/actions-results/{id}/signedlogcontent");
    Mock::given(method("GET"))
        .and(path(format!(
            "/repos/{OWNER}/{REPO}/actions/jobs/{id}/logs"
        )))
        .respond_with(redirect(format!("{}{blob_path}?sig=abc", blob.uri())))
        .expect(1)
        .mount(api)
        .await;
    Mock::given(method("GET"))
        .and(path(blob_path))
        .respond_with(ResponseTemplate::new(200).set_body_string(text))
        .expect(1)
        .mount(blob)
        .await;
}

async fn assert_no_auth_reached(blob: &MockServer) {
    let reqs = blob.received_requests().await.unwrap();
    assert!(!reqs.is_empty());
    for r in reqs {
        assert!(
            r.headers.get("authorization").is_none(),
            "the token leaked to the blob host: {:?}",
            r.headers
        );
    }
}

async fn assert_api_auth(api: &MockServer) {
    for r in api.received_requests().await.unwrap() {
        assert_eq!(
            r.headers.get("authorization").unwrap().to_str().unwrap(),
            "Bearer ghp_test"
        );
    }
}

const LOG_TEST: &str = "\u{feff}2026-04-25T05:18:16.2685185Z ##[group]Run cargo test\n2026-04-25T05:18:20.0000000Z test tests::it ... FAILED\n2026-04-25T05:18:20.1000000Z ##[error]Process completed with exit code 101.\n";
const LOG_LINT: &str = "2026-04-25T05:18:16.0000000Z error: unused variable `x`\n";

/// build succeeded, test and lint (matrix-ish names) failed.
async fn standard_run(api: &MockServer, blob: &MockServer) {
    mount_run(api, 1).await;
    Mock::given(method("GET"))
        .and(path(format!("{API_RUN}/jobs")))
        .and(query_param("filter", "latest"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jobs(vec![
            job(101, "build", "success"),
            job(102, "test (ubuntu-latest, stable)", "failure"),
            job(103, "lint / clippy", "failure"),
        ])))
        .expect(1)
        .mount(api)
        .await;
    mount_job_log(api, blob, 102, LOG_TEST).await;
    mount_job_log(api, blob, 103, LOG_LINT).await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{OWNER}/{REPO}/actions/jobs/101/logs")))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(api)
        .await;
}

#[tokio::test]
async fn job_log_302_flow_fetches_only_failed_jobs_without_leaking_the_token() {
    let (api, blob) = (MockServer::start().await, MockServer::start().await);
    standard_run(&api, &blob).await;
    let out = tempfile::tempdir().unwrap();
    let got = client(&api).fetch_logs(RUN_URL, out.path()).await.unwrap();

    assert_eq!(got.logs.len(), 2);
    let test_log = out.path().join("logs/test-ubuntu-latest-stable.log");
    assert_eq!(std::fs::read_to_string(&test_log).unwrap(), LOG_TEST);
    assert_eq!(
        std::fs::read_to_string(out.path().join("logs/lint-clippy.log")).unwrap(),
        LOG_LINT
    );
    assert!(!out.path().join("logs/build.log").exists());
    assert!(got.logs.iter().all(|l| l.source == LogSource::JobLog));

    let run: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("run.json")).unwrap())
            .unwrap();
    assert_eq!(run["run_id"], json!(RUN));
    assert_eq!(run["attempt"], json!(1));
    assert_eq!(
        run["head_sha"],
        json!("acb5820ced9479c074f688cc328bf03f341a511d")
    );
    assert_eq!(run["head_branch"], json!("main"));
    assert_eq!(
        run["html_url"],
        json!("https://github.com/octo-org/octo-repo/actions/runs/30433642")
    );
    assert_eq!(run["jobs"].as_array().unwrap().len(), 3);
    assert_eq!(run["jobs"][1]["failed_steps"], json!(["Run Tests"]));
    assert_eq!(
        run["jobs"][1]["log"],
        json!("logs/test-ubuntu-latest-stable.log")
    );
    assert_eq!(run["jobs"][0]["selected"], json!(false));
    assert_no_auth_reached(&blob).await;
    assert_api_auth(&api).await;
}

#[tokio::test]
async fn job_url_fetches_exactly_that_job() {
    let (api, blob) = (MockServer::start().await, MockServer::start().await);
    mount_run(&api, 1).await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/repos/{OWNER}/{REPO}/actions/jobs/72989083007"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(job(72989083007, "test", "failure")))
        .mount(&api)
        .await;
    mount_job_log(&api, &blob, 72989083007, LOG_TEST).await;
    let out = tempfile::tempdir().unwrap();
    let url = format!("{RUN_URL}/job/72989083007?pr=3#step:4:7");
    let got = client(&api).fetch_logs(&url, out.path()).await.unwrap();
    assert_eq!(got.logs.len(), 1);
    assert_eq!(got.logs[0].job_id, 72989083007);
    assert_eq!(got.run.selected_job, Some(72989083007));
    // The job list endpoint was not needed.
    let reqs = api.received_requests().await.unwrap();
    assert!(reqs.iter().all(|r| !r.url.path().ends_with("/jobs")));
}

#[tokio::test]
async fn attempt_url_uses_the_attempt_endpoints() {
    let (api, blob) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("GET"))
        .and(path(format!("{API_RUN}/attempts/2")))
        .respond_with(ResponseTemplate::new(200).set_body_json(run_body(2)))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API_RUN}/attempts/2/jobs")))
        .and(query_param_is_missing("filter"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(jobs(vec![job(201, "test", "failure")])),
        )
        .expect(1)
        .mount(&api)
        .await;
    mount_job_log(&api, &blob, 201, LOG_TEST).await;
    let out = tempfile::tempdir().unwrap();
    let got = client(&api)
        .fetch_logs(&format!("{RUN_URL}/attempts/2"), out.path())
        .await
        .unwrap();
    assert_eq!(got.run.attempt, 2);
    assert_eq!(got.logs[0].job_name, "test");
}

#[tokio::test]
async fn jobs_are_read_from_every_page() {
    let (api, blob) = (MockServer::start().await, MockServer::start().await);
    mount_run(&api, 1).await;
    let next = format!(
        "{}{API_RUN}/jobs?filter=latest&per_page=100&page=2",
        api.uri()
    );
    let last = format!(
        "{}{API_RUN}/jobs?filter=latest&per_page=100&page=2",
        api.uri()
    );
    Mock::given(method("GET"))
        .and(path(format!("{API_RUN}/jobs")))
        .and(query_param_is_missing("page"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "link",
                    format!("<{next}>; rel=\"next\", <{last}>; rel=\"last\"").as_str(),
                )
                .set_body_json(jobs(
                    (0..100)
                        .map(|i| job(1000 + i, &format!("shard {i}"), "success"))
                        .collect(),
                )),
        )
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API_RUN}/jobs")))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jobs(vec![job(
            2000,
            "shard 100",
            "failure",
        )])))
        .expect(1)
        .mount(&api)
        .await;
    mount_job_log(&api, &blob, 2000, LOG_TEST).await;
    let out = tempfile::tempdir().unwrap();
    let got = client(&api).fetch_logs(RUN_URL, out.path()).await.unwrap();
    assert_eq!(got.run.jobs.len(), 101);
    assert_eq!(got.logs.len(), 1);
    assert_eq!(got.logs[0].job_id, 2000);
    assert!(out.path().join("logs/shard-100.log").exists());
}

fn build_zip(files: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in files {
        w.start_file(*name, opts).unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[tokio::test]
async fn falls_back_to_the_run_zip_and_extracts_only_failed_jobs() {
    let (api, blob) = (MockServer::start().await, MockServer::start().await);
    mount_run(&api, 1).await;
    Mock::given(method("GET"))
        .and(path(format!("{API_RUN}/jobs")))
        .respond_with(ResponseTemplate::new(200).set_body_json(jobs(vec![
            job(101, "build", "success"),
            job(102, "test: unit", "failure"),
            job(103, "lint", "failure"),
        ])))
        .mount(&api)
        .await;
    for id in [102, 103] {
        Mock::given(method("GET"))
            .and(path(format!(
                "/repos/{OWNER}/{REPO}/actions/jobs/{id}/logs"
            )))
            .respond_with(gh_error(404, "Not Found"))
            .mount(&api)
            .await;
    }
    // `test: unit` has a whole-job file (":" removed, as GitHub names them);
    // `lint` has only per-step files (the results-service layout).
    let zip = build_zip(&[
        ("0_build.txt", "build ok\n"),
        ("build/1_Set up job.txt", "setup\n"),
        ("1_test unit.txt", LOG_TEST),
        ("test unit/1_Set up job.txt", "setup\n"),
        ("lint/1_Set up job.txt", "lint setup\n"),
        ("lint/2_Run clippy.txt", LOG_LINT),
    ]);
    Mock::given(method("GET"))
        .and(path(format!("{API_RUN}/attempts/1/logs")))
        .respond_with(redirect(format!("{}/zip/run.zip", blob.uri())))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path("/zip/run.zip"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(zip))
        .expect(1)
        .mount(&blob)
        .await;
    let out = tempfile::tempdir().unwrap();
    let got = client(&api).fetch_logs(RUN_URL, out.path()).await.unwrap();
    assert_eq!(got.logs.len(), 2);
    assert!(got.logs.iter().all(|l| l.source == LogSource::RunArchive));
    assert_eq!(
        std::fs::read_to_string(out.path().join("logs/test-unit.log")).unwrap(),
        LOG_TEST
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("logs/lint.log")).unwrap(),
        format!("lint setup\n{LOG_LINT}")
    );
    assert!(!out.path().join("logs/build.log").exists());
    assert_eq!(
        std::fs::read_dir(out.path().join("logs")).unwrap().count(),
        2
    );
    assert_no_auth_reached(&blob).await;
}

#[tokio::test]
async fn run_not_found_is_a_404_error() {
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(API_RUN))
        .respond_with(gh_error(404, "Not Found"))
        .mount(&api)
        .await;
    let out = tempfile::tempdir().unwrap();
    let err = client(&api)
        .fetch_logs(RUN_URL, out.path())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("404") && msg.contains("private") && msg.contains("GITHUB_TOKEN"),
        "{msg}"
    );
}

#[tokio::test]
async fn expired_logs_are_a_410_error_with_the_retention_hint() {
    let api = MockServer::start().await;
    mount_run(&api, 1).await;
    Mock::given(method("GET"))
        .and(path(format!("{API_RUN}/jobs")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(jobs(vec![job(102, "test", "failure")])),
        )
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{OWNER}/{REPO}/actions/jobs/102/logs")))
        .respond_with(gh_error(410, "Server Error"))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API_RUN}/attempts/1/logs")))
        .respond_with(gh_error(410, "Server Error"))
        .expect(1)
        .mount(&api)
        .await;
    let out = tempfile::tempdir().unwrap();
    let err = client(&api)
        .fetch_logs(RUN_URL, out.path())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::LogsExpired { .. }), "{err:?}");
    assert!(err.to_string().contains("90 days"), "{err}");
}

#[tokio::test]
async fn auth_errors_name_the_token_source_and_the_permission() {
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(API_RUN))
        .respond_with(gh_error(401, "Bad credentials"))
        .mount(&api)
        .await;
    let out = tempfile::tempdir().unwrap();
    let err = client(&api)
        .fetch_logs(RUN_URL, out.path())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
    assert!(
        err.to_string().contains("GITHUB_TOKEN") && err.to_string().contains("Bad credentials"),
        "{err}"
    );

    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(API_RUN))
        .respond_with(gh_error(
            403,
            "Resource not accessible by personal access token",
        ))
        .expect(1) // a permission error is not retried as a rate limit
        .mount(&api)
        .await;
    let err = client(&api)
        .fetch_logs(RUN_URL, out.path())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("GITHUB_TOKEN") && msg.contains("actions:read"),
        "{msg}"
    );
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn primary_rate_limit_waits_for_the_reset_within_the_bound() {
    let (api, blob) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("GET"))
        .and(path(API_RUN))
        .respond_with(
            gh_error(403, "API rate limit exceeded for installation ID 1.")
                .insert_header("x-ratelimit-limit", "5000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", (now() + 1).to_string().as_str()),
        )
        .up_to_n_times(1)
        .mount(&api)
        .await;
    standard_run(&api, &blob).await;
    let out = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let got = client(&api).fetch_logs(RUN_URL, out.path()).await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(got.logs.len(), 2);
}

#[tokio::test]
async fn primary_rate_limit_beyond_the_bound_gives_up_at_once() {
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(API_RUN))
        .respond_with(
            gh_error(403, "API rate limit exceeded for 1.2.3.4.")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", (now() + 3600).to_string().as_str()),
        )
        .expect(1)
        .mount(&api)
        .await;
    let out = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let err = client(&api)
        .fetch_logs(RUN_URL, out.path())
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(
            err,
            Error::RateLimited {
                kind: "primary",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("allowed 5s"), "{err}");
}

#[tokio::test]
async fn secondary_rate_limit_honours_retry_after() {
    let (api, blob) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("GET"))
        .and(path(format!("{API_RUN}/jobs")))
        .respond_with(
            gh_error(429, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.")
                .insert_header("retry-after", "1"),
        )
        .up_to_n_times(1)
        .mount(&api)
        .await;
    standard_run(&api, &blob).await;
    let out = tempfile::tempdir().unwrap();
    let start = Instant::now();
    client(&api).fetch_logs(RUN_URL, out.path()).await.unwrap();
    assert!(start.elapsed() >= Duration::from_secs(1));

    // Beyond the bound: an error that says how long GitHub asked for.
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(API_RUN))
        .respond_with(
            gh_error(403, "You have exceeded a secondary rate limit.")
                .insert_header("retry-after", "600"),
        )
        .mount(&api)
        .await;
    let err = client(&api)
        .fetch_logs(RUN_URL, out.path())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::RateLimited {
                kind: "secondary",
                wait_secs: 600,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_succeed_or_give_up() {
    let (api, blob) = (MockServer::start().await, MockServer::start().await);
    Mock::given(method("GET"))
        .and(path(API_RUN))
        .respond_with(ResponseTemplate::new(502).set_body_string("Bad Gateway"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&api)
        .await;
    standard_run(&api, &blob).await;
    let out = tempfile::tempdir().unwrap();
    client(&api).fetch_logs(RUN_URL, out.path()).await.unwrap();

    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(API_RUN))
        .respond_with(gh_error(500, "Server Error"))
        .expect(4) // 1 + 3 retries
        .mount(&api)
        .await;
    let err = client(&api)
        .fetch_logs(RUN_URL, out.path())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Server { attempts: 4, .. }), "{err:?}");
}

#[tokio::test]
async fn a_blob_host_refusal_is_reported() {
    let (api, blob) = (MockServer::start().await, MockServer::start().await);
    mount_run(&api, 1).await;
    Mock::given(method("GET"))
        .and(path(format!("{API_RUN}/jobs")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(jobs(vec![job(102, "test", "failure")])),
        )
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/{OWNER}/{REPO}/actions/jobs/102/logs")))
        .respond_with(redirect(format!("{}/expired", blob.uri())))
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API_RUN}/attempts/1/logs")))
        .respond_with(redirect(format!("{}/expired", blob.uri())))
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path("/expired"))
        .respond_with(ResponseTemplate::new(403).set_body_string(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code></Error>",
        ))
        .mount(&blob)
        .await;
    let out = tempfile::tempdir().unwrap();
    let err = client(&api)
        .fetch_logs(RUN_URL, out.path())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("storage host refused"), "{err}");
}

fn pr_request(allow_non_draft: bool) -> PrRequest {
    PrRequest {
        owner: "octocat".into(),
        repo: "Hello-World".into(),
        head: "fix/flaky-test".into(),
        base: "main".into(),
        title: "Fix flaky test".into(),
        body: "## Report\n...".into(),
        allow_non_draft,
    }
}

fn pull(draft: bool) -> Value {
    let mut p = fixture("pull-request");
    p["draft"] = json!(draft);
    p
}

const PULLS: &str = "/repos/octocat/Hello-World/pulls";

#[tokio::test]
async fn pr_is_created_as_a_draft() {
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PULLS))
        .and(body_partial_json(json!({"draft": true, "head": "fix/flaky-test", "base": "main", "title": "Fix flaky test"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(pull(true)))
        .expect(1)
        .mount(&api)
        .await;
    let pr = client(&api)
        .create_or_update_draft_pr(&pr_request(false))
        .await
        .unwrap();
    assert_eq!(
        (pr.number, pr.draft, pr.action),
        (1347, true, PrAction::Created)
    );
    assert_eq!(pr.url, "https://github.com/octocat/Hello-World/pull/1347");
}

#[tokio::test]
async fn existing_pr_for_the_branch_is_updated() {
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PULLS))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation Failed",
            "errors": [{"resource": "PullRequest", "code": "custom", "message": "A pull request already exists for octocat:fix/flaky-test."}],
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request",
            "status": "422"
        })))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path(PULLS))
        .and(query_param("head", "octocat:fix/flaky-test"))
        .and(query_param("state", "open"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([pull(true)])))
        .expect(1)
        .mount(&api)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("{PULLS}/1347")))
        .and(body_partial_json(
            json!({"title": "Fix flaky test", "body": "## Report\n..."}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(pull(true)))
        .expect(1)
        .mount(&api)
        .await;
    let pr = client(&api)
        .create_or_update_draft_pr(&pr_request(false))
        .await
        .unwrap();
    assert_eq!((pr.number, pr.action), (1347, PrAction::Updated));
}

async fn mount_draft_refusal(api: &MockServer) {
    Mock::given(method("POST"))
        .and(path(PULLS))
        .and(body_partial_json(json!({"draft": true})))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation Failed",
            "errors": [{"resource": "PullRequest", "code": "custom", "message": "Draft pull requests are not supported in this repository."}],
            "documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"
        })))
        .expect(1)
        .mount(api)
        .await;
}

#[tokio::test]
async fn draft_unsupported_is_refused_unless_allowed() {
    let api = MockServer::start().await;
    mount_draft_refusal(&api).await;
    Mock::given(method("POST"))
        .and(path(PULLS))
        .and(body_partial_json(json!({"draft": false})))
        .respond_with(ResponseTemplate::new(201).set_body_json(pull(false)))
        .expect(0)
        .mount(&api)
        .await;
    let err = client(&api)
        .create_or_update_draft_pr(&pr_request(false))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DraftNotSupported { .. }), "{err:?}");
    assert!(err.to_string().contains("allow-non-draft"));

    let api = MockServer::start().await;
    mount_draft_refusal(&api).await;
    Mock::given(method("POST"))
        .and(path(PULLS))
        .and(body_partial_json(json!({"draft": false})))
        .respond_with(ResponseTemplate::new(201).set_body_json(pull(false)))
        .expect(1)
        .mount(&api)
        .await;
    let pr = client(&api)
        .create_or_update_draft_pr(&pr_request(true))
        .await
        .unwrap();
    assert_eq!((pr.draft, pr.action), (false, PrAction::CreatedNonDraft));
}

// ---- through the binary -------------------------------------------------

fn cifix(api: &MockServer, home: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("cifix").unwrap();
    c.env("GITHUB_API_URL", api.uri())
        .env("GITHUB_TOKEN", "ghp_test")
        .env_remove("GH_TOKEN")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("NO_COLOR", "1")
        .current_dir(home);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_fetch_logs_saves_failed_jobs_and_prints_json() {
    let (api, blob) = (MockServer::start().await, MockServer::start().await);
    standard_run(&api, &blob).await;
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    let assert = cifix(&api, home.path())
        .args(["fetch-logs", RUN_URL, "--json", "--out"])
        .arg(&out)
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let names: Vec<&str> = v["logs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["job_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["test (ubuntu-latest, stable)", "lint / clippy"]);
    for l in v["logs"].as_array().unwrap() {
        assert!(PathBuf::from(l["path"].as_str().unwrap()).is_file());
    }
    assert_eq!(
        v["run"]["head_sha"],
        json!("acb5820ced9479c074f688cc328bf03f341a511d")
    );
    assert_eq!(
        PathBuf::from(v["run_json"].as_str().unwrap()),
        out.join("run.json")
    );
    assert_no_auth_reached(&blob).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_fetch_logs_default_folder_never_overwrites() {
    let home = tempfile::tempdir().unwrap();
    for dir in [RUN.to_string(), format!("{RUN}-2")] {
        let (api, blob) = (MockServer::start().await, MockServer::start().await);
        standard_run(&api, &blob).await;
        let a = cifix(&api, home.path())
            .args(["fetch-logs", RUN_URL])
            .assert()
            .success();
        let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
        assert!(
            stdout.contains("test (ubuntu-latest, stable)") && stdout.contains("Run Tests"),
            "{stdout}"
        );
        assert!(
            home.path()
                .join("cifix-logs")
                .join(&dir)
                .join("run.json")
                .is_file(),
            "{dir}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_fetch_logs_reports_errors() {
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(API_RUN))
        .respond_with(gh_error(404, "Not Found"))
        .mount(&api)
        .await;
    let home = tempfile::tempdir().unwrap();
    let a = cifix(&api, home.path())
        .args(["fetch-logs", RUN_URL])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("404") && err.contains("private"), "{err}");

    let a = cifix(&api, home.path())
        .args(["fetch-logs", "https://github.com/o/r/pull/1"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("accepted forms"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_without_a_token_says_so() {
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(API_RUN))
        .respond_with(gh_error(403, "Must have admin rights to Repository."))
        .mount(&api)
        .await;
    let home = tempfile::tempdir().unwrap();
    let a = cifix(&api, home.path())
        .env_remove("GITHUB_TOKEN")
        .env("PATH", home.path()) // no `gh` to ask
        .args(["fetch-logs", RUN_URL])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("no GitHub token found") && err.contains("60 requests per hour"),
        "{err}"
    );
    assert!(
        err.contains("No token was found") && err.contains("actions:read"),
        "{err}"
    );
    for r in api.received_requests().await.unwrap() {
        assert!(r.headers.get("authorization").is_none());
    }
}

// ---- suggested reviewers ------------------------------------------------

#[test]
fn reviewers_from_codeowners_and_recent_authors() {
    use git2::{Repository, Signature};
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let commit = |who: (&str, &str), files: &[(&str, &str)]| {
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let mut idx = repo.index().unwrap();
        idx.add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        idx.write().unwrap();
        let tree = repo.find_tree(idx.write_tree().unwrap()).unwrap();
        let sig = Signature::now(who.0, who.1).unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &parents)
            .unwrap();
    };
    // GitHub reads .github/CODEOWNERS first; the root file is ignored.
    commit(
        ("Ann", "ann@example.com"),
        &[
            (
                ".github/CODEOWNERS",
                "* @org/everyone\n/src/parser/ @parser-team @ann-gh\n*.md @docs\n",
            ),
            ("CODEOWNERS", "* @wrong\n"),
            ("src/parser/mod.rs", "1"),
        ],
    );
    commit(
        ("Bob", "1234+bob-gh@users.noreply.github.com"),
        &[("src/parser/mod.rs", "2")],
    );
    commit(
        ("Bob", "1234+bob-gh@users.noreply.github.com"),
        &[("src/parser/mod.rs", "3")],
    );
    commit(("Carol", "carol@example.com"), &[("src/other.rs", "x")]);
    commit(
        ("dependabot[bot]", "bot@example.com"),
        &[("src/parser/mod.rs", "4")],
    );

    let r = cifix_host::forge::github::suggest_reviewers(
        dir.path(),
        &["src/parser/mod.rs".to_string()],
    )
    .unwrap();
    let handles: Vec<Option<&str>> = r.iter().map(|x| x.handle.as_deref()).collect();
    assert_eq!(
        &handles[..2],
        &[Some("@ann-gh"), Some("@parser-team")],
        "{r:#?}"
    );
    assert!(r[0].reasons[0].contains(".github/CODEOWNERS:2"), "{r:#?}");
    // Bob: 2 commits, GitHub login from his noreply address; Ann: 1 commit.
    let bob = r
        .iter()
        .find(|x| x.handle.as_deref() == Some("@bob-gh"))
        .expect("bob");
    assert!(
        bob.reasons[0].contains("2 commit(s) to src/parser/mod.rs"),
        "{bob:?}"
    );
    assert!(
        r.iter()
            .any(|x| x.email.as_deref() == Some("ann@example.com"))
    );
    assert!(
        !r.iter().any(|x| x.handle.as_deref() == Some("@wrong")
            || x.handle.as_deref() == Some("@org/everyone"))
    );
    assert!(!r.iter().any(|x| {
        x.name
            .as_deref()
            .is_some_and(|n| n.contains("[bot]") || n == "Carol")
    }));
}
