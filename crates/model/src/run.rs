//! One `cifix run`: what was asked, and the finished record of everything it did.

use std::path::PathBuf;

use crate::exit;
use crate::failure::Failure;
use crate::fix::Fix;
use crate::model;
use crate::repro::Reproduction;

model! {
    /// Where the failure's evidence comes from.
    #[derive(Copy, Eq, Default)]
    #[serde(rename_all = "kebab-case")]
    pub enum LogSourceKind {
        /// A GitHub Actions run or job URL; the logs are fetched.
        Url,
        /// Log text given by the user.
        RawLogs,
        /// No logs: a test the user wrote.
        #[default]
        ExistingTestPath,
    }
}

model! {
    /// What the user asked for (from info.json and flags).
    #[derive(Default)]
    pub struct RunRequest {
        /// Whether the failure happens every time.
        pub deterministic: bool,
        /// What is wrong / what to fix.
        pub prompt: String,
        /// Where the evidence comes from.
        pub source: LogSourceKind,
        /// The run or job URL, for `url`.
        #[serde(default)]
        pub url: Option<String>,
        /// The user's test, relative to the repository.
        #[serde(default)]
        pub existing_test_path: Option<String>,
    }
}

model! {
    /// How a run ended.
    #[derive(Copy, Eq, Hash)]
    #[serde(rename_all = "kebab-case")]
    pub enum Status {
        /// A verified fix was published (or the question was answered).
        Success,
        /// Part of the way: a fix that was not published or needs a human.
        Partial,
        /// No verified fix.
        Failed,
    }
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

    /// The command's exit status for this ending.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Success => exit::SUCCESS,
            Status::Partial => exit::PARTIAL,
            Status::Failed => exit::FAILED,
        }
    }
}

model! {
    /// How one phase went.
    #[derive(Copy, Eq)]
    #[serde(rename_all = "kebab-case")]
    pub enum PhaseStatus {
        /// It did its job.
        Ok,
        /// It failed; `detail` says why.
        Failed,
        /// It did not run; `detail` says why.
        Skipped,
    }
}

impl PhaseStatus {
    /// ok / failed / skipped
    pub fn word(self) -> &'static str {
        match self {
            PhaseStatus::Ok => "ok",
            PhaseStatus::Failed => "failed",
            PhaseStatus::Skipped => "skipped",
        }
    }
}

model! {
    /// One phase's record.
    pub struct Phase {
        /// fetch, diagnose, reproduce, fix, publish.
        pub name: String,
        /// How it went.
        pub status: PhaseStatus,
        /// Wall time.
        pub seconds: f64,
        /// What it did, or why it failed or was skipped.
        #[serde(default)]
        pub detail: String,
    }
}

model! {
    /// A suggested reviewer and why.
    pub struct Reviewer {
        /// GitHub handle, name or email.
        pub who: String,
        /// Why (CODEOWNERS rule, history of the touched lines).
        pub reason: String,
    }
}

model! {
    /// Which strategy component ran.
    #[derive(Default)]
    pub struct StrategyId {
        /// Its manifest name.
        pub name: String,
        /// Its manifest version.
        pub version: String,
        /// `builtin`, or the file it was loaded from.
        #[serde(default)]
        pub source: String,
        /// sha256 of the component's bytes.
        #[serde(default)]
        pub sha256: String,
    }
}

model! {
    /// Where the report was written.
    #[derive(Default)]
    pub struct ReportFiles {
        /// The Markdown report.
        pub markdown: Option<PathBuf>,
        /// Its JSON sidecar (this document).
        pub json: Option<PathBuf>,
    }
}

