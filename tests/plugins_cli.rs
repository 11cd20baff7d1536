//! `cifix plugins` and loading strategies from outside the binary.

#[path = "support/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;
use predicates::prelude::*;

fn cifix() -> Command {
    Command::cargo_bin("cifix").unwrap()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

#[test]
fn list_shows_the_three_builtins_with_capabilities() {
    let out = cifix()
        .args(["plugins", "list", "--json"])
        .env("CIFIX_PLUGIN_PATH", "")
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let names: Vec<&str> = v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for n in ["log-parser", "deterministic-minimal", "nd-stress"] {
        assert!(names.contains(&n), "{names:?}");
    }
    let dm = v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "deterministic-minimal")
        .unwrap();
    assert_eq!(dm["world"], "strategy");
    assert!(
        dm["declared"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "agent")
    );
    assert_eq!(dm["declared"], dm["granted"]);
    cifix()
        .args(["plugins", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("nd-stress"))
        .stdout(predicate::str::contains(
            "declares: fs-read, fs-write, process:* **",
        ));
}

#[test]
fn inspect_a_builtin() {
    let out = cifix()
        .args(["plugins", "inspect", "log-parser", "--json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["world"], "log-parser");
    assert_eq!(v["api"], "0.1.0");
    assert_eq!(v["sha256"].as_str().unwrap().len(), 64);
    assert!(v["size"].as_u64().unwrap() > 1000);
}

#[test]
fn unknown_plugin_names_where_it_looked() {
    cifix()
        .args(["plugins", "inspect", "no-such-plugin"])
        .env("CIFIX_PLUGIN_PATH", "/nonexistent/plugins")
        .assert()
        .failure()
        .stderr(predicate::str::contains("no plugin named `no-such-plugin`"))
        .stderr(predicate::str::contains("/nonexistent/plugins"));
}

#[test]
fn third_party_plugin_grants_come_from_the_user() {
    let fixture = fixtures::plugin("hostile_strategy");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[grants]\nhostile-strategy = [\"fs-read\"]\n").unwrap();
    let out = cifix()
        .args(["plugins", "inspect", "--json"])
        .arg(&fixture)
        .args(["--allow", "process:echo **"])
        .env("CIFIX_CONFIG", &cfg)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        v["granted"],
        serde_json::json!(["fs-read", "process:echo **"])
    );
    assert_eq!(
        v["declared"],
        serde_json::json!(["fs-read", "fs-write", "process:echo **"])
    );
}

#[test]
fn plugin_folder_from_env() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures::plugin("hostile_parser");
    std::fs::copy(&src, dir.path().join("hostile.wasm")).unwrap();
    cifix()
        .args(["plugins", "list"])
        .env("CIFIX_PLUGIN_PATH", dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("hostile-parser"));
    let log = dir.path().join("x.log");
    std::fs::write(&log, "hello\n").unwrap();
    cifix()
        .args(["parse-logs", "--json", "--strategy", "hostile"])
        .arg(&log)
        .env("CIFIX_PLUGIN_PATH", dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("\"format\": \"ok:"));
}

/// Build the out-of-workspace strategy with plain cargo and load it by path
/// with the already-built cifix binary: no host rebuild involved.
#[test]
fn third_party_strategy_loads_without_rebuilding_the_host() {
    let crate_dir = root().join("tests/fixtures/third-party-strategy");
    let target = root().join("target/third-party-strategy");
    let status = Std::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(crate_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .unwrap();
    assert!(status.success(), "building the third-party strategy failed");
    let wasm = target.join("wasm32-wasip2/release/third_party_strategy.wasm");
    cifix()
        .args(["plugins", "inspect"])
        .arg(&wasm)
        .assert()
        .success()
        .stdout(predicate::str::contains("boom-finder"));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ci.log");
    std::fs::write(&log, "step 1\nstep 2\nBOOM: reactor overheated\nstep 3\n").unwrap();
    let out = cifix()
        .args(["parse-logs", "--json", "--strategy"])
        .arg(&wasm)
        .arg(&log)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["failures"][0]["excerpt"]["start_line"], 3);
    assert_eq!(v["failures"][0]["message"], "BOOM: reactor overheated");
}

#[test]
fn perfmap_names_plugin_functions_for_perf() {
    // an empty cache, so the component is compiled and registered
    let cache = tempfile::tempdir().unwrap();
    let mut child = Std::new(env!("CARGO_BIN_EXE_cifix"))
        .args(["plugins", "inspect", "log-parser", "--json"])
        .env("CIFIX_WASM_PERFMAP", "1")
        .env("CIFIX_CACHE_DIR", cache.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let map = PathBuf::from(format!("/tmp/perf-{}.map", child.id()));
    assert!(child.wait().unwrap().success());
    let text = std::fs::read_to_string(&map);
    let _ = std::fs::remove_file(&map);
    let text = text.expect("wasmtime wrote a perf map");
    assert!(
        text.contains("cifix_logparse"),
        "no parser functions in the map"
    );
}
