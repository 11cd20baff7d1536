//! Signatures (messages with run-specific noise masked) and flaky signals.

use crate::text::has_ci;

/// Normalise a failure message so the same failure in two runs compares
/// equal: numbers, hex addresses and hashes, UUIDs, timestamps, durations and
/// temporary paths are masked, whitespace is folded, and the result is cut to
/// 240 bytes.
pub fn signature(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(256));
    let chars: Vec<char> = message.chars().take(1000).collect();
    let n = chars.len();
    let mut i = 0;
    let mut last_space = true;
    while i < n && out.len() < 240 {
        let c = chars[i];
        let prev_word = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        // Temporary paths.
        if c == '/' && !prev_word {
            if let Some(len) = temp_path_len(&chars[i..]) {
                out.push_str("<tmp>");
                i += len;
                last_space = false;
                continue;
            }
        }
        if c.is_ascii_hexdigit() && !prev_word {
            // UUID
            if let Some(len) = uuid_len(&chars[i..]) {
                out.push_str("<uuid>");
                i += len;
                last_space = false;
                continue;
            }
            // 0x addresses
            if c == '0' && i + 2 < n && (chars[i + 1] == 'x' || chars[i + 1] == 'X') {
                let len = 2 + chars[i + 2..]
                    .iter()
                    .take_while(|c| c.is_ascii_hexdigit())
                    .count();
                if len > 2 {
                    out.push_str("<hex>");
                    i += len;
                    last_space = false;
                    continue;
                }
            }
            // Long hex runs with a digit (hashes, object ids).
            let run = chars[i..]
                .iter()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
            let ends_word =
                i + run >= n || !(chars[i + run].is_alphanumeric() || chars[i + run] == '_');
            if run >= 7 && ends_word && chars[i..i + run].iter().any(|c| c.is_ascii_digit()) {
                out.push_str("<hex>");
                i += run;
                last_space = false;
                continue;
            }
        }
        if c.is_ascii_digit() && !prev_word {
            // A number, possibly with separators/decimals, timestamps too.
            let mut j = i;
            while j < n
                && (chars[j].is_ascii_digit()
                    || ((chars[j] == '.' || chars[j] == ':' || chars[j] == ',' || chars[j] == '-')
                        && j + 1 < n
                        && chars[j + 1].is_ascii_digit())
                    || (chars[j] == 'T' && j + 1 < n && chars[j + 1].is_ascii_digit() && j > i))
            {
                j += 1;
            }
            // Duration/size unit directly after the number.
            let mut k = j;
            while k < n && chars[k] == ' ' && k < j + 1 {
                k += 1;
            }
            let unit_len = chars[k..]
                .iter()
                .take(8)
                .take_while(|c| c.is_alphabetic())
                .count();
            let unit: String = chars[k..k + unit_len].iter().collect();
            let is_dur = matches!(
                unit.as_str(),
                "ms" | "s"
                    | "sec"
                    | "secs"
                    | "second"
                    | "seconds"
                    | "m"
                    | "min"
                    | "mins"
                    | "minutes"
                    | "h"
                    | "ns"
                    | "us"
                    | "µs"
                    | "KB"
                    | "MB"
                    | "GB"
                    | "kB"
                    | "B"
                    | "KiB"
                    | "MiB"
                    | "GiB"
                    | "Z"
            );
            if is_dur {
                out.push_str("<dur>");
                i = k + unit_len;
            } else {
                out.push_str("<n>");
                i = j;
            }
            last_space = false;
            continue;
        }
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            i += 1;
            continue;
        }
        out.push(c);
        last_space = false;
        i += 1;
    }
    let t = out.trim_end().len();
    out.truncate(t);
    out
}

fn temp_path_len(c: &[char]) -> Option<usize> {
    const PREFIXES: &[&str] = &[
        "/tmp/",
        "/var/folders/",
        "/private/var/folders/",
        "/private/tmp/",
        "/var/tmp/",
        "/dev/shm/",
    ];
    let head: String = c.iter().take(24).collect();
    if !PREFIXES.iter().any(|p| head.starts_with(p)) {
        return None;
    }
    Some(
        c.iter()
            .take_while(|c| !c.is_whitespace() && !matches!(c, '\'' | '"' | ')' | ',' | ':' | '`'))
            .count(),
    )
}

fn uuid_len(c: &[char]) -> Option<usize> {
    // 8-4-4-4-12
    let groups = [8, 4, 4, 4, 12];
    let mut i = 0;
    for (g, len) in groups.iter().enumerate() {
        for _ in 0..*len {
            if i >= c.len() || !c[i].is_ascii_hexdigit() {
                return None;
            }
            i += 1;
        }
        if g < 4 {
            if i >= c.len() || c[i] != '-' {
                return None;
            }
            i += 1;
        }
    }
    Some(i)
}

/// Short strings describing evidence that a failure may be intermittent.
pub fn flaky_signals(text: &str, out: &mut Vec<String>) {
    let mut add = |s: &str| {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    };
    if has_ci(text, "timed out")
        || has_ci(text, "timeout")
        || has_ci(text, "deadline exceeded")
        || has_ci(text, "no output has been received")
    {
        add("timeout");
    }
    if has_ci(text, "deadlock") || has_ci(text, " hang") || has_ci(text, "hung ") {
        add("hang");
    }
    if has_ci(text, "sigsegv")
        || has_ci(text, "sigkill")
        || has_ci(text, "sigabrt")
        || has_ci(text, "sigbus")
        || has_ci(text, "segmentation fault")
        || has_ci(text, "killed by signal")
        || has_ci(text, "core dumped")
    {
        add("signal");
    }
    if has_ci(text, "data race")
        || has_ci(text, "race condition")
        || has_ci(text, "threadsanitizer")
    {
        add("race");
    }
    if has_ci(text, "flaky") || has_ci(text, "intermittent") {
        add("flaky");
    }
    if has_ci(text, "retry") || has_ci(text, "retried") || has_ci(text, "rerun") {
        add("retried");
    }
    if has_ci(text, "connection refused")
        || has_ci(text, "connection reset")
        || has_ci(text, "econnreset")
        || has_ci(text, "etimedout")
        || has_ci(text, "econnrefused")
        || has_ci(text, "could not resolve host")
        || has_ci(text, "temporary failure in name resolution")
        || has_ci(text, "network is unreachable")
        || has_ci(text, "502 bad gateway")
        || has_ci(text, "503 service")
        || has_ci(text, "tls handshake")
        || has_ci(text, "connect timeout")
        || has_ci(text, "empty reply from server")
    {
        add("network");
    }
    if has_ci(text, "out of memory")
        || has_ci(text, "cannot allocate memory")
        || has_ci(text, "oomkilled")
        || has_ci(text, "heap out of memory")
        || has_ci(text, "std::bad_alloc")
        || has_ci(text, "memoryerror")
    {
        add("oom");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(
            signature("expected 3 got 4 at 0x7ffc5335 in /tmp/tmp.7muyWDlizz/x after 12.5s"),
            "expected <n> got <n> at <hex> in <tmp> after <dur>"
        );
        assert_eq!(signature("test_1 E0308"), "test_1 E0308");
        assert_eq!(
            signature("id 123e4567-e89b-12d3-a456-426614174000 commit deadbeef12"),
            "id <uuid> commit <hex>"
        );
    }
}
