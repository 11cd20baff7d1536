//! What the user tells cifix: the failure (`info.json`) and the settings
//! file (limits, grants).

pub mod info;
pub mod settings;

/// Bad input that is not an info.json rule (a flag out of range, a URL that is not
/// a run URL): exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
