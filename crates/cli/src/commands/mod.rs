//! Subcommands. Each module maps its arguments to one library call and hands the
//! result to a reporter (human text, or JSON with `--json`).

pub mod fetch_logs;
pub mod parse_logs;
pub mod plugins;
pub mod reproduce;
pub mod run;
pub mod stats;
pub mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use cifix_host::capabilities::Capability;
pub use cifix_host::config::UsageError;
use cifix_host::config::settings::Settings;
pub use cifix_host::pipeline::Services as Env;

/// Turn a failed CI job into a reproduction test, a fix and a draft pull request.
#[derive(Debug, Parser)]
#[command(name = "cifix", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts.
#[derive(Debug, Args)]
pub struct Global {
    /// More output (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Grant a capability to the selected third-party strategy
    /// (fs-read, fs-write, agent, 'process:PROGRAM ARGS|*|**'). Repeatable.
    #[arg(long = "allow", global = true, value_name = "CAPABILITY")]
    pub allow: Vec<Capability>,
    /// Memory cap per plugin instance, in MiB [default: 256, or the config file's].
    #[arg(long, global = true, value_name = "MIB")]
    pub plugin_memory_mb: Option<u64>,
    /// Deadline per plugin call, in seconds [default: 60, or the config file's].
    #[arg(long, global = true, value_name = "SECS")]
    pub plugin_deadline_secs: Option<u64>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole pipeline: logs → failure report → reproduction → fix → PR → report.
    Run(run::RunArgs),
    /// Check info.json, the repository, tools, plugins and tokens without changing anything.
    Validate(validate::ValidateArgs),
    /// Reproduce the failure: a minimal test (deterministic) or a stress run (intermittent).
    Reproduce(reproduce::ReproduceArgs),
    /// Download the failed jobs' logs of a GitHub Actions run into a folder.
    FetchLogs(fetch_logs::FetchLogsArgs),
    /// Parse a CI log into ranked failures.
    ParseLogs(parse_logs::ParseLogsArgs),
    /// Success rate over time, failure kinds, time per phase, agents compared — over all reports.
    Stats(stats::StatsArgs),
    /// Re-render a report's Markdown from its JSON.
    Report(stats::ReportArgs),
    /// List and inspect strategy plugins.
    #[command(subcommand)]
    Plugins(plugins::PluginsCommand),
}

/// Set up tracing: `RUST_LOG` if set, else warn / debug / trace by `-v` count.
pub fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn,cifix_host=info",
        1 => "info,cifix_host=debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Dispatch a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let env = services(&cli.global)?;
    match cli.command {
        Command::Run(a) => run::run(&env, a),
        Command::Validate(a) => validate::run(&env, a),
        Command::ParseLogs(a) => parse_logs::run(&env, a),
        Command::FetchLogs(a) => fetch_logs::run(&env, a),
        Command::Reproduce(a) => reproduce::run(&env, a),
        Command::Plugins(c) => plugins::run(&env, c),
        Command::Stats(a) => stats::run_stats(a),
        Command::Report(a) => stats::run_report(a),
    }
}

/// Whether an error is a closed stdout (`cifix … | head`): the command then ends
/// quietly with status 0.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .is_some_and(|k| k == std::io::ErrorKind::BrokenPipe)
    })
}

fn services(g: &Global) -> anyhow::Result<Env> {
    let settings = Settings::load()?;
    let mut limits = settings.limits();
    if let Some(m) = g.plugin_memory_mb {
        limits.memory = (m.clamp(1, 65_536) as usize) << 20;
    }
    if let Some(d) = g.plugin_deadline_secs {
        limits.deadline = std::time::Duration::from_secs(d.max(1));
    }
    Ok(Env {
        settings,
        limits,
        allow: g.allow.clone(),
    })
}

/// Whether to colour output on stdout.
pub fn color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// The repository folder: `--repo` or the current directory.
pub fn repo_dir(arg: &Option<PathBuf>) -> PathBuf {
    arg.clone().unwrap_or_else(|| PathBuf::from("."))
}

/// Print to stdout; a closed stdout becomes a `BrokenPipe` error the caller
/// turns into a quiet exit (never a panic, as `println!` would).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}
