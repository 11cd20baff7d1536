//! The hostile and odd plugins of `tests/fixtures/plugins/`, built from source for
//! the tests (never by the host's build script, so they never come near a release
//! build). Built once per test binary into `target/wasm-plugins`, next to the
//! built-ins, by a nested `cargo build`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Every crate under tests/fixtures/plugins: (package name, artifact stem).
fn packages(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)
        .expect("tests/fixtures/plugins")
        .flatten()
    {
        let Ok(text) = std::fs::read_to_string(e.path().join("Cargo.toml")) else {
            continue;
        };
        let name = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("name = \""))
            .and_then(|rest| rest.split('"').next());
        if let Some(name) = name {
            out.push((name.to_string(), name.replace('-', "_")));
        }
    }
    out.sort();
    out
}

/// The folder holding every fixture component, built on first use.
pub fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = root();
        let target = root.join("target/wasm-plugins");
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.current_dir(&root)
            .args(["build", "--quiet", "--release", "--target", "wasm32-wasip2"])
            .arg("--target-dir")
            .arg(&target);
        for (pkg, _) in packages(&root.join("tests/fixtures/plugins")) {
            cmd.args(["-p", &pkg]);
        }
        for var in [
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET",
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "RUSTC_WRAPPER",
        ] {
            cmd.env_remove(var);
        }
        let ok = cmd.status().map(|s| s.success()).unwrap_or(false);
        assert!(
            ok,
            "building the fixture plugins failed (rustup target add wasm32-wasip2?)"
        );
        target.join("wasm32-wasip2/release")
    })
}

/// The fixture component `cifix_fixture_<name>.wasm`.
pub fn plugin(name: &str) -> PathBuf {
    dir().join(format!("cifix_fixture_{name}.wasm"))
}
