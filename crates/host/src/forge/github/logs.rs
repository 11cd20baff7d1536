//! Fetch the failed jobs' logs of a GitHub Actions run.
//!
//! Flow: get the run (the attempt named in the URL, else the latest) → list
//! its jobs (every page; `filter=latest`, or the attempt's job list) → keep
//! the failed ones (or the one job of a job URL) → download each job's log
//! (GitHub answers 302 to a storage host; octocrab follows it and drops
//! `Authorization` on the cross-origin hop) → for jobs whose log could not be
//! downloaded, fall back to the attempt's log zip and extract only those
//! jobs' files → write `OUT/logs/<job>.log` and `OUT/run.json`.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use http::Method;
use serde::{Deserialize, Serialize};
use tracing::{Instrument, info, info_span, warn};

use super::Error;
use super::client::{Ctx, GitHub};
use crate::config::info::RunUrl;

/// Permission needed to read runs and logs.
const ACTIONS_READ: &str = "actions:read";
/// Guard against a server that never stops paginating.
const MAX_PAGES: usize = 100;

/// What `fetch_logs` saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FetchedLogs {
    /// The output folder.
    pub out_dir: PathBuf,
    /// `OUT/run.json`.
    pub run_json: PathBuf,
    /// Facts about the run (the content of run.json).
    pub run: RunInfo,
    /// The logs written, one per failed job.
    pub logs: Vec<SavedLog>,
    /// Failed jobs whose log could not be obtained, with the reason.
    pub missing: Vec<MissingLog>,
}

/// Facts about the run, written to `run.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    /// Repository owner.
    pub owner: String,
    /// Repository name.
    pub repo: String,
    /// Run id.
    pub run_id: u64,
    /// Attempt number (1 = first).
    pub attempt: u32,
    /// The commit the run tested.
    pub head_sha: String,
    /// The branch (null for some events, e.g. tags).
    pub head_branch: Option<String>,
    /// Link to the run.
    pub html_url: String,
    /// Workflow name.
    pub workflow: Option<String>,
    /// Title shown in the UI (commit message or PR title).
    pub title: Option<String>,
    /// Triggering event.
    pub event: Option<String>,
    /// Run status.
    pub status: Option<String>,
    /// Run conclusion.
    pub conclusion: Option<String>,
    /// The job of a job URL, when one was given.
    pub selected_job: Option<u64>,
    /// Every job of the attempt (or the one job of a job URL).
    pub jobs: Vec<JobInfo>,
}

/// One job in `run.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobInfo {
    /// Job id (64-bit).
    pub id: u64,
    /// Job name as shown in the UI.
    pub name: String,
    /// Job status.
    pub status: Option<String>,
    /// Job conclusion.
    pub conclusion: Option<String>,
    /// Link to the job.
    pub html_url: Option<String>,
    /// Names of the steps that failed.
    pub failed_steps: Vec<String>,
    /// Whether cifix fetched this job's log.
    pub selected: bool,
    /// The log, relative to the output folder (`logs/build.log`).
    pub log: Option<String>,
}

/// Where a log came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogSource {
    /// `GET /actions/jobs/{id}/logs`.
    JobLog,
    /// The attempt's log zip.
    RunArchive,
}

/// One saved log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedLog {
    /// Job id.
    pub job_id: u64,
    /// Job name.
    pub job_name: String,
    /// Absolute path of the file.
    pub path: PathBuf,
    /// Where it came from.
    pub source: LogSource,
    /// Size in bytes.
    pub bytes: u64,
}

/// A failed job whose log could not be obtained.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MissingLog {
    /// Job id.
    pub job_id: u64,
    /// Job name.
    pub job_name: String,
    /// Why.
    pub reason: String,
}

// Lenient views of GitHub's objects: every field GitHub marks nullable, or
// that older servers omit, is optional, and enums stay strings.

#[derive(Debug, Deserialize)]
struct ApiRun {
    id: u64,
    run_attempt: Option<u32>,
    head_sha: String,
    head_branch: Option<String>,
    html_url: String,
    name: Option<String>,
    display_title: Option<String>,
    event: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ApiJobs {
    #[serde(default)]
    jobs: Vec<ApiJob>,
}

#[derive(Debug, Clone, Deserialize)]
struct ApiJob {
    id: u64,
    run_id: Option<u64>,
    name: String,
    status: Option<String>,
    conclusion: Option<String>,
    html_url: Option<String>,
    #[serde(default)]
    steps: Option<Vec<ApiStep>>,
}

#[derive(Debug, Clone, Deserialize)]
struct ApiStep {
    name: String,
    conclusion: Option<String>,
}

impl ApiJob {
    fn failed(&self) -> bool {
        matches!(self.conclusion.as_deref(), Some("failure" | "timed_out"))
    }

