//! git safety: whatever the fix flow does (success, failure, crash, kill),
//! the user's clone — working tree, untracked files, index, HEAD, branches,
//! stash — stays byte-for-byte as it was. `origin` is a bare repository in a
//! temp dir; no network.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cifix_host::vcs::{Auth, FixOptions, Marker, Repo, StaleAction, WORKTREES_DIR};
use git2::{BranchType, IndexAddOption, Repository, Signature, StashFlags};

struct Fixture {
    _tmp: tempfile::TempDir,
    origin: PathBuf,
    clone: PathBuf,
    other: PathBuf,
}

fn sig() -> Signature<'static> {
    Signature::now("Test User", "test@example.com").unwrap()
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn commit_all(repo: &Repository, msg: &str) -> git2::Oid {
    let mut index = repo.index().unwrap();
    index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let parents: Vec<git2::Commit> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let refs: Vec<&git2::Commit> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig(), &sig(), msg, &tree, &refs)
        .unwrap()
}

fn push(repo: &Repository, spec: &str) {
    repo.find_remote("origin")
        .unwrap()
        .push(&[spec], None)
        .unwrap();
}

/// origin (bare, HEAD → main), the user's clone on `feature` with staged,
/// unstaged and untracked changes and a stash, and a second clone that has
/// pushed a newer commit to main (so the base must be fetched).
fn setup() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin.git");
    let clone = tmp.path().join("clone");
    let other = tmp.path().join("other");
    let bare = Repository::init_bare(&origin).unwrap();
    bare.set_head("refs/heads/main").unwrap();

    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(&clone, &opts).unwrap();
    {
        let mut cfg = repo.config().unwrap();
        cfg.set_str("user.name", "Test User").unwrap();
        cfg.set_str("user.email", "test@example.com").unwrap();
    }
    repo.remote("origin", origin.to_str().unwrap()).unwrap();
    write(
        &clone,
        "src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 { a - b }\n",
    );
    write(&clone, "README.md", "# demo\n");
    write(&clone, ".gitignore", "target/\n");
    commit_all(&repo, "initial");
    push(&repo, "refs/heads/main:refs/heads/main");

    // Someone else moves main forward.
    let o = Repository::clone(origin.to_str().unwrap(), &other).unwrap();
    write(&other, "CHANGELOG.md", "newer main\n");
    commit_all(&o, "newer main");
    push(&o, "refs/heads/main:refs/heads/main");

    // The user's work in progress.
    {
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        repo.branch("feature", &head, false).unwrap();
    }
    repo.set_head("refs/heads/feature").unwrap();
    write(
        &clone,
        "src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 { a - b } // stashed idea\n",
    );
    let mut repo = repo;
    repo.stash_save(&sig(), "wip idea", Some(StashFlags::DEFAULT))
        .unwrap();
    write(&clone, "README.md", "# demo\n\nstaged edit\n");
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("README.md")).unwrap();
    index.write().unwrap();
    write(
        &clone,
        "src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 { a - b } // unstaged\n",
    );
    write(&clone, "notes/untracked.txt", "untracked notes\n");
    write(&clone, "target/ignored.bin", "ignored\n");
    Fixture {
        _tmp: tmp,
        origin,
        clone,
        other,
    }
}

/// Every file outside `.git`, plus the parts of `.git` that are the user's:
/// HEAD, index, config, their branches, the stash and their reflogs.
fn snapshot(clone: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            if rel == Path::new(".git") {
                continue;
            }
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    walk(clone, clone, &mut out);
    for rel in [
        "HEAD",
        "index",
        "config",
        "packed-refs",
        "refs/heads/main",
        "refs/heads/feature",
        "refs/stash",
        "logs/HEAD",
        "logs/refs/stash",
        "logs/refs/heads/feature",
        "logs/refs/heads/main",
    ] {
        let p = clone.join(".git").join(rel);
        if p.exists() {
            out.insert(Path::new(".git").join(rel), std::fs::read(&p).unwrap());
        }
    }
    assert!(out.contains_key(Path::new(".git/refs/stash")));
    assert!(out.contains_key(Path::new("notes/untracked.txt")));
    out
}

fn assert_unchanged(before: &BTreeMap<PathBuf, Vec<u8>>, clone: &Path) {
    let after = snapshot(clone);
    let changed: Vec<_> = before
        .keys()
        .chain(after.keys())
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(changed.is_empty(), "the user's clone changed: {changed:?}");
}

