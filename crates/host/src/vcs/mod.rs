//! git integration (git2): worktrees, branches, commits, push.
//!
//! The rule: the user's working tree, index, stash and HEAD are never
//! touched. All work happens in a **separate worktree** under
//! `<common git dir>/cifix-worktrees/<name>`, on a new branch `fix/<slug>`
//! created from the freshly fetched base branch.
//!
//! Crash safety: before a branch or worktree is created, a marker file
//! (`cifix-worktrees/<name>.json`, with the process id) is written; it is
//! updated after every commit and push, and removed only after the worktree
//! (and, on failure, the branch) is gone. [`Repo::cleanup_stale`] finds
//! markers whose process no longer runs (a crash, `kill -9`, Ctrl-C) and
//! removes what they describe, or reports it when removing could lose work.
//!
//! Everything goes through libgit2; nothing shells out to `git`.

mod marker;
pub mod scratch;

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use git2::{
    BranchType, Cred, CredentialType, Direction, FetchOptions, IndexAddOption, Oid, PushOptions,
    RemoteCallbacks, Repository,
};
use serde::{Deserialize, Serialize};
use tracing::{debug, info, info_span, warn};

pub use marker::Marker;

/// Where the worktrees and markers live, inside the common git dir.
pub const WORKTREES_DIR: &str = "cifix-worktrees";

/// git errors, with messages meant for the user.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `dir` is not inside a git repository.
    #[error("{dir} is not inside a git repository: {source}")]
    NotARepo {
        /// The directory searched from.
        dir: PathBuf,
        /// libgit2's error.
        source: git2::Error,
    },
    /// A bare repository has no working tree to fix.
    #[error("{0} is a bare repository; cifix needs a clone with a working tree")]
    Bare(PathBuf),
    /// No remote to fetch from or push to.
    #[error(
        "the repository has no remote named `{0}` (and no single other remote); add one with `git remote add origin URL`"
    )]
    NoRemote(String),
    /// The default branch could not be determined.
    #[error(
        "could not tell the default branch of `{remote}`: {reason}; pass the base branch explicitly"
    )]
    NoDefaultBranch {
        /// The remote.
        remote: String,
        /// Why.
        reason: String,
    },
    /// Fetching the base failed.
    #[error("fetching `{branch}` from `{remote}` failed: {source}")]
    Fetch {
        /// The remote.
        remote: String,
        /// The branch.
        branch: String,
        /// libgit2's error.
        source: git2::Error,
    },
    /// Pushing failed (network, auth).
    #[error("pushing `{branch}` to `{remote}` failed: {source}")]
    Push {
        /// The remote.
        remote: String,
        /// The branch.
        branch: String,
        /// libgit2's error.
        source: git2::Error,
    },
    /// The remote refused the update (never forced).
    #[error(
        "`{remote}` refused `{branch}`: {message}. cifix never force-pushes; the branch is left as it is"
    )]
    Rejected {
        /// The remote.
        remote: String,
        /// The branch.
        branch: String,
        /// The remote's reason.
        message: String,
    },
    /// Nothing changed since the last commit.
    #[error("nothing to commit in the fix worktree")]
    NothingToCommit,
    /// A path that would leave the worktree or touch `.git`.
    #[error("`{0}` is not a safe relative path inside the repository")]
    BadPath(PathBuf),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Any other libgit2 error.
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

fn io(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Credentials for fetch and push.
#[derive(Clone, Default)]
pub struct Auth {
    /// A GitHub token, sent as `x-access-token:<token>` over https.
    pub token: Option<String>,
    /// The only host the token is sent to (e.g. `github.com`); `None` sends it
    /// to any https remote.
    pub token_host: Option<String>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("token_host", &self.token_host)
            .finish()
    }
}

impl Auth {
    /// No token: ssh agent, git credential helpers, or anonymous.
    pub fn none() -> Auth {
        Auth::default()
    }

