//! The outputs folder and the per-failure folder inside it
//! (`<outputs>/<YYYY-MM-DD_HH-MM-SS>_<slug>/` with `logs/`, `tests/`, `README.md`).

use std::path::{Path, PathBuf};

/// A short, file-name-safe slug from free text (the same rule as branch
/// names: lowercase letters, digits and single dashes, at most 40 characters).
pub fn slug(text: &str) -> String {
    crate::git::slugify(text)
}

/// Local time stamp `YYYY-MM-DD_HH-MM-SS` (UTC when the offset is unknown).
pub fn stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, mo, d, h, mi, s) = civil(secs as i64);
    format!("{y:04}-{mo:02}-{d:02}_{h:02}-{mi:02}-{s:02}")
}

/// UTC calendar fields of a Unix time (Howard Hinnant's days-from-civil inverse).
pub fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(86_400);
    let rem = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
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
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(1_795_000_000), (2026, 11, 18, 11, 6, 40));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
    }
}
