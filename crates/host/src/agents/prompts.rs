//! Agent prompt templates. The files in `prompts/` are embedded in the
//! binary; `CIFIX_PROMPTS_DIR` overrides them with a folder of the same names.

/// Embedded templates: (name, text).
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "reproduce-deterministic",
        include_str!("../../../../prompts/reproduce-deterministic.md"),
    ),
    (
        "reproduce-nd",
        include_str!("../../../../prompts/reproduce-nd.md"),
    ),
    (
        "implement-fix",
        include_str!("../../../../prompts/implement-fix.md"),
    ),
];

/// The template names: a closed set (a plugin asking for another gets an error).
pub fn names() -> Vec<&'static str> {
    TEMPLATES.iter().map(|(n, _)| *n).collect()
}

/// The template text for `name`, one of [`names`]: the override folder's file of
/// that name when there is one, else the embedded text. `None` for any other name,
/// so no path a plugin makes up is ever read.
pub fn body(name: &str) -> Option<String> {
    let (known, embedded) = TEMPLATES.iter().find(|(n, _)| *n == name)?;
    if let Some(dir) = std::env::var_os("CIFIX_PROMPTS_DIR")
        && let Ok(t) =
            std::fs::read_to_string(std::path::Path::new(&dir).join(format!("{known}.md")))
    {
        return Some(t);
    }
    Some(embedded.to_string())
}

/// Replace `{{key}}` placeholders; unknown ones become `-`.
pub fn render(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find("}}") {
            Some(j) => {
                let key = after[..j].trim();
                match vars.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) => out.push_str(v),
                    None => out.push('-'),
                }
                rest = &after[j + 2..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_defaults() {
        assert_eq!(
            render(
                "a {{x}} b {{ y }} {{z}}",
                &[("x", "1".into()), ("y", "2".into())]
            ),
            "a 1 b 2 -"
        );
        assert_eq!(render("open {{ never", &[]), "open {{ never");
        assert!(body("implement-fix").unwrap().contains("fix a CI failure"));
    }

    #[test]
    fn template_names_are_a_closed_set() {
        for bad in [
            "../../etc/passwd",
            "/etc/passwd",
            "implement-fix/../x",
            "nope",
            "",
        ] {
            assert!(body(bad).is_none(), "{bad}");
        }
    }
}
