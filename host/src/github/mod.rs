//! GitHub integration (octocrab): run logs in, draft PR out.