    /// `token` (from the forge's one token lookup), sent only to `host`.
    pub fn token_for(token: Option<&str>, host: &str) -> Auth {
        Auth {
            token: token.map(str::to_string),
            token_host: Some(host.to_string()),
        }
    }

    /// Credential callbacks: the token for https (to the allowed host only),
    /// else git's credential helpers; the ssh agent for ssh; libgit2's
    /// default (Negotiate/NTLM) otherwise. Gives up after a few rounds so a
    /// wrong credential fails instead of looping.
    fn callbacks<'a>(&'a self, config: Option<git2::Config>) -> RemoteCallbacks<'a> {
        let mut cb = RemoteCallbacks::new();
        let mut rounds = 0;
        cb.credentials(move |url, username, allowed| {
            rounds += 1;
            if rounds > 3 {
                return Err(git2::Error::from_str(
                    "authentication failed (the token, ssh agent key or credential helper was refused)",
                ));
            }
            if allowed.contains(CredentialType::SSH_KEY) {
                return Cred::ssh_key_from_agent(username.unwrap_or("git"));
            }
            if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
                if let Some(t) = &self.token
                    && self.token_host.as_deref().is_none_or(|h| url_host(url).as_deref() == Some(h))
                    && url.starts_with("https://")
                {
                    return Cred::userpass_plaintext("x-access-token", t);
                }
                if let Some(cfg) = &config {
                    return Cred::credential_helper(cfg, url, username);
                }
            }
            if allowed.contains(CredentialType::DEFAULT) {
                return Cred::default();
            }
            Err(git2::Error::from_str("no usable credentials for this remote"))
        });
        cb
    }
}

fn url_host(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.host_str().map(str::to_string)
}

/// `fix/<slug>`-safe text: lowercase letters, digits and single dashes, at
/// most 40 characters; `ci-failure` when nothing is left.
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out.chars().take(40).collect();
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "ci-failure".into()
    } else {
        out
    }
}

/// A discovered repository.
pub struct Repo {
    repo: Repository,
    workdir: PathBuf,
    common_dir: PathBuf,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo")
            .field("workdir", &self.workdir)
            .finish()
    }
}

/// What to create.
#[derive(Debug, Clone, Default)]
pub struct FixOptions {
    /// Branch slug (`fix/<slug>`); slugified.
    pub slug: String,
    /// Remote name [default: `origin`, or the only remote].
    pub remote: Option<String>,
    /// Base branch [default: the remote's default branch].
    pub base: Option<String>,
    /// Recorded in the marker (e.g. the run URL) for stale reports.
    pub label: Option<String>,
}

/// The commit a run starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// The remote it was fetched from.
    pub remote: String,
    /// The branch.
    pub branch: String,
    /// The commit.
    pub oid: Oid,
}

/// What [`Repo::cleanup_stale`] did with one leftover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaleItem {
    /// The branch of the abandoned run.
    pub branch: String,
    /// Its worktree folder.
    pub worktree: PathBuf,
    /// The process that created it.
    pub pid: u32,
    /// What happened.
    pub action: StaleAction,
}

/// Outcome for one leftover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "detail")]
pub enum StaleAction {
    /// The worktree, the branch and the marker were removed.
    Removed,
    /// The worktree was removed; the branch was kept (the reason says why:
    /// pushed, or it has commits cifix did not make).
    BranchKept(String),
    /// Its process still runs: left alone.
    Active,
}

impl Repo {
    /// Find the repository containing `dir`.
    pub fn discover(dir: &Path) -> Result<Repo, Error> {
        let repo = Repository::discover(dir).map_err(|source| Error::NotARepo {
            dir: dir.to_path_buf(),
            source,
        })?;
        let workdir = repo
            .workdir()
            .ok_or_else(|| Error::Bare(repo.path().to_path_buf()))?
            .to_path_buf();
        let common_dir = repo.commondir().to_path_buf();
        Ok(Repo {
            repo,
            workdir,
            common_dir,
        })
    }

