//! Code forges cifix talks to. GitHub is the one so far: run logs in, draft
//! pull requests out, one client and one token lookup.

pub mod github;
