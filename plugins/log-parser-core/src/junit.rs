//! A small, forgiving scanner for JUnit XML reports, fed line by line.

use crate::text::cut;

/// A failing `<testcase>` found in the XML.
#[derive(Debug, Clone)]
pub struct JFail {
    pub name: String,
    pub classname: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub message: String,
    pub start: u64,
    pub lines: Vec<String>,
}

#[derive(Debug, Default)]
struct Case {
    name: String,
    classname: String,
    file: Option<String>,
    line: Option<u32>,
    start: u64,
}

/// Scanner state.
#[derive(Debug, Default)]
pub struct Junit {
    tag: Option<(String, u64)>,
    case: Option<Case>,
    fail: Option<(String, bool, Vec<String>, u64)>,
    pending_lines: Vec<String>,
}

const MAX_LINES: usize = 50;

impl Junit {
    /// Feed one line; returns a failure when a failing testcase closes.
    pub fn line(&mut self, ln: u64, s: &str, out: &mut Vec<JFail>) {
        if self.case.is_some() && self.pending_lines.len() < MAX_LINES {
            self.pending_lines.push(cut(s, 1024).to_string());
        }
        let mut rest = s;
        // Continue a tag split over lines.
        if let Some((mut tag, at)) = self.tag.take() {
            match rest.find('>') {
                Some(p) => {
                    tag.push(' ');
                    tag.push_str(&rest[..=p]);
                    rest = &rest[p + 1..];
                    self.tag_done(&tag, at, s, out);
                }
                None => {
                    if tag.len() < 8192 {
                        tag.push(' ');
                        tag.push_str(rest);
                    }
                    self.tag = Some((tag, at));
                    return;
                }
            }
        }
        while let Some(p) = rest.find('<') {
            let after = &rest[p..];
            let interesting = after.starts_with("<testcase")
                || after.starts_with("<failure")
                || after.starts_with("<error")
                || after.starts_with("</testcase")
                || after.starts_with("</failure")
                || after.starts_with("</error");
            if !interesting {
                rest = &after[1..];
                continue;
            }
            match after.find('>') {
                Some(q) => {
                    let tag = after[..=q].to_string();
                    rest = &after[q + 1..];
                    self.tag_done(&tag, ln, s, out);
                }
                None => {
                    self.tag = Some((after.to_string(), ln));
                    return;
                }
            }
        }
    }

    fn tag_done(&mut self, tag: &str, ln: u64, s: &str, out: &mut Vec<JFail>) {
        if tag.starts_with("<testcase") {
            let case = Case {
                name: attr(tag, "name").unwrap_or_default(),
                classname: attr(tag, "classname").unwrap_or_default(),
                file: attr(tag, "file"),
                line: attr(tag, "line").and_then(|l| l.parse().ok()),
                start: ln,
            };
            self.fail = None;
            if tag.ends_with("/>") {
                self.case = None;
                self.pending_lines.clear();
            } else {
                self.case = Some(case);
                self.pending_lines.clear();
                self.pending_lines.push(cut(s, 1024).to_string());
            }
        } else if tag.starts_with("<failure") || tag.starts_with("<error") {
            let is_error = tag.starts_with("<error");
            let msg = attr(tag, "message")
                .or_else(|| attr(tag, "type"))
                .unwrap_or_else(|| "failed".to_string());
            self.fail = Some((msg, is_error, Vec::new(), ln));
            if tag.ends_with("/>") {
                self.emit(ln, out);
            }
        } else if tag.starts_with("</failure") || tag.starts_with("</error") {
            // wait for </testcase> to close the block, but remember the end.
            if self.case.is_none() {
                self.emit(ln, out);
            }
        } else if tag.starts_with("</testcase") {
            if self.fail.is_some() {
                self.emit(ln, out);
            }
            self.case = None;
            self.pending_lines.clear();
        }
    }

    fn emit(&mut self, ln: u64, out: &mut Vec<JFail>) {
        let Some((message, _is_error, _, fail_line)) = self.fail.take() else {
            return;
        };
        let case = self.case.take().unwrap_or(Case {
            start: fail_line,
            ..Case::default()
        });
        let mut start = case.start;
        let mut lines = std::mem::take(&mut self.pending_lines);
        let avail = lines.len() as u64;
        // pending_lines holds lines case.start.. (at most MAX_LINES of them).
        let want = ln.saturating_sub(start) + 1;
        if avail == 0 || start > ln || (avail != want && avail < MAX_LINES as u64) {
            start = ln;
            lines.clear();
        }
        lines.truncate(MAX_LINES);
        out.push(JFail {
            name: case.name,
            classname: case.classname,
            file: case.file,
            line: case.line,
            message: cut(&unescape(&message), 400).to_string(),
            start,
            lines,
        });
    }
}

/// The value of attribute `name` in a tag, XML entities decoded.
pub fn attr(tag: &str, name: &str) -> Option<String> {
    let b = tag.as_bytes();
    let mut from = 0;
    while let Some(p) = tag[from..].find(name) {
        let i = from + p;
        let j = i + name.len();
        from = j;
        if i == 0 || !(b[i - 1] == b' ' || b[i - 1] == b'\t' || b[i - 1] == b'\n') {
            continue;
        }
        let rest = tag[j..].trim_start();
        let Some(rest) = rest.strip_prefix('=') else {
            continue;
        };
        let rest = rest.trim_start();
        let q = rest.chars().next()?;
        if q != '"' && q != '\'' {
            continue;
        }
        let body = &rest[1..];
        let end = body.find(q).unwrap_or(body.len());
        return Some(unescape(&body[..end]));
    }
    None
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#10;", "\n")
        .replace("&#xA;", "\n")
        .replace("&amp;", "&")
}
