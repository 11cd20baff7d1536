//! Reproduce: hand the diagnosis to the strategy, running inside a scratch
//! worktree of the run's base, with the failure folder as its only writable
//! place. The rate and its interval are the host's arithmetic on the counts.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cifix_model::{PhaseStatus, Reproduction, StrategyContext};

use super::{FailureReport, Recorder, ReproduceOptions, Services};
use crate::capabilities::agent::Agent;
use crate::config::info::Info;
use crate::sandbox::{HostConfig, Limits, Plugin, StrategySession};
use crate::vcs::scratch::Scratch;

/// The strategy's context from the user's input and the diagnosis.
pub fn context(info: &Info, diagnosis: &FailureReport, o: &ReproduceOptions) -> StrategyContext {
    StrategyContext {
        prompt: info.prompt.clone(),
        deterministic: info.deterministic,
        failures: diagnosis.failures.clone(),
        existing_test: info.existing_test_path.clone(),
        budget_ms: o.budget.as_millis() as u64,
        flake_rate: o.flake_rate,
        confidence: o.confidence,
    }
}

/// Placeholder values for agent prompts (the budget is always the task's own,
/// filled in by the agent adapter).
pub fn prompt_vars(ctx: &StrategyContext, repo: &Path) -> Vec<(String, String)> {
    let f = ctx.failures.first();
    let get = |g: &dyn Fn(&cifix_model::Failure) -> Option<String>| {
        f.and_then(g).unwrap_or_else(|| "-".into())
    };
    vec![
        ("prompt".into(), ctx.prompt.clone()),
        ("repo".into(), repo.display().to_string()),
        ("kind".into(), get(&|f| Some(f.kind.name().into()))),
        ("test".into(), get(&|f| f.test.clone())),
        ("message".into(), get(&|f| Some(f.message.clone()))),
        ("signature".into(), get(&|f| Some(f.signature.clone()))),
        ("excerpt".into(), get(&|f| Some(f.excerpt.text.clone()))),
        (
            "flaky_signals".into(),
            get(&|f| Some(f.flaky_signals.join(", "))),
        ),
    ]
}

/// Limits for a strategy call that may run tests for `budget`: host calls count
/// against the epoch deadline, so leave room.
pub fn call_limits(limits: Limits, budget: Duration) -> Limits {
    let mut l = limits;
    l.deadline = l.deadline.max(budget + Duration::from_secs(30));
    l
}

/// Open the run's one strategy session (instantiated on its first call, and kept
/// for every later call of the run).
pub fn open<'p>(svc: &Services, plugin: &'p Plugin) -> anyhow::Result<StrategySession<'p>> {
    Ok(StrategySession::open(
        plugin,
        HostConfig::default(),
        svc.limits,
    )?)
}

/// What the reproduce phase works from.
pub struct Input<'a> {
    /// The request.
    pub info: &'a Info,
    /// The repository's top folder.
    pub repo: &'a Path,
    /// The commit to reproduce at (the run's base); `None`: HEAD.
    pub rev: Option<&'a str>,
    /// The diagnosis.
    pub diagnosis: &'a FailureReport,
    /// The failure folder.
    pub failure_dir: &'a Path,
    /// The agent lent to the strategy, if any.
    pub agent: Option<Arc<dyn Agent>>,
    /// Options.
    pub options: &'a ReproduceOptions,
}

/// Run the strategy's `reproduce` in a scratch worktree; the host fills in the
/// strategy's identity, the failure folder, the rate and its interval.
pub fn reproduce(
    session: &mut StrategySession<'_>,
    svc: &Services,
    i: &Input<'_>,
) -> anyhow::Result<Reproduction> {
    let plugin = session.plugin();
    let _span = tracing::info_span!("phase.reproduce", strategy = %plugin.name()).entered();
    let scratch = Scratch::create(i.repo, i.rev)?;
    if let Some(t) = &i.info.existing_test_path {
        // The user's test may be uncommitted: bring it along.
        let dst = scratch.path().join(t);
        if !dst.exists() {
            if let Some(parent) = dst.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(i.repo.join(t), &dst)?;
        }
    }
    let ctx = context(i.info, i.diagnosis, i.options);
    let cfg = HostConfig {
        grants: plugin.grants(&svc.user_grant(plugin.name())),
        repo: Some(scratch.path().to_path_buf()),
        failure: Some(i.failure_dir.to_path_buf()),
        agent: i.agent.clone(),
        max_call: i.options.budget,
        prompt_vars: prompt_vars(&ctx, scratch.path()),
    };
    session.configure(cfg, call_limits(svc.limits, i.options.budget));
    let mut r = session.reproduce(&ctx)?;
    let (lo, hi) = cifix_sdk::stats::wilson_95(r.failures, r.runs);
    r.strategy = plugin.name().to_string();
    r.strategy_version = plugin.manifest.version.clone();
    r.rate = if r.runs > 0 {
        f64::from(r.failures) / f64::from(r.runs)
    } else {
        0.0
    };
    r.ci95 = [lo, hi];
    r.failure_folder = i.failure_dir.to_path_buf();
    std::fs::write(
        i.failure_dir.join("reproduction.json"),
        serde_json::to_vec_pretty(&r)?,
    )?;
    Ok(r)
}

/// The reproduce phase, recorded.
pub fn phase(
    rec: &mut Recorder<'_>,
    session: &mut StrategySession<'_>,
    svc: &Services,
    i: Input<'_>,
) -> anyhow::Result<Reproduction> {
    let t = rec.start("reproduce");
    match reproduce(session, svc, &i) {
        Ok(r) => {
            rec.record(
                "reproduce",
                t,
                if r.reproduced {
                    PhaseStatus::Ok
                } else {
                    PhaseStatus::Failed
                },
                format!("{} of {} runs failed as in CI", r.failures, r.runs),
            );
            rec.report.reproduction = Some(r.clone());
            Ok(r)
        }
        Err(e) => {
            rec.record("reproduce", t, PhaseStatus::Failed, format!("{e:#}"));
            Err(e)
        }
    }
}
