//! Loading strategies (wasm components) and calling them inside limits.
//!
//! Sources, in lookup order for a NAME: the built-ins embedded in the binary,
//! then `NAME.wasm` in each folder of `CIFIX_PLUGIN_PATH`, then in the user's
//! plugin folder. Anything containing `/` or ending in `.wasm` is a path.

pub mod cache;
pub mod convert;
pub mod engine;
pub mod host;
pub mod manifest;
pub mod progress;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::Store;
use wasmtime::component::{Component, Linker};

use crate::capabilities::input::Input;
use crate::capabilities::{Capability, Grants};
pub use host::HostConfig;
use host::HostState;
use host::bindings::log_parser::{LogParser, LogParserPre};
use host::bindings::strategy::{Strategy, StrategyPre};
pub use manifest::{Manifest, World};

/// Custom section holding the manifest.
pub const MANIFEST_SECTION: &str = cifix_sdk::MANIFEST_SECTION;

/// The WIT types plugins exchange with the host. Only [`convert`] turns them
/// into model types; nothing else in the host uses them.
pub mod wit {
    pub use super::host::bindings::log_parser::cifix::strategy::types::{
        Error, ErrorCode, Excerpt, Failure, FailureKind, Report,
    };
    pub use super::host::bindings::strategy::exports::cifix::strategy::reproducer::{
        Context, Reproduction, Verdict,
    };
}

/// The built-in strategies: (name, component bytes).
pub const BUILTINS: &[(&str, &[u8])] = &[
    (
        "log-parser",
        include_bytes!(concat!(env!("OUT_DIR"), "/cifix_plugin_log_parser.wasm")),
    ),
    (
        "deterministic-minimal",
        include_bytes!(concat!(
            env!("OUT_DIR"),
            "/cifix_plugin_deterministic_minimal.wasm"
        )),
    ),
    (
        "nd-stress",
        include_bytes!(concat!(env!("OUT_DIR"), "/cifix_plugin_nd_stress.wasm")),
    ),
];

/// Capabilities the built-ins are granted without asking (they are part of
/// cifix): everything they declare.
pub fn builtin_grant(name: &str) -> Option<Vec<Capability>> {
    BUILTINS.iter().any(|(n, _)| *n == name).then(|| {
        ["fs-read", "fs-write", "agent", "process:* **"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect()
    })
}

/// Resource limits applied to every call of a plugin.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Linear memory cap in bytes.
    pub memory: usize,
    /// Wall-clock deadline per call.
    pub deadline: Duration,
    /// Bytes a plugin may write to its stdout or stderr per instance.
    pub stdio: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory: 256 << 20,
            deadline: Duration::from_secs(60),
            stdio: 64 << 10,
        }
    }
}

/// Where a plugin came from.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "path")]
pub enum Source {
    Builtin,
    Path(PathBuf),
}

/// Why a plugin could not be loaded or called.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error(
        "no plugin named `{name}`: not a built-in ({builtins}) and no {name}.wasm in {searched}"
    )]
    NotFound {
        name: String,
        builtins: String,
        searched: String,
    },
    #[error("reading {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error(
        "{0}: not a WebAssembly component (wasm magic or component layer missing); cifix never loads precompiled code"
    )]
    NotComponent(String),
    #[error("{0}: {1}")]
    Manifest(String, manifest::ManifestError),
    #[error("{0}: the component is invalid: {1}")]
    Compile(String, String),
    #[error(
        "{name}: manifest says world `{world}` but the component does not export `{export}` (exports: {found})"
    )]
    WrongExport {
        name: String,
        world: &'static str,
        export: String,
        found: String,
    },
    #[error("{name} is a `{found}` plugin; this command needs a `{wanted}` plugin")]
    WrongWorld {
        name: String,
        found: &'static str,
        wanted: &'static str,
    },
    #[error("{0}: the component needs imports cifix does not provide: {1}")]
    Link(String, String),
    #[error("{0}: stopped at the {1:?} deadline")]
    Deadline(String, Duration),
    #[error("{0}: {1}")]
    MemoryCap(String, String),
    #[error("{0}: the plugin trapped: {1}")]
    Trap(String, String),
    #[error("{0}: {1}")]
    Returned(String, String),
}

/// A loaded, compiled plugin.
pub struct Plugin {
    pub manifest: Manifest,
    pub source: Source,
    pub sha256: String,
    pub size: u64,
    pub origin: cache::Origin,
    /// Time to compile or load from cache.
    pub load_time: Duration,
    component: Component,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("manifest", &self.manifest)
            .field("source", &self.source)
            .finish()
    }
}

