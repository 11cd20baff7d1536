//! The coding agent, as the host lends it to plugins. Concrete adapters
//! (claude, codex, aider, manual, a custom command) implement [`Agent`].

use std::path::Path;
use std::time::Duration;

/// A task for the agent.
#[derive(Debug, Clone)]
pub struct AgentTask {
    /// Prompt template name under `prompts/` (without `.md`).
    pub template: String,
    /// Extra instructions after the rendered template.
    pub instructions: String,
    pub budget: Duration,
    /// Values for the template's `{{placeholders}}`.
    pub vars: Vec<(String, String)>,
}

/// What the agent did.
#[derive(Debug, Clone, Default)]
pub struct AgentOutcome {
    pub completed: bool,
    pub changed_files: Vec<String>,
    pub transcript_tail: String,
}

/// A coding agent the host can hand tasks to.
pub trait Agent: Send + Sync {
    /// Short name for logs and reports.
    fn name(&self) -> &str;
    /// Work on `task` inside `workdir` and return when done or out of time.
    fn run(&self, task: &AgentTask, workdir: &Path) -> Result<AgentOutcome, String>;
}
