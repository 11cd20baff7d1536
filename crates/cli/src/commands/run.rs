//! `cifix run`: the whole pipeline, from info.json to a draft PR and a report.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::Env;
use super::reproduce::ReproduceOpts;
use super::validate::InfoArgs;
use crate::out;
use cifix_host::pipeline::{self, RunOptions};
use cifix_host::reporters::{json, terminal};

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
    /// Print the run report as JSON at the end.
    #[arg(long)]
    pub json: bool,
}

/// Run the pipeline.
pub fn run(env: &Env, a: RunArgs) -> anyhow::Result<ExitCode> {
    let info = a.info.load()?;
    let opts = RunOptions {
        reproduce: a.opts.options(),
        fix_budget: Duration::from_secs(a.fix_budget_secs.max(1)),
        max_attempts: a.max_attempts.max(1),
        remote: a.remote,
        base: a.base,
        github_repo: a.github_repo,
        allow_non_draft: a.allow_non_draft,
        no_pr: a.no_pr,
    };
    let mut live = terminal::Terminal { live: !a.json };
    let report = pipeline::run(env, &info, &a.info.repo(), &opts, &mut live)?;
    if a.json {
        json::print(&report)?;
    } else {
        out!("{}", terminal::summary(&report).trim_end());
    }
    Ok(ExitCode::from(report.status.exit_code()))
}
