//! cifix: turn a failed CI job into a reproduction test, a fix and a draft
//! pull request, with a report of every step.
//!
//! The binary is a thin clap front end over this library. Strategies are
//! WebAssembly components (WIT package `cifix:strategy@0.1.0`) loaded by
//! [`plugins`]; everything they may do goes through [`capabilities`].

pub mod agent;
pub mod capabilities;
pub mod cli;
pub mod config;
pub mod git;
pub mod github;
pub mod phases;
pub mod plugins;
pub mod report;
