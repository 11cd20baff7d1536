//! The outputs folder and the per-failure folder inside it
//! (`<outputs>/<YYYY-MM-DD_HH-MM-SS>_<slug>/` with `logs/`, `tests/`, `README.md`).

use std::path::{Path, PathBuf};

/// A short, file-name-safe slug from free text (the same rule as branch
/// names: lowercase letters, digits and single dashes, at most 40 characters).
pub fn slug(text: &str) -> String {
    crate::vcs::slugify(text)
}

/// Time stamp `YYYY-MM-DD_HH-MM-SS` (UTC) of now.
pub fn stamp() -> String {
    stamp_of(time::OffsetDateTime::now_utc())
}

/// Time stamp `YYYY-MM-DD_HH-MM-SS` of `t` in UTC.
pub fn stamp_of(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}_{:02}-{:02}-{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Where outputs go: `--outputs`, else `$CIFIX_OUTPUTS`, else `./outputs` —
/// unless that lies inside the target repository's working tree, which cifix
/// never writes to; then the user's data folder.
pub fn outputs_dir(arg: Option<&Path>, repo: &Path) -> PathBuf {
    if let Some(a) = arg {
        return a.to_path_buf();
    }
    if let Some(e) = std::env::var_os("CIFIX_OUTPUTS") {
        return PathBuf::from(e);
    }
    let local = std::env::current_dir().unwrap_or_default().join("outputs");
    let inside = |p: &Path| {
        let repo = repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf());
        let mut q = p.to_path_buf();
        while !q.exists() {
            if !q.pop() {
                return false;
            }
        }
        q.canonicalize()
            .map(|c| c.starts_with(&repo))
            .unwrap_or(false)
    };
    if inside(&local) {
        let alt = dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("cifix")
            .join("outputs");
        tracing::info!(
            "./outputs is inside the target repository; writing to {} instead",
            alt.display()
        );
        alt
    } else {
        local
    }
}

/// Create a fresh failure folder under `outputs`.
pub fn create(outputs: &Path, prompt: &str) -> std::io::Result<PathBuf> {
    let base = format!("{}_{}", stamp(), slug(prompt));
    let mut dir = outputs.join(&base);
    let mut n = 2;
    while dir.exists() {
        dir = outputs.join(format!("{base}-{n}"));
        n += 1;
    }
    std::fs::create_dir_all(dir.join("logs"))?;
    std::fs::create_dir_all(dir.join("tests"))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Fix the Rounding in test_total!"),
            "fix-the-rounding-in-test-total"
        );
        assert_eq!(slug("¿?"), "ci-failure");
        assert!(slug(&"word ".repeat(50)).len() <= 40);
    }

    #[test]
    fn civil_dates() {
        let at = |t: i64| stamp_of(time::OffsetDateTime::from_unix_timestamp(t).unwrap());
        assert_eq!(at(0), "1970-01-01_00-00-00");
        assert_eq!(at(1_795_000_000), "2026-11-18_11-06-40");
        assert_eq!(at(951_782_400), "2000-02-29_00-00-00");
    }
}
