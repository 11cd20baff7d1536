//! Small text helpers the model's renderers share.

/// The first line of `prompt`, cut at a word boundary to at most 72 characters.
pub fn title(prompt: &str) -> String {
    let line = prompt.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= 72 {
        return line.to_string();
    }
    let cut: String = line.chars().take(71).collect();
    let at = cut.rfind(' ').filter(|&i| i > 20).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end_matches([',', ';', ':', ' ']))
}

#[cfg(test)]
mod tests {
    #[test]
    fn titles_cut_at_words() {
        assert_eq!(super::title("short\nmore"), "short");
        let t = super::title(
            "test_total fails on CI: totals are off by a fraction of a cent; round them to cents",
        );
        assert_eq!(
            t,
            "test_total fails on CI: totals are off by a fraction of a cent; round…"
        );
    }
}
