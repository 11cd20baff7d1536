//! The streaming parser: line splitting, context ring, blocks and ranking.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::clean;
use crate::detect::{self, Ctx, Fam, Hit, Role, Style, Term};
use crate::junit::{JFail, Junit};
use crate::norm;
use crate::quiet;
use crate::text::{Substr, all_of, cut, file_loc, has_ci, looks_like_path, shq};
use crate::{Excerpt, Failure, Kind, Report};

/// Tuning knobs for a [`Parser`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Most failures reported (default 20).
    pub max_failures: usize,
    /// Most lines of context kept before a failure's first line (default 10;
    /// each recogniser asks for what it needs, up to this).
    pub context_before: usize,
    /// Most lines a failure's block may extend after its first line
    /// (default 40). Excerpts never exceed 50 lines in total.
    pub context_after: usize,
    /// Bytes of one line kept; the rest of a longer line is dropped
    /// (default 4096). Line numbering is unaffected.
    pub max_line_bytes: usize,
    /// Number lines the way Python's universal newlines (and most editors)
    /// do: `\n`, `\r\n` and a lone `\r` each end one line (`\r\n` is a
    /// single break). Default true, which is the numbering the product
    /// documents. Set false to number by `\n` only; the text after the last
    /// `\r` of a line is then taken as its visible text (progress-bar
    /// overwrites).
    pub cr_newlines: bool,
    /// Skip runs of lines that cannot start or extend a failure without
    /// cleaning them (default true). The report is the same either way;
    /// false runs every line through the full path, which is slower.
    pub fast_skip: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_failures: 20,
            context_before: 10,
            context_after: 40,
            max_line_bytes: 4096,
            cr_newlines: true,
            fast_skip: true,
        }
    }
}

const RING: usize = 64;
/// The keyword automata (for the recognisers and for the fast path), built
/// once per process: building them takes milliseconds, and a zip of job
/// logs makes a parser per file.
fn automata() -> &'static (AhoCorasick, quiet::Keywords) {
    static AUTOMATA: OnceLock<(AhoCorasick, quiet::Keywords)> = OnceLock::new();
    AUTOMATA.get_or_init(|| {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            // a full DFA: one table lookup per byte, no SIMD needed (wasm)
            .kind(Some(AhoCorasickKind::DFA))
            .build(detect::KEYWORDS)
            .expect("keyword automaton");
        (ac, quiet::Keywords::new(detect::KEYWORDS.iter().copied()))
    })
}

/// Lines at the start of a log in which its format is sniffed.
const SNIFF_LINES: u64 = 200;
const MAX_EXCERPT: usize = 50;
const MAX_EXCERPT_BYTES: usize = 16 * 1024;

/// A failure being collected or collected.
#[derive(Debug, Clone)]
struct Cand {
    hit: Hit,
    step: Option<String>,
    seq: u64,
    start: u64,
    lines: Vec<String>,
    bytes: usize,
    pending_blank: u32,
    after: usize,
    seps: u32,
    title_open: bool,
    section: u32,
    adj: f64,
    best_msg: (u8, String),
    /// Indentation of the hit line that started the block.
    head_ind: usize,
}

impl Cand {
    fn end(&self) -> u64 {
        self.start + self.lines.len() as u64 - 1
    }
    fn push(&mut self, s: &str) {
        for _ in 0..self.pending_blank {
            self.lines.push(String::new());
        }
        self.pending_blank = 0;
        let s = if self.bytes >= MAX_EXCERPT_BYTES {
            ""
        } else {
            cut(s, 1024)
        };
        self.bytes += s.len() + 1;
        self.lines.push(s.to_string());
        self.after = self.lines.len();
    }
}

/// Travis brackets each step's command and output with `travis_time:start`
/// and `travis_time:end` lines; a `$ ` line inside a bracket after the step's
/// own command is echoed by that command, not a new step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// Outside a bracket (or no brackets in this log).
    Off,
    /// A bracket opened; its step's `$ ` line is next.
    Started,
    /// The step's command line was seen.
    Running,
}

#[derive(PartialEq, Eq)]
enum Decision {
    Take,
    TakeClose,
    Blank,
    Close,
}

/// A streaming log parser. Create it with [`Parser::new`], [`feed`](Parser::feed)
/// the log in chunks of any size, then [`finish`](Parser::finish) it.
pub struct Parser {
    opts: Options,
    ac: &'static AhoCorasick,
    /// [`detect::KEYWORDS`] and other triggers, searched in raw lines.
    raw_kw: &'static quiet::Keywords,
    /// The fast path stays off until this many lines are processed.
    quiet_from: u64,
    // line splitting
    cur: Vec<u8>,
    prev_seg: Vec<u8>,
    cr_pending: bool,
    scratch: Vec<u8>,
    scratch2: Vec<u8>,
    line: String,
    bytes: u64,
    line_no: u64,
    // context
    ring: Vec<String>,
    /// Raw bytes of ring lines the fast path skipped, cleaned on demand.
    ring_raw: Vec<Vec<u8>>,
    /// Bit `i`: ring slot `i` holds a raw line (in `ring_raw`).
    raw_slots: u64,
    ctx: Ctx,
    format: Option<&'static str>,
    gh: bool,
    step: Option<String>,
    section: u32,
    section_start: u64,
    section_fail: Vec<(u32, bool)>,
    /// Where the log is in a Travis `travis_time:start` .. `end` bracket.
    timer: Timer,
    junit: Option<Junit>,
    jfails: Vec<JFail>,
    // candidates
    open: Option<Cand>,
    done: Vec<Cand>,
    seq: u64,
    /// Lines left in a multi-line Travis `The command "...` exit message.
    exit_open: u32,
}

