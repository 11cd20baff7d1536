//! Running allow-listed programs: one at a time or as a parallel batch,
//! each run in its own process group with a timeout and bounded output.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Output kept per run: the first and the last half of this many bytes.
pub const MAX_OUTPUT: usize = 256 * 1024;

/// A command to run, relative to a root folder.
#[derive(Debug, Clone)]
pub struct Spec {
    pub program: String,
    pub args: Vec<String>,
    /// Working directory relative to the root.
    pub cwd: String,
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
}

/// How one run ended.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunResult {
    pub exit_code: Option<i32>,
    pub output: String,
    pub truncated: bool,
    pub timed_out: bool,
    pub duration_ms: u64,
}

/// Why a command could not be run at all.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("working directory `{0}` is not inside the repository")]
    BadCwd(String),
    #[error("program `{0}` not found on PATH")]
    NotFound(String),
    #[error("could not start `{0}`: {1}")]
    Spawn(String, std::io::Error),
}

/// Resolve `cwd` (relative, no `..`) inside `root`.
pub fn resolve_cwd(root: &Path, cwd: &str) -> Result<PathBuf, ProcessError> {
    let rel = Path::new(cwd);
    if rel.components().any(|c| {
        !matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    }) {
        return Err(ProcessError::BadCwd(cwd.into()));
    }
    let full = root.join(rel);
    let canon = full
        .canonicalize()
        .map_err(|_| ProcessError::BadCwd(cwd.into()))?;
    let root = root
        .canonicalize()
        .map_err(|_| ProcessError::BadCwd(cwd.into()))?;
    if !canon.starts_with(&root) {
        return Err(ProcessError::BadCwd(cwd.into()));
    }
    Ok(canon)
}

/// Keeps the head and the tail of a stream within [`MAX_OUTPUT`].
#[derive(Default)]
struct Capture {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    dropped: u64,
}

impl Capture {
    fn push(&mut self, mut data: &[u8]) {
        let half = MAX_OUTPUT / 2;
        if self.head.len() < half {
            let n = (half - self.head.len()).min(data.len());
            self.head.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        for &b in data {
            if self.tail.len() == half {
                self.tail.pop_front();
                self.dropped += 1;
            }
            self.tail.push_back(b);
        }
    }

    fn finish(self) -> (String, bool) {
        let mut bytes = self.head;
        if self.dropped > 0 {
            bytes.extend_from_slice(
                format!("\n[... {} bytes cut by cifix ...]\n", self.dropped).as_bytes(),
            );
        }
        bytes.extend(self.tail);
        (
            String::from_utf8_lossy(&bytes).into_owned(),
            self.dropped > 0,
        )
    }
}

fn pump(mut r: impl Read, cap: Arc<Mutex<Capture>>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => cap.lock().unwrap().push(&buf[..n]),
        }
    }
}

fn kill_group(pid: u32) {
    // SAFETY: kill(2) with a negative pid signals the process group we created.
    unsafe {
        libc::kill(-(pid as i32), libc::SIGKILL);
    }
}

