//! Failure extraction from CI logs. (Being written: see the log-parser issue.)

use serde::{Deserialize, Serialize};

/// What went wrong, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    TestFailure,
    CompileError,
    Dependency,
    Lint,
    Timeout,
    Crash,
    Infrastructure,
    Unknown,
}

/// The smallest block of the log that shows why it failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Excerpt {
    /// 1-based, inclusive.
    pub start_line: u64,
    /// 1-based, inclusive.
    pub end_line: u64,
    pub text: String,
}

/// One failure found in a log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: Kind,
    pub framework: Option<String>,
    pub test: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub message: String,
    pub signature: String,
    pub rerun: Option<String>,
    pub step: Option<String>,
    pub flaky_signals: Vec<String>,
    pub score: f64,
    pub excerpt: Excerpt,
}

/// Everything found in one log, failures ranked most likely cause first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format: String,
    pub lines: u64,
    pub bytes: u64,
    pub failures: Vec<Failure>,
}
