//! Coding agents: adapters that turn a task into a command line, run it in a
//! working folder under a time budget, and report what changed.
//!
//! Adapters: `claude` (Claude Code, `claude -p`), `codex` (`codex exec`),
//! `aider` (`aider --message-file`), `manual` (print the task, wait for
//! Enter) and a custom template (`--agent-cmd`) with the placeholders
//! `{prompt_file}`, `{prompt}`, `{workdir}` and `{budget_secs}`.

pub mod prompts;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::capabilities::agent::{Agent, AgentOutcome, AgentTask};
use crate::capabilities::process::{self, Spec};

/// Known agents and their default command templates.
pub const KNOWN: &[(&str, &str)] = &[
    ("claude", "claude -p {prompt} --permission-mode acceptEdits"),
    ("codex", "codex exec --full-auto {prompt}"),
    (
        "aider",
        "aider --yes-always --no-auto-commits --message-file {prompt_file}",
    ),
];

/// A bad agent configuration.
#[derive(Debug, thiserror::Error)]
pub enum AgentConfigError {
    #[error("unknown agent `{0}`: use claude, codex, aider, manual, or --agent-cmd TEMPLATE")]
    Unknown(String),
    #[error("--agent-cmd: {0}")]
    Template(String),
}

/// Which agents are installed (program on PATH), for `validate`.
pub fn detect() -> Vec<(&'static str, Option<PathBuf>)> {
    KNOWN.iter().map(|(name, _)| (*name, which(name))).collect()
}

/// The first executable match for `program` on the user's PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    which::which(program).ok()
}

/// Build the agent the user chose.
pub fn from_choice(
    name: Option<&str>,
    template: Option<&str>,
    transcripts: PathBuf,
) -> Result<Box<dyn Agent>, AgentConfigError> {
    if let Some(t) = template {
        let words = cifix_sdk::command::split(t)
            .ok_or_else(|| AgentConfigError::Template(format!("unbalanced quotes in {t:?}")))?;
        if words.is_empty() {
            return Err(AgentConfigError::Template("empty command".into()));
        }
        return Ok(Box::new(CommandAgent {
            name: "custom".into(),
            template: words,
            transcripts,
        }));
    }
    match name.unwrap_or("manual") {
        "manual" => Ok(Box::new(ManualAgent { transcripts })),
        n => {
            let (_, t) = KNOWN
                .iter()
                .find(|(k, _)| *k == n)
                .ok_or_else(|| AgentConfigError::Unknown(n.into()))?;
            let words = cifix_sdk::command::split(t).expect("built-in templates parse");
            Ok(Box::new(CommandAgent {
                name: n.into(),
                template: words,
                transcripts,
            }))
        }
    }
}

/// Files under `dir` with their modification time and size (skipping `.git`
/// and build folders), to tell what an agent changed.
pub fn snapshot(dir: &Path) -> BTreeMap<String, (SystemTime, u64)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                if !matches!(
                    name.as_ref(),
                    ".git" | "target" | "node_modules" | "__pycache__" | ".pytest_cache" | ".venv"
                ) {
                    stack.push(p);
                }
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.insert(
                    rel.display().to_string(),
                    (
                        meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                        meta.len(),
                    ),
                );
            }
        }
        if out.len() > 200_000 {
            break;
        }
    }
    out
}

/// Paths added, changed or removed between two snapshots.
pub fn changed(
    before: &BTreeMap<String, (SystemTime, u64)>,
    after: &BTreeMap<String, (SystemTime, u64)>,
) -> Vec<String> {
    let mut out: Vec<String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    out.extend(before.keys().filter(|k| !after.contains_key(*k)).cloned());
    out.sort();
    out
}

fn write_task(task: &AgentTask, transcripts: &Path) -> Result<(PathBuf, String), String> {
    let template = prompts::body(&task.template).ok_or_else(|| {
        format!(
            "unknown prompt template `{}` (known: {})",
            task.template,
            prompts::names().join(", ")
        )
    })?;
    // `budget` is always the task's own: callers cannot pass a stale one.
    let mut vars: Vec<(&str, String)> = task
        .vars
        .iter()
        .filter(|(k, _)| k != "budget")
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    vars.push(("budget", format!("{} seconds", task.budget.as_secs())));
    let text = format!(
        "{}\n{}\n",
        prompts::render(&template, &vars),
        task.instructions
    );
    let io = |e: std::io::Error| format!("writing the task file: {e}");
    std::fs::create_dir_all(transcripts).map_err(io)?;
    let n = std::fs::read_dir(transcripts)
        .map(|r| r.count())
        .unwrap_or(0);
    let file = transcripts.join(format!("agent-task-{}.md", n + 1));
    std::fs::write(&file, &text).map_err(io)?;
    Ok((file, text))
}