impl Parser {
    /// A parser with the given options.
    pub fn new(opts: Options) -> Self {
        let (ac, raw_kw) = automata();
        Parser {
            opts,
            ac,
            raw_kw,
            quiet_from: 0,
            cur: Vec::new(),
            prev_seg: Vec::new(),
            cr_pending: false,
            scratch: Vec::new(),
            scratch2: Vec::new(),
            line: String::new(),
            bytes: 0,
            line_no: 0,
            ring: vec![String::new(); RING],
            ring_raw: vec![Vec::new(); RING],
            raw_slots: 0,
            ctx: Ctx::new(),
            format: None,
            gh: false,
            step: None,
            section: 0,
            section_start: 0,
            section_fail: Vec::new(),
            timer: Timer::Off,
            junit: None,
            jfails: Vec::new(),
            open: None,
            done: Vec::new(),
            seq: 0,
            exit_open: 0,
        }
    }

    /// Feed the next chunk of the log. Chunks may split lines and UTF-8
    /// sequences anywhere.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        let mut data = chunk;
        while !data.is_empty() {
            if self.cr_pending {
                self.cr_pending = false;
                if data[0] != b'\n' {
                    self.carriage_return();
                }
            }
            if self.quiet() {
                let at = chunk.len() - data.len();
                let skip = quiet::scan(self.raw_kw, chunk, at, self.opts.max_line_bytes);
                self.keep_raw(&chunk[at..at + skip.bytes], skip.lines);
                self.quiet_from = self.line_no + skip.hold;
                self.line_no += skip.lines;
                data = &data[skip.bytes..];
                if data.is_empty() {
                    break;
                }
            }
            match memchr::memchr2(b'\n', b'\r', data) {
                None => {
                    self.append(data);
                    break;
                }
                Some(i) => {
                    self.append(&data[..i]);
                    if data[i] == b'\n' {
                        self.end_line();
                    } else {
                        self.cr_pending = true;
                    }
                    data = &data[i + 1..];
                }
            }
        }
    }

    /// May the next lines take the fast path? Only at a line start, with
    /// nothing open and no state that reads plain lines (see [`quiet`]).
    fn quiet(&self) -> bool {
        self.opts.fast_skip
            && self.line_no >= self.quiet_from
            && self.line_no >= SNIFF_LINES
            && self.cur.is_empty()
            && self.prev_seg.is_empty()
            && !self.cr_pending
            && self.open.is_none()
            && self.exit_open == 0
            && self.junit.is_none()
            && self.ctx.sect != detect::Sect::Ctest
            && self.ctx.xc_failed.is_empty()
    }

    /// Keep the last of `lines` skipped lines (`run` ends with `\n`) raw in
    /// the ring, as context a failure's excerpt may start with.
    fn keep_raw(&mut self, run: &[u8], lines: u64) {
        let keep = lines.min(self.opts.context_before.min(RING - 2) as u64);
        let mut end = run.len();
        for k in 0..keep {
            let stop = end - 1; // the `\n`
            let start = memchr::memrchr(b'\n', &run[..stop]).map_or(0, |i| i + 1);
            let slot = ((self.line_no + lines - k) as usize) % RING;
            self.ring_raw[slot].clear();
            self.ring_raw[slot].extend_from_slice(&run[start..stop]);
            self.raw_slots |= 1 << slot;
            end = start;
        }
    }

    fn append(&mut self, b: &[u8]) {
        let room = self.opts.max_line_bytes.saturating_sub(self.cur.len());
        let n = b.len().min(room);
        self.cur.extend_from_slice(&b[..n]);
    }

    fn carriage_return(&mut self) {
        if self.opts.cr_newlines {
            self.end_line();
            return;
        }
        if clean::is_visible(&self.cur, &mut self.scratch2) {
            std::mem::swap(&mut self.cur, &mut self.prev_seg);
        }
        self.cur.clear();
    }

    fn end_line(&mut self) {
        self.line_no += 1;
        let use_prev =
            !self.prev_seg.is_empty() && !clean::is_visible(&self.cur, &mut self.scratch2);
        let raw = if use_prev {
            std::mem::take(&mut self.prev_seg)
        } else {
            std::mem::take(&mut self.cur)
        };
        let mut line = std::mem::take(&mut self.line);
        let had_ts = clean::clean_line(&raw, &mut self.scratch, &mut line);
        if self.line_no <= 5 && had_ts && self.format.is_none() {
            self.format = Some("github-actions");
            self.gh = true;
        }
        self.process(&line);
        // keep the line in the ring: swap buffers rather than copy
        let slot = (self.line_no as usize) % RING;
        let keep = cut(&line, 1024).len();
        line.truncate(keep);
        std::mem::swap(&mut self.ring[slot], &mut line);
        self.raw_slots &= !(1 << slot);
        self.line = line;
        // reuse buffers
        let mut raw = raw;
        raw.clear();
        if use_prev {
            self.prev_seg = raw;
        } else {
            self.cur = raw;
        }
        self.cur.clear();
        self.prev_seg.clear();
    }

    /// The cleaned text of line `ln`, one of the last [`RING`] lines.
    fn ring_line(&mut self, ln: u64) -> &str {
        let slot = (ln as usize) % RING;
        if self.raw_slots & (1 << slot) != 0 {
            // skipped by the fast path: clean it as `end_line` would have
            let text = &mut self.ring[slot];
            clean::clean_line(&self.ring_raw[slot], &mut self.scratch, text);
            text.truncate(cut(text, 1024).len());
            self.raw_slots &= !(1 << slot);
        }
        &self.ring[slot]
    }

    /// Everything the full path knows about one cleaned line. A line it
    /// reacts to without a keyword or a [`structural`] shape must be named by
    /// [`state_line`], or the fast path would skip it.
    fn process(&mut self, orig: &str) {
        let ln = self.line_no;
        // sbt-style `[info] ` prefixes carry no meaning: look past them (the
        // excerpt keeps the original line).
        let s = strip_level_prefix(orig);
        self.ctx.line_no = ln;
        if self.format.is_none() && ln <= SNIFF_LINES {
            self.sniff(s);
        }
        if self.junit.is_none()
            && memchr::memchr(b'<', s.as_bytes()).is_some()
            && s.has("<testsuite")
        {
            self.junit = Some(Junit::default());
        }
        if let Some(j) = self.junit.as_mut() {
            j.line(ln, s, &mut self.jfails);
            if !self.jfails.is_empty() {
                let fails = std::mem::take(&mut self.jfails);
                for f in fails {
                    self.junit_failure(f);
                }
            }
            if self.format == Some("junit-xml") {
                return;
            }
        }

        let t = s.trim_start();
        let ind = s.len() - t.len();
        let mut gh_error = false;
        let mut exit_line = None;
        let mut body = s;
        // CI structure
        if let Some(r) = t.strip_prefix("##[") {
            if let Some(r) = r.strip_prefix("group]") {
                if let Some(cmd) = r.strip_prefix("Run ") {
                    self.close_open();
                    self.step = Some(cut(cmd.trim(), 200).to_string());
                    self.section += 1;
                }
                return;
            }
            if r.starts_with("endgroup]")
                || r.starts_with("warning]")
                || r.starts_with("debug]")
                || r.starts_with("notice]")
            {
                return;
            }
            if let Some(msg) = r.strip_prefix("error]") {
                if msg.starts_with("Process completed with exit code") {
                    self.section_status(false);
                }
                gh_error = true;
                body = msg;
            }
        } else if let Some(r) = t.strip_prefix("::error") {
            gh_error = true;
            body = r.split_once("::").map(|x| x.1).unwrap_or(r);
        }
        if ind == 0 {
            if let Some(r) = t
                .strip_prefix("FAIL\t")
                .or_else(|| t.strip_prefix("ok  \t"))
            {
                let pkg = r.split(['\t', ' ']).next().unwrap_or("");
                if !pkg.is_empty() {
                    self.bind_go_package(pkg);
                }
            }
            self.track_timer(t);
            if let Some(cmd) = t.strip_prefix("$ ") {
                if !cmd.is_empty() && self.timer == Timer::Running {
                    // a command the step's own script echoes (yarn, make):
                    // still the step's output
                    self.close_open();
                    return;
                }
                if !cmd.is_empty() {
                    if self.timer == Timer::Started {
                        self.timer = Timer::Running;
                    }
                    self.close_open();
                    self.step = Some(cut(cmd.trim(), 200).to_string());
                    self.section += 1;
                    self.section_start = ln;
                    self.ctx.sect = detect::Sect::None;
                    if cmd.starts_with("./") || cmd.has("/bin/") {
                        let bin = cmd.split(' ').next().unwrap_or("");
                        if bin.has("test") {
                            self.ctx.gtest_bin = Some(bin.to_string());
                        }
                    }
                    return;
                }
            }
            if let Some((code, _)) = detect::travis_exit(t) {
                exit_line = Some(code == "0");
                self.exit_open = 0;
            } else if t.starts_with("The command \"") {
                // the command itself spans lines; the exit code follows later
                self.exit_open = 64;
            } else if self.exit_open > 0 {
                self.exit_open -= 1;
                if let Some(code) = multi_exit_code(t) {
                    self.exit_open = 0;
                    exit_line = Some(code == "0");
                }
            }
            if !t.is_empty() && (t.starts_with('/') || (!t.contains(' ') && looks_like_path(t))) {
                self.ctx.last_path_line = ln;
            }
        }

        let hit = if let Some(ok) = exit_line.filter(|_| !t.starts_with("The command")) {
            (!ok).then(|| detect::exit_hit(t, multi_exit_code(t).unwrap_or("1")))
        } else if self.ac.is_match(body)
            || structural(body.as_bytes())
            || (ind >= 2 && !self.ctx.xc_failed.is_empty())
        {
            let mut h = detect::detect(body, &mut self.ctx);
            if gh_error && h.is_none() {
                h = Some(gh_hit(body));
            }
            h
        } else if gh_error {
            Some(gh_hit(body))
        } else {
            None
        };
        self.ctx.sect = match (self.ctx.sect, ind, t.is_empty()) {
            (detect::Sect::Ctest, _, true) => detect::Sect::None,
            (x, _, _) => x,
        };

        // Let the open block take the line.
        let mut hit = hit;
        if let Some(mut b) = self.open.take() {
            let d = decide(&mut b, s, hit.as_ref(), &self.opts);
            match d {
                Decision::Take | Decision::TakeClose => {
                    b.push(orig);
                    absorb(&mut b, s, hit.as_ref());
                    if d == Decision::TakeClose {
                        self.finish_cand(b);
                    } else {
                        self.open = Some(b);
                    }
                    hit = None;
                }
                Decision::Blank => {
                    b.pending_blank += 1;
                    self.open = Some(b);
                }
                Decision::Close => self.finish_cand(b),
            }
        }
        if let Some(mut h) = hit {
            if gh_error {
                h.score += 6.0;
            }
            if h.fam == Fam::Exit && exit_line.is_some() {
                // the command's own exit line: give it the command's output as context
                let since = ln.saturating_sub(self.section_start + 1);
                if since <= 12 {
                    h.before = since as u32;
                }
            }
            if h.werror {
                self.promote_warnings();
            }
            self.start_cand(h, orig);
        }
        if let Some(ok) = exit_line {
            self.section_status(ok);
        }
    }

    /// Follow Travis `travis_time:start:` / `travis_time:end:` brackets.
    fn track_timer(&mut self, t: &str) {
        if let Some(r) = t.strip_prefix("travis_time:") {
            if r.starts_with("start:") {
                self.timer = Timer::Started;
            } else if r.starts_with("end:") {
                self.timer = Timer::Off;
            }
        }
    }

    /// A `-Werror` line: the warnings just before it are what failed the build.
    fn promote_warnings(&mut self) {
        let sec = self.section;
        let mut n = 0;
        for c in self.done.iter_mut().rev() {
            if c.section != sec {
                break;
            }
            if c.hit.warning {
                c.hit.warning = false;
                c.hit.kind = Kind::CompileError;
                c.hit.score = 60.0;
                n += 1;
                if n >= 8 {
                    break;
                }
            }
        }
    }

    /// Go prints the package after its tests: fill in the rerun commands.
    fn bind_go_package(&mut self, pkg: &str) {
        self.close_open();
        let target = go_pkg_dir(pkg);
        for c in self.done.iter_mut().rev() {
            if c.hit.fw != Some("go-test") || c.hit.rerun.is_some() {
                continue;
            }
            if let Some(t) = &c.hit.test {
                let pattern = t
                    .split('/')
                    .map(|p| format!("^{p}$"))
                    .collect::<Vec<_>>()
                    .join("/");
                c.hit.rerun = Some(format!("go test {} -run {}", target, shq(&pattern)));
            }
        }
    }

    fn sniff(&mut self, s: &str) {
        if self.line_no == 1 && (s.starts_with("<?xml") || s.starts_with("<testsuite")) {
            self.format = Some("junit-xml");
            self.junit = Some(Junit::default());
        } else if s.has("travis_fold:")
            || s.has("travis_time:")
            || s.starts_with("Worker information")
        {
            self.format = Some("travis");
        } else if s.starts_with("Running with gitlab-runner") {
            self.format = Some("gitlab");
        } else if s.starts_with("Started by ") || s.starts_with("[Pipeline]") {
            self.format = Some("jenkins");
        }
    }

    fn section_status(&mut self, ok: bool) {
        let sec = self.section;
        if !self.section_fail.iter().any(|(s, _)| *s == sec) {
            self.section_fail.push((sec, !ok));
            if self.section_fail.len() > 4096 {
                self.section_fail.remove(0);
            }
        }
        self.close_open();
        self.section += 1;
        self.section_start = self.line_no;
    }

    fn start_cand(&mut self, h: Hit, s: &str) {
        self.seq += 1;
        let ln = self.line_no;
        let before = (h.before as u64)
            .min(self.opts.context_before as u64)
            .min(ln - 1)
            .min(RING as u64 - 2);
        let mut lines = Vec::with_capacity(8);
        let mut bytes = 0;
        for k in (1..=before).rev() {
            let l = self.ring_line(ln - k).to_string();
            bytes += l.len() + 1;
            lines.push(l);
        }
        let title_open =
            h.fw == Some("mocha") && h.role == Role::Header && !s.trim_end().ends_with(':');
        let mut c = Cand {
            step: self.step.clone(),
            seq: self.seq,
            start: ln - before,
            lines,
            bytes,
            pending_blank: 0,
            after: 0,
            seps: 0,
            title_open,
            section: self.section,
            adj: 0.0,
            best_msg: (0, String::new()),
            head_ind: s.len() - s.trim_start().len(),
            hit: h,
        };
        c.push(s);
        c.after = 0;
        if matches!(c.hit.style, Style::Single(0)) {
            self.finish_cand(c);
        } else {
            self.open = Some(c);
        }
    }

    fn close_open(&mut self) {
        if let Some(b) = self.open.take() {
            self.finish_cand(b);
        }
    }

    fn junit_failure(&mut self, f: JFail) {
        self.seq += 1;
        let test = if f.classname.is_empty() {
            f.name.clone()
        } else {
            format!("{}.{}", f.classname, f.name)
        };
        let mut h = Hit {
            kind: Kind::TestFailure,
            fw: Some("junit"),
            test: Some(test),
            file: f.file.clone(),
            line: f.line,
            message: f.message.clone(),
            score: 86.0,
            style: Style::Single(0),
            role: Role::Header,
            fam: Fam::Test,
            before: 0,
            rerun: None,
            strong_msg: true,
            summary: false,
            warning: false,
            werror: false,
        };
        if let Some(file) = &f.file {
            if file.ends_with(".py") {
                h.rerun = Some(format!("pytest {}", shq(&format!("{}::{}", file, f.name))));
            }
        }
        let lines = if f.lines.is_empty() {
            vec![f.message.clone()]
        } else {
            f.lines
        };
        let c = Cand {
            step: None,
            seq: self.seq,
            start: f.start,
            bytes: 0,
            lines,
            pending_blank: 0,
            after: 0,
            seps: 0,
            title_open: false,
            section: self.section,
            adj: 0.0,
            best_msg: (0, String::new()),
            head_ind: 0,
            hit: h,
        };
        self.store(c);
    }

    fn finish_cand(&mut self, mut c: Cand) {
        // choose the message
        if !c.hit.strong_msg && c.best_msg.0 > 0 {
            c.hit.message = std::mem::take(&mut c.best_msg.1);
        }
        if c.hit.file.is_none() || c.hit.line.is_none() || c.hit.line == Some(0) {
            // look for a location inside the block, preferring the test's own file
            let mut first: Option<(String, u32)> = None;
            let mut own: Option<(String, u32)> = None;
            for l in c.lines.iter() {
                if let Some((f, ln)) = find_loc(l) {
                    if c.hit
                        .file
                        .as_deref()
                        .is_some_and(|cf| cf != f && c.hit.line != Some(0))
                    {
                        continue;
                    }
                    let base = f.rsplit(['/', '\\']).next().unwrap_or(&f);
                    let stem = base.split('.').next().unwrap_or(base);
                    if own.is_none()
                        && stem.len() > 2
                        && c.hit.test.as_deref().is_some_and(|t| t.contains(stem))
                    {
                        own = Some((f.clone(), ln));
                    }
                    if first.is_none() {
                        first = Some((f, ln));
                    }
                }
            }
            if let Some((f, ln)) = own.or(first) {
                c.hit.file = Some(f);
                c.hit.line = Some(ln);
            }
        }
        if c.hit.fw == Some("mocha") && c.hit.rerun.is_none() {
            if let Some(t) = &c.hit.test {
                c.hit.rerun = Some(format!("npx mocha --grep {}", crate::text::dq(t.trim())));
            }
        }
        if c.hit.line == Some(0) {
            c.hit.line = None;
        }
        self.store(c);
    }

    fn store(&mut self, c: Cand) {
        // merge with an earlier failure of the same test
        if let Some(t) = c.hit.test.clone() {
            if let Some(i) = self
                .done
                .iter()
                .position(|d| d.hit.test.as_deref().is_some_and(|dt| same_test(dt, &t)))
            {
                let d = &mut self.done[i];
                let longer = !d.hit.summary && !c.hit.summary && c.lines.len() > d.lines.len();
                if (d.hit.summary && !c.hit.summary) || longer {
                    let mut c = c;
                    merge_fields(&mut c.hit, &d.hit);
                    c.hit.fw = d.hit.fw.or(c.hit.fw);
                    c.seq = c.seq.min(d.seq);
                    c.hit.score = c.hit.score.max(d.hit.score);
                    *d = c;
                } else {
                    let dh = &mut d.hit;
                    merge_fields(dh, &c.hit);
                    dh.score = dh.score.max(c.hit.score);
                }
                return;
            }
        }
        self.done.push(c);
        let cap = (self.opts.max_failures * 4).max(64);
        if self.done.len() > cap {
            // drop the weakest; among weak generic lines keep the later ones,
            // among equally strong ones the earlier ones (they rank first)
            let mut worst = 0;
            for (i, d) in self.done.iter().enumerate() {
                let w = &self.done[worst];
                let tie_later = if d.hit.score < 10.0 {
                    d.seq < w.seq
                } else {
                    d.seq > w.seq
                };
                if d.hit.score < w.hit.score || (d.hit.score == w.hit.score && tie_later) {
                    worst = i;
                }
            }
            self.done.remove(worst);
        }
    }

    /// Finish parsing and rank what was found.
    pub fn finish(mut self) -> Report {
        if self.cr_pending {
            self.cr_pending = false;
            if self.opts.cr_newlines {
                // a final lone `\r` ends the last line
                self.end_line();
            }
        }
        if !self.cur.is_empty() || !self.prev_seg.is_empty() {
            self.end_line();
        }
        self.close_open();
        let mut done = std::mem::take(&mut self.done);
        // warnings count only when promoted by a -Werror line
        done.retain(|c| !c.hit.warning);
        // a test whose subtest failed failed because of it: the subtest is
        // the more specific report
        let parents: Vec<usize> = (0..done.len())
            .filter(|&i| {
                done[i].hit.test.as_deref().is_some_and(|t| {
                    done.iter().any(|d| {
                        d.hit.test.as_deref().is_some_and(|dt| {
                            dt.len() > t.len() + 1
                                && dt.starts_with(t)
                                && dt.as_bytes()[t.len()] == b'/'
                        })
                    })
                })
            })
            .collect();
        for i in parents {
            done[i].adj -= 10.0;
        }
        let max_seq = self.seq.max(1) as f64;
        let any_specific = done.iter().any(|c| c.hit.score >= 30.0);
        let any_failed = self.section_fail.iter().any(|(_, f)| *f);
        for c in done.iter_mut() {
            let status = self
                .section_fail
                .iter()
                .find(|(s, _)| *s == c.section)
                .map(|x| x.1);
            match status {
                Some(true) => c.adj += 8.0,
                _ if c.hit.fam == Fam::Exit => c.adj += 8.0,
                Some(false) => c.adj -= c.hit.score * 0.6,
                // a section that did not fail the build while another did
                None if any_failed => c.adj -= c.hit.score * 0.8,
                None => {}
            }
            if c.hit.score < 30.0 {
                // weak lines: the later, the likelier
                c.adj += 3.0 * c.seq as f64 / max_seq;
            }
            if c.hit.fam == Fam::Exit && any_specific {
                c.adj -= 2.0;
            }
        }
        done.sort_by(|a, b| {
            let sa = a.hit.score + a.adj;
            let sb = b.hit.score + b.adj;
            sb.partial_cmp(&sa)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.seq.cmp(&b.seq))
        });
        done.truncate(self.opts.max_failures);
        let failures = done.into_iter().map(to_failure).collect();
        Report {
            format: self.format.unwrap_or("plain").to_string(),
            lines: self.line_no,
            bytes: self.bytes,
            failures,
        }
    }
}

