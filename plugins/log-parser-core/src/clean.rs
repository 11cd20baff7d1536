//! Turning one raw line into its visible text.

/// The timestamp shape as (offset, shape word, add word) for
/// [`timestamp_len`].
const TS_WORDS: [(usize, u64, u64); 3] = [ts_word(0), ts_word(8), ts_word(11)];

/// Seven fraction digits and `Z`, as (shape word, add word).
const FRACTION: (u64, u64) = {
    let (_, shape, add) = shape_word(b"0000000Z", 0);
    (shape, add)
};

const fn ts_word(at: usize) -> (usize, u64, u64) {
    shape_word(b"0000-00-00T00:00:00", at)
}

/// Eight bytes of `shape` from `at`: the XOR word and the add word that
/// sets a byte's top bit unless it is a digit (where `shape` has `0`) or
/// exactly the shape's byte.
const fn shape_word(shape: &[u8], at: usize) -> (usize, u64, u64) {
    let mut bytes = [0u8; 8];
    let mut add = [0u8; 8];
    let mut i = 0;
    while i < 8 {
        bytes[i] = shape[at + i];
        add[i] = if shape[at + i] == b'0' { 0x76 } else { 0x7f };
        i += 1;
    }
    (at, u64::from_le_bytes(bytes), u64::from_le_bytes(add))
}

/// Length of a GitHub Actions timestamp prefix (`2026-06-21T05:34:54.5273610Z `)
/// at the start of `b`, or 0.
pub fn timestamp_len(b: &[u8]) -> usize {
    // YYYY-MM-DDTHH:MM:SS, checked as three overlapping 8-byte words (bytes
    // 0..8, 8..16, 11..19): XOR with the shape leaves 0..=9 where a digit
    // belongs and 0 where a separator does; adding 0x76 (0x7f at separators)
    // then sets a byte's top bit exactly when it is larger than that.
    if b.len() < 20 {
        return 0;
    }
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
    let bad = TS_WORDS.iter().fold(0, |acc, &(at, shape, add)| {
        let x = word(at) ^ shape;
        acc | ((x | x.wrapping_add(add)) & 0x8080_8080_8080_8080)
    });
    if bad != 0 {
        return 0;
    }
    let mut i = 19;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        // GitHub's seven digits and `Z` in one word
        if b.len() >= 28 {
            let x = u64::from_le_bytes(b[20..28].try_into().expect("8 bytes")) ^ FRACTION.0;
            if (x | x.wrapping_add(FRACTION.1)) & 0x8080_8080_8080_8080 == 0 {
                i = 27;
            }
        }
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
    fn timestamps() {
        assert_eq!(timestamp_len(b"2026-06-21T05:34:54.5273610Z x"), 29);
        assert_eq!(timestamp_len(b"2026-06-21T05:34:54Z x"), 21);
        assert_eq!(timestamp_len(b"2026-06-21T05:34:54.123456789Z x"), 31);
        assert_eq!(timestamp_len(b"2026-06-21T05:34:54.1234567 x"), 0);
        assert_eq!(timestamp_len(b"2026-06-21T05:34:54.1234567Z"), 28);
        assert_eq!(timestamp_len(b"2026-06-21T05:34:54.5Zx"), 22);
        // every position of the shape is checked
        let good = b"2026-06-21T05:34:54.5273610Z x";
        for i in 0..19 {
            for c in [
                b'a', b'/', b',', b'-', b':', b'T', b'0', b'9', 0x80, 0xff, b'\n',
            ] {
                let mut v = good.to_vec();
                if v[i] == c {
                    continue;
                }
                v[i] = c;
                let ok = c.is_ascii_digit() && good[i].is_ascii_digit();
                assert_eq!(
                    timestamp_len(&v) == 29,
                    ok,
                    "{}",
                    String::from_utf8_lossy(&v)
                );
            }
        }
        assert_eq!(timestamp_len(b"2026-06-21T05:34:54.5273610 x"), 0);
        assert_eq!(timestamp_len(b"2026-06-21T05:34:5"), 0);
    }

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
