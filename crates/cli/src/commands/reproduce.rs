//! `cifix reproduce`: the reproduction phase alone (`cifix run` calls the same code).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::Env;
use super::validate::InfoArgs;
use crate::out;
use cifix_host::pipeline::{self, AgentChoice, ReproduceOptions, events::Quiet};
use cifix_host::reporters::{json, terminal::sanitize};

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

impl ReproduceOpts {
    /// The library's options.
    pub fn options(&self) -> ReproduceOptions {
        ReproduceOptions {
            strategy: self.strategy.clone(),
            parser: self.parser.clone(),
            budget: Duration::from_secs(self.reproduce_budget_secs.max(1)),
            flake_rate: self.flake_rate,
            confidence: self.confidence,
            outputs: self.outputs.clone(),
            agent: AgentChoice {
                name: self.agent.clone(),
                command: self.agent_cmd.clone(),
            },
            github_api_url: self.github_api_url.clone(),
        }
    }
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

/// Run `reproduce`.
pub fn run(env: &Env, a: ReproduceArgs) -> anyhow::Result<ExitCode> {
    let info = a.info.load()?;
    let r = pipeline::reproduce_only(env, &info, &a.info.repo(), &a.opts.options(), &mut Quiet)?;
    let o = &r.reproduction;
    if a.json {
        json::print(o)?;
    } else {
        out!(
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
            sanitize(&o.command.join(" "))
        );
        out!(
            "   rate {:.3}, 95% interval [{:.3}, {:.3}]; other failures {}, timeouts {}",
            o.rate,
            o.ci95[0],
            o.ci95[1],
            o.other_failures,
            o.timeouts
        );
        out!("   failure folder: {}", o.failure_folder.display());
    }
    Ok(if o.reproduced {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(cifix_model::exit::FAILED)
    })
}