/// `github.com/o/r/pkg/x` -> `./pkg/x` (module root guessed for well-known
/// hosts); other import paths are kept as they are.
fn go_pkg_dir(pkg: &str) -> String {
    let hosts = ["github.com/", "gitlab.com/", "bitbucket.org/"];
    if hosts.iter().any(|h| pkg.starts_with(h)) {
        let parts: Vec<&str> = pkg.split('/').collect();
        if parts.len() > 3 {
            return format!("./{}", parts[3..].join("/"));
        }
        if parts.len() == 3 {
            return ".".to_string();
        }
    }
    pkg.to_string()
}

/// Lines worth running the recognisers on even without a keyword:
/// numbered items (`1) name`) and `path:line` locations.
/// Lines that are state for [`Parser::process`] even without a keyword:
/// GitHub Actions commands (`##[group]`, `##[error]`, `::error`) at any
/// indentation; at the start of a line, Travis step commands (`$ `), exit
/// messages and timers, Go package results, and path lines (`/...`, or a
/// single word). `t` is the line after its indentation `ind`. The fast path
/// never skips these, so this list must cover every such branch of
/// `process`.
pub(crate) fn state_line(t: &[u8], ind: usize) -> bool {
    const ANY_INDENT: [&[u8]; 2] = [b"##[", b"::error"];
    const LINE_START: [&[u8]; 5] = [
        b"$ ",
        b"FAIL\t",
        b"ok  \t",
        b"The command \"",
        b"travis_time:",
    ];
    ANY_INDENT.iter().any(|p| t.starts_with(p))
        || (ind == 0
            && (LINE_START.iter().any(|p| t.starts_with(p))
                || t.first() == Some(&b'/')
                || memchr::memchr(b' ', t).is_none()))
}

