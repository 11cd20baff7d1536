//! The one place where WIT bindings meet the domain model: every value crossing the
//! sandbox boundary is converted here, so the rest of the host never touches binding
//! types. One module per WIT version; `cifix:strategy@0.1.0` is the only one so far.

use cifix_model as m;

use super::wit;

/// A failure as a plugin returned it.
pub fn failure(f: wit::Failure) -> m::Failure {
    m::Failure {
        kind: kind(f.kind),
        framework: f.framework,
        test: f.test,
        file: f.file,
        line: f.line,
        message: f.message,
        signature: f.signature,
        rerun: f.rerun,
        step: f.step,
        flaky_signals: f.flaky_signals,
        score: f.score,
        excerpt: m::Excerpt {
            start_line: f.excerpt.start_line,
            end_line: f.excerpt.end_line,
            text: f.excerpt.text,
        },
        log: None,
    }
}

/// A failure as a plugin is given it.
pub fn failure_to_wit(f: &m::Failure) -> wit::Failure {
    wit::Failure {
        kind: kind_to_wit(f.kind),
        framework: f.framework.clone(),
        test: f.test.clone(),
        file: f.file.clone(),
        line: f.line,
        message: f.message.clone(),
        signature: f.signature.clone(),
        rerun: f.rerun.clone(),
        step: f.step.clone(),
        flaky_signals: f.flaky_signals.clone(),
        score: f.score,
        excerpt: wit::Excerpt {
            start_line: f.excerpt.start_line,
            end_line: f.excerpt.end_line,
            text: f.excerpt.text.clone(),
        },
    }
}

/// A failure kind from the plugin.
pub fn kind(k: wit::FailureKind) -> m::FailureKind {
    use wit::FailureKind as K;
    match k {
        K::TestFailure => m::FailureKind::TestFailure,
        K::CompileError => m::FailureKind::CompileError,
        K::Dependency => m::FailureKind::Dependency,
        K::Lint => m::FailureKind::Lint,
        K::Timeout => m::FailureKind::Timeout,
        K::Crash => m::FailureKind::Crash,
        K::Infrastructure => m::FailureKind::Infrastructure,
        K::Unknown => m::FailureKind::Unknown,
    }
}

fn kind_to_wit(k: m::FailureKind) -> wit::FailureKind {
    use wit::FailureKind as K;
    match k {
        m::FailureKind::TestFailure => K::TestFailure,
        m::FailureKind::CompileError => K::CompileError,
        m::FailureKind::Dependency => K::Dependency,
        m::FailureKind::Lint => K::Lint,
        m::FailureKind::Timeout => K::Timeout,
        m::FailureKind::Crash => K::Crash,
        m::FailureKind::Infrastructure => K::Infrastructure,
        m::FailureKind::Unknown => K::Unknown,
    }
}

/// A parser's report on the log named `log`.
pub fn report(log: &str, r: wit::Report) -> (m::LogReport, Vec<m::Failure>) {
    let summary = m::LogReport {
        log: log.to_string(),
        format: r.format,
        lines: r.lines,
        bytes: r.bytes,
        failures: r.failures.len(),
    };
    (summary, r.failures.into_iter().map(failure).collect())
}

/// The context a strategy is given.
pub fn context(c: &m::StrategyContext) -> wit::Context {
    wit::Context {
        prompt: c.prompt.clone(),
        deterministic: c.deterministic,
        failures: c.failures.iter().map(failure_to_wit).collect(),
        existing_test: c.existing_test.clone(),
        budget_ms: c.budget_ms,
        flake_rate: c.flake_rate,
        confidence: c.confidence,
    }
}

/// What a strategy says it reproduced. Rate and interval are the host's to compute;
/// strategy name and failure folder the host's to fill in.
pub fn reproduction(r: wit::Reproduction) -> m::Reproduction {
    m::Reproduction {
        reproduced: r.reproduced,
        command: r.command,
        cwd: r.cwd,
        runs: r.runs,
        failures: r.failures,
        other_failures: r.other_failures,
        timeouts: r.timeouts,
        files: r.files,
        notes: r.notes,
        ..m::Reproduction::default()
    }
}

/// The reproduction handed back to the strategy's `verify`.
pub fn reproduction_to_wit(r: &m::Reproduction) -> wit::Reproduction {
    wit::Reproduction {
        reproduced: r.reproduced,
        command: r.command.clone(),
        cwd: r.cwd.clone(),
        runs: r.runs,
        failures: r.failures,
        other_failures: r.other_failures,
        timeouts: r.timeouts,
        files: r.files.clone(),
        notes: r.notes.clone(),
    }
}

/// A strategy's verdict.
pub fn verification(v: wit::Verdict) -> m::Verification {
    m::Verification {
        passed: v.passed,
        runs: v.runs,
        failures: v.failures,
        claim: v.claim,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_round_trip() {
        let f = m::Failure {
            kind: m::FailureKind::Timeout,
            test: Some("t".into()),
            message: "m".into(),
            signature: "s".into(),
            score: 2.5,
            excerpt: m::Excerpt {
                start_line: 1,
                end_line: 2,
                text: "x".into(),
            },
            ..m::Failure::default()
        };
        assert_eq!(failure(failure_to_wit(&f)), f);
        for k in m::FailureKind::ALL {
            assert_eq!(kind(kind_to_wit(k)), k);
        }
    }

    #[test]
    fn reproductions_round_trip() {
        let r = m::Reproduction {
            reproduced: true,
            command: vec!["pytest".into()],
            cwd: "sub".into(),
            runs: 3,
            failures: 2,
            other_failures: 1,
            files: vec!["tests/x".into()],
            notes: "n".into(),
            ..m::Reproduction::default()
        };
        assert_eq!(reproduction(reproduction_to_wit(&r)), r);
    }
}
