//! The pipeline's phases, each a function from the previous phase's output
//! (plus the capabilities it is lent) to its own:
//! `Info → logs → failures (parse) → Reproduction → fix → PR → report`.

pub mod fix;
pub mod folder;
pub mod parse;
pub mod reproduce;
pub mod scratch;