    fn failed_steps(&self) -> Vec<String> {
        self.steps
            .iter()
            .flatten()
            .filter(|s| matches!(s.conclusion.as_deref(), Some("failure" | "timed_out")))
            .map(|s| s.name.clone())
            .collect()
    }
}

impl GitHub {
    /// Fetch the failed jobs' logs of a run, attempt or job URL into
    /// `out_dir/logs/` and write `out_dir/run.json`.
    pub async fn fetch_logs(&self, url: &str, out_dir: &Path) -> Result<FetchedLogs, Error> {
        let u = RunUrl::parse(url).map_err(Error::BadUrl)?;
        let span = info_span!("phase.fetch", owner = %u.owner, repo = %u.repo, run_id = u.run_id);
        self.fetch_run_logs(&u, out_dir).instrument(span).await
    }

    /// [`GitHub::fetch_logs`] for an already parsed URL.
    pub async fn fetch_run_logs(&self, u: &RunUrl, out_dir: &Path) -> Result<FetchedLogs, Error> {
        let actions = format!("/repos/{}/{}/actions", u.owner, u.repo);
        let repo = format!("{}/{}", u.owner, u.repo);
        let run_route = match u.attempt {
            Some(n) => format!("{actions}/runs/{}/attempts/{n}", u.run_id),
            None => format!("{actions}/runs/{}", u.run_id),
        };
        let (run, _) = self
            .get_json::<ApiRun>(
                &run_route,
                &Ctx::new(format!("getting run {} of {repo}", u.run_id), ACTIONS_READ),
            )
            .await?;
        let attempt = u.attempt.or(run.run_attempt).unwrap_or(1);
        info!(run_id = run.id, attempt, head_sha = %run.head_sha, "run found");

        let jobs = if let Some(job_id) = u.job_id {
            let ctx = Ctx::new(format!("getting job {job_id} of {repo}"), ACTIONS_READ);
            let (job, _) = self
                .get_json::<ApiJob>(&format!("{actions}/jobs/{job_id}"), &ctx)
                .await?;
            if let Some(r) = job.run_id
                && r != u.run_id
            {
                return Err(Error::BadUrl(format!(
                    "job {job_id} belongs to run {r}, not to run {} of the URL",
                    u.run_id
                )));
            }
            vec![job]
        } else {
            let first = match u.attempt {
                Some(n) => format!("{actions}/runs/{}/attempts/{n}/jobs?per_page=100", u.run_id),
                None => format!(
                    "{actions}/runs/{}/jobs?filter=latest&per_page=100",
                    u.run_id
                ),
            };
            self.list_jobs(
                &first,
                &Ctx::new(
                    format!("listing the jobs of run {} of {repo}", u.run_id),
                    ACTIONS_READ,
                ),
            )
            .await?
        };
        let selected: Vec<ApiJob> = if u.job_id.is_some() {
            if !jobs[0].failed() {
                warn!(
                    "job `{}` did not fail (conclusion: {}); fetching its log anyway",
                    jobs[0].name,
                    jobs[0].conclusion.as_deref().unwrap_or("none yet")
                );
            }
            jobs.clone()
        } else {
            jobs.iter().filter(|j| j.failed()).cloned().collect()
        };
        if selected.is_empty() {
            return Err(Error::NoFailedJobs {
                run_id: u.run_id,
                status: run.status.clone().unwrap_or_else(|| "unknown".into()),
                conclusion: run.conclusion.clone().unwrap_or_else(|| "none yet".into()),
            });
        }

        let logs_dir = out_dir.join("logs");
        std::fs::create_dir_all(&logs_dir).map_err(|e| Error::io(&logs_dir, e))?;
        let mut taken = HashSet::new();
        let mut saved: Vec<SavedLog> = Vec::new();
        let mut pending: Vec<(ApiJob, PathBuf, Error)> = Vec::new();
        for job in &selected {
            let mut stem = sanitize_file_name(&job.name);
            if !taken.insert(stem.clone()) {
                stem = format!("{stem}-{}", job.id);
                taken.insert(stem.clone());
            }
            let path = logs_dir.join(format!("{stem}.log"));
            let ctx = Ctx::new(
                format!("downloading the log of job `{}` ({})", job.name, job.id),
                ACTIONS_READ,
            );
            match self
                .download(&format!("{actions}/jobs/{}/logs", job.id), &ctx)
                .await
            {
                Ok(bytes) => saved.push(write_log(job, &path, &bytes, LogSource::JobLog)?),
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => {
                    warn!("{e}; trying the run's log archive");
                    pending.push((job.clone(), path, e));
                }
            }
        }

        let mut missing = Vec::new();
        if !pending.is_empty() {
            let ctx = Ctx::new(
                format!(
                    "downloading the log archive of run {} attempt {attempt}",
                    u.run_id
                ),
                ACTIONS_READ,
            );
            let zip_route = format!("{actions}/runs/{}/attempts/{attempt}/logs", u.run_id);
            match self.download(&zip_route, &ctx).await {
                Ok(zip) => {
                    let mut archive = open_zip(zip)?;
                    for (job, path, err) in pending {
                        match extract_job_log(&mut archive, &job.name)? {
                            Some(text) => {
                                saved.push(write_log(&job, &path, &text, LogSource::RunArchive)?)
                            }
                            None => missing.push(MissingLog {
                                job_id: job.id,
                                job_name: job.name.clone(),
                                reason: format!(
                                    "{err}; the run's log archive has no file for this job"
                                ),
                            }),
                        }
                    }
                }
                Err(e) if e.is_fatal() => return Err(e),
                Err(zip_err) => {
                    if saved.is_empty() {
                        // The job-log error is the more specific one (410, 404, …).
                        return Err(pending.into_iter().next().map(|p| p.2).unwrap_or(zip_err));
                    }
                    for (job, _, err) in pending {
                        missing.push(MissingLog {
                            job_id: job.id,
                            job_name: job.name,
                            reason: format!("{err}; {zip_err}"),
                        });
                    }
                }
            }
        }
        if saved.is_empty() {
            let reasons = missing
                .iter()
                .map(|m| format!("`{}`: {}", m.job_name, m.reason))
                .collect::<Vec<_>>();
            return Err(Error::NoLogs {
                run_id: u.run_id,
                reasons: reasons.join("; "),
            });
        }
        for m in &missing {
            warn!("no log for job `{}`: {}", m.job_name, m.reason);
        }

        let selected_ids: HashSet<u64> = selected.iter().map(|j| j.id).collect();
        let info = RunInfo {
            owner: u.owner.clone(),
            repo: u.repo.clone(),
            run_id: u.run_id,
            attempt,
            head_sha: run.head_sha,
            head_branch: run.head_branch,
            html_url: run.html_url,
            workflow: run.name,
            title: run.display_title,
            event: run.event,
            status: run.status,
            conclusion: run.conclusion,
            selected_job: u.job_id,
            jobs: jobs
                .iter()
                .map(|j| JobInfo {
                    id: j.id,
                    name: j.name.clone(),
                    status: j.status.clone(),
                    conclusion: j.conclusion.clone(),
                    html_url: j.html_url.clone(),
                    failed_steps: j.failed_steps(),
                    selected: selected_ids.contains(&j.id),
                    log: saved.iter().find(|s| s.job_id == j.id).and_then(|s| {
                        s.path
                            .strip_prefix(out_dir)
                            .ok()
                            .map(|p| p.to_string_lossy().replace('\\', "/"))
                    }),
                })
                .collect(),
        };
        let run_json = out_dir.join("run.json");
        let text = serde_json::to_string_pretty(&info).expect("run info serialises");
        std::fs::write(&run_json, text + "\n").map_err(|e| Error::io(&run_json, e))?;
        info!(
            logs = saved.len(),
            missing = missing.len(),
            "logs saved to {}",
            out_dir.display()
        );
        Ok(FetchedLogs {
            out_dir: out_dir.to_path_buf(),
            run_json,
            run: info,
            logs: saved,
            missing,
        })
    }

