//! The `deterministic-minimal` built-in: the cheapest faithful reproduction.
//!
//! 1. The user's existing test, or the failing test's rerun command from the
//!    log report, must fail 3 of 3 times with the expected markers.
//! 2. Otherwise the coding agent writes a minimal test into the failure folder
//!    (`tests/`, with its command line in `tests/command`), which must then
//!    fail 3 of 3 times the same way.
//!
//! Verification of a fix: the reproduction passes `k = 5` consecutive times.

wit_bindgen::generate!({ world: "strategy", path: "../../wit" });

use cifix::strategy::log::{Level, log};
use cifix::strategy::types::{Error, ErrorCode};
use cifix::strategy::{agent, fs, process};
use cifix_sdk::command;
use exports::cifix::strategy::reproducer::{Context, Guest, Reproduction, Verdict};

cifix_sdk::manifest!(
    r#"{"name":"deterministic-minimal","version":"0.1.0","api":"0.1.0","world":"strategy",
"description":"Reproduce a deterministic failure with the smallest faithful test: the failing test's own rerun command, else a minimal test written by the coding agent; verify a fix by 5 consecutive passes.",
"capabilities":["fs-read","fs-write","process:* **","agent"]}"#
);

/// Runs that must all fail for a deterministic reproduction.
const REPRO_RUNS: u32 = 3;
/// Consecutive passes that verify a fix (the seed's rule).
const VERIFY_PASSES: u32 = 5;

struct DeterministicMinimal;

fn err(code: ErrorCode, message: impl Into<String>) -> Error {
    Error {
        code,
        message: message.into(),
    }
}

/// Where the candidate command comes from, for the README.
enum Source {
    ExistingTest(String),
    Rerun(String),
    AgentTest,
}

fn candidate(ctx: &Context) -> Option<(Vec<String>, Source)> {
    if let Some(t) = &ctx.existing_test {
        return command::for_test_file(t).map(|c| (c, Source::ExistingTest(t.clone())));
    }
    let rerun = ctx.failures.first()?.rerun.clone()?;
    let argv = command::split(&rerun)?;
    (!argv.is_empty()).then_some((argv, Source::Rerun(rerun)))
}

fn markers(ctx: &Context) -> Vec<String> {
    match ctx.failures.first() {
        Some(f) => command::expected_markers(f.test.as_deref(), &f.message),
        None => Vec::new(),
    }
}

fn batch(
    argv: &[String],
    cwd: &str,
    runs: u32,
    ctx: &Context,
    expect: Vec<String>,
    stop_on_pass: bool,
) -> process::Batch {
    process::Batch {
        command: process::Command {
            program: argv[0].clone(),
            args: argv[1..].to_vec(),
            cwd: cwd.to_string(),
            env: Vec::new(),
            timeout_ms: (ctx.budget_ms / 2).clamp(1_000, 600_000),
        },
        runs,
        parallel: 1,
        budget_ms: ctx.budget_ms,
        expect,
        stop_after_failures: 0,
        stop_on_pass,
    }
}

struct Tally {
    runs: u32,
    expected: u32,
    other: u32,
    timeouts: u32,
    first_output: Option<String>,
}

fn tally(s: &process::BatchSummary) -> Tally {
    let mut t = Tally {
        runs: s.outcomes.len() as u32,
        expected: 0,
        other: 0,
        timeouts: 0,
        first_output: None,
    };
    for o in &s.outcomes {
        match o {
            process::RunOutcome::FailedExpected => t.expected += 1,
            process::RunOutcome::FailedOther => t.other += 1,
            process::RunOutcome::TimedOut => t.timeouts += 1,
            process::RunOutcome::Passed => {}
        }
    }
    t.first_output = s
        .first_failure_output
        .clone()
        .or_else(|| s.first_other_output.clone());
    t
}

/// Ask the agent for a minimal test; returns the command it wrote down.
fn agent_test(ctx: &Context) -> Result<Vec<String>, Error> {
    let f = ctx.failures.first();
    let instructions = format!(
        "Failure to reproduce: {}\nSignature: {}\nWrite the test under tests/ in this folder and its command line (run from the repository root) in tests/command.",
        f.map(|f| f.message.as_str()).unwrap_or(ctx.prompt.as_str()),
        f.map(|f| f.signature.as_str()).unwrap_or("")
    );
    let out = agent::run(&agent::Task {
        template: "reproduce-deterministic".into(),
        instructions,
        budget_ms: ctx.budget_ms / 2,
    })?;
    log(
        Level::Info,
        &format!(
            "agent finished (completed: {}), changed {:?}",
            out.completed, out.changed_files
        ),
    );
    let bytes = fs::read_file(fs::Root::Failure, "tests/command").map_err(|e| {
        err(
            ErrorCode::NotFound,
            format!("the agent wrote no tests/command: {}", e.message),
        )
    })?;
    let line = String::from_utf8_lossy(&bytes);
    let line = line
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    match command::split(line) {
        Some(argv) if !argv.is_empty() => Ok(argv),
        _ => Err(err(
            ErrorCode::Invalid,
            format!("tests/command is not a command line: {line:?}"),
        )),
    }
}

