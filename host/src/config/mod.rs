//! What the user tells cifix: the failure (`info.json`) and the settings
//! file (limits, grants).

pub mod info;
pub mod settings;