/// Folders searched for `NAME.wasm`: `CIFIX_PLUGIN_PATH`, then the user's plugin folder.
pub fn search_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("CIFIX_PLUGIN_PATH")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if let Some(d) = user_plugin_dir() {
        dirs.push(d);
    }
    dirs
}

/// The per-user plugin folder (`$XDG_DATA_HOME/cifix/plugins` or the platform's equivalent).
pub fn user_plugin_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("cifix").join("plugins"))
}

/// Whether `spec` names a file rather than a plugin name.
pub fn is_path(spec: &str) -> bool {
    spec.contains('/') || spec.ends_with(".wasm")
}

/// Load a plugin by NAME or PATH.
pub fn load(spec: &str) -> Result<Plugin, PluginError> {
    if is_path(spec) {
        return load_path(Path::new(spec));
    }
    if let Some((name, bytes)) = BUILTINS.iter().find(|(n, _)| *n == spec) {
        return load_bytes(name, bytes, Source::Builtin);
    }
    let dirs = search_dirs();
    for d in &dirs {
        let p = d.join(format!("{spec}.wasm"));
        if p.is_file() {
            return load_path(&p);
        }
    }
    Err(PluginError::NotFound {
        name: spec.into(),
        builtins: BUILTINS
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", "),
        searched: if dirs.is_empty() {
            "no plugin folders".into()
        } else {
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        },
    })
}

/// Load a component file.
pub fn load_path(path: &Path) -> Result<Plugin, PluginError> {
    let bytes = std::fs::read(path).map_err(|e| PluginError::Read(path.into(), e))?;
    load_bytes(
        &path.display().to_string(),
        &bytes,
        Source::Path(path.into()),
    )
}

/// Every plugin reachable by name: the built-ins and `*.wasm` in the search folders.
pub fn available() -> Vec<(String, Source)> {
    let mut out: Vec<(String, Source)> = BUILTINS
        .iter()
        .map(|(n, _)| (n.to_string(), Source::Builtin))
        .collect();
    for d in search_dirs() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut found: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        found.sort();
        for p in found {
            let name = p
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if !out.iter().any(|(n, _)| *n == name) {
                out.push((name, Source::Path(p)));
            }
        }
    }
    out
}

fn is_component(bytes: &[u8]) -> bool {
    // "\0asm", then version 0x0d and layer 0x01 for components.
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[6..8] == [0x01, 0x00]
}

