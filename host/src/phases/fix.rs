//! Fix phase: a `fix/<slug>` worktree from the fresh base, the reproduction
//! test brought in, the agent's attempts verified by the strategy, the test
//! removed again, then commit and push. The user's checkout is never touched.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::capabilities::agent::{Agent, AgentTask};
use crate::capabilities::process::{self, Spec};
use crate::git::{Auth, FixOptions, FixWorktree, Repo};
use crate::plugins::{self, HostConfig, StrategySession, wit};

/// Settings of the fix loop.
pub struct FixSettings {
    pub budget: Duration,
    pub max_attempts: u32,
    pub remote: Option<String>,
    pub base: Option<String>,
    pub label: String,
    pub title: String,
}

/// How the fix loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixEnd {
    /// Verified, committed (test removed again), ready to push.
    Verified,
    /// The agent made no change, or every attempt failed verification.
    NoProgress,
    /// Time ran out with attempts that changed code but did not verify.
    OutOfBudget,
}

/// What the fix loop produced.
pub struct FixResult {
    pub end: FixEnd,
    pub attempts: u32,
    pub claim: String,
    pub changed_files: Vec<String>,
    pub commits: Vec<String>,
    pub root_cause: Option<String>,
    pub regression: Option<String>,
    /// The worktree (kept for pushing when verified).
    pub worktree: Option<FixWorktree>,
    pub log: Vec<String>,
}

/// The files the reproduction brings into the fix branch: the user's test
/// when it is not in the base commit, and any test the strategy wrote into
/// `<failure>/tests/` (except `command`), placed under `cifix-repro/`.
fn bring_test(
    wt: &FixWorktree,
    info: &crate::config::info::Info,
    repo: &Path,
    failure_dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut added = Vec::new();
    if let Some(t) = &info.existing_test_path {
        let dst = wt.path().join(t);
        if !dst.exists() {
            wt.copy_file(&repo.join(t), Path::new(t))?;
            added.push(PathBuf::from(t));
        }
    }
    let tests = failure_dir.join("tests");
    if let Ok(rd) = std::fs::read_dir(&tests) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == "command" || !e.path().is_file() {
                continue;
            }
            let rel = PathBuf::from("cifix-repro").join(&name);
            wt.copy_file(&e.path(), &rel)?;
            added.push(rel);
        }
    }
    Ok(added)
}

/// The same test command without its single-test selector: the tests near
/// the failing one (its file, package or crate), to catch regressions.
pub fn nearby(command: &[String]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut changed = false;
    let mut skip = 0;
    for (i, a) in command.iter().enumerate() {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        if let Some((file, _)) = a.split_once("::").filter(|(f, _)| f.ends_with(".py")) {
            out.push(file.to_string());
            changed = true;
        } else if (a == "-run" || a == "-t" || a == "--testNamePattern") && i + 1 < command.len() {
            skip = 1;
            changed = true;
        } else if a == "--" && command.first().map(String::as_str) == Some("cargo") {
            changed = true;
            break;
        } else {
            out.push(a.clone());
        }
    }
    changed.then_some(out)
}

