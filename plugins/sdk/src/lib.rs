//! The guest-side SDK for cifix strategies.
//!
//! A strategy is a WebAssembly component built for `wasm32-wasip2` against the
//! WIT package `cifix:strategy@0.1.0` (folder `wit/` of the cifix repository).
//! Besides `wit_bindgen::generate!`, a strategy needs one thing: a manifest,
//! declared with [`manifest!`], naming the API version it was built for and the
//! capabilities it asks for. The host refuses components without one.
//!
//! ```ignore
//! cifix_sdk::manifest!(r#"{
//!     "name": "my-strategy", "version": "0.1.0", "api": "0.1.0",
//!     "world": "strategy", "capabilities": ["fs-read", "process:pytest **"]
//! }"#);
//! ```

pub mod command;
#[cfg(feature = "guest")]
pub mod guest;
pub mod stats;

/// The name of the custom section holding a plugin's manifest.
pub const MANIFEST_SECTION: &str = "cifix-manifest";

/// The WIT API version this SDK targets.
pub const API_VERSION: &str = "0.1.0";

/// Embed a plugin manifest (a JSON object literal) as the `cifix-manifest`
/// custom section of the component.
#[macro_export]
macro_rules! manifest {
    ($json:literal) => {
        const __CIFIX_MANIFEST_STR: &str = $json;
        #[used]
        #[unsafe(link_section = "cifix-manifest")]
        static __CIFIX_MANIFEST: [u8; __CIFIX_MANIFEST_STR.len()] = {
            let bytes = __CIFIX_MANIFEST_STR.as_bytes();
            let mut out = [0u8; __CIFIX_MANIFEST_STR.len()];
            let mut i = 0;
            while i < bytes.len() {
                out[i] = bytes[i];
                i += 1;
            }
            out
        };
    };
}
