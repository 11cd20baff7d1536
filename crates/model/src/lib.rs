//! The domain model of cifix, and nothing else: no I/O.
//!
//! One typed value per arrow of a run:
//! `RunRequest → FailureReport → Reproduction → FixAttempt[] → Verification → RunReport`.
//!
//! These types *are* the JSON contract: `cifix run --json`, `cifix reproduce --json`,
//! `cifix parse-logs --json`, the report's JSON sidecar and `cifix stats --json` serialize
//! them as they are. With the `schema` feature, [`schema::all`] gives the JSON Schema of
//! each (published in `schema/` at the repository root); every document carries
//! [`SCHEMA_VERSION`], and reading documents of older versions keeps working
//! (new fields have defaults, renamed ones keep their old names as aliases).

pub mod exit;
pub mod failure;
pub mod fix;
pub mod repro;
pub mod run;
#[cfg(feature = "schema")]
pub mod schema;
pub mod stats;
pub mod text;

pub use failure::{Excerpt, Failure, FailureKind, FailureReport, LogReport};
pub use fix::{Fix, FixAttempt, Verification};
pub use repro::{Reproduction, StrategyContext};
pub use run::{
    LogSourceKind, Phase, PhaseStatus, ReportFiles, Reviewer, RunReport, RunRequest, Status,
    StrategyId,
};
pub use stats::{AgentStats, DayStats, Stats, Timing};

/// Version of the JSON documents cifix writes. 1: reports before the model crate
/// (`schema` field, reproduction and failure with fewer fields); 2: this model.
pub const SCHEMA_VERSION: u32 = 2;

/// Derive the traits every model type has.
macro_rules! model {
    ($item:item) => {
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        $item
    };
}
pub(crate) use model;
