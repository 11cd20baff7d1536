//! The log a parser plugin reads, lent in bounded chunks.

use std::io::Read;

/// Largest chunk handed to a plugin per `input.read` call.
pub const MAX_CHUNK: usize = 4 * 1024 * 1024;

/// A named byte stream.
pub struct Input {
    name: String,
    reader: Box<dyn Read + Send>,
    consumed: u64,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("name", &self.name)
            .field("consumed", &self.consumed)
            .finish()
    }
}

impl Input {
    /// Wrap a reader.
    pub fn new(name: impl Into<String>, reader: impl Read + Send + 'static) -> Self {
        Input {
            name: name.into(),
            reader: Box::new(reader),
            consumed: 0,
        }
    }

    /// The input's display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes handed out so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Up to `max` next bytes (capped at [`MAX_CHUNK`]); empty at the end.
    pub fn read(&mut self, max: usize) -> std::io::Result<Vec<u8>> {
        let want = max.clamp(1, MAX_CHUNK);
        // read_to_end fills spare capacity without zeroing it first, and
        // retries on EINTR
        let mut buf = Vec::with_capacity(want);
        let filled = (&mut self.reader).take(want as u64).read_to_end(&mut buf)?;
        buf.truncate(filled);
        self.consumed += filled as u64;
        Ok(buf)
    }
}
