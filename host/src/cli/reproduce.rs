//! `cifix reproduce`: the reproduction phase alone (`cifix run` calls the same code).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::Env;
use super::validate::InfoArgs;
use crate::config::info::{Info, LogSource};
use crate::phases::{folder, parse, reproduce, scratch};

/// Options shared by `reproduce` and `run`.
#[derive(Debug, Args, Clone)]
pub struct ReproduceOpts {
    /// The reproduction strategy (name or .wasm path) [default: deterministic-minimal
    /// for deterministic failures, nd-stress otherwise].
    #[arg(long, value_name = "NAME|PATH")]
    pub strategy: Option<String>,
    /// The log parser (name or .wasm path).
    #[arg(long, default_value = "log-parser", value_name = "NAME|PATH")]
    pub parser: String,
    /// Time budget of the reproduction phase, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub reproduce_budget_secs: u64,
    /// Assumed failure rate of an intermittent failure (0 < p < 1), sizing the stress run.
    #[arg(long, default_value_t = 0.05, value_name = "P")]
    pub flake_rate: f64,
    /// Confidence wanted for the stress run and for verification claims.
    #[arg(long, default_value_t = 0.95, value_name = "C")]
    pub confidence: f64,
    /// Where reports and failure folders go [default: ./outputs, or the user data folder
    /// when ./outputs would be inside the target repository]. Also `CIFIX_OUTPUTS`.
    #[arg(long, value_name = "DIR")]
    pub outputs: Option<PathBuf>,
    /// The coding agent: claude, codex, aider or manual.
    #[arg(long, value_name = "NAME")]
    pub agent: Option<String>,
    /// GitHub API base [default: GITHUB_API_URL, else https://api.github.com, or
    /// https://HOST/api/v3 for a GitHub Enterprise Server run URL].
    #[arg(long, value_name = "URL")]
    pub github_api_url: Option<String>,
    /// A custom agent command; placeholders {prompt_file}, {prompt}, {workdir}, {budget_secs}.
    #[arg(long, value_name = "TEMPLATE", conflicts_with = "agent")]
    pub agent_cmd: Option<String>,
}

