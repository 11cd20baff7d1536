//! Reporters: each renders the finished [`cifix_model::RunReport`] for one
//! audience. [`terminal`] and [`json`] also follow the run's events as they come.
//!
//! - [`markdown`]: the report file and its JSON sidecar in `outputs/`;
//! - [`pr_body`]: the pull request a reviewer reads;
//! - [`terminal`]: phase lines while the run goes on, a summary at its end;
//! - [`json`]: one JSON document (`--json`) on stdout;
//! - [`stats`]: what all reports say together (`cifix stats`).
//!
//! Adding a reporter: a module here with a `render(&RunReport)` (or an
//! [`crate::pipeline::events::EventSink`] when it follows the run), called by the
//! command that wants it.

pub mod json;
pub mod markdown;
pub mod pr_body;
pub mod stats;
pub mod terminal;

/// Escape a plugin- or log-supplied string for a Markdown table cell.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
