//! Reproduce phase: hand the parsed failure to a strategy plugin, running
//! inside a scratch worktree, with the failure folder as its only writable place.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::capabilities::Capability;
use crate::capabilities::agent::Agent;
use crate::phases::parse::kind_name;
use crate::plugins::{self, HostConfig, Limits, StrategySession, wit};

/// Settings of one reproduction.
#[derive(Clone)]
pub struct Settings {
    pub strategy: String,
    pub budget: Duration,
    pub flake_rate: f64,
    pub confidence: f64,
    pub limits: Limits,
    pub user_grant: Vec<Capability>,
    pub agent: Option<Arc<dyn Agent>>,
}

/// The outcome, as `cifix reproduce --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub reproduced: bool,
    pub strategy: String,
    pub strategy_version: String,
    pub command: Vec<String>,
    pub runs: u32,
    pub failures: u32,
    pub other_failures: u32,
    pub timeouts: u32,
    pub rate: f64,
    pub ci95: [f64; 2],
    pub failure_folder: PathBuf,
    pub notes: String,
    #[serde(skip)]
    pub raw: Option<wit::Reproduction>,
}

/// The strategy's context from the user's input and the parsed failures.
pub fn context(
    info: &crate::config::info::Info,
    failures: Vec<wit::Failure>,
    s: &Settings,
) -> wit::Context {
    wit::Context {
        prompt: info.prompt.clone(),
        deterministic: info.deterministic,
        failures,
        existing_test: info.existing_test_path.clone(),
        budget_ms: s.budget.as_millis() as u64,
        flake_rate: s.flake_rate,
        confidence: s.confidence,
    }
}

/// Placeholder values for agent prompts.
pub fn prompt_vars(ctx: &wit::Context, repo: &Path) -> Vec<(String, String)> {
    let f = ctx.failures.first();
    let get =
        |g: &dyn Fn(&wit::Failure) -> Option<String>| f.and_then(g).unwrap_or_else(|| "-".into());
    vec![
        ("prompt".into(), ctx.prompt.clone()),
        ("repo".into(), repo.display().to_string()),
        ("kind".into(), get(&|f| Some(kind_name(f.kind).into()))),
        ("test".into(), get(&|f| f.test.clone())),
        ("message".into(), get(&|f| Some(f.message.clone()))),
        ("signature".into(), get(&|f| Some(f.signature.clone()))),
        ("excerpt".into(), get(&|f| Some(f.excerpt.text.clone()))),
        (
            "flaky_signals".into(),
            get(&|f| Some(f.flaky_signals.join(", "))),
        ),
        ("budget".into(), format!("{} seconds", ctx.budget_ms / 1000)),
    ]
}

/// Run the strategy's `reproduce` in `workdir` (a scratch worktree).
pub fn reproduce(
    ctx: &wit::Context,
    workdir: &Path,
    failure_dir: &Path,
    s: &Settings,
) -> anyhow::Result<Outcome> {
    let _span = tracing::info_span!("phase.reproduce", strategy = %s.strategy).entered();
    let plugin = plugins::load(&s.strategy)?;
    let cfg = HostConfig {
        grants: plugin.grants(&s.user_grant),
        repo: Some(workdir.to_path_buf()),
        failure: Some(failure_dir.to_path_buf()),
        agent: s.agent.clone(),
        max_call: s.budget,
        prompt_vars: prompt_vars(ctx, workdir),
    };
    // Host calls (test runs) count against the epoch deadline: leave room.
    let mut limits = s.limits;
    limits.deadline = limits.deadline.max(s.budget + Duration::from_secs(30));
    let mut session = StrategySession::open(&plugin, cfg, limits)?;
    let r = session.reproduce(ctx)?;
    let (lo, hi) = cifix_sdk::stats::wilson_95(r.failures, r.runs);
    let out = Outcome {
        reproduced: r.reproduced,
        strategy: plugin.name().to_string(),
        strategy_version: plugin.manifest.version.clone(),
        command: r.command.clone(),
        runs: r.runs,
        failures: r.failures,
        other_failures: r.other_failures,
        timeouts: r.timeouts,
        rate: if r.runs > 0 {
            r.failures as f64 / r.runs as f64
        } else {
            0.0
        },
        ci95: [lo, hi],
        failure_folder: failure_dir.to_path_buf(),
        notes: r.notes.clone(),
        raw: Some(r),
    };
    std::fs::write(
        failure_dir.join("reproduction.json"),
        serde_json::to_vec_pretty(&out)?,
    )?;
    Ok(out)
}