    /// Every page of a jobs list, following `Link: rel="next"`.
    async fn list_jobs(&self, first: &str, ctx: &Ctx) -> Result<Vec<ApiJob>, Error> {
        let mut all = Vec::new();
        let mut route = first.to_string();
        for _ in 0..MAX_PAGES {
            let (page, raw) = self.get_json::<ApiJobs>(&route, ctx).await?;
            all.extend(page.jobs);
            match raw.next_link() {
                Some(next) => route = next,
                None => return Ok(all),
            }
        }
        warn!("stopped after {MAX_PAGES} pages of jobs");
        Ok(all)
    }

    /// GET a download endpoint with the status checked (octocrab's own
    /// download helpers return error bodies as data). The 302 to the storage
    /// host is followed by octocrab without the `Authorization` header.
    async fn download(&self, route: &str, ctx: &Ctx) -> Result<Bytes, Error> {
        let raw = self.request(Method::GET, route, None, ctx).await?;
        if raw.status.is_redirection() {
            return Err(Error::Api {
                what: ctx.what.clone(),
                status: raw.status.as_u16(),
                message: "redirect not followed (too many redirects, or no Location)".into(),
            });
        }
        let looks_like_storage_error = !raw.status.is_success() && raw.body.starts_with(b"<?xml");
        match self.check(raw, ctx) {
            Ok(raw) => Ok(raw.body),
            Err(Error::Forbidden { what, message, .. } | Error::Api { what, message, .. })
                if looks_like_storage_error =>
            {
                Err(Error::Api {
                    what,
                    status: 403,
                    message: format!(
                        "the log storage host refused the signed download link (it expires after about a minute): {}",
                        message.chars().take(200).collect::<String>()
                    ),
                })
            }
            Err(e) => Err(e),
        }
    }
}

fn write_log(
    job: &ApiJob,
    path: &Path,
    bytes: &[u8],
    source: LogSource,
) -> Result<SavedLog, Error> {
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))?;
    info!(job = %job.name, path = %path.display(), bytes = bytes.len(), "log saved");
    Ok(SavedLog {
        job_id: job.id,
        job_name: job.name.clone(),
        path: path.to_path_buf(),
        source,
        bytes: bytes.len() as u64,
    })
}

