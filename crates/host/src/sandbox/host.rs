//! The store data a plugin instance sees, and the glue from the generated
//! WIT bindings to the capability implementations in [`crate::capabilities`].
//! Every grant check happens in [`Grants::check`]; this file only converts.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::capabilities::agent::{Agent, AgentTask};
use crate::capabilities::fs::{FsError, FsRoots, Root};
use crate::capabilities::input::Input;
use crate::capabilities::log::{Level, LogSink};
use crate::capabilities::process::{self, ProcessError};
use crate::capabilities::{Grants, Request};

/// Generated bindings for the two worlds; the shared interfaces (`types`,
/// `log`, ...) are generated once, in `log_parser`, and reused.
pub mod bindings {
    /// The `log-parser` world.
    pub mod log_parser {
        wasmtime::component::bindgen!({ world: "log-parser", path: "../../wit/since_v0.1.0" });
    }
    /// The `strategy` world.
    pub mod strategy {
        wasmtime::component::bindgen!({
            world: "strategy",
            path: "../../wit/since_v0.1.0",
            with: {
                "cifix:strategy/types": super::log_parser::cifix::strategy::types,
                "cifix:strategy/log": super::log_parser::cifix::strategy::log,
            },
        });
    }
}

use bindings::log_parser::cifix::strategy as shared;
use bindings::strategy::cifix::strategy as strat;
use shared::types::{Error as WitError, ErrorCode};

/// Everything a call may use, kept so a poisoned instance can be re-created.
#[derive(Clone, Default)]
pub struct HostConfig {
    pub grants: Grants,
    /// The target repository (read root, process cwd root).
    pub repo: Option<PathBuf>,
    /// The failure folder (write root).
    pub failure: Option<PathBuf>,
    pub agent: Option<Arc<dyn Agent>>,
    /// Upper bound for any process or agent call made by the plugin.
    pub max_call: Duration,
    /// Values for agent prompt placeholders (`{{prompt}}`, `{{signature}}`, ...).
    pub prompt_vars: Vec<(String, String)>,
}

impl std::fmt::Debug for HostConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostConfig")
            .field("grants", &self.grants)
            .field("repo", &self.repo)
            .field("failure", &self.failure)
            .field("agent", &self.agent.as_ref().map(|a| a.name().to_string()))
            .finish()
    }
}

/// Memory limiter that records why it refused.
pub struct MemoryCap {
    pub bytes: usize,
    pub hit: bool,
}

impl wasmtime::ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.bytes {
            self.hit = true;
            return Err(wasmtime::format_err!(
                "plugin memory cap of {} MiB reached (asked for {} MiB)",
                self.bytes >> 20,
                desired >> 20
            ));
        }
        Ok(true)
    }
    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
    fn instances(&self) -> usize {
        64
    }
    fn tables(&self) -> usize {
        64
    }
    fn memories(&self) -> usize {
        16
    }
}

/// Data of one plugin store.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub memory: MemoryCap,
    pub log: LogSink,
    pub input: Option<Input>,
    pub stderr: MemoryOutputPipe,
    pub stdout: MemoryOutputPipe,
    cfg: HostConfig,
    fs: Option<FsRoots>,
    name: String,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl HostState {
    /// Fresh state: no preopened dirs, no env, no args, no network; stdout
    /// and stderr go to bounded in-memory pipes.
    pub fn new(plugin: &str, cfg: HostConfig, memory: usize, stdio: usize) -> Self {
        let stdout = MemoryOutputPipe::new(stdio);
        let stderr = MemoryOutputPipe::new(stdio);
        let mut b = wasmtime_wasi::WasiCtxBuilder::new();
        b.stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        HostState {
            wasi: b.build(),
            table: ResourceTable::new(),
            memory: MemoryCap {
                bytes: memory,
                hit: false,
            },
            log: LogSink::new(plugin),
            input: None,
            stderr,
            stdout,
            cfg,
            fs: None,
            name: plugin.to_string(),
        }
    }

    /// New folders, grants and agent for the next calls of this instance.
    pub fn reconfigure(&mut self, cfg: HostConfig) {
        self.cfg = cfg;
        self.fs = None;
    }

    fn roots(&mut self) -> Result<&mut FsRoots, WitError> {
        if self.fs.is_none() {
            let roots = FsRoots::new(self.cfg.repo.as_deref(), self.cfg.failure.as_deref())
                .map_err(|e| err(ErrorCode::Io, format!("opening the lent folders: {e}")))?;
            self.fs = Some(roots);
        }
        Ok(self.fs.as_mut().unwrap())
    }

    fn check(&self, req: Request<'_>) -> Result<(), WitError> {
        self.cfg.grants.check(req).map_err(|d| {
            tracing::warn!(plugin = %self.name, "denied: {d}");
            err(ErrorCode::Denied, d.to_string())
        })
    }
}