#[inline]
pub(crate) fn structural(s: &[u8]) -> bool {
    let t = s.trim_ascii_start();
    if t.is_empty() {
        return false;
    }
    if t[0].is_ascii_digit() {
        return true;
    }
    if t.starts_with(b"E: ") {
        return true;
    }
    match memchr::memchr(b':', t) {
        Some(p) => {
            p > 0
                && p + 1 < t.len()
                && (t[p + 1].is_ascii_digit()
                    || (t[p + 1] == b' ' && t.get(p + 2).is_some_and(|c| c.is_ascii_digit())))
                && t[..p].contains(&b'.')
        }
        None => memchr::memchr(b'(', t)
            .is_some_and(|p| p > 0 && t.get(p + 1).is_some_and(|c| c.is_ascii_digit())),
    }
}

fn gh_hit(body: &str) -> Hit {
    let mut h = detect::detect("error: x", &mut Ctx::new()).expect("generic hit");
    h.message = cut(body.trim(), 400).to_string();
    h.score = 40.0;
    h
}

fn to_failure(c: Cand) -> Failure {
    let text = c.lines.join("\n");
    let mut flaky = Vec::new();
    norm::flaky_signals(&text, &mut flaky);
    let mut kind = c.hit.kind;
    if kind == Kind::Unknown {
        kind = guess_kind(&text);
    }
    let sig = norm::signature(&c.hit.message);
    let signature = match &c.hit.test {
        Some(t) => format!("{t}: {sig}"),
        None => sig,
    };
    let end = c.end();
    Failure {
        kind,
        framework: c.hit.fw.map(str::to_string),
        test: c.hit.test,
        file: c.hit.file,
        line: c.hit.line,
        message: c.hit.message,
        signature,
        rerun: c.hit.rerun,
        step: c.step,
        flaky_signals: flaky,
        score: ((c.hit.score + c.adj) * 100.0).round() / 100.0,
        excerpt: Excerpt {
            start_line: c.start,
            end_line: end,
            text,
        },
    }
}

