//! `info.json`: the failure to work on, with the original bash tool's rules:
//! `prompt` (non-empty string) and `deterministic` (bool) are required; then
//! either `existing-test-path` (which must exist), or exactly one of `url` /
//! `raw-logs` (both given: a warning, and `url` wins).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The known fields.
pub const FIELDS: &[&str] = &[
    "deterministic",
    "url",
    "raw-logs",
    "prompt",
    "existing-test-path",
];

/// Where the failure's logs come from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogSource {
    Url(String),
    RawLogs(String),
    None,
}

/// A validated `info.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Info {
    pub deterministic: bool,
    pub prompt: String,
    pub logs: LogSource,
    /// As written (relative to the repository).
    pub existing_test_path: Option<String>,
    /// Warnings to show the user (unknown fields, both url and raw-logs).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// A rule `info.json` breaks. Every variant names the field and the fix.
#[derive(Debug, thiserror::Error)]
pub enum InfoError {
    #[error(
        "{file}: cannot read it: {source}. Fix: pass --info PATH to an existing info.json, or give the fields as flags (--prompt, --deterministic, --url | --raw-logs | --existing-test-path)"
    )]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error(
        "{file}: not valid JSON at line {line}, column {column}: {msg}. Fix: correct the JSON syntax"
    )]
    Json {
        file: String,
        line: usize,
        column: usize,
        msg: String,
    },
    #[error(
        "{file}: the top level must be a JSON object like {{\"prompt\": \"...\", \"deterministic\": true, \"url\": \"...\"}}"
    )]
    NotObject { file: String },
    #[error("{file}: field `{field}` is missing. Fix: {fix}")]
    Missing {
        file: String,
        field: &'static str,
        fix: &'static str,
    },
    #[error("{file}: field `{field}` must be {expected}, got {got}. Fix: {fix}")]
    Type {
        file: String,
        field: &'static str,
        expected: &'static str,
        got: String,
        fix: &'static str,
    },
    #[error("{file}: field `{field}` {problem}. Fix: {fix}")]
    Invalid {
        file: String,
        field: &'static str,
        problem: String,
        fix: String,
    },
    #[error(
        "{file}: no failure source. Fix: add one of `url` (a GitHub Actions run or job URL), `raw-logs` (the log text) or `existing-test-path` (a test that already reproduces it)"
    )]
    NoSource { file: String },
}

fn type_name(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {:?}", truncate(s, 40)),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

/// The closest known field to an unknown one, for "did you mean".
fn suggest(unknown: &str) -> Option<&'static str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace(['_', ' '], "-");
    let u = norm(unknown);
    FIELDS
        .iter()
        .copied()
        .find(|f| *f == u || f.replace('-', "") == u.replace('-', ""))
}

/// Parse and validate `info.json` text. `file` labels errors; `repo` is
/// where `existing-test-path` is resolved.
pub fn parse(text: &str, file: &str, repo: &Path) -> Result<Info, InfoError> {
    from_map(&parse_object(text, file)?, file, repo)
}

/// The JSON object in `text`, or the error naming the line and column.
fn parse_object(text: &str, file: &str) -> Result<Map<String, Value>, InfoError> {
    let value: Value = serde_json::from_str(text).map_err(|e| InfoError::Json {
        file: file.into(),
        line: e.line(),
        column: e.column(),
        msg: e
            .to_string()
            .split(" at line")
            .next()
            .unwrap_or_default()
            .to_string(),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(InfoError::NotObject { file: file.into() }),
    }
}

/// Validate fields already gathered into a JSON object (from a file, flags or both).
pub fn from_map(map: &Map<String, Value>, file: &str, repo: &Path) -> Result<Info, InfoError> {
    let f = || file.to_string();
    let mut warnings = Vec::new();
    let unknown: Vec<&String> = map
        .keys()
        .filter(|k| !FIELDS.contains(&k.as_str()))
        .collect();
    for k in unknown {
        let hint = suggest(k)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        warnings.push(format!(
            "{file}: unknown field `{k}` ignored{hint}; known fields: {}",
            FIELDS.join(", ")
        ));
    }

    let deterministic = match map.get("deterministic") {
        None => {
            return Err(InfoError::Missing {
                file: f(),
                field: "deterministic",
                fix: "add \"deterministic\": true if the failure happens every time, false if it is intermittent",
            });
        }
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return Err(InfoError::Type {
                file: f(),
                field: "deterministic",
                expected: "true or false",
                got: type_name(v),
                fix: "write it without quotes: \"deterministic\": true",
            });
        }
    };

    let prompt = match map.get("prompt") {
        None => {
            return Err(InfoError::Missing {
                file: f(),
                field: "prompt",
                fix: "add \"prompt\": \"what is wrong / what to fix\"",
            });
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err(InfoError::Invalid {
                file: f(),
                field: "prompt",
                problem: "is empty".into(),
                fix: "describe what is wrong and what to fix".into(),
            });
        }
        Some(Value::String(s)) => s.clone(),
        Some(v) => {
            return Err(InfoError::Type {
                file: f(),
                field: "prompt",
                expected: "a string",
                got: type_name(v),
                fix: "\"prompt\": \"what is wrong / what to fix\"",
            });
        }
    };

    let string = |field: &'static str, fix: &'static str| -> Result<Option<String>, InfoError> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Err(InfoError::Invalid {
                file: f(),
                field,
                problem: "is empty".into(),
                fix: format!("remove `{field}` or give it a value"),
            }),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(InfoError::Type {
                file: f(),
                field,
                expected: "a string",
                got: type_name(v),
                fix,
            }),
        }
    };
    let url = string(
        "url",
        "\"url\": \"https://github.com/OWNER/REPO/actions/runs/ID\"",
    )?;
    let raw = string("raw-logs", "\"raw-logs\": \"the failing job's log text\"")?;
    let test = string(
        "existing-test-path",
        "\"existing-test-path\": \"tests/test_bug.py\"",
    )?;

    if let Some(u) = &url {
        crate::config::info::check_url(u).map_err(|problem| InfoError::Invalid {
            file: f(),
            field: "url",
            problem,
            fix: "use a GitHub Actions URL: https://HOST/OWNER/REPO/actions/runs/ID[/attempts/N] or .../actions/runs/ID/job/JOB_ID".into(),
        })?;
    }
    if let Some(t) = &test {
        let p = repo.join(t);
        if !p.exists() {
            return Err(InfoError::Invalid {
                file: f(),
                field: "existing-test-path",
                problem: format!("points to `{}`, which does not exist", p.display()),
                fix: "give a path relative to the repository (--repo) of a test that exists".into(),
            });
        }
    }
    let logs = match (url, raw) {
        (Some(u), Some(_)) => {
            warnings.push(format!(
                "{file}: both `url` and `raw-logs` are given; using `url` and ignoring `raw-logs`"
            ));
            LogSource::Url(u)
        }
        (Some(u), None) => LogSource::Url(u),
        (None, Some(r)) => LogSource::RawLogs(r),
        (None, None) => LogSource::None,
    };
    if logs == LogSource::None && test.is_none() {
        return Err(InfoError::NoSource { file: f() });
    }
    Ok(Info {
        deterministic,
        prompt,
        logs,
        existing_test_path: test,
        warnings,
    })
}

