//! The `deterministic-minimal` built-in: the cheapest faithful reproduction.
//!
//! 1. The user's existing test, or the failing test's rerun command from the
//!    log report, must fail 3 of 3 times with the expected markers.
//! 2. Otherwise the coding agent writes a minimal test into the failure folder
//!    (`tests/`, with its command line in `tests/command`), which must then
//!    fail 3 of 3 times the same way.
//!
//! Verification of a fix: the SDK's default, the reproduction passes
//! [`VERIFY_PASSES`] (5) consecutive times.

use cifix_sdk::command;
use cifix_sdk::guest::*;

cifix_sdk::manifest!(
    r#"{"name":"deterministic-minimal","version":"0.1.0","api":"0.1.0","world":"strategy",
"description":"Reproduce a deterministic failure with the smallest faithful test: the failing test's own rerun command, else a minimal test written by the coding agent; verify a fix by 5 consecutive passes.",
"capabilities":["fs-read","fs-write","process:* **","agent"]}"#
);

/// Runs that must all fail for a deterministic reproduction.
const REPRO_RUNS: u32 = 3;
struct DeterministicMinimal;

/// Where the candidate command comes from, for the README.
enum Source {
    Given(CommandSource),
    AgentTest,
}

fn attempt(argv: &[String], ctx: &Context, expect: &[String]) -> Result<Tally, Error> {
    Ok(tally(&process::run_batch(&batch(
        argv,
        "",
        Plan {
            runs: REPRO_RUNS,
            parallel: 1,
            timeout_ms: (ctx.budget_ms / 2).clamp(1_000, 600_000),
            budget_ms: ctx.budget_ms,
            expect: expect.to_vec(),
            stop_on_pass: true,
            ..Plan::default()
        },
    ))?))
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
        Source::Given(CommandSource::ExistingTest(p)) => format!("the user's existing test `{p}`"),
        Source::Given(CommandSource::Rerun(r)) => {
            format!("the failing test's own rerun command from the CI log (`{r}`)")
        }
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

impl Strategy for DeterministicMinimal {
    fn reproduce(ctx: Context) -> Result<Reproduction, Error> {
        let expect = markers(&ctx);
        let (mut argv, mut source) = match command_from_context(&ctx) {
            Ok((argv, from)) => (argv, Source::Given(from)),
            Err(_) => (agent_test(&ctx)?, Source::AgentTest),
        };
        log(
            Level::Info,
            &format!("trying `{}` {REPRO_RUNS} times", argv.join(" ")),
        );
        // Run the candidate until it passes once, at most REPRO_RUNS times.
        let mut t = attempt(&argv, &ctx, &expect)?;
        let mut reproduced = t.expected == REPRO_RUNS;
        if !reproduced && !matches!(source, Source::AgentTest) {
            log(
                Level::Info,
                "the direct command did not reproduce; asking the agent for a minimal test",
            );
            if let Ok(a) = agent_test(&ctx) {
                argv = a;
                source = Source::AgentTest;
                t = attempt(&argv, &ctx, &expect)?;
                reproduced = t.expected == REPRO_RUNS;
            }
        }
        let text = readme(&ctx, &argv, &source, &t, reproduced, &expect);
        let files = save_reproduction(&text, &argv)?;
        Ok(reproduction(reproduced, argv, &t, files, text))
    }
    // verify: the SDK's default, VERIFY_PASSES consecutive passes.
}

cifix_sdk::export_strategy!(DeterministicMinimal);