/// Check, compile (or load from cache) and inspect a component.
pub fn load_bytes(label: &str, bytes: &[u8], source: Source) -> Result<Plugin, PluginError> {
    let _span = tracing::debug_span!("plugin.load", plugin = label).entered();
    if !is_component(bytes) {
        return Err(PluginError::NotComponent(label.into()));
    }
    let raw = manifest::extract(bytes).map_err(|e| PluginError::Manifest(label.into(), e))?;
    let manifest = Manifest::parse(&raw).map_err(|e| PluginError::Manifest(label.into(), e))?;
    let sha256 = hex(&Sha256::digest(bytes));
    let started = Instant::now();
    let engine = engine::engine();
    let (component, origin) = cache::compile(engine, bytes, &sha256)
        .map_err(|e| PluginError::Compile(label.into(), format!("{e:#}")))?;
    let load_time = started.elapsed();
    let export = manifest.world.export(&manifest.api);
    let exports: Vec<String> = component
        .component_type()
        .exports(engine)
        .map(|(n, _)| n.to_string())
        .collect();
    if !exports.contains(&export) {
        return Err(PluginError::WrongExport {
            name: manifest.name.clone(),
            world: manifest.world.name(),
            export,
            found: if exports.is_empty() {
                "none".into()
            } else {
                exports.join(", ")
            },
        });
    }
    tracing::debug!(plugin = %manifest.name, ?origin, ms = load_time.as_millis() as u64, "plugin loaded");
    Ok(Plugin {
        manifest,
        source,
        sha256,
        size: bytes.len() as u64,
        origin,
        load_time,
        component,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Plugin {
    /// The plugin's name (from its manifest).
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// Name, version, source and hash, as reports record them.
    pub fn id(&self) -> cifix_model::StrategyId {
        cifix_model::StrategyId {
            name: self.manifest.name.clone(),
            version: self.manifest.version.clone(),
            source: match &self.source {
                Source::Builtin => "builtin".into(),
                Source::Path(p) => p.display().to_string(),
            },
            sha256: self.sha256.clone(),
        }
    }

    /// The grant for this plugin: built-ins get [`builtin_grant`], others
    /// only what `user` grants.
    pub fn grants(&self, user: &[Capability]) -> Grants {
        let declared = self.manifest.capabilities().unwrap_or_default();
        let mut granted = user.to_vec();
        if matches!(self.source, Source::Builtin) {
            granted.extend(builtin_grant(self.name()).unwrap_or_default());
        }
        Grants { declared, granted }
    }

    fn require(&self, wanted: World) -> Result<(), PluginError> {
        if self.manifest.world != wanted {
            return Err(PluginError::WrongWorld {
                name: self.manifest.name.clone(),
                found: self.manifest.world.name(),
                wanted: wanted.name(),
            });
        }
        Ok(())
    }

    fn linker(&self, world: World) -> Result<Linker<HostState>, PluginError> {
        let mut linker = Linker::new(engine::engine());
        let name = || self.manifest.name.clone();
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| PluginError::Link(name(), e.to_string()))?;
        let r = match world {
            World::LogParser => {
                LogParser::add_to_linker::<_, wasmtime::component::HasSelf<_>>(&mut linker, |s| s)
            }
            World::Strategy => {
                Strategy::add_to_linker::<_, wasmtime::component::HasSelf<_>>(&mut linker, |s| s)
            }
        };
        r.map_err(|e| PluginError::Link(name(), e.to_string()))?;
        Ok(linker)
    }
}

/// A live instance of a plugin that survives between calls, and is
/// re-created after a trap (a trapped instance cannot be entered again).
pub struct Session<'p, B> {
    plugin: &'p Plugin,
    cfg: HostConfig,
    limits: Limits,
    pre: wasmtime::component::InstancePre<HostState>,
    live: Option<(Store<HostState>, B)>,
    /// Instances created so far (for tests and diagnostics).
    pub instantiations: u32,
}

/// A session with a log parser.
pub type ParserSession<'p> = Session<'p, LogParser>;
/// A session with a reproduction strategy.
pub type StrategySession<'p> = Session<'p, Strategy>;

impl<'p, B> Session<'p, B> {
    fn new(
        plugin: &'p Plugin,
        world: World,
        cfg: HostConfig,
        limits: Limits,
    ) -> Result<Self, PluginError> {
        plugin.require(world)?;
        let linker = plugin.linker(world)?;
        let pre = linker
            .instantiate_pre(&plugin.component)
            .map_err(|e| PluginError::Link(plugin.manifest.name.clone(), format!("{e:#}")))?;
        Ok(Session {
            plugin,
            cfg,
            limits,
            pre,
            live: None,
            instantiations: 0,
        })
    }

    /// Lend the next calls other folders, grants or an agent (the live instance is
    /// kept: a strategy is instantiated once per run, for reproduce and every verify).
    pub fn configure(&mut self, cfg: HostConfig, limits: Limits) {
        if let Some((store, _)) = self.live.as_mut() {
            store.data_mut().reconfigure(cfg.clone());
        }
        self.cfg = cfg;
        self.limits = limits;
    }

    /// The plugin this session runs.
    pub fn plugin(&self) -> &'p Plugin {
        self.plugin
    }

    fn store(&self) -> Store<HostState> {
        let state = HostState::new(
            self.plugin.name(),
            self.cfg.clone(),
            self.limits.memory,
            self.limits.stdio,
        );
        let mut store = Store::new(engine::engine(), state);
        store.limiter(|s| &mut s.memory);
        store
    }

    /// Run `f` on the live instance (creating it if needed) within the
    /// deadline, turning traps and limits into [`PluginError`]s.
    fn call<R>(
        &mut self,
        instantiate: impl Fn(
            &wasmtime::component::InstancePre<HostState>,
            &mut Store<HostState>,
        ) -> wasmtime::Result<B>,
        input: Option<Input>,
        f: impl FnOnce(&B, &mut Store<HostState>) -> wasmtime::Result<Result<R, wit::Error>>,
    ) -> Result<R, PluginError> {
        let name = self.plugin.name().to_string();
        if self.live.is_none() {
            let mut store = self.store();
            store.set_epoch_deadline(engine::ticks(self.limits.deadline));
            let b = instantiate(&self.pre, &mut store).map_err(|e| self.classify(&store, e))?;
            self.instantiations += 1;
            tracing::debug!(plugin = %name, n = self.instantiations, "plugin instantiated");
            self.live = Some((store, b));
        }
        let (store, b) = self.live.as_mut().unwrap();
        store.data_mut().log.reset();
        store.data_mut().input = input;
        store.set_epoch_deadline(engine::ticks(self.limits.deadline));
        let res = f(b, store);
        store.data_mut().input = None;
        let stderr = store.data().stderr.contents();
        if !stderr.is_empty() {
            let tail =
                String::from_utf8_lossy(&stderr[stderr.len().saturating_sub(4096)..]).into_owned();
            tracing::debug!(plugin = %name, "plugin stderr: {tail}");
        }
        match res {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err(PluginError::Returned(
                name,
                format!("{:?}: {}", e.code, e.message),
            )),
            Err(e) => {
                let (store, _) = self.live.take().unwrap();
                Err(self.classify(&store, e))
            }
        }
    }

    fn classify(&self, store: &Store<HostState>, e: wasmtime::Error) -> PluginError {
        let name = self.plugin.name().to_string();
        if let Some(wasmtime::Trap::Interrupt) = e.downcast_ref::<wasmtime::Trap>() {
            return PluginError::Deadline(name, self.limits.deadline);
        }
        if store.data().memory.hit {
            return PluginError::MemoryCap(
                name,
                format!("memory cap of {} MiB reached", self.limits.memory >> 20),
            );
        }
        let stderr = store.data().stderr.contents();
        let stdout_len = store.data().stdout.contents().len();
        let msg = format!("{e:#}");
        if stderr.len() >= self.limits.stdio || stdout_len >= self.limits.stdio {
            return PluginError::Trap(
                name,
                format!(
                    "{msg} (after filling its {} byte output limit)",
                    self.limits.stdio
                ),
            );
        }
        // Rust guests print "thread ... panicked at FILE:LINE:COL:" then the message.
        let text = String::from_utf8_lossy(&stderr);
        let lines: Vec<&str> = text.lines().collect();
        let panic = lines
            .iter()
            .rposition(|l| l.contains("panicked"))
            .map(|i| lines[i..(i + 2).min(lines.len())].join(" "));
        let first = msg.lines().next().unwrap_or_default().to_string();
        PluginError::Trap(name, panic.map(|p| format!("{p} ({first})")).unwrap_or(msg))
    }
}

