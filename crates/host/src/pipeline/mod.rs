//! The run pipeline, one typed value per arrow:
//! `RunRequest → logs (fetch) → FailureReport (diagnose) → Reproduction (reproduce)
//! → FixAttempt[] + Verification (fix) → pull request (publish) → RunReport`.
//!
//! [`run`] is all of `cifix run`, [`reproduce_only`] all of `cifix reproduce`. Each
//! phase is a function of the previous phase's value and what it is lent; the
//! strategy is loaded and instantiated once per run, the run URL parsed once, the
//! agent built once, the token looked up once. Phases emit [`events::Event`]s;
//! reporters render the finished [`RunReport`].

pub mod diagnose;
pub mod events;
pub mod fetch;
pub mod fix;
pub mod folder;
pub mod publish;
pub mod reproduce;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cifix_model::{
    FailureReport, LogSourceKind, Phase, PhaseStatus, Reproduction, RunReport, RunRequest,
};

use crate::capabilities::Capability;
use crate::capabilities::agent::Agent;
use crate::config::UsageError;
use crate::config::info::{Info, LogSource, RunUrl};
use crate::config::settings::Settings;
use crate::forge::github::{ClientConfig, Token};
use crate::sandbox::{self, Limits, Plugin};
use crate::vcs::{self, Auth, Repo};
use events::{Event, EventSink};

/// What every command gets from the environment: settings, plugin limits and the
/// user's `--allow` grants.
#[derive(Debug, Default)]
pub struct Services {
    /// The config file.
    pub settings: Settings,
    /// Limits applied to every plugin call.
    pub limits: Limits,
    /// Capabilities granted on the command line.
    pub allow: Vec<Capability>,
}

impl Services {
    /// What the user grants to `plugin`: the config file's grants plus `--allow`.
    pub fn user_grant(&self, plugin: &str) -> Vec<Capability> {
        let mut g = self.settings.granted(plugin);
        g.extend(self.allow.iter().cloned());
        g
    }
}

/// The coding agent the user chose.
#[derive(Debug, Clone, Default)]
pub struct AgentChoice {
    /// `claude`, `codex`, `aider` or `manual`.
    pub name: Option<String>,
    /// A custom command template.
    pub command: Option<String>,
}

impl AgentChoice {
    /// Whether the user chose one (else `reproduce` calls no agent, `run` the manual one).
    pub fn is_set(&self) -> bool {
        self.name.is_some() || self.command.is_some()
    }

    /// Build it; its transcripts go into `transcripts`.
    pub fn build(&self, transcripts: PathBuf) -> anyhow::Result<Arc<dyn Agent>> {
        Ok(Arc::from(crate::agents::from_choice(
            self.name.as_deref(),
            self.command.as_deref(),
            transcripts,
        )?))
    }
}

/// Options of the reproduction (shared by `reproduce` and `run`).
#[derive(Debug, Clone)]
pub struct ReproduceOptions {
    /// The strategy (name or `.wasm` path); default by `deterministic`.
    pub strategy: Option<String>,
    /// The log parser (name or `.wasm` path).
    pub parser: String,
    /// Time for the reproduction.
    pub budget: Duration,
    /// Assumed failure rate of an intermittent failure.
    pub flake_rate: f64,
    /// Confidence wanted for claims.
    pub confidence: f64,
    /// Where reports and failure folders go.
    pub outputs: Option<PathBuf>,
    /// The coding agent.
    pub agent: AgentChoice,
    /// The GitHub API base URL.
    pub github_api_url: Option<String>,
}

impl Default for ReproduceOptions {
    fn default() -> Self {
        ReproduceOptions {
            strategy: None,
            parser: "log-parser".into(),
            budget: Duration::from_secs(300),
            flake_rate: 0.05,
            confidence: 0.95,
            outputs: None,
            agent: AgentChoice::default(),
            github_api_url: None,
        }
    }
}

impl ReproduceOptions {
    /// Check the numbers; the error names the flag.
    pub fn check(&self) -> Result<(), UsageError> {
        if !(self.flake_rate > 0.0 && self.flake_rate < 1.0) {
            return Err(UsageError(format!(
                "--flake-rate must be between 0 and 1 (exclusive), got {}",
                self.flake_rate
            )));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(UsageError(format!(
                "--confidence must be between 0 and 1 (exclusive), got {}",
                self.confidence
            )));
        }
        Ok(())
    }

    /// The strategy for this failure.
    pub fn strategy_for(&self, info: &Info) -> String {
        self.strategy.clone().unwrap_or_else(|| {
            if info.deterministic {
                "deterministic-minimal"
            } else {
                "nd-stress"
            }
            .to_string()
        })
    }
}