/// Arguments of `reproduce`.
#[derive(Debug, Args)]
pub struct ReproduceArgs {
    #[command(flatten)]
    pub info: InfoArgs,
    #[command(flatten)]
    pub opts: ReproduceOpts,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

impl ReproduceOpts {
    /// Check the numbers; returns a usage error naming the flag.
    pub fn check(&self) -> Result<(), super::UsageError> {
        if !(self.flake_rate > 0.0 && self.flake_rate < 1.0) {
            return Err(super::UsageError(format!(
                "--flake-rate must be between 0 and 1 (exclusive), got {}",
                self.flake_rate
            )));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(super::UsageError(format!(
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

/// Everything a reproduction produced, for `run` to continue with.
pub struct Reproduced {
    pub failure_dir: PathBuf,
    pub parsed: Option<parse::Parsed>,
    pub outcome: reproduce::Outcome,
    pub context: crate::plugins::wit::Context,
    pub settings: reproduce::Settings,
}

/// Gather logs into the failure folder and return their paths.
pub fn collect_logs(
    info: &Info,
    failure_dir: &std::path::Path,
    o: &ReproduceOpts,
) -> anyhow::Result<Vec<PathBuf>> {
    match &info.logs {
        LogSource::RawLogs(text) => Ok(vec![parse::save_raw(failure_dir, text)?]),
        LogSource::Url(url) => {
            let _span = tracing::info_span!("phase.fetch").entered();
            let web = crate::config::info::RunUrl::parse(url)
                .map_err(super::UsageError)?
                .web_base;
            let gh = crate::github::Blocking::new(crate::github::ClientConfig::from_env(
                o.github_api_url.as_deref(),
                Some(&web),
            ))?;
            let fetched = gh.fetch_logs(url, failure_dir)?;
            for m in &fetched.missing {
                tracing::warn!("no log for job {} ({}): {}", m.job_name, m.job_id, m.reason);
            }
            if fetched.logs.is_empty() {
                anyhow::bail!("the run {url} has no failed job logs to work from");
            }
            Ok(fetched.logs.into_iter().map(|l| l.path).collect())
        }
        LogSource::None => Ok(Vec::new()),
    }
}

/// Run the reproduction phase: failure folder, logs, parse, scratch worktree, strategy.
pub fn reproduce_phase(
    env: &Env,
    info: &Info,
    repo: &std::path::Path,
    o: &ReproduceOpts,
) -> anyhow::Result<Reproduced> {
    o.check()?;
    let repo = scratch::toplevel(repo)?;
    let strategy = o.strategy_for(info);
    // Load up front so a bad --strategy fails before any work.
    let plugin = crate::plugins::load(&strategy)?;
    let outputs = folder::outputs_dir(o.outputs.as_deref(), &repo);
    let failure_dir = folder::create(&outputs, &info.prompt)?;
    tracing::info!("failure folder {}", failure_dir.display());
    std::fs::write(
        failure_dir.join("info.json"),
        serde_json::to_vec_pretty(info)?,
    )?;
    let logs = collect_logs(info, &failure_dir, o)?;
    let parsed = if logs.is_empty() {
        None
    } else {
        Some(parse::parse_files(&o.parser, &logs, env.limits)?)
    };
    if let Some(p) = &parsed {
        std::fs::write(
            failure_dir.join("failures.json"),
            serde_json::to_vec_pretty(&serde_json::json!({
                "failures": p.failures.iter().map(|(log, f)| {
                    let mut v = parse::failure_json(f);
                    v["log"] = serde_json::json!(log);
                    v
                }).collect::<Vec<_>>()
            }))?,
        )?;
    }
    let agent: Option<Arc<dyn crate::capabilities::agent::Agent>> =
        if o.agent.is_some() || o.agent_cmd.is_some() {
            Some(Arc::from(crate::agent::from_choice(
                o.agent.as_deref(),
                o.agent_cmd.as_deref(),
                failure_dir.join("agent"),
            )?))
        } else {
            None
        };
    let settings = reproduce::Settings {
        strategy: strategy.clone(),
        budget: Duration::from_secs(o.reproduce_budget_secs.max(1)),
        flake_rate: o.flake_rate,
        confidence: o.confidence,
        limits: env.limits,
        user_grant: env.user_grant(plugin.name()),
        agent,
    };
    let failures = parsed.as_ref().map(|p| p.ranked()).unwrap_or_default();
    let ctx = reproduce::context(info, failures, &settings);
    let scratch = scratch::Scratch::create(&repo, None)?;
    if let Some(t) = &info.existing_test_path {
        // The user's test may be uncommitted: bring it along.
        let dst = scratch.path().join(t);
        if !dst.exists() {
            std::fs::create_dir_all(dst.parent().unwrap())?;
            std::fs::copy(repo.join(t), &dst)?;
        }
    }
    let outcome = reproduce::reproduce(&ctx, scratch.path(), &failure_dir, &settings)?;
    Ok(Reproduced {
        failure_dir,
        parsed,
        outcome,
        context: ctx,
        settings,
    })
}

/// Run `reproduce`.
pub fn run(env: &Env, a: ReproduceArgs) -> anyhow::Result<ExitCode> {
    let info = a.info.load()?;
    let r = reproduce_phase(env, &info, &a.info.repo(), &a.opts)?;
    let o = &r.outcome;
    if a.json {
        println!("{}", serde_json::to_string_pretty(o)?);
    } else {
        println!(
            "{} {} with {}: `{}`",
            if o.reproduced {
                "✅ reproduced"
            } else {
                "❌ not reproduced"
            },
            if o.reproduced {
                format!("{}/{} runs failed", o.failures, o.runs)
            } else {
                format!("({} runs)", o.runs)
            },
            o.strategy,
            o.command.join(" ")
        );
        println!(
            "   rate {:.3}, 95% interval [{:.3}, {:.3}]; other failures {}, timeouts {}",
            o.rate, o.ci95[0], o.ci95[1], o.other_failures, o.timeouts
        );
        println!("   failure folder: {}", o.failure_folder.display());
    }
    Ok(if o.reproduced {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
