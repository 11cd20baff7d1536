//! `cifix run`: the whole pipeline, from info.json to a draft PR and a report.
//! Every phase may fail; the run still ends with a report, the user's
//! repository untouched and abandoned branches removed.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;

use super::Env;
use super::reproduce::{ReproduceOpts, reproduce_phase};
use super::validate::InfoArgs;
use crate::config::info::{Info, LogSource, RunUrl};
use crate::phases::fix::{FixEnd, FixSettings, fix};
use crate::phases::{folder, parse::kind_name};
use crate::report::{
    self, FailureFacts, FixFacts, InputFacts, Phase, PhaseStatus, Report, ReproFacts, Reviewer,
    Status,
};

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub info: InfoArgs,
    #[command(flatten)]
    pub opts: ReproduceOpts,
    /// Time budget of the fix phase, in seconds (the seed's: 15 minutes).
    #[arg(long, default_value_t = 900, value_name = "SECS")]
    pub fix_budget_secs: u64,
    /// Agent attempts before giving up.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub max_attempts: u32,
    /// Remote to fetch the base from and push to [default: origin, or the only remote].
    #[arg(long, value_name = "NAME")]
    pub remote: Option<String>,
    /// Base branch [default: the remote's default branch].
    #[arg(long, value_name = "BRANCH")]
    pub base: Option<String>,
    /// The GitHub repository for the PR, OWNER/REPO [default: from the run URL or the remote URL].
    #[arg(long, value_name = "OWNER/REPO")]
    pub github_repo: Option<String>,
    /// Open a normal PR when the repository refuses drafts.
    #[arg(long)]
    pub allow_non_draft: bool,
    /// Stop after the fix is committed and pushed: no pull request.
    #[arg(long)]
    pub no_pr: bool,
    /// Print one JSON object at the end.
    #[arg(long)]
    pub json: bool,
}

struct Phases {
    list: Vec<Phase>,
}

impl Phases {
    fn record(
        &mut self,
        name: &str,
        started: Instant,
        status: PhaseStatus,
        detail: impl Into<String>,
    ) {
        self.list.push(Phase {
            name: name.into(),
            status,
            seconds: started.elapsed().as_secs_f64(),
            detail: detail.into(),
        });
    }
    fn skip(&mut self, name: &str, why: &str) {
        self.list.push(Phase {
            name: name.into(),
            status: PhaseStatus::Skipped,
            seconds: 0.0,
            detail: why.into(),
        });
    }
}

/// OWNER/REPO from a remote URL (`https://host/o/r(.git)`, `git@host:o/r.git`, `ssh://git@host/o/r`).
pub fn owner_repo_from_remote(url: &str) -> Option<(String, String)> {
    let path = if let Some((_, rest)) = url.split_once("://") {
        rest.split_once('/')?.1.to_string()
    } else if let Some((_, rest)) = url.split_once(':') {
        rest.to_string()
    } else {
        return None;
    };
    let path = path.trim_end_matches('/').trim_end_matches(".git");
    let mut it = path.rsplit('/');
    let repo = it.next()?.to_string();
    let owner = it.next()?.to_string();
    (!owner.is_empty() && !repo.is_empty()).then_some((owner, repo))
}

/// The report and PR title: the prompt's first line, cut at a word boundary
/// to at most 72 characters.
fn title(prompt: &str) -> String {
    let line = prompt.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= 72 {
        return line.to_string();
    }
    let cut: String = line.chars().take(71).collect();
    let at = cut.rfind(' ').filter(|&i| i > 20).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches([',', ';', ':', ' ']))
}

fn input_facts(info: &Info) -> InputFacts {
    let (source, url) = match &info.logs {
        LogSource::Url(u) => ("url".to_string(), Some(u.clone())),
        LogSource::RawLogs(_) => ("raw-logs".to_string(), None),
        LogSource::None => ("existing-test-path".to_string(), None),
    };
    InputFacts {
        deterministic: info.deterministic,
        prompt: info.prompt.clone(),
        source,
        url,
        existing_test_path: info.existing_test_path.clone(),
    }
}