    /// The working tree root.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The git2 repository (read-only uses).
    pub fn git2(&self) -> &Repository {
        &self.repo
    }

    /// `origin` if it exists, else the only remote.
    pub fn default_remote(&self) -> Result<String, Error> {
        let remotes = self.repo.remotes()?;
        let names: Vec<&str> = remotes.iter().flatten().flatten().collect();
        if names.contains(&"origin") {
            return Ok("origin".into());
        }
        match names.as_slice() {
            [one] => Ok(one.to_string()),
            _ => Err(Error::NoRemote("origin".into())),
        }
    }

    /// The remote's URL.
    pub fn remote_url(&self, remote: &str) -> Result<String, Error> {
        let r = self
            .repo
            .find_remote(remote)
            .map_err(|_| Error::NoRemote(remote.into()))?;
        Ok(r.url().unwrap_or_default().to_string())
    }

    fn config(&self) -> Option<git2::Config> {
        self.repo.config().ok()
    }

    /// The remote's default branch: `refs/remotes/<remote>/HEAD` if set,
    /// else asked from the remote (network), else `main` or `master` if a
    /// remote-tracking branch of that name exists.
    pub fn default_branch(&self, remote: &str, auth: &Auth) -> Result<String, Error> {
        if let Ok(r) = self
            .repo
            .find_reference(&format!("refs/remotes/{remote}/HEAD"))
            && let Ok(Some(target)) = r.symbolic_target()
            && let Some(b) = target.strip_prefix(&format!("refs/remotes/{remote}/"))
        {
            return Ok(b.to_string());
        }
        let mut r = self
            .repo
            .find_remote(remote)
            .map_err(|_| Error::NoRemote(remote.into()))?;
        let asked = (|| -> Result<String, git2::Error> {
            let conn =
                r.connect_auth(Direction::Fetch, Some(auth.callbacks(self.config())), None)?;
            let buf = conn.default_branch()?;
            Ok(buf
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("refs/heads/")
                .to_string())
        })();
        match asked {
            Ok(b) if !b.is_empty() => Ok(b),
            other => {
                for b in ["main", "master"] {
                    if self
                        .repo
                        .find_reference(&format!("refs/remotes/{remote}/{b}"))
                        .is_ok()
                    {
                        return Ok(b.into());
                    }
                }
                Err(Error::NoDefaultBranch {
                    remote: remote.into(),
                    reason: other
                        .err()
                        .map_or("the remote names none".into(), |e| e.message().to_string()),
                })
            }
        }
    }

    /// Fetch `branch` from `remote` into `refs/remotes/<remote>/<branch>`
    /// (FETCH_HEAD is not written) and return its commit.
    pub fn fetch_base(&self, remote: &str, branch: &str, auth: &Auth) -> Result<Oid, Error> {
        let _span = info_span!("git.fetch", remote, branch).entered();
        let mut r = self
            .repo
            .find_remote(remote)
            .map_err(|_| Error::NoRemote(remote.into()))?;
        let mut fo = FetchOptions::new();
        fo.remote_callbacks(auth.callbacks(self.config()))
            .update_fetchhead(false);
        let refspec = format!("+refs/heads/{branch}:refs/remotes/{remote}/{branch}");
        r.fetch(&[refspec.as_str()], Some(&mut fo), None)
            .map_err(|source| Error::Fetch {
                remote: remote.into(),
                branch: branch.into(),
                source,
            })?;
        let oid = self
            .repo
            .refname_to_id(&format!("refs/remotes/{remote}/{branch}"))
            .map_err(|source| Error::Fetch {
                remote: remote.into(),
                branch: branch.into(),
                source,
            })?;
        info!(%oid, "fetched {remote}/{branch}");
        Ok(oid)
    }

