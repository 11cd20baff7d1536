//! Hostile plugins against the sandbox. Each must fail cleanly, the host
//! must keep working afterwards, and nothing outside the grant is touched.

#[path = "support/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cifix_host::capabilities::Capability;
use cifix_host::capabilities::input::Input;
use cifix_host::model::{LogReport, StrategyContext};
use cifix_host::sandbox::{
    self as plugins, HostConfig, Limits, ParserSession, PluginError, StrategySession,
};

fn fixture(name: &str) -> PathBuf {
    fixtures::plugin(name)
}

fn limits() -> Limits {
    Limits {
        memory: 64 << 20,
        deadline: Duration::from_millis(1500),
        stdio: 64 << 10,
    }
}

fn input(text: &str) -> Input {
    Input::new("test-input", std::io::Cursor::new(text.as_bytes().to_vec()))
}

fn parse(text: &str) -> Result<LogReport, PluginError> {
    let p = plugins::load_path(&fixture("hostile_parser")).unwrap();
    let mut s = ParserSession::open(&p, limits()).unwrap();
    s.parse(input(text)).map(|(r, _)| r)
}

#[test]
fn infinite_loop_stops_at_the_deadline() {
    let t = Instant::now();
    let e = parse("loop\n").unwrap_err();
    assert!(matches!(e, PluginError::Deadline(..)), "{e}");
    assert!(e.to_string().contains("deadline"), "{e}");
    assert!(t.elapsed() < Duration::from_secs(10));
}

#[test]
fn unbounded_allocation_stops_at_the_cap() {
    let e = parse("alloc\n").unwrap_err();
    assert!(matches!(e, PluginError::MemoryCap(..)), "{e}");
    assert!(e.to_string().contains("64 MiB"), "{e}");
}

#[test]
fn log_flood_is_bounded_and_the_call_completes() {
    let r = parse("flood-log\n").unwrap();
    assert_eq!(r.format, "flooded");
}

#[test]
fn stdout_flood_fails_cleanly() {
    let e = parse("flood-stdout\n").unwrap_err();
    assert!(matches!(e, PluginError::Trap(..)), "{e}");
    assert!(e.to_string().contains("output limit"), "{e}");
}

#[test]
fn trap_then_called_again_recreates_the_instance() {
    let p = plugins::load_path(&fixture("hostile_parser")).unwrap();
    let mut s = ParserSession::open(&p, limits()).unwrap();
    let e = s.parse(input("trap\n")).unwrap_err();
    assert!(e.to_string().contains("told to trap"), "{e}");
    let (r, _) = s.parse(input("hello\n")).unwrap();
    assert_eq!(r.format, "ok:test-input");
    assert_eq!(s.instantiations, 2);
    // A healthy instance is reused.
    s.parse(input("hello\n")).unwrap();
    assert_eq!(s.instantiations, 2);
}

#[test]
fn host_survives_every_hostile_call_in_a_row() {
    for cmd in ["loop", "alloc", "trap", "flood-stdout"] {
        assert!(parse(&format!("{cmd}\n")).is_err(), "{cmd}");
    }
    assert_eq!(parse("fine\n").unwrap().format, "ok:test-input");
}

#[test]
fn malformed_bytes_are_refused() {
    let d = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("garbage.wasm", b"this is not wasm at all".to_vec()),
        ("empty.wasm", Vec::new()),
        (
            "truncated.wasm",
            std::fs::read(fixture("hostile_parser")).unwrap()[..2000].to_vec(),
        ),
        ("core-module.wasm", b"\0asm\x01\0\0\0".to_vec()),
        ("elf.wasm", b"\x7fELF\x02\x01\x01\0precompiled".to_vec()),
    ] {
        let p = d.path().join(name);
        std::fs::write(&p, &bytes).unwrap();
        let e = plugins::load_path(&p).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("not a WebAssembly component")
                || msg.contains("manifest")
                || msg.contains("invalid"),
            "{name}: {msg}"
        );
    }
}

#[test]
fn missing_manifest_is_refused() {
    let mut bytes = std::fs::read(fixture("hostile_parser")).unwrap();
    let needle = b"cifix-manifest";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    bytes[at + needle.len() - 1] = b'X';
    let e = plugins::load_bytes("stripped", &bytes, plugins::Source::Builtin).unwrap_err();
    assert!(
        e.to_string().contains("no `cifix-manifest` custom section"),
        "{e}"
    );
}

#[test]
fn other_api_version_is_refused() {
    let e = plugins::load_path(&fixture("old_api")).unwrap_err();
    assert!(
        e.to_string()
            .contains("built for API 0.0.9, this host supports 0.1.0"),
        "{e}"
    );
}

#[test]
fn other_world_is_refused() {
    let p = plugins::load_path(&fixture("hostile_strategy")).unwrap();
    let e = ParserSession::open(&p, limits()).map(|_| ()).unwrap_err();
    assert!(
        e.to_string()
            .contains("is a `strategy` plugin; this command needs a `log-parser` plugin"),
        "{e}"
    );
}

/// A repository with a file, a failure folder, and a secret next to both.
struct World {
    _tmp: tempfile::TempDir,
    repo: PathBuf,
    failure: PathBuf,
    secret: PathBuf,
}

fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let failure = tmp.path().join("failure");
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::fs::create_dir_all(&failure).unwrap();
    std::fs::write(repo.join("src/lib.py"), "x = 1\n").unwrap();
    let secret = tmp.path().join("secret.txt");
    std::fs::write(&secret, "TOP SECRET").unwrap();
    std::os::unix::fs::symlink(&secret, repo.join("link-out")).unwrap();
    std::os::unix::fs::symlink(tmp.path(), failure.join("escape")).unwrap();
    World {
        _tmp: tmp,
        repo,
        failure,
        secret,
    }
}

