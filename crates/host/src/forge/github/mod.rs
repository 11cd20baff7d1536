//! GitHub integration (octocrab): run logs in, draft PR out.
//!
//! - [`client`]: the API client built from configuration (API URL, token
//!   discovery, rate-limit waits and bounded retries).
//! - [`logs`]: `fetch_logs`: a run, attempt or job URL → the failed jobs' logs
//!   under `OUT/logs/` plus `OUT/run.json`.
//! - [`pr`]: create the draft pull request, or update the existing one.
//! - [`reviewers`]: suggested reviewers from CODEOWNERS and git history.
//!
//! Everything is async; [`Blocking`] wraps it for synchronous callers such as
//! the CLI.
//!
//! octocrab is used as the HTTP client (auth header, base URI, redirects that
//! drop `Authorization` on cross-origin hops), but responses are read through
//! our own lenient structs and every status code is checked here: octocrab's
//! download helpers do not check status codes and its job model rejects real
//! responses.

pub mod client;
pub mod logs;
pub mod pr;
pub mod reviewers;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use client::{ClientConfig, DEFAULT_API_URL, GitHub, RetryPolicy, Token, TokenSource};
pub use logs::{FetchedLogs, JobInfo, LogSource, MissingLog, RunInfo, SavedLog};
pub use pr::{PrAction, PrOutcome, PrRequest};
pub use reviewers::{Reviewer, ReviewerOptions, suggest_reviewers, suggest_reviewers_with};

/// The accepted URL forms, shown with URL errors.
pub const ACCEPTED_URLS: &str = "accepted forms:\n  https://HOST/OWNER/REPO/actions/runs/RUN_ID\n  \
     https://HOST/OWNER/REPO/actions/runs/RUN_ID/attempts/N\n  \
     https://HOST/OWNER/REPO/actions/runs/RUN_ID/job/JOB_ID";

