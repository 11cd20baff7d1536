//! The cifix host library: everything `cifix` does, behind a thin command line.
//!
//! - [`pipeline`]: one run, fetch → diagnose → reproduce → fix → publish, each
//!   phase a function of typed inputs; [`pipeline::run`] returns one
//!   [`cifix_model::RunReport`];
//! - [`reporters`]: the terminal, `--json`, the Markdown report, the PR body and
//!   the stats, each rendered from the finished report;
//! - [`sandbox`]: loading strategy components (WIT `cifix:strategy@0.1.0`) and
//!   calling them inside limits; [`sandbox::convert`] is the one place binding
//!   types meet the model;
//! - [`capabilities`]: what a plugin may be lent (fs, process, agent, input,
//!   log) and the one grant check;
//! - [`vcs`]: git worktrees, branches, push; [`forge`]: the GitHub API;
//! - [`agents`]: coding-agent adapters and prompts; [`config`]: info.json and
//!   the settings file.

pub mod agents;
pub mod capabilities;
pub mod config;
pub mod forge;
pub mod pipeline;
pub mod reporters;
pub mod sandbox;
pub mod vcs;

pub use cifix_model as model;

/// Whether an error is bad input (exit status 2): info.json, a flag, a log
/// file that cannot be read as one.
pub fn is_bad_input(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.is::<config::info::InfoError>()
            || c.is::<config::UsageError>()
            || c.is::<pipeline::diagnose::LogInputError>()
            || matches!(
                c.downcast_ref::<pipeline::diagnose::DiagnoseError>(),
                Some(pipeline::diagnose::DiagnoseError::Input(_))
            )
    })
}