/// Run `spec` in `root`, wait at most its timeout (and stop early when
/// `cancel` is set), killing the whole process group on expiry.
pub fn run(
    root: &Path,
    spec: &Spec,
    cancel: Option<&AtomicBool>,
) -> Result<RunResult, ProcessError> {
    let cwd = resolve_cwd(root, &spec.cwd)?;
    let started = Instant::now();
    let mut cmd = Command::new(&spec.program);
    cmd.args(&spec.args)
        .current_dir(&cwd)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ProcessError::NotFound(spec.program.clone())
        } else {
            ProcessError::Spawn(spec.program.clone(), e)
        }
    })?;
    let cap = Arc::new(Mutex::new(Capture::default()));
    let out = child.stdout.take().map(|s| {
        let c = cap.clone();
        std::thread::spawn(move || pump(s, c))
    });
    let err = child.stderr.take().map(|s| {
        let c = cap.clone();
        std::thread::spawn(move || pump(s, c))
    });
    let pid = child.id();
    // A waiter thread blocks in waitpid, so a finished run is noticed at once
    // (no polling latency); this thread waits on the channel with the timeout.
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let mut timed_out = false;
    let status = loop {
        let left = spec.timeout.saturating_sub(started.elapsed());
        let slice = if cancel.is_some() {
            left.min(Duration::from_millis(50))
        } else {
            left
        };
        match rx.recv_timeout(slice) {
            Ok(st) => break st.ok(),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break None,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let cancelled = cancel.is_some_and(|c| c.load(Ordering::Relaxed));
                if started.elapsed() >= spec.timeout || cancelled {
                    timed_out = true;
                    kill_group(pid);
                    break rx.recv().ok().and_then(|s| s.ok());
                }
            }
        }
    };
    let _ = waiter.join();
    // Children that outlive the leader keep the pipes open: end them too.
    kill_group(pid);
    for t in [out, err].into_iter().flatten() {
        let _ = t.join();
    }
    let cap = Arc::try_unwrap(cap)
        .ok()
        .map(|m| m.into_inner().unwrap())
        .unwrap_or_default();
    let (output, truncated) = cap.finish();
    Ok(RunResult {
        exit_code: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        output,
        truncated,
        timed_out,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

/// How one run of a batch is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Passed,
    FailedExpected,
    FailedOther,
    TimedOut,
}

/// A batch of runs of one command.
#[derive(Debug, Clone)]
pub struct BatchSpec {
    pub spec: Spec,
    pub runs: u32,
    /// 0 = number of cores.
    pub parallel: u32,
    pub budget: Duration,
    /// All of these must appear in a failed run's output for `FailedExpected`.
    pub expect: Vec<String>,
    /// Stop after this many expected failures (0 = never).
    pub stop_after_failures: u32,
    pub stop_on_pass: bool,
}

/// One finished run of a batch.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BatchRun {
    pub index: u32,
    pub outcome: Outcome,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
}

/// What a batch found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BatchResult {
    /// In completion order.
    pub runs: Vec<BatchRun>,
    pub first_failure_output: Option<String>,
    pub first_other_output: Option<String>,
    pub elapsed_ms: u64,
    pub budget_exhausted: bool,
}

impl BatchResult {
    /// Number of runs with the given outcome.
    pub fn count(&self, o: Outcome) -> u32 {
        self.runs.iter().filter(|r| r.outcome == o).count() as u32
    }
}

/// Judge one run against the expected markers.
pub fn judge(r: &RunResult, expect: &[String]) -> Outcome {
    if r.timed_out {
        Outcome::TimedOut
    } else if r.exit_code == Some(0) {
        Outcome::Passed
    } else if expect.iter().all(|m| r.output.contains(m.as_str())) {
        Outcome::FailedExpected
    } else {
        Outcome::FailedOther
    }
}

