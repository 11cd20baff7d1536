//! `cifix fetch-logs URL [--out DIR] [--json] [--github-api-url URL]`: the
//! log-fetching phase alone.
//!
//! Downloads the failed jobs' logs of a GitHub Actions run (or attempt, or
//! the one job of a job URL) into `DIR/logs/<job>.log` and writes
//! `DIR/run.json`.
//!
//! **Default output folder**: `./cifix-logs/<run-id>` (with
//! `-attempt-<n>` or `-job-<job-id>` appended when the URL names one). If that
//! folder already exists and is not empty, `-2`, `-3`, … is appended, so an
//! earlier fetch is never overwritten. An explicit `--out DIR` is used as
//! given (existing files with the same names are replaced).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::{Env, UsageError};
use cifix_host::config::info::RunUrl;
use cifix_host::forge::github::{self, Blocking, ClientConfig};

/// Arguments of `fetch-logs`.
#[derive(Debug, Args)]
pub struct FetchLogsArgs {
    /// A run URL (https://HOST/OWNER/REPO/actions/runs/ID), optionally with
    /// /attempts/N, or a job URL (.../actions/runs/ID/job/JOB_ID).
    pub url: String,
    /// Output folder [default: ./cifix-logs/<run-id>, with a -2, -3 … suffix
    /// if it is not empty].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print one JSON object describing what was saved (paths, jobs, run facts).
    #[arg(long)]
    pub json: bool,
    /// GitHub API base URL [default: https://api.github.com, or
    /// https://HOST/api/v3 for a GitHub Enterprise Server run URL].
    #[arg(long, env = "GITHUB_API_URL", value_name = "URL")]
    pub github_api_url: Option<String>,
    /// Longest wait accepted on a GitHub rate limit before giving up.
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub max_wait_secs: u64,
}

/// The default output folder for a URL (see the module documentation).
pub fn default_out_dir(u: &RunUrl) -> PathBuf {
    let mut name = u.run_id.to_string();
    if let Some(n) = u.attempt {
        name.push_str(&format!("-attempt-{n}"));
    }
    if let Some(j) = u.job_id {
        name.push_str(&format!("-job-{j}"));
    }
    unused_dir(&Path::new("cifix-logs").join(name))
}

fn unused_dir(base: &Path) -> PathBuf {
    let empty = |p: &Path| {
        std::fs::read_dir(p)
            .map(|mut d| d.next().is_none())
            .unwrap_or(true)
    };
    if empty(base) {
        return base.to_path_buf();
    }
    (2..)
        .map(|i| PathBuf::from(format!("{}-{i}", base.display())))
        .find(|p| empty(p))
        .expect("some suffix is free")
}

/// Run `fetch-logs`.
pub fn run(_env: &Env, a: FetchLogsArgs) -> anyhow::Result<ExitCode> {
    let u =
        RunUrl::parse(&a.url).map_err(|e| UsageError(format!("{e}\n{}", github::ACCEPTED_URLS)))?;
    let out = a.out.clone().unwrap_or_else(|| default_out_dir(&u));
    let mut cfg = ClientConfig::from_env(a.github_api_url.as_deref(), Some(&u.web_base));
    cfg.retry.max_wait = Duration::from_secs(a.max_wait_secs);
    if cfg.token.is_none() {
        eprintln!("note: {}", cfg.describe_auth());
    }
    let gh = Blocking::new(cfg)?;
    let fetched = gh.fetch_logs(&a.url, &out)?;
    if a.json {
        crate::out!("{}", serde_json::to_string_pretty(&fetched)?);
        return Ok(ExitCode::SUCCESS);
    }
    let r = &fetched.run;
    crate::out!(
        "Run {} attempt {} of {}/{} ({}), commit {}{}",
        r.run_id,
        r.attempt,
        r.owner,
        r.repo,
        r.workflow.as_deref().unwrap_or("workflow"),
        r.head_sha.get(..12).unwrap_or(&r.head_sha),
        r.head_branch
            .as_deref()
            .map(|b| format!(" on {b}"))
            .unwrap_or_default(),
    );
    for l in &fetched.logs {
        let job = r.jobs.iter().find(|j| j.id == l.job_id);
        let steps = job
            .map(|j| j.failed_steps.join(", "))
            .filter(|s| !s.is_empty());
        crate::out!(
            "  {} → {} ({} bytes{}){}",
            l.job_name,
            l.path.display(),
            l.bytes,
            if l.source == github::LogSource::RunArchive {
                ", from the run archive"
            } else {
                ""
            },
            steps
                .map(|s| format!("; failed step: {s}"))
                .unwrap_or_default(),
        );
    }
    for m in &fetched.missing {
        crate::out!("  {} → no log: {}", m.job_name, m.reason);
    }
    crate::out!("Run facts: {}", fetched.run_json.display());
    Ok(ExitCode::SUCCESS)
}