fn ctx(prompt: &str) -> StrategyContext {
    StrategyContext {
        prompt: prompt.into(),
        deterministic: true,
        failures: vec![],
        existing_test: None,
        budget_ms: 10_000,
        flake_rate: 0.05,
        confidence: 0.95,
    }
}

fn strategy(w: &World, allow: &[&str], prompt: &str) -> String {
    let p = plugins::load_path(&fixture("hostile_strategy")).unwrap();
    let user: Vec<Capability> = allow.iter().map(|s| s.parse().unwrap()).collect();
    let cfg = HostConfig {
        grants: p.grants(&user),
        repo: Some(w.repo.clone()),
        failure: Some(w.failure.clone()),
        agent: None,
        max_call: Duration::from_secs(10),
        prompt_vars: Vec::new(),
    };
    let mut s = StrategySession::open(&p, cfg, limits()).unwrap();
    s.reproduce(&ctx(prompt)).unwrap().notes
}

const ALL: &[&str] = &["fs-read", "fs-write", "process:echo **"];

#[test]
fn reads_inside_the_repo_when_granted() {
    let w = world();
    assert_eq!(strategy(&w, ALL, "read src/lib.py"), "ok: x = 1\n");
}

#[test]
fn read_without_grant_is_denied_not_trapped() {
    let w = world();
    let n = strategy(&w, &[], "read src/lib.py");
    assert!(
        n.starts_with("err: ErrorCode::Denied")
            && n.contains("was not granted")
            && n.contains("--allow"),
        "{n}"
    );
}

#[test]
fn reading_outside_the_repo_is_refused() {
    let w = world();
    for path in [
        "../secret.txt",
        "/etc/passwd",
        "src/../../secret.txt",
        "link-out",
        &w.secret.display().to_string(),
    ] {
        let n = strategy(&w, ALL, &format!("read {path}"));
        assert!(n.starts_with("err: ErrorCode::Denied"), "{path}: {n}");
        assert!(!n.contains("TOP SECRET"));
    }
}

#[test]
fn writing_outside_the_failure_folder_is_refused() {
    let w = world();
    let before = std::fs::read_dir(w.secret.parent().unwrap())
        .unwrap()
        .count();
    for path in [
        "../pwned.txt",
        "escape/pwned.txt",
        "/tmp/pwned.txt",
        "a/../../pwned.txt",
    ] {
        let n = strategy(&w, ALL, &format!("write {path} owned"));
        assert!(n.starts_with("err: ErrorCode::Denied"), "{path}: {n}");
    }
    assert_eq!(std::fs::read_to_string(&w.secret).unwrap(), "TOP SECRET");
    assert_eq!(
        before,
        std::fs::read_dir(w.secret.parent().unwrap())
            .unwrap()
            .count()
    );
    assert!(!Path::new("/tmp/pwned.txt").exists());
}

#[test]
fn writing_through_a_planted_symlink_is_refused() {
    let w = world();
    std::os::unix::fs::symlink(&w.secret, w.failure.join("notes.txt")).unwrap();
    let n = strategy(&w, ALL, "write notes.txt overwritten");
    assert!(n.starts_with("err: ErrorCode::Denied"), "{n}");
    assert_eq!(std::fs::read_to_string(&w.secret).unwrap(), "TOP SECRET");
}

#[test]
fn writes_inside_the_failure_folder() {
    let w = world();
    assert_eq!(
        strategy(&w, ALL, "write tests/a.txt hello there"),
        "ok: written"
    );
    assert_eq!(
        std::fs::read_to_string(w.failure.join("tests/a.txt")).unwrap(),
        "hello there"
    );
    // The repository is read-only: nothing appeared there.
    assert!(!w.repo.join("tests").exists());
}

#[test]
fn programs_outside_the_allow_list_are_refused() {
    let w = world();
    let n = strategy(&w, ALL, "exec rm -rf src");
    assert!(
        n.starts_with("err: ErrorCode::Denied") && n.contains("not in the plugin's manifest"),
        "{n}"
    );
    assert!(w.repo.join("src/lib.py").exists());
    let n = strategy(&w, &["fs-read"], "exec echo hi");
    assert!(
        n.starts_with("err: ErrorCode::Denied") && n.contains("was not granted"),
        "{n}"
    );
    assert_eq!(strategy(&w, ALL, "exec echo hi"), "ok: hi\n");
}

#[test]
fn agent_without_declaration_is_refused() {
    let w = world();
    let n = strategy(&w, &["agent"], "agent");
    assert!(n.starts_with("err: ErrorCode::Denied"), "{n}");
}

#[test]
fn no_ambient_filesystem_env_or_network() {
    let r = parse("ambient\n").unwrap();
    assert_eq!(r.format, "fs:false env:0 net:false");
}

/// The released WIT is frozen: a component built against `cifix:strategy@0.1.0`
/// (the built-ins, the fixtures, third-party plugins) keeps loading. A change to
/// the contract goes into a new `wit/since_vX.Y.Z/` folder.
#[test]
fn the_released_wit_is_frozen_and_components_built_from_it_load() {
    use sha2::Digest;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let wit = std::fs::read(root.join("wit/since_v0.1.0/strategy.wit")).unwrap();
    let hex: String = sha2::Sha256::digest(&wit)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        hex, "941504257089859359070478b2663a0d4b226abe3aaff11672e0f1d5dd7c0743",
        "wit/since_v0.1.0 is released and must not change; add a new version folder"
    );
    // The hostile parser is built with plain wit-bindgen from that folder, not the SDK.
    assert_eq!(parse("fine\n").unwrap().format, "ok:test-input");
}
