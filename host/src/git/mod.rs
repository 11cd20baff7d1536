//! git integration (git2): worktrees, branches, commits, push.