/// Run a batch: `runs` runs on `parallel` workers, stopping at the budget or
/// when the stop conditions are met. `on_run` sees every finished run (for
/// progress display).
pub fn run_batch(
    root: &Path,
    b: &BatchSpec,
    on_run: &(dyn Fn(&BatchRun) + Sync),
) -> Result<BatchResult, ProcessError> {
    // Fail fast on a command that cannot start at all.
    resolve_cwd(root, &b.spec.cwd)?;
    let started = Instant::now();
    let workers = if b.parallel == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(2)
    } else {
        b.parallel
    }
    .clamp(1, 256)
    .min(b.runs.max(1));
    let next = AtomicU32::new(0);
    let stop = AtomicBool::new(false);
    let budget_hit = AtomicBool::new(false);
    let expected = AtomicU32::new(0);
    struct Shared {
        runs: Vec<BatchRun>,
        first_failure: Option<String>,
        first_other: Option<String>,
        error: Option<ProcessError>,
    }
    let shared = Mutex::new(Shared {
        runs: Vec::new(),
        first_failure: None,
        first_other: None,
        error: None,
    });
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let left = b.budget.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        budget_hit.store(true, Ordering::Relaxed);
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= b.runs {
                        break;
                    }
                    let mut spec = b.spec.clone();
                    spec.timeout = spec.timeout.min(left);
                    let r = match run(root, &spec, Some(&stop)) {
                        Ok(r) => r,
                        Err(e) => {
                            shared.lock().unwrap().error.get_or_insert(e);
                            stop.store(true, Ordering::Relaxed);
                            break;
                        }
                    };
                    // A run cut short by the budget or by a stop is not a result.
                    if r.timed_out
                        && (stop.load(Ordering::Relaxed) || started.elapsed() >= b.budget)
                        && r.duration_ms < b.spec.timeout.as_millis() as u64
                    {
                        budget_hit.store(!stop.load(Ordering::Relaxed), Ordering::Relaxed);
                        break;
                    }
                    let outcome = judge(&r, &b.expect);
                    let run = BatchRun {
                        index: i,
                        outcome,
                        exit_code: r.exit_code,
                        duration_ms: r.duration_ms,
                    };
                    on_run(&run);
                    let mut sh = shared.lock().unwrap();
                    match outcome {
                        Outcome::FailedExpected => {
                            sh.first_failure.get_or_insert(r.output);
                            let n = expected.fetch_add(1, Ordering::Relaxed) + 1;
                            if b.stop_after_failures > 0 && n >= b.stop_after_failures {
                                stop.store(true, Ordering::Relaxed);
                            }
                        }
                        Outcome::FailedOther | Outcome::TimedOut => {
                            sh.first_other.get_or_insert(r.output);
                        }
                        Outcome::Passed => {
                            if b.stop_on_pass {
                                stop.store(true, Ordering::Relaxed);
                            }
                        }
                    }
                    sh.runs.push(run);
                }
            });
        }
    });
    let sh = shared.into_inner().unwrap();
    if let Some(e) = sh.error {
        return Err(e);
    }
    Ok(BatchResult {
        runs: sh.runs,
        first_failure_output: sh.first_failure,
        first_other_output: sh.first_other,
        elapsed_ms: started.elapsed().as_millis() as u64,
        budget_exhausted: budget_hit.load(Ordering::Relaxed),
    })
}

/// `s` cut to at most `n` characters, with `…` when cut.
pub fn ellipsize(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!(
            "{}…",
            s.chars().take(n.saturating_sub(1)).collect::<String>()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(program: &str, args: &[&str], timeout_ms: u64) -> Spec {
        Spec {
            program: program.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            cwd: String::new(),
            env: vec![],
            timeout: Duration::from_millis(timeout_ms),
        }
    }

    #[test]
    fn timeout_kills_the_group() {
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            dir.path(),
            &spec("sh", &["-c", "sleep 30 & sleep 30"], 200),
            None,
        )
        .unwrap();
        assert!(r.timed_out);
        assert!(r.duration_ms < 5_000, "{}", r.duration_ms);
    }

    #[test]
    fn output_is_bounded_head_and_tail() {
        let dir = tempfile::tempdir().unwrap();
        let r = run(
            dir.path(),
            &spec(
                "sh",
                &["-c", "echo START; yes | head -c 3000000; echo; echo END"],
                20_000,
            ),
            None,
        )
        .unwrap();
        assert!(r.truncated);
        assert!(r.output.len() < MAX_OUTPUT + 100);
        assert!(r.output.starts_with("START") && r.output.trim_end().ends_with("END"));
    }

    #[test]
    fn cwd_cannot_leave_the_root() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            run(dir.path(), &spec("true", &[], 1000), None).map(|r| r.exit_code),
            Ok(Some(0))
        ));
        let mut s = spec("true", &[], 1000);
        s.cwd = "../".into();
        assert!(matches!(
            run(dir.path(), &s, None),
            Err(ProcessError::BadCwd(_))
        ));
    }

    #[test]
    fn batch_counts_and_stops() {
        let dir = tempfile::tempdir().unwrap();
        let b = BatchSpec {
            spec: spec("sh", &["-c", "echo boom; exit 1"], 5_000),
            runs: 10,
            parallel: 2,
            budget: Duration::from_secs(30),
            expect: vec!["boom".into()],
            stop_after_failures: 3,
            stop_on_pass: false,
        };
        let r = run_batch(dir.path(), &b, &|_| {}).unwrap();
        assert!(
            r.count(Outcome::FailedExpected) >= 3 && r.runs.len() <= 4,
            "{:?}",
            r.runs
        );
        let mut b2 = b.clone();
        b2.expect = vec!["other".into()];
        b2.stop_after_failures = 0;
        let r = run_batch(dir.path(), &b2, &|_| {}).unwrap();
        assert_eq!(r.count(Outcome::FailedOther), 10);
    }
}
