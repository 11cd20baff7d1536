//! `cifix run`: the whole pipeline.

use std::process::ExitCode;

use clap::Args;

use super::Env;
use super::validate::InfoArgs;
use crate::capabilities::input::Input;
use crate::config::info::LogSource;

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub info: InfoArgs,
    /// The reproduction strategy (name or .wasm path) [default: deterministic-minimal
    /// for deterministic failures, nd-stress otherwise].
    #[arg(long, value_name = "NAME|PATH")]
    pub strategy: Option<String>,
    /// The log parser (name or .wasm path).
    #[arg(long, default_value = "log-parser", value_name = "NAME|PATH")]
    pub parser: String,
    /// Print one JSON object at the end.
    #[arg(long)]
    pub json: bool,
}

/// Run the pipeline as far as it is built.
pub fn run(env: &Env, a: RunArgs) -> anyhow::Result<ExitCode> {
    let info = a.info.load()?;
    let strategy = a.strategy.clone().unwrap_or_else(|| {
        if info.deterministic { "deterministic-minimal" } else { "nd-stress" }.to_string()
    });
    // Load the strategy up front so a bad --strategy fails before any work.
    let plugin = crate::plugins::load(&strategy)?;
    tracing::info!("strategy {} ({})", plugin.name(), plugin.manifest.world.name());
    let report = match &info.logs {
        LogSource::RawLogs(text) => {
            let _span = tracing::info_span!("phase.parse").entered();
            let input = Input::new("raw-logs", std::io::Cursor::new(text.clone().into_bytes()));
            Some(super::parse_logs::parse_input(env, &a.parser, input)?)
        }
        LogSource::Url(u) => {
            anyhow::bail!("fetching logs from {u}: the fetch phase is not built yet; pass the log text as raw-logs for now")
        }
        LogSource::None => None,
    };
    if let Some(r) = &report {
        if a.json {
            println!("{}", serde_json::to_string_pretty(&super::parse_logs::report_json(r))?);
        }
        match r.failures.first() {
            Some(f) => eprintln!("most likely cause: {} {}", super::parse_logs::kind_name(f.kind), f.message),
            None => eprintln!("no failure found in the logs"),
        }
    }
    anyhow::bail!("the reproduce, fix and publish phases are not built yet; `cifix run` stops after parsing")
}
