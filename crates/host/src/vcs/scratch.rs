//! A throw-away detached worktree of the repository's HEAD, where tests run
//! so the user's checkout (working tree, index, stash, branch) is never
//! touched. Removed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A detached worktree, removed (with `git worktree remove --force`) on drop.
#[derive(Debug)]
pub struct Scratch {
    repo: PathBuf,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

/// Why the scratch worktree could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ScratchError {
    #[error("{0} is not a git repository with a commit to check out: {1}")]
    NotARepo(PathBuf, String),
    #[error("creating a worktree of {0}: {1}")]
    Worktree(PathBuf, String),
}

fn git(repo: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .map_err(|e| format!("running git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// The top of the working tree containing `dir`.
pub fn toplevel(dir: &Path) -> Result<PathBuf, ScratchError> {
    git(dir, &["rev-parse", "--show-toplevel"])
        .map(PathBuf::from)
        .map_err(|e| ScratchError::NotARepo(dir.into(), e))
}

impl Scratch {
    /// Check out `rev` (default HEAD) of `repo` into a new temporary worktree.
    pub fn create(repo: &Path, rev: Option<&str>) -> Result<Scratch, ScratchError> {
        let repo = toplevel(repo)?;
        let rev = rev.unwrap_or("HEAD");
        git(
            &repo,
            &["rev-parse", "--verify", &format!("{rev}^{{commit}}")],
        )
        .map_err(|e| ScratchError::NotARepo(repo.clone(), e))?;
        let dir = tempfile::Builder::new()
            .prefix("cifix-scratch-")
            .tempdir()
            .map_err(|e| ScratchError::Worktree(repo.clone(), e.to_string()))?;
        let path = dir.path().join("worktree");
        let p = path.display().to_string();
        git(&repo, &["worktree", "add", "--detach", "--quiet", &p, rev])
            .map_err(|e| ScratchError::Worktree(repo.clone(), e))?;
        Ok(Scratch {
            repo,
            path,
            _dir: dir,
        })
    }

    /// The worktree's folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let p = self.path.display().to_string();
        if let Err(e) = git(&self.repo, &["worktree", "remove", "--force", &p]) {
            tracing::warn!("could not remove the scratch worktree {p}: {e}");
        }
        let _ = git(&self.repo, &["worktree", "prune"]);
    }
}
