//! `cifix parse-logs FILE|-`: ranked failures from a CI log.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::Env;
use crate::capabilities::input::Input;
use crate::phases::parse::{kind_name, report_json};
use crate::plugins::{self, ParserSession, wit};

/// Arguments of `parse-logs`.
#[derive(Debug, Args)]
pub struct ParseLogsArgs {
    /// The log file, or `-` for standard input.
    pub file: PathBuf,
    /// Print one JSON object with a `failures` array, most likely cause first.
    #[arg(long)]
    pub json: bool,
    /// The parser plugin: a name or a path to a .wasm component.
    #[arg(long, default_value = "log-parser", value_name = "NAME|PATH")]
    pub strategy: String,
}

/// Parse one input with a parser plugin.
pub fn parse_input(env: &Env, strategy: &str, input: Input) -> anyhow::Result<wit::Report> {
    let plugin = plugins::load(strategy)?;
    let mut session = ParserSession::open(&plugin, env.limits)?;
    Ok(session.parse(input)?)
}

/// Run `parse-logs`.
pub fn run(env: &Env, a: ParseLogsArgs) -> anyhow::Result<ExitCode> {
    let input = if a.file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Input::new("-", std::io::Cursor::new(buf))
    } else {
        let f = std::fs::File::open(&a.file)
            .map_err(|e| super::UsageError(format!("{}: cannot open the log: {e}", a.file.display())))?;
        Input::new(a.file.display().to_string(), std::io::BufReader::with_capacity(1 << 20, f))
    };
    let report = parse_input(env, &a.strategy, input)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report_json(&report))?);
    } else {
        print_summary(&report);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(r: &wit::Report) {
    let color = super::color();
    let (bold, red, dim, reset) =
        if color { ("\x1b[1m", "\x1b[31m", "\x1b[2m", "\x1b[0m") } else { ("", "", "", "") };
    if r.failures.is_empty() {
        println!("No failure found in {} lines ({} format).", r.lines, r.format);
        return;
    }
    println!("{} failure(s) in {} lines ({} format); most likely cause first:", r.failures.len(), r.lines, r.format);
    for (i, f) in r.failures.iter().take(5).enumerate() {
        let place = match (&f.file, f.line) {
            (Some(file), Some(l)) => format!(" at {file}:{l}"),
            (Some(file), None) => format!(" in {file}"),
            _ => String::new(),
        };
        println!();
        println!(
            "{bold}{}. {red}{}{reset}{bold}{}{place}{reset}",
            i + 1,
            kind_name(f.kind),
            f.test.as_ref().map(|t| format!(" {t}")).unwrap_or_default()
        );
        println!("   {}", f.message);
        if let Some(fw) = &f.framework {
            println!("   {dim}framework:{reset} {fw}");
        }
        if let Some(step) = &f.step {
            println!("   {dim}step:{reset} {step}");
        }
        if let Some(rr) = &f.rerun {
            println!("   {dim}rerun:{reset} {rr}");
        }
        if !f.flaky_signals.is_empty() {
            println!("   {dim}may be intermittent:{reset} {}", f.flaky_signals.join(", "));
        }
        if i == 0 {
            println!("   {dim}lines {}-{}:{reset}", f.excerpt.start_line, f.excerpt.end_line);
            for l in f.excerpt.text.lines().take(15) {
                println!("   {dim}│{reset} {l}");
            }
        }
    }
}
