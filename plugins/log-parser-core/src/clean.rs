//! Turning one raw line into its visible text.

/// Length of a GitHub Actions timestamp prefix (`2026-06-21T05:34:54.5273610Z `)
/// at the start of `b`, or 0.
pub fn timestamp_len(b: &[u8]) -> usize {
    // YYYY-MM-DDTHH:MM:SS
    if b.len() < 20 {
        return 0;
    }
    let d = |i: usize| b[i].is_ascii_digit();
    let shape = d(0)
        && d(1)
        && d(2)
        && d(3)
        && b[4] == b'-'
        && d(5)
        && d(6)
        && b[7] == b'-'
        && d(8)
        && d(9)
        && b[10] == b'T'
        && d(11)
        && d(12)
        && b[13] == b':'
        && d(14)
        && d(15)
        && b[16] == b':'
        && d(17)
        && d(18);
    if !shape {
        return 0;
    }
    let mut i = 19;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < b.len() && b[i] == b'Z' {
        i += 1;
    } else {
        return 0;
    }
    if i < b.len() && b[i] == b' ' {
        i += 1;
    }
    i
}

/// Append `raw` to `out` without ANSI escape sequences and control characters
/// (tabs kept). Returns nothing; `out` holds bytes that may not be UTF-8.
pub fn strip_ansi(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    let n = raw.len();
    while i < n {
        // Copy the run up to the next control byte in one go.
        let start = i;
        while i < n && (raw[i] >= 0x20 || raw[i] == b'\t') && raw[i] != 0x7f {
            i += 1;
        }
        out.extend_from_slice(&raw[start..i]);
        if i >= n {
            break;
        }
        let c = raw[i];
        i += 1;
        if c != 0x1b {
            continue; // other control characters are dropped
        }
        if i >= n {
            break;
        }
        match raw[i] {
            b'[' => {
                i += 1;
                while i < n && !(0x40..=0x7e).contains(&raw[i]) {
                    i += 1;
                }
                i += 1;
            }
            b']' => {
                // OSC: until BEL or ESC \
                i += 1;
                while i < n {
                    if raw[i] == 0x07 {
                        i += 1;
                        break;
                    }
                    if raw[i] == 0x1b && i + 1 < n && raw[i + 1] == b'\\' {
                        i += 2;
                        break;
                    }
                    i += 1;
                }
            }
            b'(' | b')' | b'#' => i += 2,
            _ => i += 1,
        }
    }
}

/// Does `raw` show anything once escapes and whitespace are gone?
pub fn is_visible(raw: &[u8], scratch: &mut Vec<u8>) -> bool {
    scratch.clear();
    strip_ansi(raw, scratch);
    scratch.iter().any(|b| !b.is_ascii_whitespace())
}

/// Clean one line into `out`: drop a BOM and a timestamp prefix, ANSI escapes
/// and control characters, decode UTF-8 lossily, trim trailing whitespace.
/// Returns true when a GitHub-style timestamp was removed.
pub fn clean_line(raw: &[u8], scratch: &mut Vec<u8>, out: &mut String) -> bool {
    let mut b = raw;
    if b.starts_with(&[0xef, 0xbb, 0xbf]) {
        b = &b[3..];
    }
    let ts = timestamp_len(b);
    let had_ts = ts > 0;
    b = &b[ts..];
    if b.starts_with(&[0xef, 0xbb, 0xbf]) {
        b = &b[3..];
    }
    out.clear();
    if !has_control(b) {
        // The common line: nothing to strip, so no copy through `scratch`.
        push_trimmed(b, out);
        return had_ts;
    }
    scratch.clear();
    strip_ansi(b, scratch);
    push_trimmed(scratch, out);
    had_ts
}

/// Does `b` hold a control byte (`< 0x20` or `0x7f`, tab included)?
/// Branch-free over the bytes, so the compiler vectorises it.
#[inline]
fn has_control(b: &[u8]) -> bool {
    b.iter()
        .fold(false, |acc, &c| acc | (c < 0x20) | (c == 0x7f))
}

/// Append `b` without trailing ASCII whitespace to `out`, decoding UTF-8
/// lossily.
#[inline]
fn push_trimmed(mut b: &[u8], out: &mut String) {
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    match std::str::from_utf8(b) {
        Ok(s) => out.push_str(s),
        Err(_) => out.push_str(&String::from_utf8_lossy(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans() {
        let mut s = Vec::new();
        let mut o = String::new();
        assert!(clean_line(
            b"\xef\xbb\xbf2026-06-21T05:34:54.5273610Z \x1b[31mhello\x1b[0m  ",
            &mut s,
            &mut o
        ));
        assert_eq!(o, "hello");
        clean_line(b"a\x1b]8;;http://x\x07b\x1b(Bc\xff", &mut s, &mut o);
        assert_eq!(o, "abc\u{fffd}");
        // the fast path (no control bytes) and the slow one agree
        clean_line(
            b"2026-06-21T05:34:54.5Z  plain \xc3\xa9 text \xff  ",
            &mut s,
            &mut o,
        );
        assert_eq!(o, " plain \u{e9} text \u{fffd}");
        clean_line(b"tab\there  \t", &mut s, &mut o);
        assert_eq!(o, "tab\there");
    }
}
