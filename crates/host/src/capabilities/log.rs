//! Plugin diagnostics into `tracing`, bounded per call.

/// Longest single message kept (longer ones are cut).
pub const MAX_MESSAGE: usize = 4 * 1024;
/// Total log bytes a plugin may emit per call before further lines are dropped.
pub const MAX_PER_CALL: usize = 256 * 1024;

/// A plugin's log sink with its per-call budget.
#[derive(Debug)]
pub struct LogSink {
    plugin: String,
    used: usize,
    dropped: u64,
}

/// Severity of a plugin's log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl LogSink {
    /// A sink for the plugin called `plugin`.
    pub fn new(plugin: &str) -> Self {
        LogSink {
            plugin: plugin.to_string(),
            used: 0,
            dropped: 0,
        }
    }

    /// Start a new call: the budget refills.
    pub fn reset(&mut self) {
        self.used = 0;
        self.dropped = 0;
    }

    /// Lines dropped in this call because the budget was spent.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Write one line, cut and counted against the budget.
    pub fn log(&mut self, level: Level, message: &str) {
        if self.used >= MAX_PER_CALL {
            if self.dropped == 0 {
                tracing::warn!(plugin = %self.plugin, "plugin log budget ({MAX_PER_CALL} bytes per call) spent; dropping further lines");
            }
            self.dropped += 1;
            return;
        }
        let mut end = message.len().min(MAX_MESSAGE);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let msg = &message[..end];
        self.used += msg.len().max(1);
        let plugin = self.plugin.as_str();
        match level {
            Level::Trace => tracing::trace!(plugin, "{msg}"),
            Level::Debug => tracing::debug!(plugin, "{msg}"),
            Level::Info => tracing::info!(plugin, "{msg}"),
            Level::Warn => tracing::warn!(plugin, "{msg}"),
            Level::Error => tracing::error!(plugin, "{msg}"),
        }
    }
}
