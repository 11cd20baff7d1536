//! The fix phase: the agent's attempts and their verification.

use crate::model;

model! {
    /// A strategy's verdict on a fix.
    #[derive(Default)]
    pub struct Verification {
        /// Whether the fix holds.
        pub passed: bool,
        /// Runs made.
        pub runs: u32,
        /// Runs that still failed.
        pub failures: u32,
        /// The claim the verdict supports, in words.
        pub claim: String,
    }
}

model! {
    /// One agent attempt.
    #[derive(Default)]
    pub struct FixAttempt {
        /// 1-based.
        pub number: u32,
        /// The agent ended on its own with success.
        pub agent_completed: bool,
        /// Files the attempt changed, relative to the repository.
        pub changed_files: Vec<String>,
        /// The verification of this attempt, when it changed anything.
        pub verification: Option<Verification>,
        /// Wall time of the attempt, agent and verification.
        pub seconds: f64,
    }
}

model! {
    /// What the fix phase did.
    #[derive(Default)]
    pub struct Fix {
        /// Attempts made.
        pub attempts: u32,
        /// Whether a fix verified.
        pub verified: bool,
        /// The verification claim, in words.
        pub claim: String,
        /// Files the committed fix changes.
        pub changed_files: Vec<String>,
        /// Short ids of the commits on the fix branch.
        pub commits: Vec<String>,
        /// Every attempt, in order.
        #[serde(default)]
        pub attempt_log: Vec<FixAttempt>,
        /// The nearby tests run after the fix, and whether they passed.
        #[serde(default)]
        pub nearby_tests: Option<String>,
    }
}
