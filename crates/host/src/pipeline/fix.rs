//! Fix: a `fix/<slug>` worktree at the run's base, the reproduction test brought
//! in, the agent's attempts verified by the strategy (the same instance that
//! reproduced), the test removed again, then commit. The user's checkout is
//! never touched. What verification means is the strategy's to say: the host
//! passes on its claim and never restates its policy.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cifix_model::{FailureReport, Fix, FixAttempt, PhaseStatus, Reproduction, Status};

use super::reproduce::{call_limits, context, prompt_vars};
use super::{Recorder, RunOptions, Services};
use crate::capabilities::Request;
use crate::capabilities::agent::{Agent, AgentTask};
use crate::capabilities::process::{self, Spec};
use crate::config::info::Info;
use crate::sandbox::{HostConfig, StrategySession};
use crate::vcs::{Auth, Base, FixOptions, FixWorktree, Repo};

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

/// What the fix phase works from.
pub struct Input<'a> {
    /// The request.
    pub info: &'a Info,
    /// The user's repository.
    pub repo: &'a Repo,
    /// The run's base (where the reproduction ran).
    pub base: &'a Base,
    /// Git credentials.
    pub auth: &'a Auth,
    /// The diagnosis.
    pub diagnosis: &'a FailureReport,
    /// The reproduction to verify against.
    pub reproduction: &'a Reproduction,
    /// The failure folder.
    pub failure_dir: &'a Path,
    /// The agent.
    pub agent: Arc<dyn Agent>,
    /// Options.
    pub options: &'a RunOptions,
}

