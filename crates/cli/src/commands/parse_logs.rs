//! `cifix parse-logs FILE|-`: ranked failures from a CI log, a JUnit XML report
//! or a GitHub run-log zip (see [`cifix_host::pipeline::diagnose`]).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::Env;
use crate::out;
use cifix_host::pipeline::diagnose::{diagnose_path, open_err};
use cifix_host::reporters::{json, terminal::sanitize};
use cifix_host::sandbox::{self, ParserSession};
use cifix_model::FailureReport;

/// Arguments of `parse-logs`.
#[derive(Debug, Args)]
pub struct ParseLogsArgs {
    /// The log file (a text log, a JUnit XML report or a GitHub run-log
    /// .zip), or `-` for standard input.
    pub file: PathBuf,
    /// Print one JSON object with a `failures` array, most likely cause first.
    #[arg(long)]
    pub json: bool,
    /// The parser plugin: a name or a path to a .wasm component.
    #[arg(long, default_value = "log-parser", value_name = "NAME|PATH")]
    pub strategy: String,
}

/// Run `parse-logs`.
pub fn run(env: &Env, a: ParseLogsArgs) -> anyhow::Result<ExitCode> {
    // Check the input before loading the plugin, so a typo fails fast.
    if a.file.as_os_str() != "-" && !a.file.exists() {
        let e = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        return Err(open_err(&a.file.display().to_string(), e).into());
    }
    let plugin = sandbox::load(&a.strategy)?;
    let mut session = ParserSession::open(&plugin, env.limits)?;
    let report = diagnose_path(&mut session, &a.file)?;
    if a.json {
        json::print(&report)?;
    } else {
        print_summary(&report)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(p: &FailureReport) -> anyhow::Result<()> {
    let color = super::color();
    let (bold, red, dim, reset) = if color {
        ("\x1b[1m", "\x1b[31m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    let what = if p.logs.len() == 1 {
        format!("{} lines ({} format)", p.lines, sanitize(&p.format))
    } else {
        format!("{} logs, {} lines", p.logs.len(), p.lines)
    };
    if p.failures.is_empty() {
        if p.bytes == 0 {
            out!("The log is empty: nothing to parse.");
        } else {
            out!("No failure found in {what}.");
        }
        return Ok(());
    }
    out!(
        "{} failure(s) in {what}; most likely cause first:",
        p.failures.len()
    );
    for (i, f) in p.failures.iter().take(5).enumerate() {
        let place = match (&f.file, f.line) {
            (Some(file), Some(l)) => format!(" at {}:{l}", sanitize(file)),
            (Some(file), None) => format!(" in {}", sanitize(file)),
            _ => String::new(),
        };
        out!();
        out!(
            "{bold}{}. {red}{}{reset}{bold}{}{place}{reset}",
            i + 1,
            f.kind.name(),
            f.test
                .as_ref()
                .map(|t| format!(" {}", sanitize(t)))
                .unwrap_or_default()
        );
        out!("   {}", sanitize(&f.message));
        if p.logs.len() > 1
            && let Some(log) = &f.log
        {
            out!("   {dim}log:{reset} {}", sanitize(log));
        }
        if let Some(fw) = &f.framework {
            out!("   {dim}framework:{reset} {}", sanitize(fw));
        }
        if let Some(step) = &f.step {
            out!("   {dim}step:{reset} {}", sanitize(step));
        }
        if let Some(rr) = &f.rerun {
            out!("   {dim}rerun:{reset} {}", sanitize(rr));
        }
        if !f.flaky_signals.is_empty() {
            out!(
                "   {dim}may be intermittent:{reset} {}",
                sanitize(&f.flaky_signals.join(", "))
            );
        }
        if i == 0 {
            out!(
                "   {dim}lines {}-{}:{reset}",
                f.excerpt.start_line,
                f.excerpt.end_line
            );
            for l in f.excerpt.text.lines().take(15) {
                out!("   {dim}│{reset} {}", sanitize(l));
            }
        }
    }
    Ok(())
}