impl<'p> ParserSession<'p> {
    /// Start a session with a log parser (no capabilities beyond its input and log).
    pub fn open(plugin: &'p Plugin, limits: Limits) -> Result<Self, PluginError> {
        Session::new(plugin, World::LogParser, HostConfig::default(), limits)
    }

    /// Parse one input: the log's summary and its failures, in the parser's order.
    pub fn parse(
        &mut self,
        input: Input,
    ) -> Result<(cifix_model::LogReport, Vec<cifix_model::Failure>), PluginError> {
        let name = input.name().to_string();
        let _span = tracing::info_span!("plugin.parse", plugin = self.plugin.name(), input = %name)
            .entered();
        let r = self.call(
            |pre, store| LogParserPre::new(pre.clone())?.instantiate(store),
            Some(input),
            |b, store| b.cifix_strategy_parser().call_parse(store),
        )?;
        Ok(convert::report(&name, r))
    }
}

impl<'p> StrategySession<'p> {
    /// Start a session with a reproduction strategy and what it is lent.
    pub fn open(plugin: &'p Plugin, cfg: HostConfig, limits: Limits) -> Result<Self, PluginError> {
        Session::new(plugin, World::Strategy, cfg, limits)
    }

    /// Build a reproduction (as the strategy tells it: the host's own figures are
    /// filled in by the reproduce phase).
    pub fn reproduce(
        &mut self,
        ctx: &cifix_model::StrategyContext,
    ) -> Result<cifix_model::Reproduction, PluginError> {
        let _span = tracing::info_span!("plugin.reproduce", plugin = self.plugin.name()).entered();
        let ctx = convert::context(ctx);
        let r = self.call(
            |pre, store| StrategyPre::new(pre.clone())?.instantiate(store),
            None,
            |b, store| b.cifix_strategy_reproducer().call_reproduce(store, &ctx),
        )?;
        Ok(convert::reproduction(r))
    }

    /// Verify a fix.
    pub fn verify(
        &mut self,
        ctx: &cifix_model::StrategyContext,
        repro: &cifix_model::Reproduction,
    ) -> Result<cifix_model::Verification, PluginError> {
        let _span = tracing::info_span!("plugin.verify", plugin = self.plugin.name()).entered();
        let (ctx, repro) = (convert::context(ctx), convert::reproduction_to_wit(repro));
        let v = self.call(
            |pre, store| StrategyPre::new(pre.clone())?.instantiate(store),
            None,
            |b, store| {
                b.cifix_strategy_reproducer()
                    .call_verify(store, &ctx, &repro)
            },
        )?;
        Ok(convert::verification(v))
    }
}
