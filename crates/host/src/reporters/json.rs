//! `--json`: one document on stdout, the model type itself.

use std::io::Write;

/// Print `value` as pretty JSON on stdout. A closed stdout (`| head`) ends quietly.
pub fn print<T: serde::Serialize>(value: &T) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()
}
