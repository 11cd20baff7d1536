//! Progress of a batch of runs: a bar on a terminal, plain lines otherwise.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU32, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use crate::capabilities::process::{BatchRun, Outcome};

/// Progress display for one batch.
pub struct Progress {
    bar: Option<ProgressBar>,
    total: u32,
    done: AtomicU32,
    failed: AtomicU32,
}

impl Progress {
    /// A display for `total` runs (silent when stderr is not a terminal,
    /// except for a line every 10% at debug level).
    pub fn new(total: u32) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(total as u64);
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} runs {pos}/{len} {wide_bar} {msg} [{elapsed}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        });
        Progress {
            bar,
            total,
            done: AtomicU32::new(0),
            failed: AtomicU32::new(0),
        }
    }

    /// Record one finished run.
    pub fn on_run(&self, run: &BatchRun) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let failed =
            self.failed.load(Ordering::Relaxed) + u32::from(run.outcome != Outcome::Passed);
        if run.outcome != Outcome::Passed {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        let rate = failed as f64 / done as f64 * 100.0;
        match &self.bar {
            Some(b) => {
                b.set_position(done as u64);
                b.set_message(format!("failures {failed} ({rate:.1}%)"));
            }
            None => {
                let step = (self.total / 10).max(1);
                if done.is_multiple_of(step) || done == self.total {
                    tracing::info!("runs {done}/{}: failures {failed} ({rate:.1}%)", self.total);
                }
            }
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