/// An agent run as an external command.
pub struct CommandAgent {
    name: String,
    template: Vec<String>,
    transcripts: PathBuf,
}

impl Agent for CommandAgent {
    fn name(&self) -> &str {
        &self.name
    }

    fn run(&self, task: &AgentTask, workdir: &Path) -> Result<AgentOutcome, String> {
        let _span = tracing::info_span!("agent", agent = %self.name).entered();
        let (file, text) = write_task(task, &self.transcripts)?;
        let subst = |w: &str| {
            w.replace("{prompt_file}", &file.display().to_string())
                .replace("{workdir}", &workdir.display().to_string())
                .replace("{budget_secs}", &task.budget.as_secs().to_string())
                .replace("{prompt}", &text)
        };
        let argv: Vec<String> = self.template.iter().map(|w| subst(w)).collect();
        let before = snapshot(workdir);
        tracing::info!(
            "running agent `{}` in {} (budget {:?})",
            argv[0],
            workdir.display(),
            task.budget
        );
        let spec = Spec {
            program: argv[0].clone(),
            args: argv[1..].to_vec(),
            cwd: String::new(),
            env: vec![
                ("CIFIX_TASK_FILE".into(), file.display().to_string()),
                ("CIFIX_WORKDIR".into(), workdir.display().to_string()),
                (
                    "CIFIX_BUDGET_SECS".into(),
                    task.budget.as_secs().to_string(),
                ),
            ],
            timeout: task.budget.max(Duration::from_secs(1)),
        };
        let r = process::run(workdir, &spec, None)
            .map_err(|e| format!("agent `{}`: {e}", self.name))?;
        let transcript = file.with_extension("transcript.log");
        let _ = std::fs::write(&transcript, &r.output);
        let changed_files = changed(&before, &snapshot(workdir));
        if r.timed_out {
            tracing::warn!(
                "agent `{}` ran out of its {:?} budget",
                self.name,
                task.budget
            );
        }
        let tail_start = r.output.len().saturating_sub(4000);
        let mut start = tail_start;
        while !r.output.is_char_boundary(start) {
            start += 1;
        }
        Ok(AgentOutcome {
            completed: r.exit_code == Some(0),
            changed_files,
            transcript_tail: r.output[start..].to_string(),
        })
    }
}

/// The seed's behaviour: show the task, let a person do it, wait for Enter.
pub struct ManualAgent {
    transcripts: PathBuf,
}

impl Agent for ManualAgent {
    fn name(&self) -> &str {
        "manual"
    }

    fn run(&self, task: &AgentTask, workdir: &Path) -> Result<AgentOutcome, String> {
        let (file, _) = write_task(task, &self.transcripts)?;
        let before = snapshot(workdir);
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty");
        let Ok(mut tty) = tty else {
            return Err("the manual agent needs a terminal; pass --agent or --agent-cmd".into());
        };
        let _ = writeln!(
            tty,
            "\ncifix: manual step. Task: {}\nWork in: {}\nPress Enter when done (budget {:?})...",
            file.display(),
            workdir.display(),
            task.budget
        );
        let mut line = String::new();
        let _ = std::io::BufReader::new(&mut tty).read_line(&mut line);
        Ok(AgentOutcome {
            completed: true,
            changed_files: changed(&before, &snapshot(workdir)),
            transcript_tail: String::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(template: &str, vars: Vec<(String, String)>, secs: u64) -> AgentTask {
        AgentTask {
            template: template.into(),
            instructions: String::new(),
            budget: Duration::from_secs(secs),
            vars,
        }
    }

    /// The fix prompt once showed the reproduction's budget: a caller's `budget`
    /// value must never win over the task's own.
    #[test]
    fn the_budget_shown_is_the_tasks() {
        let dir = tempfile::tempdir().unwrap();
        let vars = vec![("budget".to_string(), "300 seconds".to_string())];
        let (_, text) = write_task(&task("implement-fix", vars, 77), dir.path()).unwrap();
        assert!(text.contains("Time budget: 77 seconds."), "{text}");
        assert!(!text.contains("300 seconds"), "{text}");
    }

    #[test]
    fn unknown_templates_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = write_task(&task("../../etc/passwd", Vec::new(), 1), dir.path()).unwrap_err();
        assert!(e.contains("unknown prompt template"), "{e}");
    }
}