fn err(code: ErrorCode, message: impl Into<String>) -> WitError {
    WitError {
        code,
        message: message.into(),
    }
}

fn fs_err(e: FsError) -> WitError {
    let code = match &e {
        FsError::NoRoot(_) => ErrorCode::Unavailable,
        FsError::Escape(..) => ErrorCode::Denied,
        FsError::NotFound(_) => ErrorCode::NotFound,
        FsError::TooLarge(_) | FsError::Quota => ErrorCode::TooLarge,
        FsError::Io(..) => ErrorCode::Io,
    };
    err(code, e.to_string())
}

fn proc_err(e: ProcessError) -> WitError {
    let code = match &e {
        ProcessError::BadCwd(_) => ErrorCode::Denied,
        ProcessError::NotFound(_) => ErrorCode::NotFound,
        ProcessError::Spawn(..) => ErrorCode::Io,
    };
    err(code, e.to_string())
}

impl shared::types::Host for HostState {}

impl shared::log::Host for HostState {
    fn log(&mut self, level: shared::log::Level, message: String) {
        use shared::log::Level as L;
        let level = match level {
            L::Trace => Level::Trace,
            L::Debug => Level::Debug,
            L::Info => Level::Info,
            L::Warn => Level::Warn,
            L::Error => Level::Error,
        };
        self.log.log(level, &message);
    }
}

impl shared::input::Host for HostState {
    fn name(&mut self) -> String {
        self.input
            .as_ref()
            .map(|i| i.name().to_string())
            .unwrap_or_default()
    }

    fn read(&mut self, max_bytes: u32) -> Result<Vec<u8>, WitError> {
        match self.input.as_mut() {
            None => Err(err(
                ErrorCode::Unavailable,
                "no input is attached to this call",
            )),
            Some(i) => i
                .read(max_bytes as usize)
                .map_err(|e| err(ErrorCode::Io, format!("reading {}: {e}", i.name()))),
        }
    }
}

fn root(r: strat::fs::Root) -> Root {
    match r {
        strat::fs::Root::Repo => Root::Repo,
        strat::fs::Root::Failure => Root::Failure,
    }
}

impl strat::fs::Host for HostState {
    fn read_file(&mut self, r: strat::fs::Root, path: String) -> Result<Vec<u8>, WitError> {
        self.check(if r == strat::fs::Root::Repo {
            Request::FsRead
        } else {
            Request::FsWrite
        })?;
        self.roots()?.read(root(r), &path).map_err(fs_err)
    }

    fn list_dir(&mut self, r: strat::fs::Root, path: String) -> Result<Vec<String>, WitError> {
        self.check(if r == strat::fs::Root::Repo {
            Request::FsRead
        } else {
            Request::FsWrite
        })?;
        self.roots()?.list(root(r), &path).map_err(fs_err)
    }

    fn write_file(&mut self, path: String, contents: Vec<u8>) -> Result<(), WitError> {
        self.check(Request::FsWrite)?;
        self.roots()?.write(&path, &contents).map_err(fs_err)
    }
}

fn spec(c: strat::process::Command, max: Duration) -> process::Spec {
    process::Spec {
        program: c.program,
        args: c.args,
        cwd: c.cwd,
        env: c.env,
        timeout: Duration::from_millis(c.timeout_ms.max(1)).min(max),
    }
}