fn readme(
    ctx: &Context,
    argv: &[String],
    source: &Source,
    t: &Tally,
    reproduced: bool,
    expect: &[String],
) -> String {
    let f = ctx.failures.first();
    let how = match source {
        Source::ExistingTest(p) => format!("the user's existing test `{p}`"),
        Source::Rerun(r) => format!("the failing test's own rerun command from the CI log (`{r}`)"),
        Source::AgentTest => {
            "a minimal test written by the coding agent (see `tests/`)".to_string()
        }
    };
    let mut s = String::new();
    s.push_str("# Reproduction (deterministic-minimal)\n\n");
    s.push_str(&format!(
        "**Reproduced:** {}\n\n",
        if reproduced { "yes" } else { "no" }
    ));
    s.push_str(&format!("## Failure\n\n{}\n\n", ctx.prompt));
    if let Some(f) = f {
        s.push_str(&format!(
            "- Test: `{}`\n- Message: `{}`\n- Signature: `{}`\n\n",
            f.test.as_deref().unwrap_or("-"),
            f.message,
            f.signature
        ));
    }
    s.push_str(&format!(
        "## Command\n\n```sh\n{}\n```\n\nSource: {how}.\n\n",
        argv.join(" ")
    ));
    s.push_str(&format!(
        "## Expected vs actual\n\nExpected: the command fails {REPRO_RUNS} of {REPRO_RUNS} times and its output contains {expect:?}.\n\nActual: {} runs, {} failed as expected, {} failed differently, {} timed out.\n\n",
        t.runs, t.expected, t.other, t.timeouts
    ));
    if let Some(o) = &t.first_output {
        s.push_str(&format!(
            "## Output of the first failing run\n\n```\n{o}\n```\n"
        ));
    }
    s
}

impl Guest for DeterministicMinimal {
    fn reproduce(ctx: Context) -> Result<Reproduction, Error> {
        let expect = markers(&ctx);
        let (mut argv, mut source) = match candidate(&ctx) {
            Some(c) => c,
            None => (agent_test(&ctx)?, Source::AgentTest),
        };
        log(
            Level::Info,
            &format!("trying `{}` {REPRO_RUNS} times", argv.join(" ")),
        );
        // Run the candidate until it passes once, at most REPRO_RUNS times.
        let attempt = |argv: &[String]| -> Result<Tally, Error> {
            Ok(tally(&process::run_batch(&batch(
                argv,
                "",
                REPRO_RUNS,
                &ctx,
                expect.clone(),
                true,
            ))?))
        };
        let mut t = attempt(&argv)?;
        let mut reproduced = t.expected == REPRO_RUNS;
        if !reproduced && !matches!(source, Source::AgentTest) {
            log(
                Level::Info,
                "the direct command did not reproduce; asking the agent for a minimal test",
            );
            if let Ok(a) = agent_test(&ctx) {
                argv = a;
                source = Source::AgentTest;
                t = attempt(&argv)?;
                reproduced = t.expected == REPRO_RUNS;
            }
        }
        let text = readme(&ctx, &argv, &source, &t, reproduced, &expect);
        fs::write_file("README.md", text.as_bytes())?;
        fs::write_file("tests/command", format!("{}\n", argv.join(" ")).as_bytes())?;
        Ok(Reproduction {
            reproduced,
            command: argv,
            cwd: String::new(),
            runs: t.runs,
            failures: t.expected,
            other_failures: t.other,
            timeouts: t.timeouts,
            files: vec!["README.md".into(), "tests/command".into()],
            notes: text,
        })
    }

    fn verify(ctx: Context, repro: Reproduction) -> Result<Verdict, Error> {
        if repro.command.is_empty() {
            return Err(err(ErrorCode::Invalid, "the reproduction has no command"));
        }
        let mut b = batch(
            &repro.command,
            &repro.cwd,
            VERIFY_PASSES,
            &ctx,
            Vec::new(),
            false,
        );
        b.stop_after_failures = 1;
        let t = tally(&process::run_batch(&b)?);
        let failures = t.expected + t.other + t.timeouts;
        let passed = failures == 0 && t.runs == VERIFY_PASSES;
        Ok(Verdict {
            passed,
            runs: t.runs,
            failures,
            claim: if passed {
                format!("the reproduction passed {VERIFY_PASSES} consecutive times")
            } else {
                format!("the reproduction failed {failures} of {} runs", t.runs)
            },
        })
    }
}

export!(DeterministicMinimal);
