//! The Markdown report (`<stamp>_<slug>.md`), rendered with
//! `outputs/TEMPLATE_report.md` from the finished [`RunReport`], and its JSON
//! sidecar (`.json`, the [`RunReport`] itself).

use std::path::{Path, PathBuf};

use cifix_model::RunReport;

use super::cell;

/// The embedded report template (a copy of `outputs/TEMPLATE_report.md`).
pub const TEMPLATE: &str = include_str!("../../../../outputs/TEMPLATE_report.md");

fn or_dash(s: Option<&str>) -> String {
    s.filter(|s| !s.is_empty()).unwrap_or("-").to_string()
}

/// Render the Markdown report.
pub fn render(r: &RunReport) -> String {
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
            let more = r.failures_found.saturating_sub(1);
            let place = match (&f.file, f.line) {
                (Some(file), Some(l)) => format!("{file}:{l}"),
                (Some(file), None) => file.clone(),
                _ => "-".into(),
            };
            format!(
                "- Kind: {}\n- Test: `{}`\n- Where: `{}`\n- Message: `{}`\n- Signature: `{}`{}",
                f.kind.name(),
                or_dash(f.test.as_deref()),
                place,
                f.message,
                f.signature,
                if f.flaky_signals.is_empty() {
                    String::new()
                } else {
                    format!("\n- Signs of intermittency: {}", f.flaky_signals.join(", "))
                },
            ) + &if more > 0 {
                format!("\n- Other failures in the logs: {more} (see failures.json)")
            } else {
                String::new()
            }
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
        let st = p.status.word();
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
        (None, Some(t)) => format!("existing-test-path (existing test `{t}`)"),
        _ => "raw-logs".to_string(),
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
                .map(|f| f.kind.name().to_string())
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
        (
            "strategy",
            match &r.strategy_id {
                Some(id) if id.source != "builtin" => format!(
                    "{} {} ({}, sha256 {})",
                    id.name,
                    id.version,
                    id.source,
                    &id.sha256[..id.sha256.len().min(12)]
                ),
                _ => format!("{} {}", r.strategy, r.strategy_version),
            },
        ),
        ("agent", or_dash(r.agent.as_deref())),
        ("reproduction", repro),
        ("root_cause", root),
        ("fix", fix),
        ("pull_request", pr),
        ("phases_table", phases),
        ("next_steps", list(&r.next_steps)),
        ("reviewers", list(&reviewers)),
    ];
    crate::agents::prompts::render(TEMPLATE, &vars)
}

/// `<outputs>/<stamp>_<slug>.md` not yet taken.
fn free_path(outputs: &Path, r: &RunReport) -> PathBuf {
    let base = format!("{}_{}", r.started, crate::pipeline::folder::slug(&r.title));
    let mut md = outputs.join(format!("{base}.md"));
    let mut n = 2;
    while md.exists() {
        md = outputs.join(format!("{base}-{n}.md"));
        n += 1;
    }
    md
}

/// Write `<stamp>_<slug>.md` and `.json` into `outputs`, recording both paths in
/// the report; returns the .md path.
pub fn write(outputs: &Path, r: &mut RunReport) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(outputs)?;
    let md = free_path(outputs, r);
    r.report_files.markdown = Some(md.clone());
    r.report_files.json = Some(md.with_extension("json"));
    std::fs::write(md.with_extension("json"), serde_json::to_vec_pretty(r)?)?;
    std::fs::write(&md, render(r))?;
    Ok(md)
}

/// Read a report's JSON sidecar.
pub fn read(path: &Path) -> Result<RunReport, ReadError> {
    let text = std::fs::read(path).map_err(|err| ReadError::Io {
        path: path.into(),
        err,
    })?;
    serde_json::from_slice(&text).map_err(|err| ReadError::NotAReport {
        path: path.into(),
        err,
    })
}

/// Why a report could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error("{}: {err}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        err: std::io::Error,
    },
    /// The file is not a cifix report.
    #[error("{}: not a cifix report: {err}", path.display())]
    NotAReport {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        err: serde_json::Error,
    },
}