impl HostState {
    fn exec_root(&self, c: &strat::process::Command) -> Result<PathBuf, WitError> {
        self.check(Request::Exec {
            program: &c.program,
            args: &c.args,
        })?;
        if c.program.is_empty() {
            return Err(err(ErrorCode::Invalid, "empty program name"));
        }
        self.cfg.repo.clone().ok_or_else(|| {
            err(
                ErrorCode::Unavailable,
                "no repository is lent to this plugin",
            )
        })
    }
}

impl HostState {
    /// Append a batch's per-run results to `runs.jsonl` in the failure folder.
    fn record_batch(&self, spec: &process::BatchSpec, r: &process::BatchResult) {
        let Some(dir) = &self.cfg.failure else { return };
        let line = serde_json::json!({
            "plugin": self.name,
            "command": std::iter::once(spec.spec.program.clone()).chain(spec.spec.args.iter().cloned()).collect::<Vec<_>>(),
            "expect": spec.expect,
            "planned_runs": spec.runs,
            "elapsed_ms": r.elapsed_ms,
            "budget_exhausted": r.budget_exhausted,
            "runs": r.runs,
        });
        use std::io::Write;
        let res = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("runs.jsonl"))
            .and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = res {
            tracing::warn!("could not record runs in {}: {e}", dir.display());
        }
    }
}

impl strat::process::Host for HostState {
    fn run(&mut self, c: strat::process::Command) -> Result<strat::process::Output, WitError> {
        let root = self.exec_root(&c)?;
        let r = process::run(&root, &spec(c, self.cfg.max_call), None).map_err(proc_err)?;
        Ok(strat::process::Output {
            exit_code: r.exit_code,
            output: r.output,
            truncated: r.truncated,
            timed_out: r.timed_out,
            duration_ms: r.duration_ms,
        })
    }

    fn run_batch(
        &mut self,
        b: strat::process::Batch,
    ) -> Result<strat::process::BatchSummary, WitError> {
        let root = self.exec_root(&b.command)?;
        let spec = process::BatchSpec {
            spec: spec(b.command, self.cfg.max_call),
            runs: b.runs.min(100_000),
            parallel: b.parallel,
            budget: Duration::from_millis(b.budget_ms).min(self.cfg.max_call),
            expect: b.expect,
            stop_after_failures: b.stop_after_failures,
            stop_on_pass: b.stop_on_pass,
        };
        let progress = crate::sandbox::progress::Progress::new(spec.runs);
        let r = process::run_batch(&root, &spec, &|run| progress.on_run(run)).map_err(proc_err)?;
        progress.finish();
        self.record_batch(&spec, &r);
        use process::Outcome as O;
        use strat::process::RunOutcome as W;
        Ok(strat::process::BatchSummary {
            outcomes: r
                .runs
                .iter()
                .map(|x| match x.outcome {
                    O::Passed => W::Passed,
                    O::FailedExpected => W::FailedExpected,
                    O::FailedOther => W::FailedOther,
                    O::TimedOut => W::TimedOut,
                })
                .collect(),
            first_failure_output: r.first_failure_output,
            first_other_output: r.first_other_output,
            elapsed_ms: r.elapsed_ms,
            budget_exhausted: r.budget_exhausted,
        })
    }
}

impl strat::agent::Host for HostState {
    fn run(&mut self, t: strat::agent::Task) -> Result<strat::agent::Outcome, WitError> {
        self.check(Request::Agent)?;
        let agent = self.cfg.agent.clone().ok_or_else(|| {
            err(
                ErrorCode::Unavailable,
                "no coding agent is configured (--agent)",
            )
        })?;
        let workdir = self
            .cfg
            .failure
            .clone()
            .ok_or_else(|| err(ErrorCode::Unavailable, "no failure folder is lent"))?;
        let task = AgentTask {
            template: t.template,
            instructions: t.instructions,
            budget: Duration::from_millis(t.budget_ms).min(self.cfg.max_call),
            vars: self.cfg.prompt_vars.clone(),
        };
        let out = agent
            .run(&task, &workdir)
            .map_err(|e| err(ErrorCode::Io, e))?;
        Ok(strat::agent::Outcome {
            completed: out.completed,
            changed_files: out.changed_files,
            transcript_tail: out.transcript_tail,
        })
    }
}
