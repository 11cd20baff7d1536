//! The on-disk cache of compiled components.
//!
//! Only bytes this host compiled itself are ever deserialized: the key is the
//! sha256 of the wasm plus the engine's compatibility hash, and the files live
//! in cifix's own cache folder. A plugin author's precompiled code is never
//! loaded (plugins must be `.wasm` components; see `load`).

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use wasmtime::Engine;
use wasmtime::component::Component;

/// The cache folder: `$CIFIX_CACHE_DIR`, else the user's cache dir + `cifix/components`.
pub fn dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("CIFIX_CACHE_DIR") {
        if d.is_empty() {
            return None;
        }
        return Some(PathBuf::from(d));
    }
    dirs::cache_dir().map(|d| d.join("cifix").join("components"))
}

fn key(engine: &Engine, sha256: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    env!("CARGO_PKG_VERSION").hash(&mut h);
    format!("{sha256}-{:016x}.cwasm", h.finish())
}

/// Whether a load came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Compiled,
    Cached,
}

/// Compile `wasm` (sha256 `sha`), or load the cached compilation.
pub fn compile(engine: &Engine, wasm: &[u8], sha: &str) -> wasmtime::Result<(Component, Origin)> {
    let path = dir().map(|d| d.join(key(engine, sha)));
    if let Some(p) = &path
        && p.is_file()
    {
        // SAFETY: the file was written by `Component::serialize` of this
        // engine configuration (the key includes its compatibility hash) in
        // cifix's private cache folder; wasmtime re-checks the header.
        match unsafe { Component::deserialize_file(engine, p) } {
            Ok(c) => return Ok((c, Origin::Cached)),
            Err(e) => tracing::debug!("stale cache entry {}: {e}", p.display()),
        }
    }
    let component = Component::new(engine, wasm)?;
    if let Some(p) = path
        && let Err(e) = store(&p, &component)
    {
        tracing::debug!("not caching {}: {e}", p.display());
    }
    Ok((component, Origin::Compiled))
}

fn store(path: &std::path::Path, c: &Component) -> anyhow::Result<()> {
    let bytes = c.serialize().map_err(|e| anyhow::anyhow!("{e}"))?;
    let dir = path.parent().unwrap();
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        path.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
