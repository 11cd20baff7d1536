//! The pull request a reviewer reads: what failed, why, what changed, the
//! evidence and how to check it locally. Rendered from the finished
//! [`RunReport`] (the PR is opened with the run as it stands at publishing and
//! updated with the finished run). No local paths, no internal JSON.

use cifix_model::{PhaseStatus, RunReport};

use super::cell;

/// Marks the body as cifix's (and names the failure), so a later run finds it.
pub const MARKER: &str = "<!-- cifix:run -->";

/// `Fix <test or error> (<kind>)`.
pub fn title(r: &RunReport) -> String {
    match &r.failure {
        Some(f) => {
            let what = f.test.clone().unwrap_or_else(|| f.message.clone());
            let what: String = what.chars().take(80).collect();
            format!("Fix {} ({})", what.trim(), f.kind.name())
        }
        None => format!("fix: {}", r.title),
    }
}

/// Text from a log or a plugin, safe inside Markdown inline code.
fn code(s: &str) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    let ticks = if one_line.contains('`') { "``" } else { "`" };
    format!("{ticks}{}{ticks}", one_line.trim())
}

/// Text from a log or a plugin, as a quoted Markdown paragraph that cannot
/// mention people, embed images or end the quote.
fn quote(s: &str) -> String {
    s.lines()
        .map(|l| {
            let l = l
                .replace('@', "@\u{200b}")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace("![", "!\u{200b}[");
            format!("> {l}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Render the body.
pub fn render(r: &RunReport) -> String {
    let mut b = String::new();
    b.push_str(MARKER);
    b.push_str("\n\n## What failed\n\n");
    if let Some(u) = &r.input.url {
        b.push_str(&format!("- CI run: {u}\n"));
    }
    match &r.failure {
        Some(f) => {
            b.push_str(&format!("- Kind: {}\n", f.kind.name()));
            if let Some(t) = &f.test {
                b.push_str(&format!("- Failing test: {}\n", code(t)));
            }
            if r.failures_found > 1 {
                b.push_str(&format!(
                    "- Other failures in the logs: {}\n",
                    r.failures_found - 1
                ));
            }
            b.push_str(&format!("- First error: {}\n", code(&f.message)));
        }
        None => b.push_str(&format!("- {}\n", cell(&r.input.prompt))),
    }
    b.push_str("\n## Root cause\n\n");
    match &r.root_cause {
        Some(rc) => b.push_str(&quote(rc)),
        None => b.push_str("The agent left no root-cause notes."),
    }
    b.push_str("\n\n## What changed\n\n");
    if let Some(f) = &r.fix {
        if f.changed_files.is_empty() {
            b.push_str("- No files.\n");
        }
        for c in &f.changed_files {
            b.push_str(&format!("- {}\n", code(c)));
        }
    }
    b.push_str("\n## Evidence\n\n");
    if let Some(p) = &r.reproduction {
        b.push_str(&format!(
            "- Before the fix: {} of {} runs failed as in CI (rate {:.3}, 95% interval [{:.3}, {:.3}])\n",
            p.failures, p.runs, p.rate, p.ci95[0], p.ci95[1]
        ));
    }
    if let Some(f) = &r.fix {
        b.push_str(&format!(
            "- After the fix: {} ({} attempt(s))\n",
            cell(&f.claim),
            f.attempts
        ));
        if let Some(n) = &f.nearby_tests {
            b.push_str(&format!("- Nearby tests: {}\n", cell(n)));
        }
    }
    if let Some(p) = &r.reproduction
        && !p.command.is_empty()
    {
        b.push_str("\n## Check it locally\n\n```sh\n");
        if !p.cwd.is_empty() {
            b.push_str(&format!("cd {}\n", p.cwd.replace('`', "")));
        }
        b.push_str(&p.command.join(" ").replace("```", "'''"));
        b.push_str("\n```\n");
    }
    if !r.reviewers.is_empty() {
        b.push_str("\n## Suggested reviewers\n\n");
        for x in &r.reviewers {
            b.push_str(&format!("- {} — {}\n", cell(&x.who), cell(&x.reason)));
        }
    }
    b.push_str("\n<details><summary>The cifix run</summary>\n\n");
    b.push_str(&format!(
        "Strategy {} {}, agent {}.\n\n| phase | status | seconds | detail |\n|---|---|---|---|\n",
        r.strategy,
        r.strategy_version,
        r.agent.as_deref().unwrap_or("-")
    ));
    for p in &r.phases {
        if p.status == PhaseStatus::Skipped && p.detail.is_empty() {
            continue;
        }
        b.push_str(&format!(
            "| {} | {} | {:.1} | {} |\n",
            p.name,
            p.status.word(),
            p.seconds,
            cell(&strip_paths(&p.detail))
        ));
    }
    b.push_str("\n</details>\n");
    b
}

/// Drop absolute local paths (`/home/...`, `/tmp/...`) from a line.
fn strip_paths(s: &str) -> String {
    s.split(' ')
        .map(|w| {
            let bare = w.trim_matches(|c: char| "`'\"(),;".contains(c));
            if bare.starts_with('/') && bare.len() > 1 {
                w.replace(bare, "…")
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use cifix_model::{Failure, FailureKind, Fix, Phase, Reproduction, RunRequest};

    fn finished() -> RunReport {
        let mut r = RunReport::new(
            RunRequest {
                prompt: "p".into(),
                url: Some("https://github.com/o/r/actions/runs/1".into()),
                ..RunRequest::default()
            },
            "2026-01-01_00-00-00".into(),
            "deterministic-minimal".into(),
        );
        r.failure = Some(Failure {
            kind: FailureKind::TestFailure,
            test: Some("tests/t.py::test_a".into()),
            message: "E assert 1 == 2 @everyone".into(),
            ..Failure::default()
        });
        r.reproduction = Some(Reproduction {
            reproduced: true,
            command: vec!["pytest".into(), "tests/t.py::test_a".into()],
            runs: 3,
            failures: 3,
            failure_folder: "/home/me/outputs/x".into(),
            ..Reproduction::default()
        });
        r.fix = Some(Fix {
            attempts: 1,
            verified: true,
            claim: "passed 5 consecutive times".into(),
            changed_files: vec!["a.py".into()],
            ..Fix::default()
        });
        r.root_cause = Some("It was off by one. <img src=x> @team".into());
        r.phases.push(Phase {
            name: "reproduce".into(),
            status: PhaseStatus::Ok,
            seconds: 1.5,
            detail: "3 of 3 runs failed as in CI; folder /home/me/outputs/x".into(),
        });
        r.total_seconds = 4.2;
        r
    }

    #[test]
    fn a_reviewer_body_without_local_paths_or_json() {
        let b = render(&finished());
        assert!(b.starts_with(MARKER));
        assert!(b.contains("`tests/t.py::test_a`"), "{b}");
        assert!(b.contains("| reproduce | ok | 1.5 |"), "{b}");
        assert!(b.contains("pytest tests/t.py::test_a"), "{b}");
        assert!(!b.contains("/home/me"), "{b}");
        assert!(!b.contains("Total time 0.0"), "{b}");
        assert!(!b.contains("<img"), "{b}");
        assert!(!b.contains(" @team"), "{b}");
        assert!(!b.contains("\"schema_version\""), "{b}");
        assert_eq!(title(&finished()), "Fix tests/t.py::test_a (test-failure)");
    }
}
