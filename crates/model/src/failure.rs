//! What the diagnosis finds in a CI log: the failures, ranked.

use crate::model;

model! {
    /// What kind of failure failed the job.
    #[derive(Copy, Eq, Hash, Default)]
    #[serde(rename_all = "kebab-case")]
    pub enum FailureKind {
        /// A test ran and failed.
        TestFailure,
        /// The code did not compile.
        CompileError,
        /// Installing or resolving dependencies failed.
        Dependency,
        /// A linter or formatter check failed.
        Lint,
        /// A step or test ran out of time.
        Timeout,
        /// A process crashed (signal, panic outside a test, out of memory).
        Crash,
        /// The CI machine or service failed (network, disk, runner).
        Infrastructure,
        /// Something failed, but not recognisably one of the above.
        #[default]
        Unknown,
    }
}

impl FailureKind {
    /// Every kind, in declaration order.
    pub const ALL: [FailureKind; 8] = [
        FailureKind::TestFailure,
        FailureKind::CompileError,
        FailureKind::Dependency,
        FailureKind::Lint,
        FailureKind::Timeout,
        FailureKind::Crash,
        FailureKind::Infrastructure,
        FailureKind::Unknown,
    ];

    /// The kebab-case name, as in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            FailureKind::TestFailure => "test-failure",
            FailureKind::CompileError => "compile-error",
            FailureKind::Dependency => "dependency",
            FailureKind::Lint => "lint",
            FailureKind::Timeout => "timeout",
            FailureKind::Crash => "crash",
            FailureKind::Infrastructure => "infrastructure",
            FailureKind::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for FailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

model! {
    /// Lines of the log that show a failure.
    #[derive(Default)]
    pub struct Excerpt {
        /// First line, 1-based, inclusive.
        pub start_line: u64,
        /// Last line, 1-based, inclusive.
        pub end_line: u64,
        /// The lines, cleaned of timestamps and colour codes.
        pub text: String,
    }
}

model! {
    /// One failure found in a log.
    #[derive(Default)]
    pub struct Failure {
        /// What kind of failure.
        pub kind: FailureKind,
        /// The test framework or tool that reported it (pytest, jest, rustc, ...).
        #[serde(default)]
        pub framework: Option<String>,
        /// The failing test's id as its framework names it.
        #[serde(default)]
        pub test: Option<String>,
        /// The source file the failure points at.
        #[serde(default)]
        pub file: Option<String>,
        /// The line in that file.
        #[serde(default)]
        pub line: Option<u32>,
        /// The error message.
        pub message: String,
        /// The message normalised so the same failure in two runs compares equal.
        pub signature: String,
        /// A command that re-runs just this test, where derivable.
        #[serde(default)]
        pub rerun: Option<String>,
        /// The CI step the failure happened in.
        #[serde(default)]
        pub step: Option<String>,
        /// Evidence that the failure may be intermittent.
        #[serde(default)]
        pub flaky_signals: Vec<String>,
        /// The parser's confidence that this failure failed the job (higher first).
        #[serde(default)]
        pub score: f64,
        /// The log lines that show it.
        #[serde(default)]
        pub excerpt: Excerpt,
        /// The log it came from (a file name, `-`, or `ZIP!ENTRY`), when several were parsed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub log: Option<String>,
    }
}

model! {
    /// One log as the parser saw it.
    pub struct LogReport {
        /// The log's name: a file, `-`, or `ZIP!ENTRY`.
        pub log: String,
        /// The detected format (`github-actions`, `travis`, `junit-xml`, `plain`, ...).
        pub format: String,
        /// Lines read.
        pub lines: u64,
        /// Bytes read.
        pub bytes: u64,
        /// Failures found in it.
        pub failures: usize,
    }
}

model! {
    /// Everything the diagnosis found, over all logs of a run: `parse-logs --json`.
    #[derive(Default)]
    pub struct FailureReport {
        /// `zip` for an archive, else the one log's format.
        pub format: String,
        /// Lines over all logs.
        pub lines: u64,
        /// Bytes over all logs.
        pub bytes: u64,
        /// Each log parsed, in parse order.
        #[serde(default)]
        pub logs: Vec<LogReport>,
        /// The failures, most likely cause first; ties keep log order.
        pub failures: Vec<Failure>,
    }
}

impl FailureReport {
    /// Merge per-log results: failures ranked by score, ties in log order.
    pub fn merge(format: String, logs: Vec<(LogReport, Vec<Failure>)>) -> FailureReport {
        let mut failures: Vec<Failure> = Vec::new();
        let mut out_logs = Vec::with_capacity(logs.len());
        for (l, fs) in logs {
            failures.extend(fs.into_iter().map(|mut f| {
                f.log = Some(l.log.clone());
                f
            }));
            out_logs.push(l);
        }
        failures.sort_by(|a, b| {
            b.score
                .partial_cmp(&a.score)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        FailureReport {
            format,
            lines: out_logs.iter().map(|l| l.lines).sum(),
            bytes: out_logs.iter().map(|l| l.bytes).sum(),
            logs: out_logs,
            failures,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_match_serde() {
        for k in FailureKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.name());
        }
    }

    #[test]
    fn merge_ranks_by_score_and_keeps_log_order_on_ties() {
        let f = |m: &str, score| Failure {
            message: m.into(),
            score,
            ..Failure::default()
        };
        let log = |n: &str, failures| LogReport {
            log: n.into(),
            format: "plain".into(),
            lines: 10,
            bytes: 100,
            failures,
        };
        let r = FailureReport::merge(
            "zip".into(),
            vec![
                (log("a", 2), vec![f("a1", 1.0), f("a2", 5.0)]),
                (log("b", 1), vec![f("b1", 1.0)]),
            ],
        );
        let order: Vec<&str> = r.failures.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(order, ["a2", "a1", "b1"]);
        assert_eq!(r.failures[2].log.as_deref(), Some("b"));
        assert_eq!((r.lines, r.bytes), (20, 200));
    }
}