fn assert_no_leftovers(clone: &Path) {
    let cifix = clone.join(".git").join(WORKTREES_DIR);
    let left: Vec<_> = std::fs::read_dir(&cifix)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left in {}: {left:?}", cifix.display());
    let admin: Vec<_> = std::fs::read_dir(clone.join(".git/worktrees"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(admin.is_empty(), "worktree admin dirs left: {admin:?}");
}

fn local_branch_exists(clone: &Path, name: &str) -> bool {
    Repository::open(clone)
        .unwrap()
        .find_branch(name, BranchType::Local)
        .is_ok()
}

fn opts(slug: &str) -> FixOptions {
    FixOptions {
        slug: slug.into(),
        label: Some("https://github.com/o/r/actions/runs/1".into()),
        ..Default::default()
    }
}

const TRAILERS: &[(&str, &str)] = &[("Cifix-Run", "https://github.com/o/r/actions/runs/1")];

#[test]
fn worktree_flow_pushes_the_fix_and_leaves_the_clone_untouched() {
    let f = setup();
    let before = snapshot(&f.clone);
    let repo = Repo::discover(&f.clone.join("src")).unwrap();
    assert!(repo.cleanup_stale().unwrap().is_empty());
    let mut fix = repo
        .start_fix(&opts("Flaky test: add()"), &Auth::none())
        .unwrap();
    assert_eq!(fix.branch(), "fix/flaky-test-add");
    assert_eq!(fix.base(), "main");
    assert!(
        fix.path()
            .starts_with(f.clone.join(".git").join(WORKTREES_DIR))
    );
    assert!(fix.marker_path().is_file());
    // Fresh base: the other clone's commit is there; the user's edits are not.
    assert_eq!(
        std::fs::read_to_string(fix.path().join("CHANGELOG.md")).unwrap(),
        "newer main\n"
    );
    assert!(!fix.path().join("notes").exists());
    assert!(
        std::fs::read_to_string(fix.path().join("src/lib.rs"))
            .unwrap()
            .ends_with("a - b }\n")
    );

    let test_src = f._tmp.path().join("repro.rs");
    std::fs::write(
        &test_src,
        "#[test] fn adds() { assert_eq!(demo::add(2, 2), 4); }\n",
    )
    .unwrap();
    fix.copy_file(&test_src, Path::new("tests/cifix_repro.rs"))
        .unwrap();
    fix.write_file(
        Path::new("src/lib.rs"),
        b"pub fn add(a: i32, b: i32) -> i32 { a + b }\n",
    )
    .unwrap();
    let c1 = fix
        .commit(
            "Fix add(): it subtracted\n\nThe CI failure was a wrong operator.",
            TRAILERS,
            &[],
        )
        .unwrap();
    let c2 = fix
        .remove_and_commit(
            &[Path::new("tests/cifix_repro.rs")],
            "Remove the cifix reproduction test",
            TRAILERS,
        )
        .unwrap();
    assert!(fix.write_file(Path::new("../escape"), b"x").is_err());
    assert!(fix.write_file(Path::new(".git/config"), b"x").is_err());
    fix.push(&Auth::none()).unwrap();
    let branch = fix.branch().to_string();
    fix.finish(false).unwrap();

    assert_unchanged(&before, &f.clone);
    assert_no_leftovers(&f.clone);
    assert!(!local_branch_exists(&f.clone, &branch));

    // origin has fix/<slug>: two commits on top of the fresh main.
    let origin = Repository::open_bare(&f.origin).unwrap();
    let tip = origin
        .find_branch(&branch, BranchType::Local)
        .unwrap()
        .get()
        .peel_to_commit()
        .unwrap();
    assert_eq!(tip.id(), c2);
    assert!(
        tip.message()
            .unwrap()
            .contains("\n\nCifix-Run: https://github.com/o/r/actions/runs/1\n")
    );
    let first = tip.parent(0).unwrap();
    assert_eq!(first.id(), c1);
    let main = origin
        .find_branch("main", BranchType::Local)
        .unwrap()
        .get()
        .peel_to_commit()
        .unwrap();
    assert_eq!(first.parent(0).unwrap().id(), main.id());
    assert!(
        first
            .tree()
            .unwrap()
            .get_path(Path::new("tests/cifix_repro.rs"))
            .is_ok()
    );
    assert!(
        tip.tree()
            .unwrap()
            .get_path(Path::new("tests/cifix_repro.rs"))
            .is_err()
    );
    let lib = tip
        .tree()
        .unwrap()
        .get_path(Path::new("src/lib.rs"))
        .unwrap();
    let blob = origin.find_blob(lib.id()).unwrap();
    assert_eq!(
        blob.content(),
        b"pub fn add(a: i32, b: i32) -> i32 { a + b }\n"
    );
    assert_eq!(
        origin
            .find_branch("main", BranchType::Local)
            .unwrap()
            .get()
            .target(),
        Some(main.id())
    );
}

#[test]
fn existing_branch_names_get_a_suffix_and_are_never_overwritten() {
    let f = setup();
    let user = Repository::open(&f.clone).unwrap();
    let head = user.head().unwrap().peel_to_commit().unwrap();
    user.branch("fix/x", &head, false).unwrap(); // the user's own local branch
    let other = Repository::open(&f.other).unwrap();
    let oh = other.head().unwrap().peel_to_commit().unwrap();
    other.branch("fix/x-2", &oh, false).unwrap();
    push(&other, "refs/heads/fix/x-2:refs/heads/fix/x-2"); // someone's remote branch
    let before = snapshot(&f.clone);
    let before_fix_x = std::fs::read(f.clone.join(".git/refs/heads/fix/x")).unwrap();

    let repo = Repo::discover(&f.clone).unwrap();
    let mut fix = repo.start_fix(&opts("x"), &Auth::none()).unwrap();
    assert_eq!(fix.branch(), "fix/x-3");
    fix.write_file(Path::new("src/lib.rs"), b"fixed\n").unwrap();
    fix.commit("fix", TRAILERS, &[]).unwrap();
    fix.push(&Auth::none()).unwrap();
    fix.finish(true).unwrap(); // keep the local branch for the user

    assert_unchanged(&before, &f.clone);
    assert_no_leftovers(&f.clone);
    assert!(local_branch_exists(&f.clone, "fix/x-3"));
    assert_eq!(
        std::fs::read(f.clone.join(".git/refs/heads/fix/x")).unwrap(),
        before_fix_x
    );
    let origin = Repository::open_bare(&f.origin).unwrap();
    assert_eq!(
        origin
            .find_branch("fix/x-2", BranchType::Local)
            .unwrap()
            .get()
            .target(),
        Some(oh.id())
    );
}

#[test]
fn failure_paths_remove_the_branch_and_worktree() {
    let f = setup();
    let before = snapshot(&f.clone);
    let repo = Repo::discover(&f.clone).unwrap();

    // Explicit abandon after a commit (e.g. the agent gave up).
    let mut fix = repo
        .start_fix(&opts("agent gave up"), &Auth::none())
        .unwrap();
    fix.write_file(Path::new("src/lib.rs"), b"half a fix\n")
        .unwrap();
    fix.commit("attempt", TRAILERS, &[]).unwrap();
    let (branch, path) = (fix.branch().to_string(), fix.path().to_path_buf());
    fix.abandon().unwrap();
    assert!(!path.exists());
    assert!(!local_branch_exists(&f.clone, &branch));

    // Dropped without finishing (an early return or a panic unwinding).
    let fix = repo.start_fix(&opts("panic"), &Auth::none()).unwrap();
    let (branch, path) = (fix.branch().to_string(), fix.path().to_path_buf());
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _fix = fix;
        panic!("phase failed");
    }));
    assert!(r.is_err());
    assert!(!path.exists());
    assert!(!local_branch_exists(&f.clone, &branch));

    // A push the remote refuses (it already has the branch): never forced.
    let mut fix = repo.start_fix(&opts("race"), &Auth::none()).unwrap();
    let other = Repository::open(&f.other).unwrap();
    let oh = other.head().unwrap().peel_to_commit().unwrap();
    other.branch(fix.branch(), &oh, false).unwrap();
    let b = fix.branch().to_string();
    write(&f.other, "theirs.txt", "someone else's work\n");
    let theirs = {
        let mut idx = other.index().unwrap();
        idx.add_path(Path::new("theirs.txt")).unwrap();
        let tree = other.find_tree(idx.write_tree().unwrap()).unwrap();
        other
            .commit(
                Some(&format!("refs/heads/{b}")),
                &sig(),
                &sig(),
                "theirs",
                &tree,
                &[&oh],
            )
            .unwrap()
    };
    push(&other, &format!("refs/heads/{b}:refs/heads/{b}"));
    fix.write_file(Path::new("src/lib.rs"), b"mine\n").unwrap();
    fix.commit("mine", TRAILERS, &[]).unwrap();
    let err = fix.push(&Auth::none()).unwrap_err();
    assert!(
        matches!(err, cifix_host::vcs::Error::Rejected { .. }),
        "{err:?}"
    );
    fix.abandon().unwrap();
    let origin = Repository::open_bare(&f.origin).unwrap();
    assert_eq!(
        origin
            .find_branch(&b, BranchType::Local)
            .unwrap()
            .get()
            .target(),
        Some(theirs)
    );

    assert_unchanged(&before, &f.clone);
    assert_no_leftovers(&f.clone);
}

