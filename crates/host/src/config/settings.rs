//! The settings file: plugin limits and capability grants for third-party
//! plugins. `$CIFIX_CONFIG`, else `<config dir>/cifix/config.toml`.
//!
//! ```toml
//! [limits]
//! memory_mb = 256      # per plugin instance
//! deadline_secs = 60   # per plugin call
//!
//! [grants]
//! my-strategy = ["fs-read", "fs-write", "process:pytest **"]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::capabilities::Capability;
use crate::sandbox::Limits;

/// Parsed settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub limits: LimitSettings,
    /// Plugin name → capability strings.
    #[serde(default)]
    pub grants: BTreeMap<String, Vec<String>>,
}

/// `[limits]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub memory_mb: Option<u64>,
    pub deadline_secs: Option<u64>,
}

/// A settings file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("{0}: {1}")]
    Toml(PathBuf, String),
    #[error("{0}: grants for `{1}`: {2}")]
    Grant(PathBuf, String, crate::capabilities::BadCapability),
}

/// Where the settings file is looked for.
pub fn path() -> Option<PathBuf> {
    match std::env::var_os("CIFIX_CONFIG") {
        Some(p) => Some(PathBuf::from(p)),
        None => dirs::config_dir().map(|d| d.join("cifix").join("config.toml")),
    }
}

impl Settings {
    /// Load the settings file; a missing default file means defaults.
    pub fn load() -> Result<Settings, SettingsError> {
        match path() {
            Some(p) if p.exists() || std::env::var_os("CIFIX_CONFIG").is_some() => {
                Settings::load_from(&p)
            }
            _ => Ok(Settings::default()),
        }
    }

    /// Load a specific file.
    pub fn load_from(p: &Path) -> Result<Settings, SettingsError> {
        let text = std::fs::read_to_string(p).map_err(|e| SettingsError::Read(p.into(), e))?;
        let s: Settings =
            toml::from_str(&text).map_err(|e| SettingsError::Toml(p.into(), e.to_string()))?;
        for (name, caps) in &s.grants {
            for c in caps {
                c.parse::<Capability>()
                    .map_err(|e| SettingsError::Grant(p.into(), name.clone(), e))?;
            }
        }
        Ok(s)
    }

    /// Limits with the file's overrides applied.
    pub fn limits(&self) -> Limits {
        let mut l = Limits::default();
        if let Some(m) = self.limits.memory_mb {
            l.memory = (m.clamp(1, 65_536) as usize) << 20;
        }
        if let Some(d) = self.limits.deadline_secs {
            l.deadline = std::time::Duration::from_secs(d.max(1));
        }
        l
    }

    /// Capabilities granted to `plugin` by the file.
    pub fn granted(&self, plugin: &str) -> Vec<Capability> {
        self.grants
            .get(plugin)
            .map(|v| v.iter().filter_map(|c| c.parse().ok()).collect())
            .unwrap_or_default()
    }
}
