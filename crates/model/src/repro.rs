//! The reproduction: what a strategy is asked, and what it did.

use std::path::PathBuf;

use crate::failure::Failure;
use crate::model;

model! {
    /// What a strategy is given for `reproduce` and `verify`.
    #[derive(Default)]
    pub struct StrategyContext {
        /// What the user says is wrong.
        pub prompt: String,
        /// Whether the failure is expected to happen every time.
        pub deterministic: bool,
        /// Parsed failures, most likely first (may be empty with an existing test).
        pub failures: Vec<Failure>,
        /// A test the user already wrote, relative to the repository.
        pub existing_test: Option<String>,
        /// Time budget for this call, in milliseconds.
        pub budget_ms: u64,
        /// Assumed failure rate of an intermittent failure (0 < p < 1).
        pub flake_rate: f64,
        /// Confidence wanted (e.g. 0.95).
        pub confidence: f64,
    }
}

model! {
    /// The reproduction phase's result: `cifix reproduce --json`, and the report's
    /// `reproduction`.
    #[derive(Default)]
    pub struct Reproduction {
        /// Whether the failure was reproduced.
        pub reproduced: bool,
        /// The strategy that ran.
        #[serde(default)]
        pub strategy: String,
        /// Its version.
        #[serde(default)]
        pub strategy_version: String,
        /// The command that reproduces the failure (program first).
        pub command: Vec<String>,
        /// Its working directory, relative to the repository ("" = the root).
        #[serde(default)]
        pub cwd: String,
        /// Runs made.
        pub runs: u32,
        /// Runs that failed with the CI failure's signature.
        pub failures: u32,
        /// Runs that failed some other way.
        #[serde(default)]
        pub other_failures: u32,
        /// Runs that timed out.
        #[serde(default)]
        pub timeouts: u32,
        /// failures / runs.
        pub rate: f64,
        /// 95% Wilson interval of the rate.
        pub ci95: [f64; 2],
        /// The failure folder.
        pub failure_folder: PathBuf,
        /// Files the strategy wrote into the failure folder.
        #[serde(default)]
        pub files: Vec<String>,
        /// The strategy's account of what it did.
        #[serde(default)]
        pub notes: String,
    }
}