    /// Branch names on the remote (`git ls-remote --heads`).
    pub fn remote_branches(&self, remote: &str, auth: &Auth) -> Result<HashSet<String>, Error> {
        let mut r = self
            .repo
            .find_remote(remote)
            .map_err(|_| Error::NoRemote(remote.into()))?;
        let conn = r.connect_auth(Direction::Fetch, Some(auth.callbacks(self.config())), None)?;
        Ok(conn
            .list()?
            .iter()
            .filter_map(|h| h.name().strip_prefix("refs/heads/").map(str::to_string))
            .collect())
    }

    fn cifix_dir(&self) -> PathBuf {
        self.common_dir.join(WORKTREES_DIR)
    }

    /// Fetch the base, pick a free `fix/<slug>[-N]` name (free locally and on
    /// the remote), write the marker, create the branch at the fetched base
    /// and check it out in a new worktree. The user's checkout is not
    /// touched.
    pub fn start_fix(&self, opts: &FixOptions, auth: &Auth) -> Result<FixWorktree, Error> {
        let base = self.resolve_base(opts.remote.as_deref(), opts.base.as_deref(), auth)?;
        self.start_fix_at(opts, &base, auth)
    }

    /// The base a run works on: the remote (`remote`, else the default one), its
    /// branch (`branch`, else the remote's default), fetched fresh, and the commit.
    /// A run resolves it once: the reproduction and the fix both start there.
    pub fn resolve_base(
        &self,
        remote: Option<&str>,
        branch: Option<&str>,
        auth: &Auth,
    ) -> Result<Base, Error> {
        let remote = match remote {
            Some(r) => r.to_string(),
            None => self.default_remote()?,
        };
        let branch = match branch {
            Some(b) => b.to_string(),
            None => self.default_branch(&remote, auth)?,
        };
        let oid = self.fetch_base(&remote, &branch, auth)?;
        Ok(Base {
            remote,
            branch,
            oid,
        })
    }

    /// [`Repo::start_fix`] at an already resolved base.
    pub fn start_fix_at(
        &self,
        opts: &FixOptions,
        base: &Base,
        auth: &Auth,
    ) -> Result<FixWorktree, Error> {
        let _span = info_span!("phase.branch", slug = %opts.slug).entered();
        let (remote, base_oid) = (base.remote.clone(), base.oid);
        let base = base.branch.clone();
        let on_remote = self.remote_branches(&remote, auth).unwrap_or_else(|e| {
            warn!("could not list the branches of `{remote}` ({e}); checking local names only");
            HashSet::new()
        });
        let slug = slugify(&opts.slug);
        let dir = self.cifix_dir();
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        let base_commit = self.repo.find_commit(base_oid)?;
        let unique = format!(
            "{}-{:x}",
            std::process::id(),
            marker::now_nanos() & 0xff_ffff
        );
        let short: String = slug.chars().take(24).collect();
        let wt_name = format!("cifix-{short}-{unique}");
        let wt_path = dir.join(&wt_name);
        let marker_path = dir.join(format!("{wt_name}.json"));
        let mut marker = Marker::new(
            &wt_name,
            &wt_path,
            &remote,
            &base,
            base_oid,
            opts.label.clone(),
        );

        let mut n = 1u32;
        let branch = loop {
            let candidate = if n == 1 {
                format!("fix/{slug}")
            } else {
                format!("fix/{slug}-{n}")
            };
            n += 1;
            if on_remote.contains(&candidate)
                || self.repo.find_branch(&candidate, BranchType::Local).is_ok()
            {
                debug!("{candidate} exists; trying the next suffix");
                continue;
            }
            // The marker names the branch before the branch exists.
            marker.branch = candidate.clone();
            marker.write(&marker_path)?;
            match self.repo.branch(&candidate, &base_commit, false) {
                Ok(_) => break candidate,
                Err(e) if e.code() == git2::ErrorCode::Exists => continue,
                Err(e) => {
                    let _ = std::fs::remove_file(&marker_path);
                    return Err(e.into());
                }
            }
        };
        let created = (|| -> Result<(), Error> {
            let reference = self.repo.find_reference(&format!("refs/heads/{branch}"))?;
            let mut wo = git2::WorktreeAddOptions::new();
            wo.reference(Some(&reference));
            self.repo.worktree(&wt_name, &wt_path, Some(&wo))?;
            Ok(())
        })();
        let fix = FixWorktree {
            common_dir: self.common_dir.clone(),
            path: wt_path,
            marker_path,
            marker,
            done: false,
        };
        if let Err(e) = created {
            let _ = fix.abandon();
            return Err(e);
        }
        info!(branch = %fix.marker.branch, path = %fix.path.display(), "fix worktree ready on {remote}/{base} {base_oid}");
        Ok(fix)
    }