/// A job name as a file name: letters, digits, `.`, `_` and `-` kept, any
/// other run of characters becomes one `-`; at most 80 characters; `job`
/// when nothing is left.
pub fn sanitize_file_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_matches(['-', '.']).chars().take(80).collect();
    let out = out.trim_end_matches(['-', '.']).to_string();
    if out.is_empty() { "job".into() } else { out }
}

/// The job name as GitHub writes it in the log zip: `/` and `:` removed, cut
/// to 90 UTF-16 code units, trimmed.
fn zip_job_name(name: &str) -> String {
    let cleaned: String = name.chars().filter(|c| !matches!(c, '/' | ':')).collect();
    let mut units = 0;
    let mut out = String::new();
    for c in cleaned.chars() {
        units += c.len_utf16();
        if units > 90 {
            break;
        }
        out.push(c);
    }
    out.trim().to_string()
}

fn open_zip(bytes: Bytes) -> Result<zip::ZipArchive<std::io::Cursor<Bytes>>, Error> {
    if !bytes.starts_with(b"PK\x03\x04") && !bytes.starts_with(b"PK\x05\x06") {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
        return Err(Error::Zip(format!(
            "it does not start with a zip header (starts with {head:?})"
        )));
    }
    zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| Error::Zip(e.to_string()))
}

/// Find a job's log in the run zip: the whole-job file `N_<job>.txt` (or the
/// legacy `-N_<job>.txt`), else the per-step files `<job>/N_<step>.txt`
/// concatenated in step order. Entry names are only matched, never used as
/// paths.
fn extract_job_log(
    archive: &mut zip::ZipArchive<std::io::Cursor<Bytes>>,
    job_name: &str,
) -> Result<Option<Vec<u8>>, Error> {
    let want = zip_job_name(job_name);
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let prefixed = |entry: &str| -> Option<i64> {
        let (num, rest) = entry.split_once('_')?;
        (rest.strip_suffix(".txt")? == want).then_some(())?;
        num.parse::<i64>().ok()
    };
    let read = |archive: &mut zip::ZipArchive<std::io::Cursor<Bytes>>,
                name: &str|
     -> Result<Vec<u8>, Error> {
        let mut f = archive
            .by_name(name)
            .map_err(|e| Error::Zip(e.to_string()))?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)
            .map_err(|e| Error::Zip(format!("{name}: {e}")))?;
        Ok(buf)
    };
    let mut whole: Vec<(i64, &String)> = names
        .iter()
        .filter(|n| !n.contains('/'))
        .filter_map(|n| prefixed(n).map(|k| (k, n)))
        .collect();
    whole.sort_by_key(|(k, _)| (*k < 0, k.unsigned_abs()));
    if let Some((_, name)) = whole.first() {
        return read(archive, name).map(Some);
    }
    let dir = format!("{want}/");
    let mut steps: Vec<(u64, &String)> = names
        .iter()
        .filter_map(|n| {
            let rest = n.strip_prefix(&dir)?;
            let (num, _) = rest.split_once('_')?;
            Some((num.parse().ok()?, n))
        })
        .collect();
    if steps.is_empty() {
        return Ok(None);
    }
    steps.sort();
    let mut out = Vec::new();
    for (_, name) in steps {
        out.extend(read(archive, name)?);
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            sanitize_file_name("test (ubuntu-latest, 1.80)"),
            "test-ubuntu-latest-1.80"
        );
        assert_eq!(
            sanitize_file_name("build / lint: clippy"),
            "build-lint-clippy"
        );
        assert_eq!(sanitize_file_name("../.."), "job");
        assert_eq!(zip_job_name("build / lint: x"), "build  lint x");
        assert_eq!(zip_job_name(&"é".repeat(100)).chars().count(), 90);
    }
}
