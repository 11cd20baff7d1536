//! The guest side of a strategy: the bindings of `cifix:strategy@0.1.0`
//! (`wit/since_v0.1.0`), the [`Strategy`] trait and [`crate::export_strategy!`],
//! and the helpers every strategy needs (the command to run, the markers of the
//! CI failure, batches, tallies, the failure folder's README).
//!
//! ```ignore
//! use cifix_sdk::guest::*;
//! struct Mine;
//! impl Strategy for Mine {
//!     fn reproduce(ctx: Context) -> Result<Reproduction, Error> { /* ... */ }
//!     // `verify` has a default: the reproduction passes 5 consecutive runs.
//! }
//! cifix_sdk::export_strategy!(Mine);
//! ```

/// The generated bindings of the `strategy` world.
#[allow(missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "strategy",
        path: "../../wit/since_v0.1.0",
        pub_export_macro: true,
        default_bindings_module: "cifix_sdk::guest::bindings",
    });
}

pub use bindings::cifix::strategy::log::{Level, log};
pub use bindings::cifix::strategy::types::{Error, ErrorCode, Excerpt, Failure, FailureKind};
pub use bindings::cifix::strategy::{agent, fs, process};
pub use bindings::exports::cifix::strategy::reproducer::{Context, Reproduction, Verdict};

use crate::command;

/// A reproduction strategy. Implement it and call [`crate::export_strategy!`].
pub trait Strategy {
    /// Build a reproduction for the failure in `ctx` (the repository is lent
    /// read-only, the failure folder read-write, as granted).
    fn reproduce(ctx: Context) -> Result<Reproduction, Error>;

    /// Check a fix by re-running the reproduction. The default: the command
    /// passes [`VERIFY_PASSES`] consecutive runs.
    fn verify(ctx: Context, repro: Reproduction) -> Result<Verdict, Error> {
        verify_by_passes(&ctx, &repro, VERIFY_PASSES)
    }
}

/// Export a [`Strategy`] as the component's `reproducer`.
#[macro_export]
macro_rules! export_strategy {
    ($t:ty) => {
        struct __CifixExport;
        impl $crate::guest::bindings::exports::cifix::strategy::reproducer::Guest for __CifixExport {
            fn reproduce(
                ctx: $crate::guest::Context,
            ) -> Result<$crate::guest::Reproduction, $crate::guest::Error> {
                <$t as $crate::guest::Strategy>::reproduce(ctx)
            }
            fn verify(
                ctx: $crate::guest::Context,
                repro: $crate::guest::Reproduction,
            ) -> Result<$crate::guest::Verdict, $crate::guest::Error> {
                <$t as $crate::guest::Strategy>::verify(ctx, repro)
            }
        }
        $crate::guest::bindings::export!(__CifixExport with_types_in $crate::guest::bindings);
    };
}

/// Consecutive passes the default [`Strategy::verify`] asks for.
pub const VERIFY_PASSES: u32 = 5;

/// An error with a code.
pub fn err(code: ErrorCode, message: impl Into<String>) -> Error {
    Error {
        code,
        message: message.into(),
    }
}

/// Where the command to run came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandSource {
    /// The user's existing test file.
    ExistingTest(String),
    /// The failing test's rerun command from the CI log.
    Rerun(String),
}

/// The command that runs the failing test: the user's existing test, else the
/// top failure's rerun command.
pub fn command_from_context(ctx: &Context) -> Result<(Vec<String>, CommandSource), Error> {
    if let Some(t) = &ctx.existing_test {
        let argv = command::for_test_file(t)
            .ok_or_else(|| err(ErrorCode::Invalid, format!("no known way to run `{t}`")))?;
        return Ok((argv, CommandSource::ExistingTest(t.clone())));
    }
    let f = ctx.failures.first().ok_or_else(|| {
        err(
            ErrorCode::Invalid,
            "no failure in the report and no existing test",
        )
    })?;
    let rerun = f.rerun.clone().ok_or_else(|| {
        err(
            ErrorCode::Invalid,
            "the failing test has no rerun command in the log report",
        )
    })?;
    let argv = command::split(&rerun)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| err(ErrorCode::Invalid, format!("bad rerun command {rerun:?}")))?;
    Ok((argv, CommandSource::Rerun(rerun)))
}