    /// Find leftovers of abandoned runs (a marker whose process no longer
    /// runs), remove their worktree, and their branch unless it was pushed or
    /// carries commits cifix did not make (then it is kept and reported).
    /// Markers of live processes are reported as [`StaleAction::Active`].
    pub fn cleanup_stale(&self) -> Result<Vec<StaleItem>, Error> {
        let _span = info_span!("git.cleanup_stale").entered();
        let dir = self.cifix_dir();
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(out);
        };
        let mut markers: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        markers.sort();
        for path in markers {
            let m = match Marker::read(&path) {
                Ok(m) => m,
                Err(e) => {
                    warn!("ignoring unreadable marker {}: {e}", path.display());
                    continue;
                }
            };
            if m.pid == std::process::id() || marker::pid_alive(m.pid) {
                out.push(StaleItem {
                    branch: m.branch,
                    worktree: m.worktree,
                    pid: m.pid,
                    action: StaleAction::Active,
                });
                continue;
            }
            let action = remove_leftovers(&self.repo, &m, false)?;
            std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
            warn!(
                "cleaned up after an abandoned cifix run (pid {}): {} ({action:?})",
                m.pid, m.branch
            );
            out.push(StaleItem {
                branch: m.branch,
                worktree: m.worktree,
                pid: m.pid,
                action,
            });
        }
        Ok(out)
    }
}

/// Remove a run's worktree, then its branch when that loses nothing.
fn remove_leftovers(
    repo: &Repository,
    m: &Marker,
    force_branch: bool,
) -> Result<StaleAction, Error> {
    if m.worktree.exists() {
        std::fs::remove_dir_all(&m.worktree).map_err(|e| io(&m.worktree, e))?;
    }
    if let Ok(wt) = repo.find_worktree(&m.worktree_name) {
        let mut po = git2::WorktreePruneOptions::new();
        po.valid(true).locked(true).working_tree(true);
        wt.prune(Some(&mut po))?;
    }
    let admin = repo.commondir().join("worktrees").join(&m.worktree_name);
    if admin.exists() {
        std::fs::remove_dir_all(&admin).map_err(|e| io(&admin, e))?;
    }
    if m.branch.is_empty() {
        return Ok(StaleAction::Removed);
    }
    let Ok(mut branch) = repo.find_branch(&m.branch, BranchType::Local) else {
        return Ok(StaleAction::Removed);
    };
    let tip = branch.get().target();
    let ours = tip.is_some_and(|t| t.to_string() == m.head || t.to_string() == m.base_oid);
    if !force_branch && m.pushed {
        return Ok(StaleAction::BranchKept(format!(
            "{} was pushed to {}",
            m.branch, m.remote
        )));
    }
    if !ours {
        return Ok(StaleAction::BranchKept(format!(
            "{} has commits cifix did not make",
            m.branch
        )));
    }
    branch.delete()?;
    Ok(StaleAction::Removed)
}

/// A fix branch checked out in its own worktree. Dropping it without
/// [`FixWorktree::finish`] abandons it (worktree and branch removed).
#[derive(Debug)]
pub struct FixWorktree {
    common_dir: PathBuf,
    path: PathBuf,
    marker_path: PathBuf,
    marker: Marker,
    done: bool,
}

impl FixWorktree {
    /// The worktree folder (give this to the agent).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `fix/<slug>[-N]`.
    pub fn branch(&self) -> &str {
        &self.marker.branch
    }