fn guess_kind(text: &str) -> Kind {
    if has_ci(text, "timed out") || has_ci(text, "timeout") {
        Kind::Timeout
    } else if has_ci(text, "could not resolve")
        || has_ci(text, "not found in registry")
        || has_ci(text, "no matching version")
    {
        Kind::Dependency
    } else if has_ci(text, "segmentation fault") || has_ci(text, "panic") {
        Kind::Crash
    } else {
        Kind::Unknown
    }
}

fn merge_fields(into: &mut Hit, from: &Hit) {
    if into.file.is_none() || (into.line.is_none() && from.line.is_some() && into.file == from.file)
    {
        if from.file.is_some() {
            into.file = from.file.clone();
            into.line = from.line;
        }
    }
    if into.rerun.is_none() {
        into.rerun = from.rerun.clone();
    }
    if into.fw.is_none() {
        into.fw = from.fw;
    }
    // the longer, more qualified id wins
    if let (Some(a), Some(b)) = (&into.test, &from.test) {
        if b.len() > a.len() && b.has("::") {
            into.test = Some(b.clone());
        }
    }
    if into.message.is_empty() {
        into.message = from.message.clone();
    }
}

fn same_test(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    if short.len() < 3 {
        return false;
    }
    if let Some(prefix) = long.strip_suffix(short) {
        return ["::", ".", "#", " \u{203a} ", " > ", "/", " "]
            .iter()
            .any(|s| prefix.ends_with(s));
    }
    false
}