/// Run the fix loop.
#[allow(clippy::too_many_arguments)]
pub fn fix(
    repo: &Repo,
    auth: &Auth,
    info: &crate::config::info::Info,
    ctx: &wit::Context,
    repro: &wit::Reproduction,
    strategy: &str,
    user_grant: &[crate::capabilities::Capability],
    limits: plugins::Limits,
    agent: Arc<dyn Agent>,
    failure_dir: &Path,
    s: &FixSettings,
) -> anyhow::Result<FixResult> {
    let _span = tracing::info_span!("phase.fix").entered();
    let started = Instant::now();
    let mut wt = repo.start_fix(
        &FixOptions {
            slug: s.title.clone(),
            remote: s.remote.clone(),
            base: s.base.clone(),
            label: Some(s.label.clone()),
        },
        auth,
    )?;
    tracing::info!("fix branch {} in {}", wt.branch(), wt.path().display());
    let mut log = vec![format!(
        "branch `{}` from `{}` ({})",
        wt.branch(),
        wt.base(),
        wt.base_oid()
    )];
    let added = bring_test(&wt, info, repo.workdir(), failure_dir)?;
    let mut commits = Vec::new();
    let trailers = [("Cifix-Failure", s.label.as_str())];
    if !added.is_empty() {
        let refs: Vec<&Path> = added.iter().map(PathBuf::as_path).collect();
        let oid = wt.commit(&format!("test: reproduce {}", s.title), &trailers, &refs)?;
        commits.push(oid.to_string()[..10].to_string());
        log.push(format!(
            "added the reproduction test: {}",
            added
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let plugin = plugins::load(strategy)?;
    let mut vars = crate::phases::reproduce::prompt_vars(ctx, wt.path());
    vars.push(("branch".into(), wt.branch().to_string()));
    vars.push(("command".into(), repro.command.join(" ")));
    let verification = if ctx.deterministic {
        "the reproduction must pass 5 consecutive times".to_string()
    } else {
        format!(
            "the stress run must show 0 failures in enough runs to claim a rate below {:.2}%",
            ctx.flake_rate * 10.0
        )
    };
    vars.push(("verification".into(), verification));
    let mut feedback = String::new();
    let mut attempts = 0;
    let mut claim = String::from("not verified");
    let mut any_change = false;
    let mut end = FixEnd::NoProgress;
    while attempts < s.max_attempts {
        let left = s.budget.saturating_sub(started.elapsed());
        if left < Duration::from_secs(1) {
            end = if any_change {
                FixEnd::OutOfBudget
            } else {
                FixEnd::NoProgress
            };
            log.push("the fix budget ran out".into());
            break;
        }
        attempts += 1;
        let mut v = vars.clone();
        v.push(("budget".into(), format!("{} seconds", left.as_secs())));
        v.push(("feedback".into(), feedback.clone()));
        let task = AgentTask {
            template: "implement-fix".into(),
            instructions: String::new(),
            budget: left,
            vars: v,
        };
        let out = agent
            .run(&task, wt.path())
            .map_err(|e| anyhow::anyhow!("agent: {e}"))?;
        let changed: Vec<String> = out
            .changed_files
            .iter()
            .filter(|f| *f != "CIFIX_NOTES.md")
            .cloned()
            .collect();
        log.push(format!(
            "attempt {attempts}: agent {} and changed {} file(s)",
            if out.completed { "finished" } else { "stopped" },
            changed.len()
        ));
        if changed.is_empty() {
            feedback =
                "\n## Previous attempt\nYou changed no files. The reproduction still fails.\n"
                    .into();
            if started.elapsed() >= s.budget {
                break;
            }
            continue;
        }
        any_change = true;
        let cfg = HostConfig {
            grants: plugin.grants(user_grant),
            repo: Some(wt.path().to_path_buf()),
            failure: Some(failure_dir.to_path_buf()),
            agent: None,
            max_call: s
                .budget
                .saturating_sub(started.elapsed())
                .max(Duration::from_secs(5)),
            prompt_vars: Vec::new(),
        };
        let mut l = limits;
        l.deadline = l.deadline.max(cfg.max_call + Duration::from_secs(30));
        let mut vctx = ctx.clone();
        vctx.budget_ms = cfg.max_call.as_millis() as u64;
        let verdict = StrategySession::open(&plugin, cfg, l)?.verify(&vctx, repro)?;
        claim = verdict.claim.clone();
        log.push(format!(
            "attempt {attempts}: verification {}: {}",
            if verdict.passed { "passed" } else { "failed" },
            verdict.claim
        ));
        if verdict.passed {
            end = FixEnd::Verified;
            break;
        }
        feedback = format!(
            "\n## Previous attempt\nVerification failed: {}. Try again.\n",
            verdict.claim
        );
        end = if started.elapsed() >= s.budget {
            FixEnd::OutOfBudget
        } else {
            FixEnd::NoProgress
        };
    }
    if end == FixEnd::NoProgress && any_change && started.elapsed() >= s.budget {
        end = FixEnd::OutOfBudget;
    }
    let notes_path = wt.path().join("CIFIX_NOTES.md");
    let root_cause = std::fs::read_to_string(&notes_path)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let _ = std::fs::remove_file(&notes_path);
    let mut regression = None;
    let mut changed_files = Vec::new();
    let worktree = if end == FixEnd::Verified {
        if let Some(cmd) = nearby(&repro.command) {
            let spec = Spec {
                program: cmd[0].clone(),
                args: cmd[1..].to_vec(),
                cwd: repro.cwd.clone(),
                env: Vec::new(),
                timeout: s
                    .budget
                    .saturating_sub(started.elapsed())
                    .max(Duration::from_secs(30)),
            };
            let r = process::run(wt.path(), &spec, None)?;
            let ok = r.exit_code == Some(0);
            regression = Some(format!(
                "`{}`: {}",
                cmd.join(" "),
                if ok { "passed" } else { "FAILED" }
            ));
            log.push(format!(
                "nearby tests {}",
                regression.as_deref().unwrap_or_default()
            ));
            if !ok {
                std::fs::write(failure_dir.join("regression.log"), &r.output)?;
            }
        }
        let msg = format!(
            "fix: {}\n\n{}",
            s.title,
            root_cause
                .as_deref()
                .unwrap_or("Fixed with cifix; see the report in the pull request.")
        );
        let before = wt.base_oid();
        let oid = wt.commit(
            &msg,
            &[
                ("Cifix-Failure", s.label.as_str()),
                ("Cifix-Verified", claim.as_str()),
            ],
            &[],
        )?;
        commits.push(oid.to_string()[..10].to_string());
        changed_files = diff_names(wt.path(), &before.to_string());
        if !added.is_empty() {
            let refs: Vec<&Path> = added.iter().map(PathBuf::as_path).collect();
            let oid = wt.remove_and_commit(
                &refs,
                "test: remove the reproduction test (kept in the cifix report)",
                &trailers,
            )?;
            commits.push(oid.to_string()[..10].to_string());
            changed_files.retain(|f| !added.iter().any(|a| a.display().to_string() == *f));
        }
        Some(wt)
    } else {
        // Keep what the agent did for the user, then drop the branch.
        if any_change {
            let patch = std::process::Command::new("git")
                .arg("-C")
                .arg(wt.path())
                .args(["diff", "HEAD"])
                .output();
            if let Ok(p) = patch {
                let _ = std::fs::write(failure_dir.join("attempt.patch"), p.stdout);
                log.push(
                    "the last attempt's diff is saved as attempt.patch in the failure folder"
                        .into(),
                );
            }
        }
        wt.abandon()?;
        log.push("the fix branch and its worktree were removed".into());
        None
    };
    Ok(FixResult {
        end,
        attempts,
        claim,
        changed_files,
        commits,
        root_cause,
        regression,
        worktree,
        log,
    })
}

/// Files changed since `base` in the worktree's HEAD.
fn diff_names(dir: &Path, base: &str) -> Vec<String> {
    std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["diff", "--name-only", base, "HEAD"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::nearby;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn nearby_commands() {
        assert_eq!(
            nearby(&v(&["pytest", "tests/t.py::test_a"])),
            Some(v(&["pytest", "tests/t.py"]))
        );
        assert_eq!(
            nearby(&v(&["go", "test", "./pkg", "-run", "^TestX$"])),
            Some(v(&["go", "test", "./pkg"]))
        );
        assert_eq!(
            nearby(&v(&["cargo", "test", "-p", "c", "name", "--", "--exact"])),
            Some(v(&["cargo", "test", "-p", "c", "name"]))
        );
        assert_eq!(nearby(&v(&["sh", "run.sh"])), None);
    }
}