/// Everything that can go wrong talking to GitHub; the messages are meant for
/// the user as they are.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The run URL is not one of the accepted forms.
    #[error("{0}\n{ACCEPTED_URLS}")]
    BadUrl(String),
    /// The API base URL is not a valid URL.
    #[error("the GitHub API URL `{url}` is not valid: {reason}")]
    BadApiUrl {
        /// The URL given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// 401: the token was rejected.
    #[error(
        "GitHub answered 401 ({message}) while {what}: the token from {token} was rejected \
         (expired, revoked, or issued for another GitHub host). Refresh it (`gh auth refresh`) or set another one in GITHUB_TOKEN"
    )]
    Unauthorized {
        /// What we were doing.
        what: String,
        /// Where the token came from.
        token: TokenSource,
        /// GitHub's message.
        message: String,
    },
    /// 403 that is not a rate limit: a missing permission.
    #[error("GitHub answered 403 ({message}) while {what}; token used: {token}. {hint}")]
    Forbidden {
        /// What we were doing.
        what: String,
        /// Where the token came from.
        token: TokenSource,
        /// GitHub's message.
        message: String,
        /// Which permission is needed.
        hint: String,
    },
    /// 404: wrong URL, or a private repository the token cannot see.
    #[error(
        "GitHub answered 404 Not Found while {what}: the URL is wrong, or the repository is private and {hint}"
    )]
    NotFound {
        /// What we were doing.
        what: String,
        /// Token advice.
        hint: String,
    },
    /// 410: the logs are gone.
    #[error(
        "GitHub answered 410 Gone while {what}: the logs have expired or were deleted. GitHub keeps Actions logs \
         for 90 days by default (the repository's \"Artifact and log retention\" setting, 1 to 400 days); \
         re-run the job, or pass the log text as raw-logs instead"
    )]
    LogsExpired {
        /// What we were doing.
        what: String,
    },
    /// A primary or secondary rate limit that would need a longer wait than allowed.
    #[error(
        "GitHub {kind} rate limit hit while {what}: it asks to wait {wait_secs}s, more than the allowed {max_wait_secs}s{reset}. Try again later{auth_hint}"
    )]
    RateLimited {
        /// "primary" or "secondary".
        kind: &'static str,
        /// What we were doing.
        what: String,
        /// How long GitHub asked to wait.
        wait_secs: u64,
        /// The configured bound.
        max_wait_secs: u64,
        /// ", the limit resets at <epoch>" or empty.
        reset: String,
        /// Advice when no token was used.
        auth_hint: String,
    },
    /// 5xx (or a transport error) that persisted through the bounded retries.
    #[error("GitHub kept failing while {what} ({attempts} attempts, last: {last})")]
    Server {
        /// What we were doing.
        what: String,
        /// How many requests were sent.
        attempts: u32,
        /// The last status or transport error.
        last: String,
    },
    /// Any other unexpected status.
    #[error("GitHub answered {status} while {what}: {message}")]
    Api {
        /// What we were doing.
        what: String,
        /// HTTP status.
        status: u16,
        /// GitHub's message (or the start of the body).
        message: String,
    },
    /// The body could not be read as expected.
    #[error("unexpected response while {what}: {message}")]
    BadResponse {
        /// What we were doing.
        what: String,
        /// What was wrong.
        message: String,
    },
    /// The run has no failed job to fetch.
    #[error(
        "run {run_id} has no failed jobs (status: {status}, conclusion: {conclusion}); nothing to fetch. \
         Pass a job URL (.../job/JOB_ID) to fetch a specific job"
    )]
    NoFailedJobs {
        /// The run id.
        run_id: u64,
        /// The run status.
        status: String,
        /// The run conclusion.
        conclusion: String,
    },
    /// No log could be obtained for any failed job.
    #[error("no log could be downloaded for the failed jobs of run {run_id}: {reasons}")]
    NoLogs {
        /// The run id.
        run_id: u64,
        /// Why, per job.
        reasons: String,
    },
    /// The run log archive is not a readable zip.
    #[error("the run log archive is not a valid zip: {0}")]
    Zip(String),
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The repository does not accept drafts and a normal PR was not allowed.
    #[error(
        "{owner}/{repo} does not accept draft pull requests (drafts need a public repository or a paid plan). \
         Allow a normal pull request (--allow-non-draft) to open one instead"
    )]
    DraftNotSupported {
        /// Owner.
        owner: String,
        /// Repository.
        repo: String,
    },
    /// 422 for another reason (e.g. "No commits between main and fix/x").
    #[error("GitHub rejected the pull request for {head} → {base}: {message}")]
    Validation {
        /// Head branch.
        head: String,
        /// Base branch.
        base: String,
        /// GitHub's messages, joined.
        message: String,
    },
    /// git history could not be read (reviewers).
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// The async runtime could not be started.
    #[error("could not start the async runtime: {0}")]
    Runtime(std::io::Error),
}

impl Error {
    /// Whether retrying another endpoint for the same data is pointless
    /// (auth, rate limits, transport): used to decide on the zip fallback.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Error::Unauthorized { .. }
                | Error::Forbidden { .. }
                | Error::RateLimited { .. }
                | Error::BadApiUrl { .. }
                | Error::Io { .. }
                | Error::Runtime(_)
        )
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A synchronous façade over [`GitHub`]: owns a current-thread tokio runtime.
/// Do not call it from inside another tokio runtime (use [`GitHub`] there).
pub struct Blocking {
    rt: tokio::runtime::Runtime,
    gh: GitHub,
}

impl Blocking {
    /// Build the runtime and the client.
    pub fn new(cfg: ClientConfig) -> Result<Blocking, Error> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let gh = {
            let _guard = rt.enter();
            GitHub::new(cfg)?
        };
        Ok(Blocking { rt, gh })
    }

    /// The async client.
    pub fn client(&self) -> &GitHub {
        &self.gh
    }

    /// See [`GitHub::fetch_logs`].
    pub fn fetch_logs(&self, url: &str, out_dir: &Path) -> Result<FetchedLogs, Error> {
        self.rt.block_on(self.gh.fetch_logs(url, out_dir))
    }

    /// See [`GitHub::create_or_update_draft_pr`].
    pub fn create_or_update_draft_pr(&self, req: &PrRequest) -> Result<PrOutcome, Error> {
        self.rt.block_on(self.gh.create_or_update_draft_pr(req))
    }

    /// See [`GitHub::update_pr_body`].
    pub fn update_pr_body(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        body: &str,
    ) -> Result<(), Error> {
        self.rt
            .block_on(self.gh.update_pr_body(owner, repo, number, body))
    }
}

pub(crate) fn secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}
