//! Small string helpers shared by the detectors.

/// Substring search for the recognisers: `memchr` for the needle's first
/// byte, then a comparison.
///
/// The recognisers make dozens of searches in each line they look at, with
/// short literal needles in short haystacks. `str::contains`/`str::find`
/// build a Two-Way searcher per call wherever std has no SIMD shortcut
/// (which includes `wasm32-wasip2`, where the parser runs), and
/// `memchr::memmem::find` builds a searcher per call for haystacks of 64
/// bytes or more; both cost more than the search itself here.
pub trait Substr {
    /// Does `self` contain `needle`?
    fn has(&self, needle: &str) -> bool;
    /// Byte offset of the first `needle` in `self`.
    fn pos(&self, needle: &str) -> Option<usize>;
}

impl Substr for str {
    #[inline]
    fn has(&self, needle: &str) -> bool {
        self.pos(needle).is_some()
    }
    fn pos(&self, needle: &str) -> Option<usize> {
        let (h, n) = (self.as_bytes(), needle.as_bytes());
        let Some((&first, rest)) = n.split_first() else {
            return Some(0);
        };
        let mut at = 0;
        while let Some(i) = memchr::memchr(first, &h[at..]) {
            let i = at + i;
            if h[i + 1..].starts_with(rest) {
                return Some(i);
            }
            at = i + 1;
        }
        None
    }
}

/// ASCII case-insensitive search; `needle` must be lowercase ASCII.
pub fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    let Some(&first) = n.first() else {
        return Some(0);
    };
    let mut at = 0;
    while let Some(i) = memchr::memchr2(first, first.to_ascii_uppercase(), &h[at..]) {
        let i = at + i;
        if h.len() - i < n.len() {
            return None;
        }
        if h[i..i + n.len()].eq_ignore_ascii_case(n) {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

/// ASCII case-insensitive containment; `needle` lowercase ASCII.
pub fn has_ci(hay: &str, needle: &str) -> bool {
    find_ci(hay, needle).is_some()
}

/// ASCII case-insensitive prefix test; `prefix` lowercase ASCII.
pub fn starts_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Length of an sbt-style level prefix (`[info] `, `[success] `,
/// `[debug] `) at the start of `b`, or 0.
pub fn level_prefix_len(b: &[u8]) -> usize {
    ["[info] ", "[success] ", "[debug] "]
        .iter()
        .find(|p| b.starts_with(p.as_bytes()))
        .map_or(0, |p| p.len())
}

/// Cut `s` to at most `max` bytes on a char boundary.
pub fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    &s[..i]
}

/// Parse a leading run of ASCII digits.
pub fn leading_num(s: &str) -> Option<(u64, &str)> {
    let n = s.bytes().take_while(|b| b.is_ascii_digit()).count();
    if n == 0 || n > 12 {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

/// A source location at the start of `t`: `path:L[:C]` or `path(L[,C])`.
/// Returns (path, line, rest after the location and its separator).
pub fn file_loc(t: &str) -> Option<(&str, u32, &str)> {
    let b = t.as_bytes();
    let mut i = 0;
    // Windows drive letter.
    if b.len() > 2 && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/') && b[0].is_ascii_alphabetic()
    {
        i = 2;
    }
    while i < b.len() {
        let c = b[i];
        if c == b':' || c == b'(' {
            break;
        }
        if c == b' ' || c == b'\t' || c == b'"' || c == b'\'' || c == b'`' || c == b',' {
            return None;
        }
        i += 1;
    }
    if i == 0 || i >= b.len() {
        return None;
    }
    let path = &t[..i];
    if !looks_like_path(path) {
        return None;
    }
    let open = b[i];
    let after = &t[i + 1..];
    let after = if open == b':' {
        after.strip_prefix(' ').unwrap_or(after)
    } else {
        after
    };
    let (ln, rest) = leading_num(after)?;
    let mut rest = rest;
    if open == b'(' {
        if let Some(r) = rest.strip_prefix(',') {
            rest = leading_num(r).map(|(_, r)| r).unwrap_or(r);
        }
        rest = rest.strip_prefix(')')?;
    } else if let Some(r) = rest.strip_prefix(':') {
        if let Some((_, r2)) = leading_num(r) {
            rest = r2;
        }
    }
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    let rest = rest.strip_prefix(" -").unwrap_or(rest);
    Some((path, u32::try_from(ln).ok()?, rest.trim_start()))
}

/// Does `p` look like a source path (has an extension made of letters)?
pub fn looks_like_path(p: &str) -> bool {
    let p = p.trim_start_matches("./");
    if p.is_empty() || p.len() > 400 || p.starts_with("http") {
        return false;
    }
    match p.rfind('.') {
        Some(dot) => {
            let ext = &p[dot + 1..];
            !ext.is_empty()
                && ext.len() <= 8
                && ext.bytes().all(|c| c.is_ascii_alphanumeric())
                && ext.bytes().any(|c| c.is_ascii_alphabetic())
                && dot > 0
        }
        None => false,
    }
}

/// Extension of a path, lowercase comparison left to caller.
pub fn ext(p: &str) -> &str {
    match p.rfind('.') {
        Some(d) => &p[d + 1..],
        None => "",
    }
}

/// Is `s` made only of the byte `c` (at least `min` of them)?
pub fn all_of(s: &str, c: u8, min: usize) -> bool {
    s.len() >= min && s.bytes().all(|b| b == c)
}

/// Quote for a POSIX shell when needed.
pub fn shq(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"_-./:=@,+".contains(&c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Double-quote for a shell (for names with spaces, as jest/mocha users write them).
pub fn dq(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            o.push('\\');
        }
        o.push(c);
    }
    o.push('"');
    o
}

/// Does `s` contain `w` as a whole word (ASCII word characters)? Case-sensitive.
pub fn has_word(s: &str, w: &str) -> bool {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(p) = s[from..].find(w) {
        let i = from + p;
        let j = i + w.len();
        let before_ok = i == 0 || !is_word(b[i - 1]);
        let after_ok = j >= b.len() || !is_word(b[j]);
        if before_ok && after_ok {
            return true;
        }
        from = i + 1;
        while from < s.len() && !s.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substr_finds_the_first_occurrence() {
        assert_eq!("abcabc".pos("bc"), Some(1));
        assert_eq!("abcabc".pos("cab"), Some(2));
        assert_eq!("abcab".pos("abc"), Some(0));
        assert_eq!("ab".pos("abc"), None);
        assert_eq!("aab".pos("ab"), Some(1));
        assert_eq!("x".pos(""), Some(0));
        assert!("héllo wörld".has("wö"));
        assert!(!"".has("a"));
    }

    #[test]
    fn locs() {
        assert_eq!(
            file_loc("src/a.rs:10:5: error: x"),
            Some(("src/a.rs", 10, "error: x"))
        );
        assert_eq!(
            file_loc("A/B.cs(20,40): error CS0103: y"),
            Some(("A/B.cs", 20, "error CS0103: y"))
        );
        assert_eq!(
            file_loc("src/a.ts:3:7 - error TS2322: z"),
            Some(("src/a.ts", 3, "error TS2322: z"))
        );
        assert_eq!(file_loc("http://x.com:80/"), None);
        assert_eq!(file_loc("Time: 12:30"), None);
        assert!(has_word("a FAILED b", "FAILED"));
        assert!(!has_word("aFAILED", "FAILED"));
    }
}
