//! The terminal: a line per phase while the run goes on, a summary at its end.
//! Text from plugins and logs is shown with control characters escaped.

use std::io::Write;

use cifix_model::{PhaseStatus, RunReport};

use crate::pipeline::events::{Event, EventSink};

/// Escape control characters (ESC, OSC, BEL, CR, ...) so nothing a plugin or a
/// log says can move the cursor, set the title or fake a line.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// Follows a run on stderr, then prints the summary on stdout.
#[derive(Debug, Default)]
pub struct Terminal {
    /// Print phase lines as they finish (on stderr).
    pub live: bool,
}

impl EventSink for Terminal {
    fn event(&mut self, e: &Event<'_>) {
        if !self.live {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = match e {
            Event::PhaseStarted { name } => writeln!(err, "cifix: {name}…"),
            Event::PhaseFinished(p) if p.status != PhaseStatus::Skipped => writeln!(
                err,
                "cifix: {} {} ({:.1}s)",
                p.name,
                p.status.word(),
                p.seconds
            ),
            Event::Note(n) => writeln!(err, "cifix: {}", sanitize(n)),
            _ => Ok(()),
        };
    }
}

/// The end-of-run summary.
pub fn summary(r: &RunReport) -> String {
    let mut out = format!(
        "{} {} — report: {}\n",
        r.status.icon(),
        r.status.word(),
        r.report_files
            .markdown
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "-".into())
    );
    for p in &r.phases {
        out.push_str(&format!(
            "   {:<10} {:<8} {:>6.1}s {}\n",
            p.name,
            p.status.word(),
            p.seconds,
            sanitize(&p.detail)
        ));
    }
    if let Some(u) = &r.pr_url {
        out.push_str(&format!("   PR: {}\n", sanitize(u)));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_control_characters() {
        let s = super::sanitize("ok\x1b]0;pwned\x07 \x1b[2K\rFAKE ✅\nnext");
        assert!(
            !s.contains('\x1b') && !s.contains('\x07') && !s.contains('\r'),
            "{s}"
        );
        assert!(s.contains("FAKE ✅\nnext"));
    }
}