/// Run the pipeline.
pub fn run(env: &Env, a: RunArgs) -> anyhow::Result<ExitCode> {
    let info = a.info.load()?;
    a.opts.check()?;
    let started = Instant::now();
    let stamp = folder::stamp();
    let repo_dir = a.info.repo();
    let repo = crate::git::Repo::discover(&repo_dir)?;
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
    let strategy_name = a.opts.strategy_for(&info);
    let outputs = folder::outputs_dir(a.opts.outputs.as_deref(), repo.workdir());
    let mut phases = Phases { list: Vec::new() };
    let mut rep = Report {
        schema: report::SCHEMA,
        status: Status::Failed,
        title: title(&info.prompt),
        started: stamp,
        total_seconds: 0.0,
        input: input_facts(&info),
        strategy: strategy_name.clone(),
        strategy_version: String::new(),
        agent: a
            .opts
            .agent_cmd
            .as_ref()
            .map(|_| "custom".to_string())
            .or_else(|| a.opts.agent.clone())
            .or(Some("manual".into())),
        failure: None,
        reproduction: None,
        root_cause: None,
        fix: None,
        branch: None,
        pr_url: None,
        phases: Vec::new(),
        next_steps: Vec::new(),
        reviewers: Vec::new(),
    };

    // Phases 1-2: fetch/parse/reproduce.
    let t = Instant::now();
    let reproduced = reproduce_phase(env, &info, repo.workdir(), &a.opts);
    let r = match reproduced {
        Ok(r) => r,
        Err(e) => {
            phases.record("reproduce", t, PhaseStatus::Failed, format!("{e:#}"));
            rep.next_steps
                .push(format!("Fix the problem above and run again: {e:#}"));
            return finish(rep, phases, started, &outputs, a.json);
        }
    };
    rep.strategy = r.outcome.strategy.clone();
    rep.strategy_version = r.outcome.strategy_version.clone();
    if let Some(f) = r.context.failures.first() {
        rep.failure = Some(FailureFacts {
            kind: kind_name(f.kind).into(),
            test: f.test.clone(),
            message: f.message.clone(),
            signature: f.signature.clone(),
            file: f.file.clone(),
            line: f.line,
            rerun: f.rerun.clone(),
            flaky_signals: f.flaky_signals.clone(),
        });
    }
    let o = &r.outcome;
    rep.reproduction = Some(ReproFacts {
        reproduced: o.reproduced,
        command: o.command.clone(),
        runs: o.runs,
        failures: o.failures,
        rate: o.rate,
        ci95: o.ci95,
        failure_folder: o.failure_folder.clone(),
    });
    phases.record(
        "reproduce",
        t,
        if o.reproduced {
            PhaseStatus::Ok
        } else {
            PhaseStatus::Failed
        },
        format!("{} of {} runs failed as in CI", o.failures, o.runs),
    );
    if !o.reproduced {
        rep.next_steps.push(format!(
            "The failure did not reproduce locally ({} runs). Check the environment differences with CI, or write a test and pass it as existing-test-path. Details: {}",
            o.runs,
            o.failure_folder.join("README.md").display()
        ));
        phases.skip("fix", "nothing reproduced to verify a fix against");
        phases.skip("publish", "no fix");
        return finish(rep, phases, started, &outputs, a.json);
    }

    // Phase 3: fix.
    let t = Instant::now();
    let agent: Arc<dyn crate::capabilities::agent::Agent> = match &r.settings.agent {
        Some(a) => a.clone(),
        None => Arc::from(crate::agent::from_choice(
            a.opts.agent.as_deref(),
            a.opts.agent_cmd.as_deref(),
            r.failure_dir.join("agent"),
        )?),
    };
    rep.agent = Some(agent.name().to_string());
    let host = RunUrl::parse(match &info.logs {
        LogSource::Url(u) => u,
        _ => "",
    })
    .ok();
    let auth = crate::git::Auth::from_env(
        host.as_ref()
            .map(|h| h.web_base.trim_start_matches("https://"))
            .unwrap_or("github.com"),
    );
    let settings = FixSettings {
        budget: Duration::from_secs(a.fix_budget_secs.max(1)),
        max_attempts: a.max_attempts.max(1),
        remote: a.remote.clone(),
        base: a.base.clone(),
        label: r
            .failure_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        title: rep.title.clone(),
    };
    let repro = r
        .outcome
        .raw
        .clone()
        .expect("reproduce keeps the plugin's record");
    let fixed = fix(
        &repo,
        &auth,
        &info,
        &r.context,
        &repro,
        &r.settings.strategy,
        &r.settings.user_grant,
        env.limits,
        agent,
        &r.failure_dir,
        &settings,
    );
    let mut fx = match fixed {
        Ok(f) => f,
        Err(e) => {
            phases.record("fix", t, PhaseStatus::Failed, format!("{e:#}"));
            rep.next_steps.push(format!("The fix phase failed: {e:#}"));
            phases.skip("publish", "no fix");
            return finish(rep, phases, started, &outputs, a.json);
        }
    };
    std::fs::write(r.failure_dir.join("fix.log"), fx.log.join("\n"))?;
    rep.root_cause = fx.root_cause.clone();
    rep.fix = Some(FixFacts {
        attempts: fx.attempts,
        verified: fx.end == FixEnd::Verified,
        claim: fx.claim.clone(),
        changed_files: fx.changed_files.clone(),
        commits: fx.commits.clone(),
    });
    match fx.end {
        FixEnd::Verified => phases.record(
            "fix",
            t,
            PhaseStatus::Ok,
            format!("{} attempt(s); {}", fx.attempts, fx.claim),
        ),
        FixEnd::NoProgress => {
            phases.record(
                "fix",
                t,
                PhaseStatus::Failed,
                format!("{} attempt(s) without a verified fix", fx.attempts),
            );
            rep.next_steps.push("The agent made no verified progress; the branch was removed. Read the failure folder's README and fix.log, then fix by hand or rerun with more budget or another agent.".into());
            phases.skip("publish", "no verified fix");
            return finish(rep, phases, started, &outputs, a.json);
        }
        FixEnd::OutOfBudget => {
            rep.status = Status::Partial;
            phases.record(
                "fix",
                t,
                PhaseStatus::Failed,
                format!(
                    "budget of {}s spent after {} attempt(s)",
                    a.fix_budget_secs, fx.attempts
                ),
            );
            rep.next_steps.push(format!(
                "The fix budget ran out with changes that did not verify; the last attempt is saved as {}. Continue from it, or rerun with a larger --fix-budget-secs.",
                r.failure_dir.join("attempt.patch").display()
            ));
            phases.skip("publish", "no verified fix");
            return finish(rep, phases, started, &outputs, a.json);
        }
    }
    if let Some(reg) = fx.regression.as_ref().filter(|r| r.ends_with("FAILED")) {
        rep.next_steps.push(format!(
            "Nearby tests fail after the fix ({reg}); review before merging."
        ));
    }
    let wt = fx
        .worktree
        .take()
        .expect("a verified fix keeps its worktree");
    rep.branch = Some(wt.branch().to_string());
    if let Ok(rv) = crate::github::reviewers::suggest_reviewers(wt.path(), &fx.changed_files) {
        rep.reviewers = rv
            .into_iter()
            .take(5)
            .map(|x| Reviewer {
                who: x
                    .handle
                    .clone()
                    .or(x.name.clone())
                    .or(x.email.clone())
                    .unwrap_or_else(|| "?".into()),
                reason: x.reasons.join("; "),
            })
            .collect();
    }

    // Phase 4: push and PR.
    let t = Instant::now();
    let mut wt = wt;
    if let Err(e) = wt.push(&auth) {
        phases.record("publish", t, PhaseStatus::Failed, format!("push: {e}"));
        rep.status = Status::Partial;
        rep.next_steps.push(format!("The fix is committed on the local branch `{}` but could not be pushed: {e}. Push it by hand and open the PR.", wt.branch()));
        let _ = wt.finish(true);
        return finish(rep, phases, started, &outputs, a.json);
    }
    let branch = wt.branch().to_string();
    let base = wt.base().to_string();
    let remote_url = repo.remote_url(wt.remote()).unwrap_or_default();
    let _ = wt.finish(true);
    if a.no_pr {
        rep.status = Status::Success;
        phases.record(
            "publish",
            t,
            PhaseStatus::Ok,
            format!("pushed `{branch}`; no PR (--no-pr)"),
        );
        rep.next_steps
            .push(format!("Open a PR from `{branch}` when ready."));
        return finish(rep, phases, started, &outputs, a.json);
    }
    let owner_repo = a
        .github_repo
        .as_ref()
        .and_then(|s| {
            s.split_once('/')
                .map(|(o, r)| (o.to_string(), r.to_string()))
        })
        .or_else(|| host.as_ref().map(|h| (h.owner.clone(), h.repo.clone())))
        .or_else(|| owner_repo_from_remote(&remote_url));
    let Some((owner, name)) = owner_repo else {
        phases.record(
            "publish",
            t,
            PhaseStatus::Failed,
            "pushed, but the GitHub repository is unknown",
        );
        rep.status = Status::Partial;
        rep.next_steps.push(format!(
            "Pushed `{branch}`; pass --github-repo OWNER/REPO to open the PR, or open it by hand."
        ));
        return finish(rep, phases, started, &outputs, a.json);
    };
    rep.status = Status::Success;
    let body_report = report::render(&rep);
    let cfg = crate::github::ClientConfig::from_env(
        a.opts.github_api_url.as_deref(),
        host.as_ref().map(|h| h.web_base.as_str()),
    );
    let pr = crate::github::Blocking::new(cfg).and_then(|gh| {
        gh.create_or_update_draft_pr(&crate::github::pr::PrRequest {
            owner,
            repo: name,
            head: branch.clone(),
            base,
            title: format!("fix: {}", rep.title),
            body: body_report,
            allow_non_draft: a.allow_non_draft,
        })
    });
    match pr {
        Ok(p) => {
            rep.pr_url = Some(p.url.clone());
            phases.record(
                "publish",
                t,
                PhaseStatus::Ok,
                format!("pushed `{branch}`; PR #{} ({:?})", p.number, p.action),
            );
            rep.next_steps
                .push("Review the draft PR, mark it ready, and merge when CI is green.".into());
        }
        Err(e) => {
            rep.status = Status::Partial;
            phases.record("publish", t, PhaseStatus::Failed, format!("PR: {e}"));
            rep.next_steps.push(format!(
                "Pushed `{branch}` but the PR could not be opened: {e}"
            ));
        }
    }
    finish(rep, phases, started, &outputs, a.json)
}