/// Options of `run` beyond the reproduction's.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The reproduction's options.
    pub reproduce: ReproduceOptions,
    /// Time for the fix loop.
    pub fix_budget: Duration,
    /// Agent attempts.
    pub max_attempts: u32,
    /// Remote to fetch the base from and push to.
    pub remote: Option<String>,
    /// Base branch.
    pub base: Option<String>,
    /// OWNER/REPO for the PR.
    pub github_repo: Option<String>,
    /// Open a normal PR when drafts are refused.
    pub allow_non_draft: bool,
    /// Stop after the push.
    pub no_pr: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            reproduce: ReproduceOptions::default(),
            fix_budget: Duration::from_secs(900),
            max_attempts: 3,
            remote: None,
            base: None,
            github_repo: None,
            allow_non_draft: false,
            no_pr: false,
        }
    }
}

/// What the user asked for, as the report records it.
pub fn request(info: &Info) -> RunRequest {
    let (source, url) = match &info.logs {
        LogSource::Url(u) => (LogSourceKind::Url, Some(u.clone())),
        LogSource::RawLogs(_) => (LogSourceKind::RawLogs, None),
        LogSource::None => (LogSourceKind::ExistingTestPath, None),
    };
    RunRequest {
        deterministic: info.deterministic,
        prompt: info.prompt.clone(),
        source,
        url,
        existing_test_path: info.existing_test_path.clone(),
    }
}

/// The GitHub side of a run, looked up once: the parsed run URL, the API
/// configuration and the one token (used for the API and for git over https).
pub struct Forge {
    /// The run URL, when the logs come from one.
    pub run_url: Option<RunUrl>,
    /// API URL and token.
    pub config: ClientConfig,
}

impl Forge {
    /// From the request and flags.
    pub fn new(info: &Info, api_url: Option<&str>) -> Result<Forge, UsageError> {
        let run_url = match &info.logs {
            LogSource::Url(u) => Some(RunUrl::parse(u).map_err(UsageError)?),
            _ => None,
        };
        let web = run_url.as_ref().map(|u| u.web_base.as_str());
        Ok(Forge {
            config: ClientConfig::from_env(api_url, web),
            run_url,
        })
    }

    /// The web host (`github.com`, or the GitHub Enterprise host of the run URL).
    pub fn host(&self) -> &str {
        self.run_url
            .as_ref()
            .map(|u| {
                u.web_base
                    .trim_start_matches("https://")
                    .trim_start_matches("http://")
            })
            .unwrap_or("github.com")
    }

    /// Git credentials: the same token, sent to the same host only.
    pub fn git_auth(&self) -> Auth {
        Auth::token_for(self.config.token.as_ref().map(Token::secret), self.host())
    }
}

/// A run in progress: the report so far, the clock and the event sink.
pub struct Recorder<'e> {
    /// The report being filled in.
    pub report: RunReport,
    started: Instant,
    events: &'e mut dyn EventSink,
    /// Where the finished report is written (none: not written).
    outputs: Option<PathBuf>,
}

impl<'e> Recorder<'e> {
    fn new(report: RunReport, events: &'e mut dyn EventSink, outputs: Option<PathBuf>) -> Self {
        Recorder {
            report,
            started: Instant::now(),
            events,
            outputs,
        }
    }

    /// Announce a phase.
    pub fn start(&mut self, name: &'static str) -> Instant {
        self.events.event(&Event::PhaseStarted { name });
        Instant::now()
    }

    /// Record a phase that ran.
    pub fn record(
        &mut self,
        name: &str,
        started: Instant,
        status: PhaseStatus,
        detail: impl Into<String>,
    ) {
        self.push(Phase {
            name: name.into(),
            status,
            seconds: started.elapsed().as_secs_f64(),
            detail: detail.into(),
        });
    }

    /// Record a phase that did not run.
    pub fn skip(&mut self, name: &str, why: impl Into<String>) {
        self.push(Phase {
            name: name.into(),
            status: PhaseStatus::Skipped,
            seconds: 0.0,
            detail: why.into(),
        });
    }

    fn push(&mut self, p: Phase) {
        self.events.event(&Event::PhaseFinished(&p));
        self.report.phases.push(p);
    }

    /// Something worth saying while the run goes on.
    pub fn note(&mut self, text: impl Into<String>) {
        self.events.event(&Event::Note(text.into()));
    }

    /// Add a next step for the user.
    pub fn next(&mut self, text: impl Into<String>) {
        self.report.next_steps.push(text.into());
    }

    /// The run so far, as it would be if it ended now (for a PR body rendered
    /// before the run's end).
    pub fn snapshot(&self) -> RunReport {
        let mut r = self.report.clone();
        r.total_seconds = self.started.elapsed().as_secs_f64();
        r
    }

