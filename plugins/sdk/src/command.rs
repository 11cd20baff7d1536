//! Turning the pieces a failure report offers into a command line.

/// Split a shell-like command line into words (POSIX shell quoting, by the
/// `shlex` crate). Returns `None` for an unterminated quote or escape.
pub fn split(line: &str) -> Option<Vec<String>> {
    shlex::split(line)
}

/// The command that runs one test file, judged by its extension and name.
pub fn for_test_file(path: &str) -> Option<Vec<String>> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or(".");
    let v = |xs: &[&str]| Some(xs.iter().map(|s| s.to_string()).collect());
    if file.ends_with(".py") {
        v(&["python3", "-m", "pytest", "-x", "-q", path])
    } else if file.ends_with(".sh") {
        v(&["sh", path])
    } else if file.ends_with("_test.go") {
        let pkg = if dir.starts_with('.') {
            dir.to_string()
        } else {
            format!("./{dir}")
        };
        Some(vec!["go".into(), "test".into(), pkg])
    } else if file.ends_with(".rs") {
        let name = file.trim_end_matches(".rs");
        v(&["cargo", "test", "--test", name])
    } else if file.ends_with(".test.js") || file.ends_with(".test.ts") || file.ends_with(".spec.js")
    {
        v(&["npx", "jest", path])
    } else if file.ends_with("_spec.rb") {
        v(&["bundle", "exec", "rspec", path])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quotes_and_escapes() {
        assert_eq!(
            split(r#"go test ./pkg -run '^TestX$' "a b" c\ d"#).unwrap(),
            vec!["go", "test", "./pkg", "-run", "^TestX$", "a b", "c d"]
        );
        assert_eq!(split("a 'unterminated"), None);
        assert_eq!(split("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split("x ''").unwrap(), vec!["x", ""]);
    }

    #[test]
    fn test_file_commands() {
        assert_eq!(
            for_test_file("tests/test_a.py").unwrap()[..3],
            ["python3", "-m", "pytest"]
        );
        assert_eq!(
            for_test_file("pkg/a_test.go").unwrap(),
            vec!["go", "test", "./pkg"]
        );
        assert_eq!(for_test_file("README.md"), None);
    }
}

/// Substrings a failing run's output must contain to count as *the same*
/// failure: the test's short name (last `::`, `.`, `/` or `#` component) and
/// the error's type word (`AssertionError`, `panicked`, ...) when the message
/// names one. Empty when nothing stable is known (then any failure counts).
pub fn expected_markers(test: Option<&str>, message: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(t) = test {
        let short = t
            .rsplit([':', '.', '/', '#', ' '])
            .find(|s| !s.is_empty())
            .unwrap_or(t);
        let short = short.split('[').next().unwrap_or(short);
        if short.len() >= 3 {
            out.push(short.to_string());
        }
    }
    let word = message
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .find(|w| w.ends_with("Error") || w.ends_with("Exception") || *w == "panicked");
    if let Some(w) = word {
        out.push(w.to_string());
    }
    out
}

#[cfg(test)]
mod marker_tests {
    use super::expected_markers;

    #[test]
    fn markers_from_test_and_message() {
        assert_eq!(
            expected_markers(
                Some("tests/test_a.py::test_add[1]"),
                "AssertionError: 1 != 2"
            ),
            vec!["test_add", "AssertionError"]
        );
        assert_eq!(
            expected_markers(
                Some("tests::it_works"),
                "thread 'x' panicked at src/lib.rs:3:5"
            ),
            vec!["it_works", "panicked"]
        );
        assert!(expected_markers(None, "exit 1").is_empty());
    }
}