model! {
    /// Everything one run did: the report's JSON sidecar, `cifix run --json`, and what
    /// `cifix stats` reads. Every reporter renders from the finished value.
    pub struct RunReport {
        /// [`crate::SCHEMA_VERSION`] of the writer (1 for reports before the model crate).
        #[serde(alias = "schema")]
        pub schema_version: u32,
        /// How it ended.
        pub status: Status,
        /// The prompt's first line, cut to 72 characters.
        pub title: String,
        /// `YYYY-MM-DD_HH-MM-SS` (UTC) when the run started.
        pub started: String,
        /// Wall time of the whole run.
        pub total_seconds: f64,
        /// What was asked.
        pub input: RunRequest,
        /// The reproduction strategy's name.
        pub strategy: String,
        /// Its version.
        #[serde(default)]
        pub strategy_version: String,
        /// The component that ran, with its hash (absent in version 1).
        #[serde(default)]
        pub strategy_id: Option<StrategyId>,
        /// The coding agent.
        #[serde(default)]
        pub agent: Option<String>,
        /// The failure the run worked on (the top-ranked one).
        #[serde(default)]
        pub failure: Option<Failure>,
        /// How many failures the diagnosis found in all.
        #[serde(default)]
        pub failures_found: usize,
        /// The reproduction.
        #[serde(default)]
        pub reproduction: Option<Reproduction>,
        /// The agent's root-cause notes.
        #[serde(default)]
        pub root_cause: Option<String>,
        /// The fix phase.
        #[serde(default)]
        pub fix: Option<Fix>,
        /// The pushed fix branch.
        #[serde(default)]
        pub branch: Option<String>,
        /// The draft PR.
        #[serde(default)]
        pub pr_url: Option<String>,
        /// Every phase, in order.
        pub phases: Vec<Phase>,
        /// What the user should do next.
        #[serde(default)]
        pub next_steps: Vec<String>,
        /// Suggested reviewers.
        #[serde(default)]
        pub reviewers: Vec<Reviewer>,
        /// Where the report was written (set once it is).
        #[serde(default)]
        pub report_files: ReportFiles,
    }
}

impl RunReport {
    /// A report for a run that is starting.
    pub fn new(input: RunRequest, started: String, strategy: String) -> RunReport {
        RunReport {
            schema_version: crate::SCHEMA_VERSION,
            status: Status::Failed,
            title: crate::text::title(&input.prompt),
            started,
            total_seconds: 0.0,
            input,
            strategy,
            strategy_version: String::new(),
            strategy_id: None,
            agent: None,
            failure: None,
            failures_found: 0,
            reproduction: None,
            root_cause: None,
            fix: None,
            branch: None,
            pr_url: None,
            phases: Vec::new(),
            next_steps: Vec::new(),
            reviewers: Vec::new(),
            report_files: ReportFiles::default(),
        }
    }

    /// The phase named `name`, if it ran or was skipped.
    pub fn phase(&self, name: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report as cifix 0.1 wrote it (schema 1), before the model crate.
    const V1: &str = r#"{
      "schema": 1, "status": "success", "title": "t", "started": "2026-11-30_10-00-00",
      "total_seconds": 5.1,
      "input": {"deterministic": true, "prompt": "p", "source": "raw-logs", "url": null,
                "existing_test_path": null},
      "strategy": "deterministic-minimal", "strategy_version": "0.1.0", "agent": "custom",
      "failure": {"kind": "test-failure", "test": "tests/t.py::test_a", "message": "m",
                  "signature": "s", "file": "tests/t.py", "line": 3, "rerun": "pytest x",
                  "flaky_signals": []},
      "reproduction": {"reproduced": true, "command": ["pytest", "x"], "runs": 3,
                       "failures": 3, "rate": 1.0, "ci95": [0.43, 1.0],
                       "failure_folder": "/tmp/f"},
      "root_cause": null,
      "fix": {"attempts": 1, "verified": true, "claim": "c", "changed_files": ["a.py"],
              "commits": ["abc"]},
      "branch": "fix/t", "pr_url": "http://x/pull/1",
      "phases": [{"name": "reproduce", "status": "ok", "seconds": 1.0, "detail": ""}],
      "next_steps": [], "reviewers": []
    }"#;

    #[test]
    fn reads_version_1_reports() {
        let r: RunReport = serde_json::from_str(V1).unwrap();
        assert_eq!(r.schema_version, 1);
        assert_eq!(r.status, Status::Success);
        assert_eq!(r.input.source, LogSourceKind::RawLogs);
        let f = r.failure.unwrap();
        assert_eq!(f.kind, crate::FailureKind::TestFailure);
        assert_eq!(f.line, Some(3));
        assert_eq!(r.reproduction.unwrap().runs, 3);
        assert!(r.fix.unwrap().verified);
    }

    #[test]
    fn round_trips() {
        let mut r = RunReport::new(
            RunRequest::default(),
            "2026-01-01_00-00-00".into(),
            "s".into(),
        );
        r.phases.push(Phase {
            name: "fetch".into(),
            status: PhaseStatus::Skipped,
            seconds: 0.0,
            detail: "raw logs".into(),
        });
        let back: RunReport = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        assert_eq!(
            serde_json::to_value(&r).unwrap()["schema_version"],
            crate::SCHEMA_VERSION
        );
    }

    #[test]
    fn exit_codes() {
        assert_eq!(Status::Success.exit_code(), 0);
        assert_eq!(Status::Failed.exit_code(), 1);
        assert_eq!(Status::Partial.exit_code(), 3);
    }
}
