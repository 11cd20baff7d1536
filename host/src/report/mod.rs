//! Run reports: a JSON record of every fact (`<stamp>_<slug>.json`) and the
//! Markdown rendered from it with `outputs/TEMPLATE_report.md`.

pub mod stats;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The embedded report template (a copy of `outputs/TEMPLATE_report.md`).
pub const TEMPLATE: &str = include_str!("../../../outputs/TEMPLATE_report.md");

/// Schema version of the JSON sidecar.
pub const SCHEMA: u32 = 1;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Success,
    Partial,
    Failed,
}

impl Status {
    /// ✅ / ⚠️ / ❌
    pub fn icon(self) -> &'static str {
        match self {
            Status::Success => "✅",
            Status::Partial => "⚠️",
            Status::Failed => "❌",
        }
    }
    /// Success / Partial / Failed
    pub fn word(self) -> &'static str {
        match self {
            Status::Success => "Success",
            Status::Partial => "Partial",
            Status::Failed => "Failed",
        }
    }
}

/// How one phase went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseStatus {
    Ok,
    Failed,
    Skipped,
}

/// One phase's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Phase {
    pub name: String,
    pub status: PhaseStatus,
    pub seconds: f64,
    #[serde(default)]
    pub detail: String,
}

/// The failure as parsed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FailureFacts {
    pub kind: String,
    pub test: Option<String>,
    pub message: String,
    pub signature: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub rerun: Option<String>,
    #[serde(default)]
    pub flaky_signals: Vec<String>,
}

/// What the user asked for.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InputFacts {
    pub deterministic: bool,
    pub prompt: String,
    /// url, raw-logs or existing-test-path
    pub source: String,
    pub url: Option<String>,
    pub existing_test_path: Option<String>,
}

/// The reproduction's facts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReproFacts {
    pub reproduced: bool,
    pub command: Vec<String>,
    pub runs: u32,
    pub failures: u32,
    pub rate: f64,
    pub ci95: [f64; 2],
    pub failure_folder: PathBuf,
}

/// The fix's facts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FixFacts {
    pub attempts: u32,
    pub verified: bool,
    /// The verification claim, in words.
    pub claim: String,
    pub changed_files: Vec<String>,
    pub commits: Vec<String>,
}

/// A suggested reviewer and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reviewer {
    pub who: String,
    pub reason: String,
}

/// Everything a run did: the JSON sidecar.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema: u32,
    pub status: Status,
    pub title: String,
    /// `YYYY-MM-DD_HH-MM-SS` (UTC) when the run started.
    pub started: String,
    pub total_seconds: f64,
    pub input: InputFacts,
    pub strategy: String,
    pub strategy_version: String,
    pub agent: Option<String>,
    pub failure: Option<FailureFacts>,
    pub reproduction: Option<ReproFacts>,
    pub root_cause: Option<String>,
    pub fix: Option<FixFacts>,
    pub branch: Option<String>,
    pub pr_url: Option<String>,
    pub phases: Vec<Phase>,
    pub next_steps: Vec<String>,
    pub reviewers: Vec<Reviewer>,
}