/// The files the reproduction brings into the fix branch: the user's test
/// when it is not in the base commit, and any test the strategy wrote into
/// `<failure>/tests/` (except `command`), placed under `cifix-repro/`.
fn bring_test(
    wt: &FixWorktree,
    info: &Info,
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

/// The fix phase, recorded: returns the worktree of a verified, committed fix.
pub fn phase(
    rec: &mut Recorder<'_>,
    session: &mut StrategySession<'_>,
    svc: &Services,
    i: Input<'_>,
) -> anyhow::Result<Option<FixWorktree>> {
    let _span = tracing::info_span!("phase.fix").entered();
    let t = rec.start("fix");
    let started = Instant::now();
    let budget = i.options.fix_budget.max(Duration::from_secs(1));
    let label = i
        .failure_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut wt = match i.repo.start_fix_at(
        &FixOptions {
            slug: rec.report.title.clone(),
            remote: Some(i.base.remote.clone()),
            base: Some(i.base.branch.clone()),
            label: Some(label.clone()),
        },
        i.base,
        i.auth,
    ) {
        Ok(wt) => wt,
        Err(e) => {
            rec.record("fix", t, PhaseStatus::Failed, format!("fix branch: {e}"));
            rec.next(format!("The fix branch could not be made: {e}"));
            return Ok(None);
        }
    };
    tracing::info!("fix branch {} in {}", wt.branch(), wt.path().display());
    let mut log = vec![format!(
        "branch `{}` from `{}` ({})",
        wt.branch(),
        wt.base(),
        wt.base_oid()
    )];
    let title = rec.report.title.clone();
    let added = bring_test(&wt, i.info, i.repo.workdir(), i.failure_dir)?;
    let mut fix = Fix::default();
    let trailers = [("Cifix-Failure", label.as_str())];
    if !added.is_empty() {
        let refs: Vec<&Path> = added.iter().map(PathBuf::as_path).collect();
        let oid = wt.commit(&format!("test: reproduce {title}"), &trailers, &refs)?;
        fix.commits.push(oid.to_string()[..10].to_string());
        log.push(format!(
            "added the reproduction test: {}",
            added
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let plugin = session.plugin();
    let grants = plugin.grants(&svc.user_grant(plugin.name()));
    let ctx = context(i.info, i.diagnosis, &i.options.reproduce);
    let mut vars = prompt_vars(&ctx, wt.path());
    vars.push(("branch".into(), wt.branch().to_string()));
    vars.push(("command".into(), i.reproduction.command.join(" ")));
    vars.push((
        "verification".into(),
        format!(
            "cifix re-runs `{}` through the `{}` strategy's own verification; the fix counts only when it passes",
            i.reproduction.command.join(" "),
            plugin.name()
        ),
    ));
    let mut feedback = String::new();
    let mut any_change = false;
    let mut end = FixEnd::NoProgress;
    fix.claim = "not verified".into();
    while fix.attempts < i.options.max_attempts.max(1) {
        let left = budget.saturating_sub(started.elapsed());
        if left < Duration::from_secs(1) {
            end = if any_change {
                FixEnd::OutOfBudget
            } else {
                FixEnd::NoProgress
            };
            log.push("the fix budget ran out".into());
            break;
        }
        fix.attempts += 1;
        let n = fix.attempts;
        let attempt_started = Instant::now();
        let mut v = vars.clone();
        v.push(("feedback".into(), feedback.clone()));
        let task = AgentTask {
            template: "implement-fix".into(),
            instructions: String::new(),
            budget: left,
            vars: v,
        };
        let out = i
            .agent
            .run(&task, wt.path())
            .map_err(|e| anyhow::anyhow!("agent: {e}"))?;
        let changed: Vec<String> = out
            .changed_files
            .iter()
            .filter(|f| *f != "CIFIX_NOTES.md")
            .cloned()
            .collect();
        log.push(format!(
            "attempt {n}: agent {} and changed {} file(s)",
            if out.completed { "finished" } else { "stopped" },
            changed.len()
        ));
        let mut attempt = FixAttempt {
            number: n,
            agent_completed: out.completed,
            changed_files: changed.clone(),
            verification: None,
            seconds: 0.0,
        };
        if changed.is_empty() {
            feedback =
                "\n## Previous attempt\nYou changed no files. The reproduction still fails.\n"
                    .into();
            attempt.seconds = attempt_started.elapsed().as_secs_f64();
            fix.attempt_log.push(attempt);
            if started.elapsed() >= budget {
                break;
            }
            continue;
        }
        any_change = true;
        let max_call = budget
            .saturating_sub(started.elapsed())
            .max(Duration::from_secs(5));
        let cfg = HostConfig {
            grants: grants.clone(),
            repo: Some(wt.path().to_path_buf()),
            failure: Some(i.failure_dir.to_path_buf()),
            agent: None,
            max_call,
            prompt_vars: Vec::new(),
        };
        session.configure(cfg, call_limits(svc.limits, max_call));
        let mut vctx = ctx.clone();
        vctx.budget_ms = max_call.as_millis() as u64;
        let verdict = session.verify(&vctx, i.reproduction)?;
        fix.claim = verdict.claim.clone();
        log.push(format!(
            "attempt {n}: verification {}: {}",
            if verdict.passed { "passed" } else { "failed" },
            verdict.claim
        ));
        let passed = verdict.passed;
        attempt.verification = Some(verdict);
        attempt.seconds = attempt_started.elapsed().as_secs_f64();
        fix.attempt_log.push(attempt);
        if passed {
            end = FixEnd::Verified;
            break;
        }
        feedback = format!(
            "\n## Previous attempt\nVerification failed: {}. Try again.\n",
            fix.claim
        );
        end = if started.elapsed() >= budget {
            FixEnd::OutOfBudget
        } else {
            FixEnd::NoProgress
        };
    }
    if end == FixEnd::NoProgress && any_change && started.elapsed() >= budget {
        end = FixEnd::OutOfBudget;
    }
    let notes_path = wt.path().join("CIFIX_NOTES.md");
    let root_cause = std::fs::read_to_string(&notes_path)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let _ = std::fs::remove_file(&notes_path);
    rec.report.root_cause = root_cause.clone();
    fix.verified = end == FixEnd::Verified;
    let worktree = if fix.verified {
        if let Some(cmd) = nearby(&i.reproduction.command) {
            // A command taken from the plugin's record: it passes the plugin's own grant check.
            let (program, args) = (cmd[0].as_str(), &cmd[1..]);
            match grants.check(Request::Exec { program, args }) {
                Err(d) => {
                    fix.nearby_tests = Some(format!("`{}`: not run: {d}", cmd.join(" ")));
                }
                Ok(()) => {
                    let spec = Spec {
                        program: program.to_string(),
                        args: args.to_vec(),
                        cwd: i.reproduction.cwd.clone(),
                        env: Vec::new(),
                        timeout: budget
                            .saturating_sub(started.elapsed())
                            .max(Duration::from_secs(30)),
                    };
                    let r = process::run(wt.path(), &spec, None)?;
                    let ok = r.exit_code == Some(0);
                    fix.nearby_tests = Some(format!(
                        "`{}`: {}",
                        cmd.join(" "),
                        if ok { "passed" } else { "FAILED" }
                    ));
                    if !ok {
                        std::fs::write(i.failure_dir.join("regression.log"), &r.output)?;
                        rec.next(format!(
                            "Nearby tests fail after the fix (`{}`); review before merging.",
                            cmd.join(" ")
                        ));
                    }
                }
            }
            log.push(format!(
                "nearby tests {}",
                fix.nearby_tests.as_deref().unwrap_or_default()
            ));
        }
        let msg = format!(
            "fix: {title}\n\n{}",
            root_cause
                .as_deref()
                .unwrap_or("Fixed with cifix; see the report in the pull request.")
        );
        let before = wt.base_oid();
        let oid = wt.commit(
            &msg,
            &[
                ("Cifix-Failure", label.as_str()),
                ("Cifix-Verified", fix.claim.as_str()),
            ],
            &[],
        )?;
        fix.commits.push(oid.to_string()[..10].to_string());
        fix.changed_files = diff_names(wt.path(), &before.to_string());
        if !added.is_empty() {
            let refs: Vec<&Path> = added.iter().map(PathBuf::as_path).collect();
            let oid = wt.remove_and_commit(
                &refs,
                "test: remove the reproduction test (kept in the cifix report)",
                &trailers,
            )?;
            fix.commits.push(oid.to_string()[..10].to_string());
            fix.changed_files
                .retain(|f| !added.iter().any(|a| a.display().to_string() == *f));
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
                let _ = std::fs::write(i.failure_dir.join("attempt.patch"), p.stdout);
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
    std::fs::write(i.failure_dir.join("fix.log"), log.join("\n"))?;
    let attempts = fix.attempts;
    match end {
        FixEnd::Verified => rec.record(
            "fix",
            t,
            PhaseStatus::Ok,
            format!("{attempts} attempt(s); {}", fix.claim),
        ),
        FixEnd::NoProgress => {
            rec.record(
                "fix",
                t,
                PhaseStatus::Failed,
                format!("{attempts} attempt(s) without a verified fix"),
            );
            rec.next("The agent made no verified progress; the branch was removed. Read the failure folder's README and fix.log, then fix by hand or rerun with more budget or another agent.");
        }
        FixEnd::OutOfBudget => {
            rec.report.status = Status::Partial;
            rec.record(
                "fix",
                t,
                PhaseStatus::Failed,
                format!(
                    "budget of {}s spent after {attempts} attempt(s)",
                    budget.as_secs()
                ),
            );
            rec.next(format!(
                "The fix budget ran out with changes that did not verify; the last attempt is saved as {}. Continue from it, or rerun with a larger --fix-budget-secs.",
                i.failure_dir.join("attempt.patch").display()
            ));
        }
    }
    if let Some(w) = &worktree {
        rec.report.branch = Some(w.branch().to_string());
    }
    rec.report.fix = Some(fix);
    Ok(worktree)
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
