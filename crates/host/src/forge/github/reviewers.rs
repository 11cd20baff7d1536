//! Suggested reviewers for a fix: the CODEOWNERS owners of the changed files
//! and the most frequent recent authors of those files.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tracing::debug;

use super::Error;

/// GitHub's lookup order; the first file found is the only one used.
pub const CODEOWNERS_PATHS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// One suggested reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewer {
    /// `@login` or `@org/team` when known (CODEOWNERS, or a GitHub noreply email).
    pub handle: Option<String>,
    /// Name from git history.
    pub name: Option<String>,
    /// Email from git history or CODEOWNERS.
    pub email: Option<String>,
    /// Why, one line each.
    pub reasons: Vec<String>,
    /// Ranking: code owners first, then by commit count.
    pub score: u32,
}

/// Tuning for [`suggest_reviewers_with`].
#[derive(Debug, Clone)]
pub struct ReviewerOptions {
    /// How many commits back from HEAD to look.
    pub max_commits: usize,
    /// How many history authors to keep.
    pub max_authors: usize,
    /// Emails or handles to leave out (e.g. the person running cifix).
    pub exclude: Vec<String>,
}

impl Default for ReviewerOptions {
    fn default() -> Self {
        ReviewerOptions {
            max_commits: 500,
            max_authors: 3,
            exclude: Vec::new(),
        }
    }
}

/// [`suggest_reviewers_with`] with the default options.
pub fn suggest_reviewers(
    repo_dir: &Path,
    changed_files: &[String],
) -> Result<Vec<Reviewer>, Error> {
    suggest_reviewers_with(repo_dir, changed_files, &ReviewerOptions::default())
}

/// Owners of `changed_files` (paths relative to the repository root) from
/// the CODEOWNERS file (`.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS`,
/// first found; last matching rule wins), then the authors who most often
/// touched those files in the last `max_commits` commits of HEAD.
/// Deduplicated by handle or email, best first.
pub fn suggest_reviewers_with(
    repo_dir: &Path,
    changed_files: &[String],
    opts: &ReviewerOptions,
) -> Result<Vec<Reviewer>, Error> {
    let _span = tracing::info_span!("phase.reviewers").entered();
    let repo = git2::Repository::discover(repo_dir)?;
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo_dir.to_path_buf());
    let mut out: Vec<Reviewer> = Vec::new();
    let excluded = |key: &str| opts.exclude.iter().any(|e| e.eq_ignore_ascii_case(key));

    if let Some((file, rules)) = read_codeowners(&root) {
        let mut owned: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for f in changed_files {
            if let Some(rule) = rules.iter().rev().find(|r| r.matches(f)) {
                for o in &rule.owners {
                    owned.entry(o.clone()).or_default().push(format!(
                        "CODEOWNERS owner of {f} ({file}:{} `{}`)",
                        rule.line, rule.pattern
                    ));
                }
            }
        }
        for (owner, reasons) in owned {
            if excluded(&owner) {
                continue;
            }
            let (handle, email) = if owner.starts_with('@') {
                (Some(owner), None)
            } else {
                (None, Some(owner))
            };
            out.push(Reviewer {
                handle,
                name: None,
                email,
                score: 1000 + reasons.len() as u32,
                reasons,
            });
        }
    }

    let authors = history_authors(&repo, changed_files, opts.max_commits)?;
    let mut ranked: Vec<(String, String, u32, Vec<String>)> = authors
        .into_iter()
        .map(|(email, (name, files))| {
            let total = files.values().sum();
            let detail = files
                .iter()
                .map(|(f, n)| format!("{n} commit(s) to {f}"))
                .collect::<Vec<_>>()
                .join(", ");
            (
                email,
                name,
                total,
                vec![format!(
                    "recent author: {detail} in the last {} commits",
                    opts.max_commits
                )],
            )
        })
        .collect();
    ranked.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let mut kept = 0;
    for (email, name, count, reasons) in ranked {
        let handle = noreply_login(&email).map(|l| format!("@{l}"));
        if excluded(&email) || handle.as_deref().is_some_and(excluded) {
            continue;
        }
        let existing = out.iter_mut().find(|r| {
            r.email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&email))
                || (handle.is_some()
                    && r.handle
                        .as_deref()
                        .is_some_and(|h| h.eq_ignore_ascii_case(handle.as_deref().unwrap_or(""))))
        });
        if let Some(r) = existing {
            r.reasons.extend(reasons);
            r.score += count;
            r.name.get_or_insert(name);
            r.email.get_or_insert(email);
            continue;
        }
        if kept >= opts.max_authors {
            continue;
        }
        kept += 1;
        out.push(Reviewer {
            handle,
            name: Some(name),
            email: Some(email),
            reasons,
            score: count,
        });
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.score));
    Ok(out)
}

/// `12345+login@users.noreply.github.com` or `login@users.noreply.github.com` → `login`.
fn noreply_login(email: &str) -> Option<String> {
    let local = email
        .to_ascii_lowercase()
        .strip_suffix("@users.noreply.github.com")?
        .to_string();
    let login = local.split_once('+').map_or(local.as_str(), |(_, l)| l);
    (!login.is_empty()).then(|| login.to_string())
}

type AuthorFiles = HashMap<String, (String, BTreeMap<String, u32>)>;

