//! The `log-parser` built-in: streams its input from the host and returns
//! ranked failures (the logic lives in `cifix-logparse`).

wit_bindgen::generate!({ world: "log-parser", path: "../../wit/since_v0.1.0" });

use cifix::strategy::input;
use cifix::strategy::types::{Error, Excerpt, Failure, FailureKind, Report};
use cifix_logparse as core;

cifix_sdk::manifest!(
    r#"{"name":"log-parser","version":"0.1.0","api":"0.1.0","world":"log-parser",
"description":"Ranked failures (kind, test, file:line, signature, excerpt, rerun command) from CI logs of many frameworks.",
"capabilities":[]}"#
);

/// Chunk size pulled per host call: large enough that call overhead vanishes.
const CHUNK: u32 = 1 << 20;

struct LogParser;

impl exports::cifix::strategy::parser::Guest for LogParser {
    fn parse() -> Result<Report, Error> {
        let mut parser = core::Parser::new(core::Options::default());
        loop {
            let chunk = input::read(CHUNK)?;
            if chunk.is_empty() {
                break;
            }
            parser.feed(&chunk);
        }
        Ok(convert(parser.finish()))
    }
}

fn convert(r: core::Report) -> Report {
    Report {
        format: r.format,
        lines: r.lines,
        bytes: r.bytes,
        failures: r.failures.into_iter().map(convert_failure).collect(),
    }
}

fn convert_failure(f: core::Failure) -> Failure {
    Failure {
        kind: match f.kind {
            core::Kind::TestFailure => FailureKind::TestFailure,
            core::Kind::CompileError => FailureKind::CompileError,
            core::Kind::Dependency => FailureKind::Dependency,
            core::Kind::Lint => FailureKind::Lint,
            core::Kind::Timeout => FailureKind::Timeout,
            core::Kind::Crash => FailureKind::Crash,
            core::Kind::Infrastructure => FailureKind::Infrastructure,
            core::Kind::Unknown => FailureKind::Unknown,
        },
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
        excerpt: Excerpt {
            start_line: f.excerpt.start_line,
            end_line: f.excerpt.end_line,
            text: f.excerpt.text,
        },
    }
}

export!(LogParser);