fn dead_pid() -> u32 {
    let mut c = std::process::Command::new("true").spawn().unwrap();
    let pid = c.id();
    c.wait().unwrap();
    pid
}

#[test]
fn leftovers_of_a_crashed_run_are_cleaned_up_by_the_next_run() {
    let f = setup();
    let before = snapshot(&f.clone);
    let repo = Repo::discover(&f.clone).unwrap();

    // Crash after a commit: nothing ran the cleanup.
    let mut fix = repo.start_fix(&opts("crash"), &Auth::none()).unwrap();
    fix.write_file(Path::new("src/lib.rs"), b"x\n").unwrap();
    fix.commit("wip", TRAILERS, &[]).unwrap();
    let (branch, path, marker_path) = (
        fix.branch().to_string(),
        fix.path().to_path_buf(),
        fix.marker_path().to_path_buf(),
    );
    std::mem::forget(fix);
    // Our own pid counts as a live run: reported, not touched.
    let items = repo.cleanup_stale().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].action, StaleAction::Active);
    assert!(path.exists());

    let mut m = Marker::read(&marker_path).unwrap();
    m.pid = dead_pid();
    m.write(&marker_path).unwrap();
    let items = repo.cleanup_stale().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0].branch.as_str(), &items[0].action),
        (branch.as_str(), &StaleAction::Removed)
    );
    assert!(!path.exists() && !marker_path.exists());
    assert!(!local_branch_exists(&f.clone, &branch));

    // Crash after the push: the worktree goes, the pushed branch is kept.
    let mut fix = repo
        .start_fix(&opts("crash after push"), &Auth::none())
        .unwrap();
    fix.write_file(Path::new("src/lib.rs"), b"y\n").unwrap();
    fix.commit("fix", TRAILERS, &[]).unwrap();
    fix.push(&Auth::none()).unwrap();
    let (branch, marker_path) = (fix.branch().to_string(), fix.marker_path().to_path_buf());
    std::mem::forget(fix);
    let mut m = Marker::read(&marker_path).unwrap();
    m.pid = dead_pid();
    m.write(&marker_path).unwrap();
    let items = repo.cleanup_stale().unwrap();
    assert!(
        matches!(&items[0].action, StaleAction::BranchKept(why) if why.contains("pushed")),
        "{items:?}"
    );
    assert!(local_branch_exists(&f.clone, &branch));
    Repository::open(&f.clone)
        .unwrap()
        .find_branch(&branch, BranchType::Local)
        .unwrap()
        .delete()
        .unwrap();

    assert_unchanged(&before, &f.clone);
    assert_no_leftovers(&f.clone);
}

