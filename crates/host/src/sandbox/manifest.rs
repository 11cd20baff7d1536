//! A plugin's manifest: the JSON in its `cifix-manifest` custom section.

use serde::{Deserialize, Serialize};

use crate::capabilities::Capability;

/// API versions of `cifix:strategy` this host can load.
pub const SUPPORTED_APIS: &[&str] = &["0.1.0"];

/// The worlds a plugin can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum World {
    LogParser,
    Strategy,
}

impl World {
    /// The world's WIT name.
    pub fn name(self) -> &'static str {
        match self {
            World::LogParser => "log-parser",
            World::Strategy => "strategy",
        }
    }

    /// The export a component of this world must have, for an API version.
    pub fn export(self, api: &str) -> String {
        match self {
            World::LogParser => format!("cifix:strategy/parser@{api}"),
            World::Strategy => format!("cifix:strategy/reproducer@{api}"),
        }
    }
}

/// What a plugin says about itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    /// The `cifix:strategy` API version it was built against.
    pub api: String,
    pub world: World,
    #[serde(default)]
    pub description: String,
    /// Capability strings (see [`Capability`]).
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// A manifest that is missing or wrong.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(
        "no `cifix-manifest` custom section: build the plugin with `cifix_sdk::manifest!(...)`"
    )]
    Missing,
    #[error("more than one `cifix-manifest` section")]
    Duplicate,
    #[error("the manifest is not valid JSON for cifix: {0}")]
    Json(#[from] serde_json::Error),
    #[error("plugin built for API {found}, this host supports {}", SUPPORTED_APIS.join(", "))]
    Api { found: String },
    #[error("manifest name `{0}` must be 1-64 characters of [a-z0-9-]")]
    Name(String),
    #[error("manifest capability: {0}")]
    Capability(#[from] crate::capabilities::BadCapability),
}

impl Manifest {
    /// Parse and check a manifest's JSON.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let m: Manifest = serde_json::from_slice(bytes)?;
        if !SUPPORTED_APIS.contains(&m.api.as_str()) {
            return Err(ManifestError::Api { found: m.api });
        }
        let ok = !m.name.is_empty()
            && m.name.len() <= 64
            && m.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(ManifestError::Name(m.name));
        }
        m.capabilities()?;
        Ok(m)
    }

    /// The declared capabilities, parsed.
    pub fn capabilities(&self) -> Result<Vec<Capability>, crate::capabilities::BadCapability> {
        self.capabilities.iter().map(|s| s.parse()).collect()
    }
}

/// Find the manifest section anywhere in a component (it sits in the core
/// module the guest toolchain produced).
pub fn extract(wasm: &[u8]) -> Result<Vec<u8>, ManifestError> {
    let mut found: Option<Vec<u8>> = None;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else { break };
        if let wasmparser::Payload::CustomSection(c) = payload
            && c.name() == crate::sandbox::MANIFEST_SECTION
        {
            if found.is_some() {
                return Err(ManifestError::Duplicate);
            }
            found = Some(c.data().to_vec());
        }
    }
    found.ok_or(ManifestError::Missing)
}