/// Check the shape of a GitHub Actions run or job URL. Returns the problem.
pub fn check_url(url: &str) -> Result<(), String> {
    crate::config::info::RunUrl::parse(url).map(|_| ())
}

/// A parsed GitHub Actions URL.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunUrl {
    /// `https://HOST`
    pub web_base: String,
    pub owner: String,
    pub repo: String,
    pub run_id: u64,
    pub attempt: Option<u32>,
    pub job_id: Option<u64>,
}

impl RunUrl {
    /// Parse `https://HOST/OWNER/REPO/actions/runs/ID[/attempts/N][/job/JOB_ID]`
    /// (a query string or `#fragment` is ignored).
    pub fn parse(url: &str) -> Result<RunUrl, String> {
        let url = url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| format!("`{url}` is not an http(s) URL"))?;
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let mut parts = rest.trim_end_matches('/').split('/');
        let host = parts
            .next()
            .filter(|h| !h.is_empty())
            .ok_or("the URL has no host")?;
        let segs: Vec<&str> = parts.collect();
        let bad = || format!("`{url}` is not a GitHub Actions run or job URL");
        if segs.len() < 5 || segs[2] != "actions" || segs[3] != "runs" {
            return Err(bad());
        }
        let id = |s: &str| {
            s.parse::<u64>()
                .map_err(|_| format!("`{s}` in `{url}` is not a numeric id"))
        };
        let run_id = id(segs[4])?;
        let (mut attempt, mut job_id) = (None, None);
        let mut i = 5;
        while i < segs.len() {
            match (segs[i], segs.get(i + 1)) {
                ("attempts", Some(n)) if attempt.is_none() && job_id.is_none() => {
                    attempt = Some(
                        n.parse::<u32>()
                            .map_err(|_| format!("attempt `{n}` in `{url}` is not a number"))?,
                    )
                }
                ("job", Some(j)) if job_id.is_none() => job_id = Some(id(j)?),
                _ => return Err(bad()),
            }
            i += 2;
        }
        Ok(RunUrl {
            web_base: format!("https://{host}"),
            owner: segs[0].into(),
            repo: segs[1].into(),
            run_id,
            attempt,
            job_id,
        })
    }
}

/// Read and validate an `info.json` file, optionally overlaid with flag values.
pub fn load(
    path: Option<&Path>,
    overrides: Map<String, Value>,
    repo: &Path,
) -> Result<Info, InfoError> {
    let (mut map, label) = match path {
        Some(p) => {
            let label = p.display().to_string();
            let text = std::fs::read_to_string(p).map_err(|e| InfoError::Read {
                file: label.clone(),
                source: e,
            })?;
            (parse_object(&text, &label)?, label)
        }
        None => (Map::new(), "flags".to_string()),
    };
    for (k, v) in overrides {
        map.insert(k, v);
    }
    from_map(&map, &label, repo)
}

/// Default location of `info.json` when `--info` is not given.
pub fn default_path() -> PathBuf {
    PathBuf::from("info.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u =
            RunUrl::parse("https://github.com/o/r/actions/runs/123/job/72989083007?pr=1#step:4:7")
                .unwrap();
        assert_eq!(
            (u.run_id, u.job_id, u.attempt),
            (123, Some(72989083007), None)
        );
        let u = RunUrl::parse("https://ghe.corp/o/r/actions/runs/9/attempts/2").unwrap();
        assert_eq!(
            (u.web_base.as_str(), u.attempt),
            ("https://ghe.corp", Some(2))
        );
        assert!(RunUrl::parse("https://github.com/o/r/pull/1").is_err());
        assert!(RunUrl::parse("https://github.com/o/r/actions/runs/x").is_err());
        assert!(RunUrl::parse("ftp://x").is_err());
    }
}