    /// The base branch.
    pub fn base(&self) -> &str {
        &self.marker.base
    }

    /// The remote.
    pub fn remote(&self) -> &str {
        &self.marker.remote
    }

    /// The commit the branch started from.
    pub fn base_oid(&self) -> Oid {
        Oid::from_str(&self.marker.base_oid).unwrap_or(Oid::ZERO_SHA1)
    }

    /// The marker file (crash safety).
    pub fn marker_path(&self) -> &Path {
        &self.marker_path
    }

    fn open(&self) -> Result<Repository, Error> {
        Ok(Repository::open(&self.path)?)
    }

    fn target(&self, rel: &Path) -> Result<PathBuf, Error> {
        let ok = !rel.as_os_str().is_empty()
            && rel
                .components()
                .all(|c| matches!(c, Component::Normal(s) if s != ".git"));
        if !ok {
            return Err(Error::BadPath(rel.to_path_buf()));
        }
        Ok(self.path.join(rel))
    }

    /// Copy the file `src` into the worktree at `rel`.
    pub fn copy_file(&self, src: &Path, rel: &Path) -> Result<(), Error> {
        let bytes = std::fs::read(src).map_err(|e| io(src, e))?;
        self.write_file(rel, &bytes)
    }

    /// Write `bytes` to `rel` in the worktree (parents created).
    pub fn write_file(&self, rel: &Path, bytes: &[u8]) -> Result<(), Error> {
        let dst = self.target(rel)?;
        if let Some(p) = dst.parent() {
            std::fs::create_dir_all(p).map_err(|e| io(p, e))?;
        }
        std::fs::write(&dst, bytes).map_err(|e| io(&dst, e))
    }

    /// Stage every change in the worktree (new, modified, deleted; files
    /// in `force_add` even if ignored) and commit with `message` and the
    /// `Key: value` trailers.
    pub fn commit(
        &mut self,
        message: &str,
        trailers: &[(&str, &str)],
        force_add: &[&Path],
    ) -> Result<Oid, Error> {
        let repo = self.open()?;
        let mut index = repo.index()?;
        index.add_all(["*"], IndexAddOption::DEFAULT, None)?;
        index.update_all(["*"], None)?;
        for p in force_add {
            self.target(p)?;
            index.add_path(p)?;
        }
        index.write()?;
        let tree = repo.find_tree(index.write_tree()?)?;
        let parent = repo.head()?.peel_to_commit()?;
        if parent.tree_id() == tree.id() {
            return Err(Error::NothingToCommit);
        }
        let sig = repo
            .signature()
            .or_else(|_| git2::Signature::now("cifix", "cifix@localhost"))?;
        let msg = with_trailers(message, trailers);
        let oid = repo.commit(Some("HEAD"), &sig, &sig, &msg, &tree, &[&parent])?;
        self.marker.head = oid.to_string();
        self.marker.write(&self.marker_path)?;
        info!(%oid, branch = %self.marker.branch, "committed");
        Ok(oid)
    }