const CHILD_ENV: &str = "CIFIX_GIT_SAFETY_CHILD";

/// Not a test on its own: the body of the child process of
/// `a_killed_run_leaves_the_clone_untouched` (the test binary re-runs itself
/// with this test selected).
#[test]
#[ignore = "child process of a_killed_run_leaves_the_clone_untouched"]
fn child_flow_until_killed() {
    let Ok(clone) = std::env::var(CHILD_ENV) else {
        return;
    };
    let clone = PathBuf::from(clone);
    let repo = Repo::discover(&clone).unwrap();
    let mut fix = repo.start_fix(&opts("killed"), &Auth::none()).unwrap();
    fix.write_file(Path::new("tests/cifix_repro.rs"), b"#[test] fn t() {}\n")
        .unwrap();
    fix.commit("repro", TRAILERS, &[]).unwrap();
    std::fs::write(clone.join("..").join("child-ready"), fix.branch()).unwrap();
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn a_killed_run_leaves_the_clone_untouched() {
    let f = setup();
    let before = snapshot(&f.clone);
    let ready = f.clone.join("..").join("child-ready");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_flow_until_killed",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &f.clone)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !ready.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the child never got ready"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL mid-flow: no destructor, no cleanup
    child.wait().unwrap();
    let branch = std::fs::read_to_string(&ready).unwrap();

    assert_unchanged(&before, &f.clone);
    assert!(
        local_branch_exists(&f.clone, &branch),
        "the child's branch should be there until the next run"
    );

    let items = Repo::discover(&f.clone).unwrap().cleanup_stale().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].action, StaleAction::Removed);
    assert!(!local_branch_exists(&f.clone, &branch));
    assert_unchanged(&before, &f.clone);
    assert_no_leftovers(&f.clone);
}