/// The markers of the top failure (see [`command::expected_markers`]).
pub fn markers(ctx: &Context) -> Vec<String> {
    ctx.failures
        .first()
        .map(|f| command::expected_markers(f.test.as_deref(), &f.message))
        .unwrap_or_default()
}

/// How to run a batch.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Most runs.
    pub runs: u32,
    /// Parallel workers (0: all cores).
    pub parallel: u32,
    /// Per-run timeout.
    pub timeout_ms: u64,
    /// Wall time for the whole batch.
    pub budget_ms: u64,
    /// Markers of the expected failure.
    pub expect: Vec<String>,
    /// Stop after this many expected failures (0: never).
    pub stop_after_failures: u32,
    /// Stop at the first pass.
    pub stop_on_pass: bool,
}

/// The batch that runs `argv` in `cwd` by `plan`.
pub fn batch(argv: &[String], cwd: &str, plan: Plan) -> process::Batch {
    process::Batch {
        command: process::Command {
            program: argv[0].clone(),
            args: argv[1..].to_vec(),
            cwd: cwd.to_string(),
            env: Vec::new(),
            timeout_ms: plan.timeout_ms,
        },
        runs: plan.runs,
        parallel: plan.parallel,
        budget_ms: plan.budget_ms,
        expect: plan.expect,
        stop_after_failures: plan.stop_after_failures,
        stop_on_pass: plan.stop_on_pass,
    }
}

/// A batch's outcomes, counted.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Runs made.
    pub runs: u32,
    /// Failed with the expected markers.
    pub expected: u32,
    /// Failed some other way.
    pub other: u32,
    /// Timed out.
    pub timeouts: u32,
    /// 1-based index of the first expected failure.
    pub first_expected_at: Option<usize>,
    /// Output of the first failing run (expected first).
    pub first_output: Option<String>,
}

impl Tally {
    /// Runs that did not pass.
    pub fn failed(&self) -> u32 {
        self.expected + self.other + self.timeouts
    }
}

/// Count a batch's outcomes.
pub fn tally(s: &process::BatchSummary) -> Tally {
    let mut t = Tally {
        runs: s.outcomes.len() as u32,
        ..Tally::default()
    };
    for (i, o) in s.outcomes.iter().enumerate() {
        match o {
            process::RunOutcome::FailedExpected => {
                t.expected += 1;
                t.first_expected_at.get_or_insert(i + 1);
            }
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

/// Write the failure folder's `README.md` and `tests/command`; returns the files.
pub fn save_reproduction(readme: &str, argv: &[String]) -> Result<Vec<String>, Error> {
    fs::write_file("README.md", readme.as_bytes())?;
    fs::write_file("tests/command", format!("{}\n", argv.join(" ")).as_bytes())?;
    Ok(vec!["README.md".into(), "tests/command".into()])
}

/// A reproduction from a tally.
pub fn reproduction(
    reproduced: bool,
    argv: Vec<String>,
    t: &Tally,
    files: Vec<String>,
    notes: String,
) -> Reproduction {
    Reproduction {
        reproduced,
        command: argv,
        cwd: String::new(),
        runs: t.runs,
        failures: t.expected,
        other_failures: t.other,
        timeouts: t.timeouts,
        files,
        notes,
    }
}

/// Verify by `passes` consecutive passing runs of the reproduction's command.
pub fn verify_by_passes(
    ctx: &Context,
    repro: &Reproduction,
    passes: u32,
) -> Result<Verdict, Error> {
    if repro.command.is_empty() {
        return Err(err(ErrorCode::Invalid, "the reproduction has no command"));
    }
    let t = tally(&process::run_batch(&batch(
        &repro.command,
        &repro.cwd,
        Plan {
            runs: passes,
            parallel: 1,
            timeout_ms: (ctx.budget_ms / 2).clamp(1_000, 600_000),
            budget_ms: ctx.budget_ms,
            stop_after_failures: 1,
            ..Plan::default()
        },
    ))?);
    let failures = t.failed();
    let passed = failures == 0 && t.runs == passes;
    Ok(Verdict {
        passed,
        runs: t.runs,
        failures,
        claim: if passed {
            format!("the reproduction passed {passes} consecutive times")
        } else {
            format!("the reproduction failed {failures} of {} runs", t.runs)
        },
    })
}
