//! `cifix validate`: the smoke test. Checks everything `run` needs and
//! changes nothing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;
use serde_json::{Map, Value};

use super::Env;
use cifix_host::config::info::{self, Info, LogSource};
use cifix_host::sandbox;

/// The failure, from `--info` and/or flags (flags win over the file).
#[derive(Debug, Args, Clone)]
pub struct InfoArgs {
    /// Path to info.json [default: ./info.json when no field flags are given].
    #[arg(long, value_name = "FILE")]
    pub info: Option<PathBuf>,
    /// The target repository [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// info.json `prompt`: what is wrong / what to fix.
    #[arg(long)]
    pub prompt: Option<String>,
    /// info.json `deterministic`: true if the failure happens every time.
    #[arg(long, value_name = "BOOL")]
    pub deterministic: Option<bool>,
    /// info.json `url`: a GitHub Actions run or job URL.
    #[arg(long)]
    pub url: Option<String>,
    /// info.json `raw-logs`: the failing log's text (`@FILE` reads a file).
    #[arg(long, value_name = "TEXT|@FILE")]
    pub raw_logs: Option<String>,
    /// info.json `existing-test-path`: a test that already reproduces the failure.
    #[arg(long, value_name = "PATH")]
    pub existing_test_path: Option<String>,
}

impl InfoArgs {
    fn overrides(&self) -> anyhow::Result<Map<String, Value>> {
        let mut m = Map::new();
        if let Some(p) = &self.prompt {
            m.insert("prompt".into(), Value::String(p.clone()));
        }
        if let Some(d) = self.deterministic {
            m.insert("deterministic".into(), Value::Bool(d));
        }
        if let Some(u) = &self.url {
            m.insert("url".into(), Value::String(u.clone()));
        }
        if let Some(r) = &self.raw_logs {
            let text = match r.strip_prefix('@') {
                Some(path) => std::fs::read_to_string(path).map_err(|e| {
                    super::UsageError(format!("--raw-logs @{path}: cannot read it: {e}"))
                })?,
                None => r.clone(),
            };
            m.insert("raw-logs".into(), Value::String(text));
        }
        if let Some(t) = &self.existing_test_path {
            m.insert("existing-test-path".into(), Value::String(t.clone()));
        }
        Ok(m)
    }

    /// The repository folder.
    pub fn repo(&self) -> PathBuf {
        super::repo_dir(&self.repo)
    }

    /// Load and validate; prints warnings to stderr.
    pub fn load(&self) -> anyhow::Result<Info> {
        let overrides = self.overrides()?;
        let path = match &self.info {
            Some(p) => Some(p.clone()),
            None if overrides.is_empty() => Some(info::default_path()),
            None => {
                let d = info::default_path();
                d.exists().then_some(d)
            }
        };
        let info = info::load(path.as_deref(), overrides, &self.repo())?;
        for w in &info.warnings {
            tracing::warn!("{w}");
        }
        Ok(info)
    }
}

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub info: InfoArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// One check's result.
#[derive(Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    /// A failed check that does not block `run` is a warning.
    pub required: bool,
    pub detail: String,
}

fn check(name: &str, ok: bool, required: bool, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        ok,
        required,
        detail: detail.into(),
    }
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    })
}

fn git_repo(dir: &Path) -> Result<PathBuf, String> {
    let mut d = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    loop {
        if d.join(".git").exists() {
            return Ok(d);
        }
        if !d.pop() {
            return Err(format!(
                "{} is not inside a git repository (run cifix in your project, or pass --repo)",
                dir.display()
            ));
        }
    }
}

/// Run every check.
pub fn checks(a: &InfoArgs) -> (Option<Info>, Vec<Check>) {
    let mut out = Vec::new();
    let info = match a.load() {
        Ok(i) => {
            let src = match &i.logs {
                LogSource::Url(u) => format!("url {u}"),
                LogSource::RawLogs(r) => format!("raw-logs ({} bytes)", r.len()),
                LogSource::None => "no logs".into(),
            };
            let test = i
                .existing_test_path
                .as_ref()
                .map(|t| format!(", existing test {t}"))
                .unwrap_or_default();
            out.push(check(
                "info.json",
                true,
                true,
                format!("deterministic={}, {src}{test}", i.deterministic),
            ));
            for w in &i.warnings {
                out.push(check("info.json", false, false, w.clone()));
            }
            Some(i)
        }
        Err(e) => {
            out.push(check("info.json", false, true, format!("{e:#}")));
            None
        }
    };
    match git_repo(&a.repo()) {
        Ok(root) => out.push(check(
            "git repository",
            true,
            true,
            root.display().to_string(),
        )),
        Err(e) => out.push(check("git repository", false, true, e)),
    }
    match on_path("git") {
        Some(p) => out.push(check("tool: git", true, true, p.display().to_string())),
        None => out.push(check(
            "tool: git",
            false,
            true,
            "git is not on PATH; install git",
        )),
    }
    for (name, _) in sandbox::BUILTINS {
        match sandbox::load(name) {
            Ok(p) => out.push(check(
                &format!("plugin: {name}"),
                true,
                true,
                format!(
                    "{} api {} ({:.0} ms, {})",
                    p.manifest.world.name(),
                    p.manifest.api,
                    p.load_time.as_secs_f64() * 1e3,
                    if p.origin == sandbox::cache::Origin::Cached {
                        "cached"
                    } else {
                        "compiled"
                    }
                ),
            )),
            Err(e) => out.push(check(
                &format!("plugin: {name}"),
                false,
                true,
                e.to_string(),
            )),
        }
    }
    let agents: Vec<String> = cifix_host::agents::detect()
        .into_iter()
        .map(|(n, p)| match p {
            Some(p) => format!("{n} ({})", p.display()),
            None => format!("{n} (not installed)"),
        })
        .collect();
    let any_agent = cifix_host::agents::detect()
        .iter()
        .any(|(_, p)| p.is_some());
    out.push(check(
        "coding agents",
        any_agent,
        false,
        format!("{}; manual and --agent-cmd always work", agents.join(", ")),
    ));
    let token = ["GITHUB_TOKEN", "GH_TOKEN"]
        .into_iter()
        .find(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
    let needs_token = info
        .as_ref()
        .is_some_and(|i| matches!(i.logs, LogSource::Url(_)));
    match token {
        Some(v) => out.push(check("GitHub token", true, false, format!("from {v}"))),
        None => out.push(check(
            "GitHub token",
            false,
            false,
            if needs_token {
                "no GITHUB_TOKEN or GH_TOKEN: public repositories work at 60 requests/hour; private ones and PRs need a token"
            } else {
                "no GITHUB_TOKEN or GH_TOKEN (needed to fetch private logs and to open the PR)"
            },
        )),
    }
    (info, out)
}

/// Run `validate`.
pub fn run(env: &Env, a: ValidateArgs) -> anyhow::Result<ExitCode> {
    let _span = tracing::info_span!("validate").entered();
    let _ = env;
    let (_, checks) = checks(&a.info);
    let failed = checks.iter().any(|c| c.required && !c.ok);
    if a.json {
        crate::out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"ok": !failed, "checks": checks}))?
        );
    } else {
        for c in &checks {
            let mark = if c.ok {
                "✓"
            } else if c.required {
                "✗"
            } else {
                "!"
            };
            crate::out!("{mark} {:<30} {}", c.name, c.detail);
        }
        crate::out!("{}", if failed { "validation failed" } else { "ready" });
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
