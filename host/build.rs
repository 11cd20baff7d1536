//! Builds the built-in strategies (and, for the tests, the hostile fixture
//! plugins) for `wasm32-wasip2`, so the `cifix` binary embeds them and works
//! on its own.
//!
//! The guests are built by a nested `cargo build` with its own target dir
//! (`target/wasm-plugins`), which stays warm between builds.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Built-in strategies: (package, artifact stem).
const BUILTINS: &[(&str, &str)] = &[
    ("cifix-plugin-log-parser", "cifix_plugin_log_parser"),
    (
        "cifix-plugin-deterministic-minimal",
        "cifix_plugin_deterministic_minimal",
    ),
    ("cifix-plugin-nd-stress", "cifix_plugin_nd_stress"),
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    for dir in ["plugins", "wit", "tests/fixtures/plugins"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );

    let fixtures = fixture_packages(&root.join("tests/fixtures/plugins"));
    let target_dir = root.join("target/wasm-plugins");
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(&root)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(&target_dir);
    for (pkg, _) in BUILTINS {
        cmd.args(["-p", pkg]);
    }
    for (pkg, _) in &fixtures {
        cmd.args(["-p", pkg]);
    }
    // The outer build's settings must not leak into the guest build.
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_TARGET_DIR",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_LLVM_COV",
        "LLVM_PROFILE_FILE",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .expect("could not run cargo to build the wasm plugins");
    if !status.success() {
        panic!(
            "building the wasm plugins failed (see above). If the message says the target \
             may not be installed, run: rustup target add wasm32-wasip2"
        );
    }
    let artifacts = target_dir.join("wasm32-wasip2/release");
    for (_, stem) in BUILTINS {
        copy(&artifacts, stem, &out);
    }
    let fixture_out = out.join("fixtures");
    std::fs::create_dir_all(&fixture_out).unwrap();
    for (_, stem) in &fixtures {
        copy(&artifacts, stem, &fixture_out);
    }
    println!(
        "cargo:rustc-env=CIFIX_FIXTURE_PLUGINS={}",
        fixture_out.display()
    );
}

fn copy(from: &Path, stem: &str, to: &Path) {
    let src = from.join(format!("{stem}.wasm"));
    let dst = to.join(format!("{stem}.wasm"));
    std::fs::copy(&src, &dst)
        .unwrap_or_else(|e| panic!("copying {} to {}: {e}", src.display(), dst.display()));
}

/// Every crate under tests/fixtures/plugins: (package name, artifact stem).
fn fixture_packages(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let toml = e.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&toml) else {
            continue;
        };
        let name = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = \""))
            .and_then(|rest| rest.split('"').next())
            .map(str::to_string);
        if let Some(name) = name {
            let stem = name.replace('-', "_");
            out.push((name, stem));
        }
    }
    out.sort();
    out
}
