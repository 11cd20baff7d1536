//! Failure extraction from CI logs.
//!
//! The crate is pure Rust: no I/O, no threads, no global state, so it builds
//! natively and for `wasm32-wasip2`. Feed a log to a [`Parser`] in chunks of
//! any size (chunks may split lines and UTF-8 sequences), then call
//! [`Parser::finish`] to get a [`Report`] whose failures are ranked most
//! likely root cause first. Memory stays bounded by the context window and the
//! candidate set, never by the size of the input.
//!
//! Line numbers in excerpts are 1-based and, by default, follow universal
//! newlines: `\n`, `\r\n` and a lone `\r` each end one line (as Python's
//! `open()` and most editors count them), so a consumer can slice the original
//! file with them. [`Options::cr_newlines`]` = false` numbers by `\n` only. Excerpt *text* is the
//! cleaned, visible text: ANSI escapes, GitHub Actions timestamps and text
//! overwritten by `\r` progress updates are removed.

// Nested `if let`s read better than long let-chains in the recognisers.
#![allow(clippy::collapsible_if)]

use serde::{Deserialize, Serialize};

mod clean;
mod detect;
mod junit;
mod norm;
mod parser;
mod quiet;
mod text;

pub use norm::signature;
pub use parser::{Options, Parser};

/// What went wrong, broadly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A test ran and failed (assertion, error inside a test).
    TestFailure,
    /// The code did not compile or type-check.
    CompileError,
    /// A dependency could not be resolved, downloaded or loaded.
    Dependency,
    /// A linter, formatter or style checker complained.
    Lint,
    /// Something ran out of time or stopped producing output.
    Timeout,
    /// A process crashed: panic, uncaught exception, signal, sanitizer.
    Crash,
    /// The CI machinery, network or environment failed.
    Infrastructure,
    /// An error that fits none of the above.
    Unknown,
}

/// The smallest block of the log that shows why it failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Excerpt {
    /// 1-based, inclusive.
    pub start_line: u64,
    /// 1-based, inclusive.
    pub end_line: u64,
    /// The cleaned text of lines `start_line..=end_line`, joined by `\n`.
    pub text: String,
}

/// One failure found in a log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// Broad category of the failure.
    pub kind: Kind,
    /// Test framework, compiler or tool that reported it (`pytest`, `rustc`, ...).
    pub framework: Option<String>,
    /// Identifier of the failing test, as the framework names it.
    pub test: Option<String>,
    /// Source file named by the failure, as written in the log.
    pub file: Option<String>,
    /// Line in `file`, where named.
    pub line: Option<u32>,
    /// The most telling line of the failure.
    pub message: String,
    /// `message` normalised (numbers, addresses, temporary paths, times and
    /// ids masked) so the same failure in two runs compares equal.
    pub signature: String,
    /// Command that re-runs just the failing test, where derivable.
    pub rerun: Option<String>,
    /// The CI step the failure happened in (GitHub Actions `##[group]Run ...`,
    /// Travis `$ command`).
    pub step: Option<String>,
    /// Evidence the failure may be intermittent (`timeout`, `network`, `oom`, ...).
    pub flaky_signals: Vec<String>,
    /// Higher is more likely to be the root cause; failures are sorted by it.
    pub score: f64,
    /// The block of the log that shows the failure.
    pub excerpt: Excerpt,
}

/// Everything found in one log, failures ranked most likely cause first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Detected log format: `github-actions`, `travis`, `gitlab`, `jenkins`,
    /// `junit-xml` or `plain`.
    pub format: String,
    /// Number of lines in the input (a final line without a line break
    /// counts); see [`Options::cr_newlines`] for what ends a line.
    pub lines: u64,
    /// Number of bytes in the input.
    pub bytes: u64,
    /// Failures, most likely root cause first.
    pub failures: Vec<Failure>,
}

/// Parse a whole log held in memory: `Parser::new(Options::default())`,
/// one `feed`, then `finish`.
pub fn parse_bytes(input: &[u8]) -> Report {
    let mut p = Parser::new(Options::default());
    p.feed(input);
    p.finish()
}
