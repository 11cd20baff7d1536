//! `cifix stats` and `cifix report`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::out;
use cifix_host::reporters::{json, markdown, stats};

/// Arguments of `stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The reports folder.
    #[arg(
        long,
        default_value = "outputs",
        env = "CIFIX_OUTPUTS",
        value_name = "DIR"
    )]
    pub outputs: PathBuf,
    /// Only reports started on or after this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A report's JSON sidecar.
    pub json_file: PathBuf,
    /// Write the Markdown here instead of next to the JSON (`-` for stdout).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Run `stats`.
pub fn run_stats(a: StatsArgs) -> anyhow::Result<ExitCode> {
    if let Some(s) = &a.since {
        let ok = s.len() == 10
            && s.as_bytes().iter().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    *b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !ok {
            return Err(super::UsageError(format!(
                "--since {s:?}: expected a date like 2026-11-01"
            ))
            .into());
        }
    }
    if !a.outputs.is_dir() {
        return Err(super::UsageError(format!(
            "{}: no such folder; pass --outputs DIR where cifix wrote its reports",
            a.outputs.display()
        ))
        .into());
    }
    let (reports, skipped) = stats::load_all(&a.outputs, a.since.as_deref());
    let s = stats::compute(&reports, skipped);
    if a.json {
        json::print(&s)?;
    } else {
        out!("{}", stats::render(&s).trim_end());
    }
    Ok(ExitCode::SUCCESS)
}

/// Run `report`.
pub fn run_report(a: ReportArgs) -> anyhow::Result<ExitCode> {
    let r = markdown::read(&a.json_file)?;
    let md = markdown::render(&r);
    match &a.output {
        Some(p) if p.as_os_str() == "-" => {
            use std::io::Write as _;
            let mut o = std::io::stdout().lock();
            o.write_all(md.as_bytes())?;
            o.flush()?;
        }
        Some(p) => std::fs::write(p, md)?,
        None => {
            let p = a.json_file.with_extension("md");
            std::fs::write(&p, md)?;
            crate::out!("{}", p.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