/// How the open block treats the next line.
fn decide(b: &mut Cand, s: &str, hit: Option<&Hit>, opts: &Options) -> Decision {
    let t = s.trim_start();
    let ind = s.len() - t.len();
    let max_after = opts.context_after.min(MAX_EXCERPT - 1);
    let total = b.lines.len() + b.pending_blank as usize;
    if total >= MAX_EXCERPT || b.after + b.pending_blank as usize > max_after {
        return Decision::Close;
    }
    if let Some(h) = hit {
        if h.role == Role::Header {
            let same_compile =
                b.hit.style == Style::Compiler && h.fam == b.hit.fam && h.fam != Fam::Test;
            if !same_compile && !nested_detail(b, h, ind) {
                return Decision::Close;
            }
        }
        if h.summary && h.fam == Fam::Test && b.hit.fam == Fam::Test {
            return Decision::Close;
        }
    }
    if t.is_empty() {
        let limit = match b.hit.style {
            Style::Indented => 2,
            Style::Compiler => 1,
            Style::Single(_) => 0,
            Style::Traceback => 1,
            Style::Until(Term::Blank) => 0,
            Style::Until(Term::Phpunit) => 1,
            Style::Until(_) => 3,
            Style::Take(_) => 8,
        };
        if b.pending_blank >= limit {
            return Decision::Close;
        }
        return Decision::Blank;
    }
    match b.hit.style {
        Style::Single(n) => {
            let lines_after = b.lines.len().saturating_sub(1);
            if lines_after >= n as usize {
                return Decision::Close;
            }
            // "rake aborted!", "Error:": the message is on the next line
            if b.after == 0
                && n > 0
                && hit.is_none_or(|h| h.score <= b.hit.score)
                && b.lines.last().is_some_and(|l| {
                    let l = l.trim_end();
                    l.ends_with(':') || l.ends_with('!')
                })
            {
                return Decision::Take;
            }
            let related = hit.is_some_and(|h| h.fam == b.hit.fam || h.role == Role::Sub);
            if ind > 0 || related {
                Decision::Take
            } else {
                Decision::Close
            }
        }
        Style::Take(n) => {
            if b.lines.len() > n as usize {
                Decision::Close
            } else {
                Decision::Take
            }
        }
        Style::Indented => {
            if t.starts_with("--- PASS:") || t.starts_with("--- SKIP:") || detect::pass_row(t) {
                // a sibling test's result, not this test's detail
                Decision::Close
            } else if ind > 0 || t.starts_with("at ") {
                Decision::Take
            } else {
                Decision::Close
            }
        }
        Style::Traceback => {
            if ind > 0
                || t.starts_with("During handling")
                || t.starts_with("The above exception")
                || t.starts_with("Traceback")
            {
                Decision::Take
            } else {
                Decision::TakeClose
            }
        }
        Style::Compiler => {
            let b0 = t.as_bytes()[0];
            let gutter = {
                let d = t.bytes().take_while(|c| c.is_ascii_digit()).count();
                d > 0 && t[d..].trim_start().starts_with('|')
            };
            if ind > 0
                || gutter
                || b0 == b'|'
                || b0 == b'^'
                || b0 == b'~'
                || t.starts_with("= ")
                || t.starts_with("note:")
                || t.starts_with("help:")
                || t.starts_with("-->")
                || t.starts_with("In file included")
                || t.starts_with("In function")
                || t.starts_with("In member function")
                || t.has(": In function")
                || t.has(": note:")
                || t.has("required from")
                || hit.is_some_and(|h| h.fam == b.hit.fam)
            {
                Decision::Take
            } else {
                Decision::Close
            }
        }
        Style::Until(term) => match term {
            Term::Pytest => {
                if t.starts_with("====") || (t.starts_with("____") && t.ends_with("____")) {
                    Decision::Close
                } else {
                    Decision::Take
                }
            }
            Term::Unittest => {
                if all_of(t, b'=', 10) {
                    Decision::Close
                } else if all_of(t, b'-', 10) {
                    b.seps += 1;
                    if b.seps > 1 {
                        Decision::Close
                    } else {
                        Decision::Take
                    }
                } else {
                    Decision::Take
                }
            }
            Term::Cargo => {
                if t == "failures:"
                    || t.starts_with("test result:")
                    || (t.starts_with("---- ") && t.ends_with("----"))
                {
                    Decision::Close
                } else {
                    Decision::Take
                }
            }
            Term::Blank => Decision::Take,
            Term::Phpunit => {
                if t == "--"
                    || t.starts_with("FAILURES!")
                    || t.starts_with("ERRORS!")
                    || t.starts_with("There was")
                    || t.starts_with("There were")
                    || t.starts_with("Tests: ")
                {
                    Decision::Close
                } else {
                    Decision::Take
                }
            }
            Term::GradleTry => {
                if t.starts_with("* Try:") || t.starts_with("* Exception is:") {
                    Decision::Close
                } else {
                    Decision::Take
                }
            }
            Term::Vitest => {
                if t.starts_with('\u{23af}')
                    || t.starts_with("Test Files")
                    || t.starts_with("FAIL ")
                {
                    Decision::Close
                } else {
                    Decision::Take
                }
            }
            Term::Asan => {
                if t.has("ABORTING") || t.starts_with("SUMMARY:") {
                    Decision::TakeClose
                } else {
                    Decision::Take
                }
            }
            Term::Dotnet => {
                if t.starts_with("Failed!")
                    || t.starts_with("Passed!")
                    || t.starts_with("Total tests")
                    || t.starts_with("Results File")
                    || t.starts_with("Passed ")
                    || (t.starts_with("Failed ") && ind > 0)
                {
                    Decision::Close
                } else {
                    Decision::Take
                }
            }
            Term::NodeError => {
                if ind == 0
                    && b.lines.len() > 1
                    && (t.has("Error") || t.has("Exception"))
                    && !t.starts_with('^')
                {
                    Decision::TakeClose
                } else {
                    Decision::Take
                }
            }
        },
    }
}

