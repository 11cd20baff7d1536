//! Scoped file access: the target repository read-only, the failure folder
//! read-write. Paths are resolved with `cap-std`, which refuses absolute
//! paths, `..` that leaves the root and symlinks pointing outside it.

use std::io::Read;
use std::path::{Component, Path};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

/// Largest file a plugin may read or write in one call.
pub const MAX_FILE: u64 = 16 * 1024 * 1024;
/// Total bytes a plugin may write into the failure folder in one session.
pub const MAX_WRITTEN: u64 = 64 * 1024 * 1024;

/// Why a file operation failed.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("no {0} folder is lent to this plugin")]
    NoRoot(&'static str),
    #[error("path `{0}` is not a plain relative path inside the {1} folder")]
    Escape(String, &'static str),
    #[error("`{0}` not found")]
    NotFound(String),
    #[error("`{0}` is larger than {MAX_FILE} bytes")]
    TooLarge(String),
    #[error("the plugin has written more than {MAX_WRITTEN} bytes")]
    Quota,
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

/// The two roots a plugin may be lent.
#[derive(Debug, Default)]
pub struct FsRoots {
    repo: Option<Dir>,
    failure: Option<Dir>,
    written: u64,
}

/// Which root an operation applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    Repo,
    Failure,
}

impl Root {
    fn label(self) -> &'static str {
        match self {
            Root::Repo => "repository",
            Root::Failure => "failure",
        }
    }
}

fn open(path: &Path) -> std::io::Result<Dir> {
    Dir::open_ambient_dir(path, ambient_authority())
}

impl FsRoots {
    /// Lend the repository at `repo` (read-only) and the failure folder at
    /// `failure` (created if missing).
    pub fn new(repo: Option<&Path>, failure: Option<&Path>) -> std::io::Result<Self> {
        let repo = repo.map(open).transpose()?;
        let failure = match failure {
            Some(p) => {
                std::fs::create_dir_all(p)?;
                Some(open(p)?)
            }
            None => None,
        };
        Ok(FsRoots {
            repo,
            failure,
            written: 0,
        })
    }

    fn dir(&self, root: Root) -> Result<&Dir, FsError> {
        match root {
            Root::Repo => self.repo.as_ref(),
            Root::Failure => self.failure.as_ref(),
        }
        .ok_or(FsError::NoRoot(root.label()))
    }

    /// Reject what is not a plain relative path before cap-std sees it, so the
    /// error names the problem (cap-std would refuse it too).
    fn check(path: &str, root: Root) -> Result<(), FsError> {
        let p = Path::new(path);
        let bad = path.is_empty() && root == Root::Failure
            || p.components().any(|c| {
                matches!(
                    c,
                    Component::ParentDir | Component::RootDir | Component::Prefix(_)
                )
            });
        if bad || path.contains('\0') {
            return Err(FsError::Escape(path.into(), root.label()));
        }
        Ok(())
    }

    fn map_io(path: &str, root: Root, e: std::io::Error) -> FsError {
        match e.kind() {
            std::io::ErrorKind::NotFound => FsError::NotFound(path.into()),
            // cap-std reports escapes (symlinks out of the root) as PermissionDenied.
            std::io::ErrorKind::PermissionDenied => FsError::Escape(path.into(), root.label()),
            _ => FsError::Io(path.into(), e),
        }
    }

    /// Read a whole file (at most [`MAX_FILE`] bytes).
    pub fn read(&self, root: Root, path: &str) -> Result<Vec<u8>, FsError> {
        Self::check(path, root)?;
        let dir = self.dir(root)?;
        let f = dir.open(path).map_err(|e| Self::map_io(path, root, e))?;
        let mut buf = Vec::new();
        f.take(MAX_FILE + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Self::map_io(path, root, e))?;
        if buf.len() as u64 > MAX_FILE {
            return Err(FsError::TooLarge(path.into()));
        }
        Ok(buf)
    }

    /// Names in a directory, sorted; directories end with `/`.
    pub fn list(&self, root: Root, path: &str) -> Result<Vec<String>, FsError> {
        if !path.is_empty() && path != "." {
            Self::check(path, root)?;
        }
        let dir = self.dir(root)?;
        let it = if path.is_empty() || path == "." {
            dir.entries()
        } else {
            dir.read_dir(path)
        }
        .map_err(|e| Self::map_io(path, root, e))?;
        let mut out = Vec::new();
        for e in it.flatten().take(100_000) {
            let mut name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                name.push('/');
            }
            out.push(name);
        }
        out.sort();
        Ok(out)
    }

    /// Create or replace a file in the failure folder, creating parent folders.
    pub fn write(&mut self, path: &str, contents: &[u8]) -> Result<(), FsError> {
        let root = Root::Failure;
        Self::check(path, root)?;
        if contents.len() as u64 > MAX_FILE {
            return Err(FsError::TooLarge(path.into()));
        }
        if self.written + contents.len() as u64 > MAX_WRITTEN {
            return Err(FsError::Quota);
        }
        let dir = self.dir(root)?;
        // Refuse any symlink on the way: a planted link must not redirect the write.
        let mut prefix = std::path::PathBuf::new();
        for c in Path::new(path).components() {
            prefix.push(c);
            match dir.symlink_metadata(&prefix) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(FsError::Escape(path.into(), root.label()));
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        if let Some(parent) = Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
        {
            dir.create_dir_all(parent)
                .map_err(|e| Self::map_io(path, root, e))?;
        }
        dir.write(path, contents)
            .map_err(|e| Self::map_io(path, root, e))?;
        self.written += contents.len() as u64;
        Ok(())
    }
}
