//! Parse phase: every log through the parser plugin, failures merged and
//! ranked (highest score first; ties keep log order).

use std::path::{Path, PathBuf};

use crate::capabilities::input::Input;
use crate::plugins::{self, Limits, ParserSession, PluginError, wit};

/// Failures from several logs, with the log each came from.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub failures: Vec<(PathBuf, wit::Failure)>,
    pub reports: Vec<(PathBuf, wit::Report)>,
}

impl Parsed {
    /// Just the failures, most likely first.
    pub fn ranked(&self) -> Vec<wit::Failure> {
        self.failures.iter().map(|(_, f)| f.clone()).collect()
    }
}

/// Parse the given log files with the parser `strategy`.
pub fn parse_files(
    strategy: &str,
    files: &[PathBuf],
    limits: Limits,
) -> Result<Parsed, anyhow::Error> {
    let _span = tracing::info_span!("phase.parse").entered();
    let plugin = plugins::load(strategy)?;
    let mut session = ParserSession::open(&plugin, limits)?;
    let mut reports = Vec::new();
    for f in files {
        let file = std::fs::File::open(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
        let input = Input::new(
            f.display().to_string(),
            std::io::BufReader::with_capacity(1 << 20, file),
        );
        let r: Result<wit::Report, PluginError> = session.parse(input);
        reports.push((f.clone(), r?));
    }
    let mut failures: Vec<(PathBuf, wit::Failure)> = reports
        .iter()
        .flat_map(|(p, r)| r.failures.iter().map(move |f| (p.clone(), f.clone())))
        .collect();
    failures.sort_by(|a, b| {
        b.1.score
            .partial_cmp(&a.1.score)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(Parsed { failures, reports })
}

/// Save raw log text as `logs/raw.log` in the failure folder.
pub fn save_raw(failure_dir: &Path, text: &str) -> std::io::Result<PathBuf> {
    let p = failure_dir.join("logs").join("raw.log");
    std::fs::create_dir_all(p.parent().unwrap())?;
    std::fs::write(&p, text)?;
    Ok(p)
}

/// The JSON contract of `parse-logs --json` (documented in the README).
pub fn report_json(r: &wit::Report) -> serde_json::Value {
    serde_json::json!({
        "format": r.format,
        "lines": r.lines,
        "bytes": r.bytes,
        "failures": r.failures.iter().map(failure_json).collect::<Vec<_>>(),
    })
}

/// One failure as JSON.
pub fn failure_json(f: &wit::Failure) -> serde_json::Value {
    serde_json::json!({
        "kind": kind_name(f.kind),
        "framework": f.framework,
        "test": f.test,
        "file": f.file,
        "line": f.line,
        "message": f.message,
        "signature": f.signature,
        "rerun": f.rerun,
        "step": f.step,
        "flaky_signals": f.flaky_signals,
        "score": f.score,
        "excerpt": {
            "start_line": f.excerpt.start_line,
            "end_line": f.excerpt.end_line,
            "text": f.excerpt.text,
        },
    })
}

/// The kebab-case name of a failure kind.
pub fn kind_name(k: wit::FailureKind) -> &'static str {
    use wit::FailureKind as K;
    match k {
        K::TestFailure => "test-failure",
        K::CompileError => "compile-error",
        K::Dependency => "dependency",
        K::Lint => "lint",
        K::Timeout => "timeout",
        K::Crash => "crash",
        K::Infrastructure => "infrastructure",
        K::Unknown => "unknown",
    }
}