fn or_dash(s: Option<&str>) -> String {
    s.filter(|s| !s.is_empty()).unwrap_or("-").to_string()
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Render the Markdown report.
pub fn render(r: &Report) -> String {
    let repro = match &r.reproduction {
        None => "Not attempted.".to_string(),
        Some(p) => format!(
            "- Reproduced: **{}**\n- Command: `{}`\n- Runs: {} — failures with the CI signature: {} (rate {:.3}, 95% Wilson interval [{:.3}, {:.3}])\n- Failure folder: `{}`",
            if p.reproduced { "yes" } else { "no" },
            p.command.join(" "),
            p.runs,
            p.failures,
            p.rate,
            p.ci95[0],
            p.ci95[1],
            p.failure_folder.display()
        ),
    };
    let failure = r
        .failure
        .as_ref()
        .map(|f| {
            let place = match (&f.file, f.line) {
                (Some(file), Some(l)) => format!("{file}:{l}"),
                (Some(file), None) => file.clone(),
                _ => "-".into(),
            };
            format!(
                "- Kind: {}\n- Test: `{}`\n- Where: `{}`\n- Message: `{}`\n- Signature: `{}`{}",
                f.kind,
                or_dash(f.test.as_deref()),
                place,
                f.message,
                f.signature,
                if f.flaky_signals.is_empty() {
                    String::new()
                } else {
                    format!("\n- Signs of intermittency: {}", f.flaky_signals.join(", "))
                }
            )
        })
        .unwrap_or_else(|| "No failure was parsed from logs.".into());
    let root = format!(
        "{}\n\n{}",
        failure,
        r.root_cause
            .as_deref()
            .unwrap_or("The agent left no root-cause notes.")
    );
    let fix = match &r.fix {
        None => "Not attempted.".into(),
        Some(f) => format!(
            "- Attempts: {}\n- Verified: **{}** — {}\n- Files changed: {}\n- Commits: {}",
            f.attempts,
            if f.verified { "yes" } else { "no" },
            f.claim,
            if f.changed_files.is_empty() {
                "none".into()
            } else {
                f.changed_files
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            if f.commits.is_empty() {
                "none".into()
            } else {
                f.commits.join(", ")
            }
        ),
    };
    let pr = match (&r.pr_url, &r.branch) {
        (Some(u), Some(b)) => format!("Draft PR: {u} (branch `{b}`)"),
        (None, Some(b)) => format!("No PR; branch `{b}`."),
        _ => "No PR was opened.".into(),
    };
    let mut phases = String::from("| phase | status | seconds | detail |\n|---|---|---|---|\n");
    for p in &r.phases {
        let st = match p.status {
            PhaseStatus::Ok => "ok",
            PhaseStatus::Failed => "failed",
            PhaseStatus::Skipped => "skipped",
        };
        phases.push_str(&format!(
            "| {} | {st} | {:.1} | {} |\n",
            p.name,
            p.seconds,
            cell(&p.detail)
        ));
    }
    let list = |v: &[String]| {
        if v.is_empty() {
            "- none".to_string()
        } else {
            v.iter()
                .map(|s| format!("- {s}"))
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    let reviewers: Vec<String> = r
        .reviewers
        .iter()
        .map(|x| format!("{} — {}", x.who, x.reason))
        .collect();
    let source = match (&r.input.url, &r.input.existing_test_path) {
        (Some(u), _) => format!("url {u}"),
        (None, Some(t)) => format!("{} (existing test `{t}`)", r.input.source),
        _ => r.input.source.clone(),
    };
    let vars: Vec<(&str, String)> = vec![
        ("status_icon", r.status.icon().into()),
        ("status_word", r.status.word().into()),
        ("title", r.title.clone()),
        ("date", r.started.clone()),
        (
            "failure_kind",
            r.failure
                .as_ref()
                .map(|f| f.kind.clone())
                .unwrap_or_else(|| "-".into()),
        ),
        (
            "signature",
            r.failure
                .as_ref()
                .map(|f| f.signature.clone())
                .unwrap_or_else(|| "-".into()),
        ),
        ("branch", or_dash(r.branch.as_deref())),
        ("pr", or_dash(r.pr_url.as_deref())),
        ("total_seconds", format!("{:.1}", r.total_seconds)),
        ("deterministic", r.input.deterministic.to_string()),
        ("source", cell(&source)),
        ("prompt", cell(&r.input.prompt)),
        ("strategy", format!("{} {}", r.strategy, r.strategy_version)),
        ("agent", or_dash(r.agent.as_deref())),
        ("reproduction", repro),
        ("root_cause", root),
        ("fix", fix),
        ("pull_request", pr),
        ("phases_table", phases),
        ("next_steps", list(&r.next_steps)),
        ("reviewers", list(&reviewers)),
    ];
    crate::agent::prompts::render(TEMPLATE, &vars)
}

/// Write `<stamp>_<slug>.md` and `.json` into `outputs`; returns the .md path.
pub fn write(outputs: &Path, r: &Report) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(outputs)?;
    let base = format!("{}_{}", r.started, crate::phases::folder::slug(&r.title));
    let mut md = outputs.join(format!("{base}.md"));
    let mut n = 2;
    while md.exists() {
        md = outputs.join(format!("{base}-{n}.md"));
        n += 1;
    }
    std::fs::write(md.with_extension("json"), serde_json::to_vec_pretty(r)?)?;
    std::fs::write(&md, render(r))?;
    Ok(md)
}

/// Read a report's JSON sidecar.
pub fn read(path: &Path) -> anyhow::Result<Report> {
    let text = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let r: Report = serde_json::from_slice(&text)
        .map_err(|e| anyhow::anyhow!("{}: not a cifix report: {e}", path.display()))?;
    Ok(r)
}
