//! `cifix plugins list` and `cifix plugins inspect`.

use std::process::ExitCode;

use clap::Subcommand;
use serde::Serialize;

use super::Env;
use cifix_host::reporters::terminal::sanitize;
use cifix_host::sandbox::{self, Plugin, Source};

/// Plugin subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginsCommand {
    /// Every plugin reachable by name: built-ins, CIFIX_PLUGIN_PATH, the user's plugin folder.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// World, API version, declared and granted capabilities, sha256 and size of one plugin.
    Inspect {
        /// A plugin name or a path to a .wasm component.
        plugin: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// One plugin, as shown.
#[derive(Debug, Serialize)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub api: String,
    pub world: &'static str,
    pub description: String,
    pub source: Source,
    pub declared: Vec<String>,
    pub granted: Vec<String>,
    pub sha256: String,
    pub size: u64,
    pub load_ms: f64,
    pub cached: bool,
}

/// Describe a loaded plugin with the grant it would get here.
pub fn describe(env: &Env, p: &Plugin) -> PluginInfo {
    let grants = p.grants(&env.user_grant(p.name()));
    PluginInfo {
        name: sanitize(&p.manifest.name),
        version: sanitize(&p.manifest.version),
        api: p.manifest.api.clone(),
        world: p.manifest.world.name(),
        description: sanitize(&p.manifest.description),
        source: p.source.clone(),
        declared: p.manifest.capabilities.clone(),
        granted: grants.effective().iter().map(|c| c.to_string()).collect(),
        sha256: p.sha256.clone(),
        size: p.size,
        load_ms: p.load_time.as_secs_f64() * 1000.0,
        cached: p.origin == sandbox::cache::Origin::Cached,
    }
}

fn caps(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Run a plugins subcommand.
pub fn run(env: &Env, cmd: PluginsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        PluginsCommand::List { json } => {
            let mut rows = Vec::new();
            let mut broken = Vec::new();
            for (name, src) in sandbox::available() {
                let loaded = match &src {
                    Source::Builtin => sandbox::load(&name),
                    Source::Path(p) => sandbox::load_path(p),
                };
                match loaded {
                    Ok(p) => rows.push(describe(env, &p)),
                    Err(e) => broken.push(
                        serde_json::json!({"name": name, "source": src, "error": e.to_string()}),
                    ),
                }
            }
            if json {
                crate::out!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"plugins": rows, "broken": broken})
                    )?
                );
            } else {
                for r in &rows {
                    let src = match &r.source {
                        Source::Builtin => "built-in".to_string(),
                        Source::Path(p) => p.display().to_string(),
                    };
                    crate::out!("{:<24} {:<11} api {}  {}", r.name, r.world, r.api, src);
                    crate::out!("{:<24} declares: {}", "", caps(&r.declared));
                    crate::out!("{:<24} granted:  {}", "", caps(&r.granted));
                }
                for b in &broken {
                    crate::out!(
                        "{:<24} BROKEN: {}",
                        b["name"].as_str().unwrap_or("?"),
                        b["error"].as_str().unwrap_or("?")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        PluginsCommand::Inspect { plugin, json } => {
            let p = sandbox::load(&plugin)?;
            let info = describe(env, &p);
            if json {
                crate::out!("{}", serde_json::to_string_pretty(&info)?);
            } else {
                crate::out!("name:        {} {}", info.name, info.version);
                crate::out!("world:       {}", info.world);
                crate::out!("api:         cifix:strategy@{}", info.api);
                crate::out!("description: {}", info.description);
                match &info.source {
                    Source::Builtin => crate::out!("source:      built-in"),
                    Source::Path(p) => crate::out!("source:      {}", p.display()),
                }
                crate::out!("declares:    {}", caps(&info.declared));
                crate::out!("granted:     {}", caps(&info.granted));
                crate::out!("sha256:      {}", info.sha256);
                crate::out!("size:        {} bytes", info.size);
                crate::out!(
                    "load:        {:.1} ms ({})",
                    info.load_ms,
                    if info.cached { "cached" } else { "compiled" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
