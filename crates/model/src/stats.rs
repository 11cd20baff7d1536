//! `cifix stats --json`: what all reports say together.

use std::collections::BTreeMap;

use crate::model;

model! {
    /// Summary statistics over reports.
    #[derive(Default)]
    pub struct Stats {
        /// [`crate::SCHEMA_VERSION`] of the writer.
        #[serde(default)]
        pub schema_version: u32,
        /// Reports read.
        pub reports: usize,
        /// Files that were not readable reports.
        pub skipped_files: Vec<String>,
        /// Runs that succeeded.
        pub success: usize,
        /// Runs that ended partially.
        pub partial: usize,
        /// Runs that failed.
        pub failed: usize,
        /// success / reports.
        pub success_rate: f64,
        /// Per day (`YYYY-MM-DD`).
        pub by_day: BTreeMap<String, DayStats>,
        /// Failure kind → count, most common first.
        pub kinds: Vec<(String, usize)>,
        /// Signature → count (top 10).
        pub signatures: Vec<(String, usize)>,
        /// Phase → mean and median seconds.
        pub phases: BTreeMap<String, Timing>,
        /// Seconds from start to a verified fix, over successful runs.
        pub time_to_fix: Option<Timing>,
        /// Agent → runs, successes, rate, median seconds.
        pub agents: BTreeMap<String, AgentStats>,
    }
}

model! {
    /// One day.
    #[derive(Default)]
    pub struct DayStats {
        /// Runs started that day.
        pub runs: usize,
        /// Of them, successes.
        pub successes: usize,
        /// successes / runs.
        pub rate: f64,
    }
}

model! {
    /// Mean and median of durations, in seconds.
    pub struct Timing {
        /// Samples.
        pub n: usize,
        /// Mean.
        pub mean: f64,
        /// Median.
        pub median: f64,
    }
}

model! {
    /// One agent's record.
    #[derive(Default)]
    pub struct AgentStats {
        /// Runs with this agent.
        pub runs: usize,
        /// Of them, successes.
        pub successes: usize,
        /// successes / runs.
        pub rate: f64,
        /// Median seconds of its runs.
        pub median_seconds: f64,
    }
}
