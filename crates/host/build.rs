//! Builds the built-in strategies for `wasm32-wasip2`, so the `cifix` binary
//! embeds them and works on its own. (The tests build their hostile fixture
//! plugins themselves: `tests/support/fixtures.rs`.)
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
    let root = manifest_dir.join("../..").canonicalize().unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    for dir in ["plugins", "wit"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );

    let target_dir = root.join("target/wasm-plugins");
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(&root)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(&target_dir);
    for (pkg, _) in BUILTINS {
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
}

fn copy(from: &Path, stem: &str, to: &Path) {
    let src = from.join(format!("{stem}.wasm"));
    let dst = to.join(format!("{stem}.wasm"));
    std::fs::copy(&src, &dst)
        .unwrap_or_else(|e| panic!("copying {} to {}: {e}", src.display(), dst.display()));
}