/// A header that is a failed test's detail: indented deeper than the test's
/// result row and naming no test of its own (an `Error found:` block under
/// `name:   FAIL`).
fn nested_detail(b: &Cand, h: &Hit, ind: usize) -> bool {
    b.hit.style == Style::Indented
        && b.hit.fam == Fam::Test
        && h.fam != Fam::Test
        && h.test.is_none()
        && ind > b.head_ind
}

/// Rank how telling a line is as a failure message.
fn msg_rank(t: &str) -> u8 {
    if t.starts_with("E  ") {
        return 9;
    }
    if t.has("panicked at")
        || t.starts_with("Failure/Error:")
        || t.starts_with("Failed asserting")
        || t.has("Assert")
        || t.has("assert")
    {
        return 8;
    }
    if t.has("Error:") || t.has("Exception:") || t.has("Error ") || t.starts_with("** (") {
        return 7;
    }
    if t.starts_with("Expected")
        || t.starts_with("expected")
        || t.has("expected")
        || t.has("Expected")
    {
        return 6;
    }
    if let Some((_, _, rest)) = file_loc(t) {
        if !rest.is_empty() && !rest.starts_with("in ") {
            return 5;
        }
    }
    if t.has("Error") || t.has("error") || t.has("fail") || t.has("Fail") {
        return 4;
    }
    0
}