    /// The run is over: the report is finished, written, and announced.
    fn finish(mut self) -> std::io::Result<RunReport> {
        self.report.total_seconds = self.started.elapsed().as_secs_f64();
        if let Some(dir) = &self.outputs {
            crate::reporters::markdown::write(dir, &mut self.report)?;
        }
        self.events.event(&Event::Finished(&self.report));
        Ok(self.report)
    }
}

/// What a reproduction left for the phases after it.
pub struct Reproduced {
    /// The failure folder.
    pub failure_dir: PathBuf,
    /// The diagnosis (empty with an existing test).
    pub diagnosis: FailureReport,
    /// The reproduction, with the host's figures.
    pub reproduction: Reproduction,
}

/// Everything up to the reproduction, shared by `reproduce` and `run`: the
/// failure folder, the logs, the diagnosis and the strategy's reproduction.
struct Prepared<'p> {
    outputs: PathBuf,
    failure_dir: PathBuf,
    plugin: &'p Plugin,
    agent: Option<Arc<dyn Agent>>,
}

fn prepare<'p>(
    info: &Info,
    repo: &Path,
    o: &ReproduceOptions,
    plugin: &'p Plugin,
    agent_required: bool,
) -> anyhow::Result<Prepared<'p>> {
    let outputs = folder::outputs_dir(o.outputs.as_deref(), repo);
    let failure_dir = folder::create(&outputs, &info.prompt)?;
    tracing::info!("failure folder {}", failure_dir.display());
    std::fs::write(
        failure_dir.join("info.json"),
        serde_json::to_vec_pretty(info)?,
    )?;
    let agent = if o.agent.is_set() || agent_required {
        Some(o.agent.build(failure_dir.join("agent"))?)
    } else {
        None
    };
    Ok(Prepared {
        outputs,
        failure_dir,
        plugin,
        agent,
    })
}

/// `cifix reproduce`: fetch, diagnose and reproduce at the local HEAD.
pub fn reproduce_only(
    svc: &Services,
    info: &Info,
    repo_dir: &Path,
    o: &ReproduceOptions,
    events: &mut dyn EventSink,
) -> anyhow::Result<Reproduced> {
    o.check()?;
    let repo = vcs::scratch::toplevel(repo_dir)?;
    let plugin = sandbox::load(&o.strategy_for(info))?;
    let forge = Forge::new(info, o.github_api_url.as_deref())?;
    let p = prepare(info, &repo, o, &plugin, false)?;
    let mut rec = Recorder::new(
        RunReport::new(request(info), folder::stamp(), plugin.name().into()),
        events,
        None,
    );
    let logs = fetch::phase(&mut rec, info, &forge, &p.failure_dir)?;
    let diagnosis = diagnose::phase(&mut rec, &o.parser, &logs, svc.limits, &p.failure_dir)?;
    let mut session = reproduce::open(svc, p.plugin)?;
    let reproduction = reproduce::phase(
        &mut rec,
        &mut session,
        svc,
        reproduce::Input {
            info,
            repo: &repo,
            rev: None,
            diagnosis: &diagnosis,
            failure_dir: &p.failure_dir,
            agent: p.agent.clone(),
            options: o,
        },
    )?;
    rec.finish()?;
    Ok(Reproduced {
        failure_dir: p.failure_dir,
        diagnosis,
        reproduction,
    })
}