fn finish(
    mut rep: Report,
    phases: Phases,
    started: Instant,
    outputs: &std::path::Path,
    json: bool,
) -> anyhow::Result<ExitCode> {
    rep.phases = phases.list;
    rep.total_seconds = started.elapsed().as_secs_f64();
    let md = report::write(outputs, &rep)?;
    if json {
        let out = serde_json::json!({
            "status": rep.status,
            "report": md,
            "report_json": md.with_extension("json"),
            "branch": rep.branch,
            "pr_url": rep.pr_url,
            "phases": rep.phases,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{} {} — report: {}",
            rep.status.icon(),
            rep.status.word(),
            md.display()
        );
        for p in &rep.phases {
            println!(
                "   {:<10} {:?} {:.1}s {}",
                p.name, p.status, p.seconds, p.detail
            );
        }
        if let Some(u) = &rep.pr_url {
            println!("   PR: {u}");
        }
    }
    Ok(match rep.status {
        Status::Success => ExitCode::SUCCESS,
        Status::Partial => ExitCode::from(3),
        Status::Failed => ExitCode::from(1),
    })
}

#[cfg(test)]
mod tests {
    use super::owner_repo_from_remote;

    #[test]
    fn titles_cut_at_words() {
        assert_eq!(super::title("short\nmore"), "short");
        let t = super::title(
            "test_total fails on CI: totals are off by a fraction of a cent; round them to cents",
        );
        assert_eq!(
            t,
            "test_total fails on CI: totals are off by a fraction of a cent; round…"
        );
    }

    #[test]
    fn remotes() {
        let o = |s: &str| owner_repo_from_remote(s);
        assert_eq!(
            o("https://github.com/acme/app.git"),
            Some(("acme".into(), "app".into()))
        );
        assert_eq!(
            o("git@github.com:acme/app.git"),
            Some(("acme".into(), "app".into()))
        );
        assert_eq!(
            o("ssh://git@ghe.corp/acme/app"),
            Some(("acme".into(), "app".into()))
        );
        assert_eq!(o("/tmp/origin.git"), None);
    }
}