/// email → (name, file → commit count), over non-merge commits from HEAD.
fn history_authors(
    repo: &git2::Repository,
    files: &[String],
    max_commits: usize,
) -> Result<AuthorFiles, Error> {
    let mut out: AuthorFiles = HashMap::new();
    if files.is_empty() {
        return Ok(out);
    }
    let mut walk = repo.revwalk()?;
    if walk.push_head().is_err() {
        return Ok(out); // unborn HEAD: no history
    }
    walk.set_sorting(git2::Sort::TIME)?;
    let mut diff_opts = git2::DiffOptions::new();
    for f in files {
        diff_opts.pathspec(f);
    }
    diff_opts.disable_pathspec_match(true);
    for oid in walk.take(max_commits) {
        let commit = repo.find_commit(oid?)?;
        if commit.parent_count() > 1 {
            continue;
        }
        let author = commit.author();
        let name = author.name().unwrap_or("").to_string();
        let email = author.email().unwrap_or("").to_string();
        if email.is_empty() || name.ends_with("[bot]") {
            continue;
        }
        let tree = commit.tree()?;
        let parent_tree = commit.parents().next().map(|p| p.tree()).transpose()?;
        let diff =
            repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut diff_opts))?;
        for d in diff.deltas() {
            let path = d
                .new_file()
                .path()
                .or(d.old_file().path())
                .map(|p| p.to_string_lossy().replace('\\', "/"));
            if let Some(p) = path {
                let entry = out
                    .entry(email.to_ascii_lowercase())
                    .or_insert_with(|| (name.clone(), BTreeMap::new()));
                *entry.1.entry(p).or_default() += 1;
            }
        }
    }
    debug!(authors = out.len(), "history authors");
    Ok(out)
}

/// One CODEOWNERS rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// 1-based line number.
    pub line: usize,
    /// The pattern as written.
    pub pattern: String,
    /// Owners (`@user`, `@org/team`, emails); may be empty (no owner).
    pub owners: Vec<String>,
    /// The pattern as a glob over whole `/`-separated paths (`*` stays in a segment).
    matcher: Option<globset::GlobMatcher>,
    dir_only: bool,
    children_only: bool,
}

impl Rule {
    /// Parse a pattern (gitignore-like, as GitHub applies it to CODEOWNERS).
    pub fn new(line: usize, pattern: &str, owners: Vec<String>) -> Rule {
        let dir_only = pattern.ends_with('/');
        let trimmed = pattern.trim_end_matches('/');
        let anchored = trimmed.starts_with('/') || trimmed.contains('/');
        let mut segments: Vec<String> = trimmed
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if !anchored {
            segments.insert(0, "**".into());
        }
        // `docs/*` matches files directly in docs/, not deeper ones.
        let children_only = segments.last().is_some_and(|s| s == "*") && segments.len() > 1;
        let matcher = (!segments.is_empty())
            .then(|| {
                globset::GlobBuilder::new(&segments.join("/"))
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                    .ok()
            })
            .flatten()
            .map(|g| g.compile_matcher());
        Rule {
            line,
            pattern: pattern.to_string(),
            owners,
            matcher,
            dir_only,
            children_only,
        }
    }

    /// Whether `path` (relative, `/`-separated) is covered by this rule:
    /// the path itself matches, or (except for `dir/*` patterns) one of its
    /// parent directories does.
    pub fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let Some(m) = &self.matcher else {
            return false;
        };
        if parts.is_empty() {
            return false;
        }
        if !self.dir_only && m.is_match(parts.join("/")) {
            return true;
        }
        if self.children_only {
            return false;
        }
        (1..parts.len()).any(|n| m.is_match(parts[..n].join("/")))
    }
}

/// Parse CODEOWNERS text.
pub fn parse_codeowners(text: &str) -> Vec<Rule> {
    let mut rules = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.split(" #").next().unwrap_or(line);
        let mut words = line.split_whitespace();
        let Some(pattern) = words.next() else {
            continue;
        };
        let owners = words.map(str::to_string).collect();
        rules.push(Rule::new(i + 1, pattern, owners));
    }
    rules
}

/// The first CODEOWNERS file in GitHub's order, with its rules.
fn read_codeowners(root: &Path) -> Option<(String, Vec<Rule>)> {
    CODEOWNERS_PATHS.iter().find_map(|rel| {
        let p: PathBuf = root.join(rel);
        std::fs::read_to_string(&p)
            .ok()
            .map(|t| (rel.to_string(), parse_codeowners(&t)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner_of(text: &str, path: &str) -> Vec<String> {
        parse_codeowners(text)
            .iter()
            .rev()
            .find(|r| r.matches(path))
            .map(|r| r.owners.clone())
            .unwrap_or_default()
    }

    #[test]
    fn github_doc_examples() {
        let co = "* @global\n*.js @js-owner #inline\n*.go docs@example.com\n/build/logs/ @doctocat\n\
                  docs/* docs@example.com\napps/ @octocat\n/docs/ @doctocat2\n**/logs @octocat3\n/apps/github\n";
        assert_eq!(owner_of(co, "src/a.js"), ["@js-owner"]);
        assert_eq!(owner_of(co, "README.md"), ["@global"]);
        assert_eq!(owner_of(co, "build/logs/x/y.txt"), ["@octocat3"]);
        assert_eq!(owner_of(co, "x/apps/b.rs"), ["@octocat"]);
        assert_eq!(owner_of(co, "docs/getting-started.md"), ["@doctocat2"]);
        assert_eq!(owner_of(co, "deeply/nested/logs/a"), ["@octocat3"]);
        assert!(owner_of(co, "apps/github/x.rs").is_empty());
        assert_eq!(owner_of("docs/* @d\n", "docs/a/b.md"), Vec::<String>::new());
        assert_eq!(owner_of("docs/* @d\n", "docs/a.md"), ["@d"]);
        assert_eq!(
            noreply_login("123+octo@users.noreply.github.com").as_deref(),
            Some("octo")
        );
    }
}