/// `cifix run`: the whole pipeline. Errors before the run starts (bad input, a
/// strategy that does not load, no git repository) are returned; after that every
/// failure is recorded in the report, which is returned finished.
pub fn run(
    svc: &Services,
    info: &Info,
    repo_dir: &Path,
    o: &RunOptions,
    events: &mut dyn EventSink,
) -> anyhow::Result<RunReport> {
    o.reproduce.check()?;
    let repo = Repo::discover(repo_dir)?;
    match repo.cleanup_stale() {
        Ok(items) => {
            for i in items {
                tracing::warn!(
                    "leftover of an abandoned run: branch {} at {}: {:?}",
                    i.branch,
                    i.worktree.display(),
                    i.action
                );
            }
        }
        Err(e) => tracing::warn!("could not check for leftovers of abandoned runs: {e}"),
    }
    let plugin = sandbox::load(&o.reproduce.strategy_for(info))?;
    let forge = Forge::new(info, o.reproduce.github_api_url.as_deref())?;
    let auth = forge.git_auth();
    let p = prepare(info, repo.workdir(), &o.reproduce, &plugin, true)?;
    let agent = p.agent.clone().expect("run always builds an agent");
    let mut report = RunReport::new(request(info), folder::stamp(), plugin.name().into());
    report.strategy_version = plugin.manifest.version.clone();
    report.strategy_id = Some(plugin.id());
    report.agent = Some(agent.name().to_string());
    let mut rec = Recorder::new(report, events, Some(p.outputs.clone()));
    let pr = match run_phases(&mut rec, svc, info, &repo, &forge, &auth, o, &p, agent) {
        Ok(pr) => pr,
        Err(e) => {
            // A phase that could not even record itself: the run still ends with a report.
            rec.note(format!("{e:#}"));
            rec.next(format!("Fix the problem above and run again: {e:#}"));
            None
        }
    };
    let report = rec.finish()?;
    if let Some(pr) = &pr {
        publish::finalize(&forge, pr, &report);
    }
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn run_phases(
    rec: &mut Recorder<'_>,
    svc: &Services,
    info: &Info,
    repo: &Repo,
    forge: &Forge,
    auth: &Auth,
    o: &RunOptions,
    p: &Prepared<'_>,
    agent: Arc<dyn Agent>,
) -> anyhow::Result<Option<publish::OpenedPr>> {
    let logs = match fetch::phase(rec, info, forge, &p.failure_dir) {
        Ok(l) => l,
        Err(e) => return stop(rec, "diagnose", e),
    };
    let diagnosis =
        match diagnose::phase(rec, &o.reproduce.parser, &logs, svc.limits, &p.failure_dir) {
            Ok(d) => d,
            Err(e) => return stop(rec, "reproduce", e),
        };
    // One base for the whole run: the reproduction runs where the fix will start.
    let base = match repo.resolve_base(o.remote.as_deref(), o.base.as_deref(), auth) {
        Ok(b) => Some(b),
        Err(e) => {
            tracing::warn!("could not fetch the base ({e}); reproducing at the local HEAD");
            rec.next(format!("The base branch could not be fetched: {e}"));
            None
        }
    };
    let mut session = reproduce::open(svc, p.plugin)?;
    let rev = base.as_ref().map(|b| b.oid.to_string());
    let reproduction = match reproduce::phase(
        rec,
        &mut session,
        svc,
        reproduce::Input {
            info,
            repo: repo.workdir(),
            rev: rev.as_deref(),
            diagnosis: &diagnosis,
            failure_dir: &p.failure_dir,
            agent: Some(agent.clone()),
            options: &o.reproduce,
        },
    ) {
        Ok(r) => r,
        Err(e) => return stop(rec, "fix", e),
    };
    if !reproduction.reproduced {
        rec.next(format!(
            "The failure did not reproduce locally ({} runs). Check the environment differences with CI, or write a test and pass it as existing-test-path. Details: {}",
            reproduction.runs,
            p.failure_dir.join("README.md").display()
        ));
        rec.skip("fix", "nothing reproduced to verify a fix against");
        rec.skip("publish", "no fix");
        return Ok(None);
    }
    let Some(base) = base else {
        rec.skip("fix", "the base branch could not be fetched");
        rec.skip("publish", "no fix");
        return Ok(None);
    };
    let fixed = fix::phase(
        rec,
        &mut session,
        svc,
        fix::Input {
            info,
            repo,
            base: &base,
            auth,
            diagnosis: &diagnosis,
            reproduction: &reproduction,
            failure_dir: &p.failure_dir,
            agent,
            options: o,
        },
    )?;
    let Some(worktree) = fixed else {
        rec.skip("publish", "no verified fix");
        return Ok(None);
    };
    Ok(publish::phase(rec, repo, forge, auth, worktree, o))
}

/// A phase failed: record it, skip the ones after it.
fn stop(
    rec: &mut Recorder<'_>,
    next: &str,
    e: anyhow::Error,
) -> anyhow::Result<Option<publish::OpenedPr>> {
    rec.next(format!("Fix the problem above and run again: {e:#}"));
    let order = ["fetch", "diagnose", "reproduce", "fix", "publish"];
    let from = order.iter().position(|p| *p == next).unwrap_or(order.len());
    for later in &order[from..] {
        rec.skip(later, "an earlier phase failed");
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One token lookup: git over https gets the API's token, for the API's host.
    #[test]
    fn git_uses_the_forge_token_for_its_host_only() {
        let info = crate::config::info::parse(
            r#"{"deterministic": true, "prompt": "p",
                "url": "https://ghe.corp/o/r/actions/runs/1"}"#,
            "info.json",
            Path::new("."),
        )
        .unwrap();
        let mut f = Forge::new(&info, Some("http://127.0.0.1:1")).unwrap();
        f.config.token = Some(Token::new(
            "t0k",
            crate::forge::github::TokenSource::GithubToken,
        ));
        let a = f.git_auth();
        assert_eq!(a.token.as_deref(), Some("t0k"));
        assert_eq!(a.token_host.as_deref(), Some("ghe.corp"));
        assert_eq!(f.host(), "ghe.corp");
    }
}
