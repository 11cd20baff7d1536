//! Exit statuses of the `cifix` command (documented in the README).

/// The run succeeded (a verified fix, or the question answered).
pub const SUCCESS: u8 = 0;
/// The run failed (nothing reproduced, no verified fix, an error).
pub const FAILED: u8 = 1;
/// Bad input: info.json, a flag, a file; nothing was written.
pub const BAD_INPUT: u8 = 2;
/// Partial: a fix exists but was not published, or needs a human.
pub const PARTIAL: u8 = 3;
