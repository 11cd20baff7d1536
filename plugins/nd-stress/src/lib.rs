//! The `nd-stress` built-in: reproduce an intermittent failure by running it
//! many times in parallel, with a run budget derived from statistics.
//!
//! To see at least one failure with confidence `c` when the failure rate is
//! `p`, it needs `n = ⌈ln(1−c)/ln(1−p)⌉` runs. Verification claims "failure
//! rate below p_target with 95% confidence" after `n` clean runs, with
//! `p_target` a tenth of the observed rate.

use cifix_sdk::guest::*;
use cifix_sdk::stats;

cifix_sdk::manifest!(
    r#"{"name":"nd-stress","version":"0.1.0","api":"0.1.0","world":"strategy",
"description":"Reproduce an intermittent failure with a statistically sized parallel stress run; measure its rate (95% Wilson interval); verify a fix with a stated confidence claim.",
"capabilities":["fs-read","fs-write","process:* **"]}"#
);

struct NdStress;

/// The command and the framework-level amplifiers applied to it.
fn amplified(ctx: &Context) -> Result<(Vec<String>, Vec<String>), Error> {
    let (argv, _) = command_from_context(ctx)?;
    let mut notes = vec![format!("parallel workers (one process per run, all cores)")];
    let mut argv = argv;
    // `go test` caches passing results: force real runs.
    if argv.first().map(String::as_str) == Some("go")
        && argv.get(1).map(String::as_str) == Some("test")
        && !argv.iter().any(|a| a.starts_with("-count"))
    {
        argv.insert(2, "-count=1".into());
        notes.push("`go test -count=1` (no cached results)".into());
    }
    Ok((argv, notes))
}

/// The stress batch: all cores, a quarter of the budget per run at most.
fn stress(
    argv: &[String],
    cwd: &str,
    runs: u32,
    budget_ms: u64,
    expect: Vec<String>,
    stop_after_failures: u32,
) -> process::Batch {
    batch(
        argv,
        cwd,
        Plan {
            runs,
            parallel: 0,
            timeout_ms: (budget_ms / 4).clamp(1_000, 300_000),
            budget_ms,
            expect,
            stop_after_failures,
            stop_on_pass: false,
        },
    )
}

impl Strategy for NdStress {
    fn reproduce(ctx: Context) -> Result<Reproduction, Error> {
        let (argv, amplifiers) = amplified(&ctx)?;
        let expect = markers(&ctx);
        let planned = stats::runs_to_observe(ctx.flake_rate, ctx.confidence);
        log(
            Level::Info,
            &format!(
                "stress: up to {planned} runs of `{}` (p={}, c={})",
                argv.join(" "),
                ctx.flake_rate,
                ctx.confidence
            ),
        );
        let summary = process::run_batch(&stress(
            &argv,
            "",
            planned,
            ctx.budget_ms,
            expect.clone(),
            0,
        ))?;
        let t = tally(&summary);
        let (runs, failures, other, timeouts) = (t.runs, t.expected, t.other, t.timeouts);
        let (lo, hi) = stats::wilson_95(failures, runs);
        let first = t.first_expected_at;
        let afforded = stats::confidence_after(runs, ctx.flake_rate);
        let mut s = String::from("# Reproduction (nd-stress)\n\n");
        s.push_str(&format!(
            "**Reproduced:** {}\n\n## Failure\n\n{}\n\n",
            if failures > 0 { "yes" } else { "no" },
            ctx.prompt
        ));
        s.push_str(&format!("## Command\n\n```sh\n{}\n```\n\n", argv.join(" ")));
        s.push_str(&format!(
            "## Budget\n\nAssumed failure rate p = {:.3}; runs for {:.0}% confidence of one failure: n = ⌈ln(1−c)/ln(1−p)⌉ = {planned}. Ran {runs} in {} ms{}; that gives {:.1}% confidence at p.\n\n",
            ctx.flake_rate,
            ctx.confidence * 100.0,
            summary.elapsed_ms,
            if summary.budget_exhausted { " (time budget reached)" } else { "" },
            afforded * 100.0
        ));
        s.push_str(&format!(
            "## Result\n\n- Failures with the expected markers {expect:?}: {failures} of {runs} (rate {:.3}, 95% Wilson interval [{lo:.3}, {hi:.3}])\n- Failed differently: {other}\n- Timed out: {timeouts}\n- Runs to first failure: {}\n\n## Amplifiers\n\n{}\n",
            if runs > 0 { failures as f64 / runs as f64 } else { 0.0 },
            first.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            amplifiers.iter().map(|a| format!("- {a}\n")).collect::<String>()
        ));
        if let Some(o) = &summary.first_failure_output {
            s.push_str(&format!(
                "\n## Output of the first failing run\n\n```\n{o}\n```\n"
            ));
        }
        let files = save_reproduction(&s, &argv)?;
        Ok(reproduction(failures > 0, argv, &t, files, s))
    }

    fn verify(ctx: Context, repro: Reproduction) -> Result<Verdict, Error> {
        if repro.command.is_empty() {
            return Err(err(ErrorCode::Invalid, "the reproduction has no command"));
        }
        let observed = if repro.runs > 0 && repro.failures > 0 {
            repro.failures as f64 / repro.runs as f64
        } else {
            ctx.flake_rate
        };
        let target = (observed / 10.0).max(1e-4);
        let needed = stats::runs_to_claim_below(target, 0.95);
        let t = tally(&process::run_batch(&stress(
            &repro.command,
            &repro.cwd,
            needed,
            ctx.budget_ms,
            Vec::new(),
            1,
        ))?);
        let (runs, failures) = (t.runs, t.failed());
        let passed = failures == 0 && runs >= needed;
        let claim = if passed {
            format!(
                "0 failures in {runs} runs: the failure rate is below {:.2}% with 95% confidence (it was {:.1}% before the fix)",
                target * 100.0,
                observed * 100.0
            )
        } else if failures > 0 {
            format!("{failures} failures in {runs} runs: not fixed")
        } else {
            let c = stats::confidence_after(runs, target);
            format!(
                "0 failures in {runs} of the {needed} runs needed; the budget affords only {:.0}% confidence that the rate is below {:.2}%",
                c * 100.0,
                target * 100.0
            )
        };
        Ok(Verdict {
            passed,
            runs,
            failures,
            claim,
        })
    }
}

cifix_sdk::export_strategy!(NdStress);
