//! The crash-safety marker: one JSON file per fix worktree, written before
//! anything is created and removed after everything is cleaned up.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use git2::Oid;
use serde::{Deserialize, Serialize};

use super::{Error, io};

/// What a run created, so a later run can clean up after a crash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Marker {
    /// Format version.
    pub version: u32,
    /// The process that owns the worktree.
    pub pid: u32,
    /// Unix seconds at creation.
    pub created: u64,
    /// The worktree's name in `.git/worktrees/`.
    pub worktree_name: String,
    /// The worktree folder.
    pub worktree: PathBuf,
    /// The branch (set before the branch is created).
    pub branch: String,
    /// Remote name.
    pub remote: String,
    /// Base branch.
    pub base: String,
    /// The base commit.
    pub base_oid: String,
    /// The last commit cifix made on the branch (the base at first).
    pub head: String,
    /// Whether the branch was pushed.
    pub pushed: bool,
    /// Free text (the run URL).
    pub label: Option<String>,
}

impl Marker {
    pub(super) fn new(
        name: &str,
        path: &Path,
        remote: &str,
        base: &str,
        base_oid: Oid,
        label: Option<String>,
    ) -> Marker {
        Marker {
            version: 1,
            pid: std::process::id(),
            created: now_nanos() as u64 / 1_000_000_000,
            worktree_name: name.into(),
            worktree: path.to_path_buf(),
            branch: String::new(),
            remote: remote.into(),
            base: base.into(),
            base_oid: base_oid.to_string(),
            head: base_oid.to_string(),
            pushed: false,
            label,
        }
    }

    /// Write atomically (temp file + rename).
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).expect("marker serialises");
        std::fs::write(&tmp, text).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io(path, e))
    }

    /// Read a marker file.
    pub fn read(path: &Path) -> Result<Marker, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
        serde_json::from_str(&text).map_err(|e| {
            io(
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            )
        })
    }
}

pub(super) fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Whether a process with this id runs (on this machine).
pub fn pid_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = i32::try_from(pid) else {
            return false;
        };
        if pid <= 0 {
            return false;
        }
        // SAFETY: kill with signal 0 only checks for existence and permission.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}
