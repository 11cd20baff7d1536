//! Shared helpers for the end-to-end tests: a Python venv with pytest, toy
//! projects in git repositories with a bare `origin`, and snapshots that
//! prove the user's clone was not touched.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A venv with pytest, created once per test binary under `target/` (pip
/// fetches pytest from PyPI the first time). Panics with the reason when it
/// cannot be made: these tests never skip.
pub fn venv_bin() -> PathBuf {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        let name = exe.file_stem().unwrap().to_string_lossy().into_owned();
        let dir = root().join("target").join(format!("test-venv-{name}"));
        let bin = dir.join("bin");
        if !bin.join("pytest").exists() {
            let ok = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&dir)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(
                ok,
                "python3 -m venv {} failed: install python3 with venv",
                dir.display()
            );
            let ok = Command::new(bin.join("pip"))
                .args([
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "pytest",
                ])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(ok, "pip install pytest failed (needs PyPI)");
        }
        bin
    })
    .clone()
}

/// PATH with the venv first.
pub fn path_with_venv() -> String {
    format!(
        "{}:{}",
        venv_bin().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Run git, panicking with its stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dev One")
        .env("GIT_AUTHOR_EMAIL", "dev1@example.com")
        .env("GIT_COMMITTER_NAME", "Dev One")
        .env("GIT_COMMITTER_EMAIL", "dev1@example.com")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A project: `files` committed on `main` and pushed to a bare `origin`;
/// then the user's clone gets uncommitted, untracked and stashed changes.
pub struct Project {
    pub tmp: tempfile::TempDir,
    pub clone: PathBuf,
    pub origin: PathBuf,
}

impl Project {
    pub fn new(files: &[(&str, &str)]) -> Project {
        let tmp = tempfile::tempdir().unwrap();
        let origin = tmp.path().join("origin.git");
        let clone = tmp.path().join("clone");
        git(
            tmp.path(),
            &[
                "init",
                "--quiet",
                "--bare",
                "-b",
                "main",
                origin.to_str().unwrap(),
            ],
        );
        git(
            tmp.path(),
            &["init", "--quiet", "-b", "main", clone.to_str().unwrap()],
        );
        git(&clone, &["config", "user.name", "Dev One"]);
        git(&clone, &["config", "user.email", "dev1@example.com"]);
        for (p, text) in files {
            let f = clone.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, text).unwrap();
        }
        std::fs::write(clone.join(".gitignore"), "__pycache__/\n.pytest_cache/\n").unwrap();
        git(&clone, &["add", "-A"]);
        git(&clone, &["commit", "--quiet", "-m", "initial"]);
        git(
            &clone,
            &["remote", "add", "origin", origin.to_str().unwrap()],
        );
        git(&clone, &["push", "--quiet", "-u", "origin", "main"]);
        // The user's work in progress: a stash, a staged edit, an untracked file, another branch.
        std::fs::write(clone.join("NOTES.md"), "stashed idea\n").unwrap();
        git(&clone, &["add", "NOTES.md"]);
        git(&clone, &["stash", "--quiet"]);
        git(&clone, &["checkout", "--quiet", "-b", "feature"]);
        std::fs::write(clone.join("wip.txt"), "untracked work\n").unwrap();
        std::fs::write(clone.join("README.md"), "edited but not committed\n").unwrap();
        git(&clone, &["add", "README.md"]);
        Project { tmp, clone, origin }
    }

    /// Every file in the clone (including `.git` internals that matter), with content.
    pub fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![self.clone.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let p = e.path();
                let rel = p.strip_prefix(&self.clone).unwrap().display().to_string();
                // Worktree admin files and fetched remote refs may change; the
                // user's own state may not.
                if rel.starts_with(".git/worktrees")
                    || rel.starts_with(".git/cifix")
                    || rel.starts_with(".git/objects")
                    || rel.starts_with(".git/refs/remotes")
                    || rel.starts_with(".git/logs/refs/remotes")
                    || rel == ".git/FETCH_HEAD"
                    || rel.starts_with(".git/refs/heads/fix")
                    || rel.starts_with(".git/logs/refs/heads/fix")
                {
                    continue;
                }
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push((rel, std::fs::read(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    /// Branches in origin.
    pub fn origin_branches(&self) -> String {
        git(&self.origin, &["branch", "--list"])
    }
}

/// A GitHub Actions-shaped log for a pytest failure.
pub fn pytest_log(test_file: &str, test: &str, error_line: &str, error_type: &str) -> String {
    let mut s = String::from("\u{feff}");
    let lines = [
        "##[group]Run python -m pytest -q".to_string(),
        "python -m pytest -q".to_string(),
        "##[endgroup]".to_string(),
        "..F.                                                                     [100%]"
            .to_string(),
        "=================================== FAILURES ==================================="
            .to_string(),
        format!("_________________________________ {test} _________________________________"),
        String::new(),
        format!("    def {test}():"),
        format!(">       {error_line}"),
        format!("E       {error_type}"),
        String::new(),
        format!(
            "{test_file}:7: {}",
            error_type.split(':').next().unwrap_or(error_type)
        ),
        "=========================== short test summary info ============================"
            .to_string(),
        format!("FAILED {test_file}::{test} - {error_type}"),
        "1 failed, 3 passed in 0.05s".to_string(),
        "##[error]Process completed with exit code 1.".to_string(),
    ];
    for (i, l) in lines.iter().enumerate() {
        s.push_str(&format!(
            "2026-06-21T05:34:{:02}.{:07}Z {l}\n",
            50 + i / 10,
            i * 1000
        ));
    }
    s
}

/// The invoice toy project: `total()` has a float rounding bug.
pub const INVOICE: &str = "def total(prices, discount):\n    return sum(prices) * (1 - discount)\n";
/// Its test.
pub const INVOICE_TEST: &str = "from invoice import total\n\n\ndef test_total():\n    assert total([0.1, 0.2], discount=0.0) == 0.3\n\n\ndef test_empty():\n    assert total([], 0.5) == 0\n";

/// A genuinely timing-dependent test: the worker takes U(0, 2 ms), the test
/// waits 1.8 ms without joining; it fails when the worker is late (≈10%+).
pub const FLAKY_TEST: &str = r#"import random
import threading
import time


def start_worker(result):
    def work():
        time.sleep(random.uniform(0, 0.002))
        result.append("done")
    t = threading.Thread(target=work)
    t.start()
    return t


def test_worker_finishes_in_time():
    result = []
    t = start_worker(result)
    time.sleep(0.0018)
    ok = result == ["done"]
    t.join()
    assert ok, "worker was late: race between the worker thread and the deadline"
"#;

/// `pytest.ini` that puts the project root on sys.path.
pub const PYTEST_INI: &str = "[pytest]\npythonpath = .\n";

/// Check `doc` against the published schema `schema/<file>`; panics with every
/// violation.
pub fn assert_valid(file: &str, doc: &serde_json::Value) {
    let path = root().join("schema").join(file);
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{file}: {errors:#?}\n{doc:#}");
}