    /// Delete `paths` (the reproduction test) and commit that, so the PR
    /// holds only the fix.
    pub fn remove_and_commit(
        &mut self,
        paths: &[&Path],
        message: &str,
        trailers: &[(&str, &str)],
    ) -> Result<Oid, Error> {
        for rel in paths {
            let p = self.target(rel)?;
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&p, e)),
            }
        }
        self.commit(message, trailers, &[])
    }

    /// Push the branch to its remote (never forced). A refusal is
    /// [`Error::Rejected`].
    pub fn push(&mut self, auth: &Auth) -> Result<(), Error> {
        let _span = info_span!("phase.push", branch = %self.marker.branch).entered();
        let repo = self.open()?;
        let remote_name = self.marker.remote.clone();
        let branch = self.marker.branch.clone();
        let mut remote = repo
            .find_remote(&remote_name)
            .map_err(|_| Error::NoRemote(remote_name.clone()))?;
        let rejected = std::cell::RefCell::new(None::<String>);
        {
            let mut cb = auth.callbacks(repo.config().ok());
            cb.push_update_reference(|_refname, status| {
                if let Some(s) = status {
                    *rejected.borrow_mut() = Some(s.to_string());
                }
                Ok(())
            });
            let mut po = PushOptions::new();
            po.remote_callbacks(cb);
            let spec = format!("refs/heads/{branch}:refs/heads/{branch}");
            remote
                .push(&[spec.as_str()], Some(&mut po))
                .map_err(|source| match source.code() {
                    git2::ErrorCode::NotFastForward => Error::Rejected {
                        remote: remote_name.clone(),
                        branch: branch.clone(),
                        message: source.message().to_string(),
                    },
                    _ => Error::Push {
                        remote: remote_name.clone(),
                        branch: branch.clone(),
                        source,
                    },
                })?;
        }
        if let Some(message) = rejected.into_inner() {
            return Err(Error::Rejected {
                remote: remote_name,
                branch,
                message,
            });
        }
        self.marker.pushed = true;
        self.marker.write(&self.marker_path)?;
        info!("pushed {branch} to {remote_name}");
        Ok(())
    }

    /// Done: remove the worktree, keep the branch if `keep_branch` (so the
    /// user can `git switch` to it), remove the marker.
    pub fn finish(mut self, keep_branch: bool) -> Result<(), Error> {
        self.done = true;
        let repo = Repository::open(&self.common_dir)?;
        let mut m = self.marker.clone();
        if keep_branch {
            m.branch.clear();
        }
        remove_leftovers(&repo, &m, true)?;
        std::fs::remove_file(&self.marker_path).map_err(|e| io(&self.marker_path, e))?;
        Ok(())
    }

    /// Failure path: remove the worktree and the local branch (a pushed
    /// remote branch stays, with a warning), then the marker.
    pub fn abandon(mut self) -> Result<(), Error> {
        self.done = true;
        self.abandon_inner()
    }

    fn abandon_inner(&self) -> Result<(), Error> {
        let repo = Repository::open(&self.common_dir)?;
        if self.marker.pushed {
            warn!(
                "{} was pushed to {}; delete it there if it is not wanted",
                self.marker.branch, self.marker.remote
            );
        }
        let mut m = self.marker.clone();
        m.pushed = false;
        match remove_leftovers(&repo, &m, true)? {
            StaleAction::BranchKept(why) => warn!("kept {}: {why}", m.branch),
            _ => debug!("abandoned {}", m.branch),
        }
        match std::fs::remove_file(&self.marker_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(&self.marker_path, e)),
            _ => Ok(()),
        }
    }
}

impl Drop for FixWorktree {
    fn drop(&mut self) {
        if !self.done
            && let Err(e) = self.abandon_inner()
        {
            warn!(
                "could not clean up {}: {e}; the next run will retry",
                self.path.display()
            );
        }
    }
}

/// `message`, a blank line, then `Key: value` lines.
pub fn with_trailers(message: &str, trailers: &[(&str, &str)]) -> String {
    let mut msg = message.trim_end().to_string();
    if !trailers.is_empty() {
        msg.push_str("\n\n");
        for (k, v) in trailers {
            msg.push_str(&format!("{k}: {v}\n"));
        }
    } else {
        msg.push('\n');
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_hosts() {
        assert_eq!(
            slugify("Test failure: foo::bar (ubuntu)"),
            "test-failure-foo-bar-ubuntu"
        );
        assert_eq!(slugify("!!!"), "ci-failure");
        assert_eq!(
            url_host("https://x-access-token@github.com/o/r.git").as_deref(),
            Some("github.com")
        );
        assert_eq!(
            url_host("https://ghe.corp:8443/o/r").as_deref(),
            Some("ghe.corp")
        );
        assert_eq!(
            with_trailers("Fix it\n", &[("Cifix-Run", "u")]),
            "Fix it\n\nCifix-Run: u\n"
        );
    }
}