/// Update a block with what a taken line says.
fn absorb(b: &mut Cand, s: &str, hit: Option<&Hit>) {
    let t = s.trim();
    if b.title_open {
        if t.ends_with(':') {
            b.title_open = false;
        }
        let piece = t.trim_end_matches(':');
        if let Some(test) = b.hit.test.as_mut() {
            if !piece.is_empty() && test.len() < 300 {
                test.push(' ');
                test.push_str(piece);
            }
        }
        return;
    }
    if b.hit.fw == Some("minitest") && b.hit.test.is_none() {
        // "FooTest#test_bar [test/foo_test.rb:12]:" or "FooTest#test_baz:"
        let head = t.trim_end_matches(':');
        let (id, loc) = match head.split_once(" [") {
            Some((id, loc)) => (id, Some(loc.trim_end_matches(']'))),
            None => (head, None),
        };
        if id.contains('#') && !id.contains(' ') {
            b.hit.test = Some(id.to_string());
            let method = id.split('#').nth(1).unwrap_or("");
            if let Some(loc) = loc {
                if let Some((f, l)) = loc.rsplit_once(':') {
                    b.hit.file = Some(f.to_string());
                    b.hit.line = l.parse().ok();
                    b.hit.rerun = Some(format!("ruby -Itest {} -n {}", shq(f), shq(method)));
                }
            }
            return;
        }
    }
    if let Some(h) = hit {
        // a block is as telling as its strongest line
        if h.score > b.hit.score
            && !h.summary
            && !h.warning
            && matches!(b.hit.style, Style::Single(_))
            && b.lines.first().is_some_and(|l| l.trim_end().ends_with(':'))
        {
            b.hit.score = h.score;
        }
        if h.test.is_some() && b.hit.test.is_none() && h.fam == Fam::Test {
            b.hit.test = h.test.clone();
        }
        if b.hit.file.is_none() && h.file.is_some() {
            b.hit.file = h.file.clone();
            b.hit.line = h.line;
        }
        if b.hit.kind == Kind::Unknown && h.kind != Kind::Unknown {
            b.hit.kind = h.kind;
        }
    }
    if b.hit.fw == Some("exunit") && b.hit.rerun.is_none() {
        if let Some((f, l, rest)) = file_loc(t) {
            if rest.is_empty() && (f.ends_with(".exs") || f.ends_with(".ex")) {
                b.hit.file = Some(f.to_string());
                b.hit.line = Some(l);
                b.hit.rerun = Some(format!("mix test {}", shq(&format!("{f}:{l}"))));
            }
        }
    }
    if b.hit.fw == Some("phpunit") && b.hit.file.is_none() {
        if let Some((f, l, rest)) = file_loc(t) {
            if rest.is_empty() && f.ends_with(".php") {
                b.hit.file = Some(f.to_string());
                b.hit.line = Some(l);
            }
        }
    }
    if !b.hit.strong_msg {
        let r = msg_rank(t);
        if r > b.best_msg.0 {
            b.best_msg = (r, cut(t, 400).to_string());
        }
    }
}

/// A source location mentioned in a block line.
fn find_loc(l: &str) -> Option<(String, u32)> {
    let t = l.trim();
    // Python: File "x.py", line 12, in f
    if let Some(r) = t.strip_prefix("File \"") {
        let (f, rest) = r.split_once('"')?;
        let n = rest
            .trim_start_matches(", line ")
            .split(',')
            .next()?
            .trim()
            .parse()
            .ok()?;
        if f.has("site-packages") || f.starts_with("/usr/lib") {
            return None;
        }
        return Some((f.to_string(), n));
    }
    // rustc: --> src/lib.rs:10:5 ; vitest: ❯ src/a.test.ts:3:1
    let t = t
        .trim_start_matches(|c: char| {
            !c.is_alphanumeric() && !matches!(c, '/' | '.' | '_' | '\\' | '#' | '"')
        })
        .trim_start();
    // ruby: # ./spec/a_spec.rb:12:in `block'
    let t = t.strip_prefix("# ").unwrap_or(t);
    // dotnet: at X in /path/Foo.cs:line 12
    if let Some(p) = t.pos(" in ") {
        let r = &t[p + 4..];
        if let Some((f, n)) = r.rsplit_once(":line ") {
            if looks_like_path(f) {
                return Some((f.to_string(), n.trim().parse().ok()?));
            }
        }
    }
    // java: at a.B.c(B.java:12) ; node: at f (src/a.js:3:9)
    if t.starts_with("at ") {
        if let Some(p) = t.rfind('(') {
            let inner = t[p + 1..].trim_end_matches(')');
            if let Some((f, n, _)) = file_loc(inner) {
                if !f.has("node_modules") && !f.starts_with("internal/") && !f.starts_with("node:")
                {
                    return Some((f.to_string(), n));
                }
            }
        }
        return None;
    }
    // gradle: "org.x.AssertionError at FooTest.java:42"
    if let Some(p) = t.rfind(" at ") {
        if let Some((f, n, rest)) = file_loc(&t[p + 4..]) {
            if rest.is_empty() {
                return Some((f.to_string(), n));
            }
        }
    }
    let (f, n, _) = file_loc(t)?;
    if n == 0 || f.has("node_modules") || f.has("site-packages") || f.has("/rustc/") {
        return None;
    }
    Some((f.to_string(), n))
}

/// `[info] ` / `[success] ` / `[debug] ` line prefixes (sbt and similar):
/// the line without them.
fn strip_level_prefix(s: &str) -> &str {
    &s[crate::text::level_prefix_len(s.as_bytes())..]
}

/// The exit code on the last line of a multi-line Travis exit message:
/// `" exited with 1.` / `" failed and exited with 2 during .`.
fn multi_exit_code(t: &str) -> Option<&str> {
    let r = t.strip_prefix('"')?;
    let r = r
        .strip_prefix(" exited with ")
        .or_else(|| r.strip_prefix(" failed and exited with "))?;
    let code = r.split([' ', '.']).next()?;
    (!code.is_empty() && code.bytes().all(|c| c.is_ascii_digit())).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_tests() {
        assert!(same_test("tests/a.py::test_x", "test_x"));
        assert!(!same_test("tests/a.py::test_xy", "test_x"));
        assert!(same_test("Suite \u{203a} does x", "does x"));
    }
}
