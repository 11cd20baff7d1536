//! Per-line recognisers: which lines start or make up a failure, of what kind,
//! from which framework, naming which test.

use crate::Kind;
use crate::text::*;

/// How a block that starts at a hit line continues on the following lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The hit line, then indented lines and same-family hits (at most n lines).
    Single(u8),
    /// Indented and blank lines; a non-indented line ends it.
    Indented,
    /// Every line until a terminator.
    Until(Term),
    /// A Python traceback: indented lines, ending with the exception line.
    Traceback,
    /// Compiler diagnostics: source snippets, notes and further errors.
    Compiler,
    /// The next n lines whatever they are (a new header still ends it).
    Take(u8),
}

/// Terminators for [`Style::Until`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// pytest: next `____ name ____` header or a `====` section line.
    Pytest,
    /// unittest: a `====` line or the second `----` line.
    Unittest,
    /// cargo test: next `---- x stdout ----`, `failures:` or `test result:`.
    Cargo,
    /// A blank line.
    Blank,
    /// PHPUnit: `--`, `FAILURES!`, `ERRORS!`, a new section, or two blank lines.
    Phpunit,
    /// Gradle's `* What went wrong:` until `* Try:`.
    GradleTry,
    /// Vitest: separator lines or the next FAIL.
    Vitest,
    /// AddressSanitizer report until `==ABORTING` / `SUMMARY:`.
    Asan,
    /// Node's `file:line` / source / caret / error block: until the error line.
    NodeError,
    /// dotnet test: until the next result or the run summary.
    Dotnet,
}

/// What role a hit line plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Starts a detail block for one failure; ends any open block.
    Header,
    /// A standalone error line.
    Line,
    /// Detail (traceback, panic, assertion) that belongs to an open block if any.
    Sub,
}

/// Families of hits; consecutive hits of one family may share a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fam {
    Test,
    Compile,
    Lint,
    Npm,
    Maven,
    Generic,
    Exit,
    Other,
}

/// One recognised line.
#[derive(Debug, Clone)]
pub struct Hit {
    pub kind: Kind,
    pub fw: Option<&'static str>,
    pub test: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub message: String,
    pub score: f64,
    pub style: Style,
    pub role: Role,
    pub fam: Fam,
    /// Lines of context before the hit line to include.
    pub before: u32,
    pub rerun: Option<String>,
    /// Whether `message` is already the telling line (else the block is searched).
    pub strong_msg: bool,
    /// A summary/progress line naming a test (merged into a detail block if one exists).
    pub summary: bool,
    /// A compiler warning: only reported if a later line says warnings are
    /// treated as errors (`-Werror`).
    pub warning: bool,
    /// The line says the build failed because warnings are errors.
    pub werror: bool,
}

impl Hit {
    fn new(kind: Kind, score: f64, msg: &str) -> Hit {
        Hit {
            kind,
            fw: None,
            test: None,
            file: None,
            line: None,
            message: cut(msg.trim(), 400).to_string(),
            score,
            style: Style::Single(4),
            role: Role::Line,
            fam: Fam::Generic,
            before: 0,
            rerun: None,
            strong_msg: true,
            summary: false,
            warning: false,
            werror: false,
        }
    }
    fn fw(mut self, f: &'static str) -> Self {
        self.fw = Some(f);
        self
    }
    fn test(mut self, t: impl Into<String>) -> Self {
        self.test = Some(t.into());
        self
    }
    fn style(mut self, s: Style) -> Self {
        self.style = s;
        self
    }
    fn role(mut self, r: Role) -> Self {
        self.role = r;
        self
    }
    fn fam(mut self, f: Fam) -> Self {
        self.fam = f;
        self
    }
    fn before(mut self, n: u32) -> Self {
        self.before = n;
        self
    }
    fn loc(mut self, f: &str, l: u32) -> Self {
        self.file = Some(f.to_string());
        self.line = Some(l);
        self
    }
    fn weak(mut self) -> Self {
        self.strong_msg = false;
        self
    }
    fn summary(mut self) -> Self {
        self.summary = true;
        self
    }
    fn rerun(mut self, r: Option<String>) -> Self {
        self.rerun = r;
        self
    }
    fn header(self) -> Self {
        self.role(Role::Header)
    }
}

/// Sections that change how numbered items (`1) ...`) are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sect {
    None,
    Mocha,
    Rspec,
    Phpunit,
    Surefire,
    Ctest,
    Cargo,
}

/// State the recognisers keep between lines.
#[derive(Debug)]
pub struct Ctx {
    pub sect: Sect,
    pub jest_file: Option<String>,
    pub cargo_crate: Option<String>,
    pub local_crates: Vec<String>,
    pub go_run: Option<(String, u64)>,
    pub gtest_run: Option<(String, u64)>,
    pub gtest_bin: Option<String>,
    pub last_path_line: u64,
    pub maven_class: Option<String>,
    pub xc_failed: Vec<String>,
    pub line_no: u64,
    /// Line of the last numbered minitest `N) Failure:` header.
    pub minitest_item: u64,
    /// Set by a recogniser that consumed a line as state (a section header).
    pub stop: bool,
}

impl Ctx {
    pub fn new() -> Ctx {
        Ctx {
            sect: Sect::None,
            jest_file: None,
            cargo_crate: None,
            local_crates: Vec::new(),
            go_run: None,
            gtest_run: None,
            gtest_bin: None,
            last_path_line: 0,
            maven_class: None,
            xc_failed: Vec::new(),
            line_no: 0,
            minitest_item: 0,
            stop: false,
        }
    }
}

/// Keywords at least one of which is on every line any recogniser fires on
/// (ASCII case-insensitive). Lines without any skip the recognisers.
pub const KEYWORDS: &[&str] = &[
    "error",
    "fail",
    "panic",
    "exception",
    "traceback",
    "fatal",
    "err!",
    "abort",
    "timed out",
    "timeout",
    "killed",
    "segmentation",
    "sigsegv",
    "sanitizer",
    "undefined reference",
    "not found",
    "exited with",
    "exit code",
    "[-]",
    "\u{2717}",
    "\u{2715}",
    "\u{d7}",
    "\u{274c}",
    "\u{25cf}",
    "\u{2716}",
    "not ok",
    "dubious",
    "____",
    "=====",
    "---- ",
    "[ run",
    "offense",
    "problem",
    "unable to",
    "cannot",
    "could not",
    "couldn't",
    "no such",
    "refused",
    "issues :-(",
    "violation",
    "running",
    "compiling",
    "passing",
    "failing",
    "there was",
    "there were",
    "no output has been",
    "exceeded",
    "core dumped",
    "code style",
    "**",
    "denied",
    "warn",
    "=== run",
    "e: ",
    "please ",
    "did not match",
    "does not",
    "doesn't",
    "mismatch",
    "not installed",
    "unexpected",
    "invalid",
    "traceback",
    "diff --git",
    "not defined",
    "never defined",
    "standard: ",
    "an error occurred",
    "#test",
    "] (x) ",
];

/// `The command "X" exited with N.` / `... failed and exited with N during .`:
/// the exit code and the command.
pub fn travis_exit(t: &str) -> Option<(&str, &str)> {
    let r = t.strip_prefix("The command \"")?;
    for sep in ["\" exited with ", "\" failed and exited with "] {
        if let Some(p) = r.rfind(sep) {
            let code = r[p + sep.len()..].split([' ', '.']).next().unwrap_or("");
            return Some((code, &r[..p]));
        }
    }
    None
}

/// Strips a leading clock-time stamp as task runners print it (gulp, grunt:
/// `[12:00:01] `, `[12:00:01.123] `). Other brackets (`[ERROR]`) are kept.
fn strip_bracket_prefix(t: &str) -> &str {
    let Some(r) = t.strip_prefix('[') else {
        return t;
    };
    let Some(end) = r.find(']') else {
        return t;
    };
    let stamp = &r[..end];
    let clock = stamp.len() >= 5
        && stamp.as_bytes()[0].is_ascii_digit()
        && stamp.bytes().filter(|&b| b == b':').count() >= 2
        && stamp
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b'.');
    if clock { r[end + 1..].trim_start() } else { t }
}

/// A shell's own runtime error: `script.sh: line 12: cd: dir: No such file
/// or directory`, `./run: line 3: foo: command not found`.
fn shell_error(t: &str) -> bool {
    let Some(p) = t.pos(": line ") else {
        return false;
    };
    if p == 0 || t[..p].contains(' ') {
        return false;
    }
    let r = &t[p + 7..];
    let digits = r.bytes().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || !r[digits..].starts_with(": ") {
        return false;
    }
    let msg = &r[digits + 2..];
    msg.ends_with("No such file or directory")
        || msg.ends_with("command not found")
        || msg.ends_with("Permission denied")
        || msg.has("syntax error")
}

/// Recognise one cleaned line. `s` is the whole line, with indentation.
pub fn detect(s: &str, ctx: &mut Ctx) -> Option<Hit> {
    let t = s.trim_start();
    let ind = s.len() - t.len();
    if t.is_empty() {
        return None;
    }
    // ---------- CI consequences and timeouts ----------
    if let Some(r) = t.strip_prefix("The command \"") {
        if let Some(p) = r.rfind("\" exited with ") {
            let code = r[p + 14..].trim_end_matches('.');
            if code != "0" {
                let timeout = code == "124" || code == "137";
                let kind = if timeout {
                    Kind::Timeout
                } else {
                    Kind::Unknown
                };
                return Some(
                    Hit::new(kind, 4.0, t)
                        .fam(Fam::Exit)
                        .style(Style::Single(0)),
                );
            }
            return None;
        }
    }
    if has_ci(t, "no output has been received in the last")
        || has_ci(t, "the job exceeded the maximum time limit")
        || has_ci(t, "exceeded the maximum log length")
        || starts_ci(t, "the operation was canceled")
        || has_ci(t, "has exceeded the maximum execution time")
    {
        return Some(
            Hit::new(Kind::Timeout, 55.0, t)
                .fam(Fam::Other)
                .style(Style::Single(2)),
        );
    }

    // Warnings fail a build only when they are treated as errors.
    if has_ci(t, "-werror") && (starts_ci(t, "failing due to") || has_ci(t, "treated as error"))
        || has_ci(t, "warnings being treated as errors")
        || has_ci(t, "warnings treated as errors")
    {
        let mut h = Hit::new(Kind::CompileError, 6.0, t)
            .fam(Fam::Exit)
            .style(Style::Single(0));
        h.werror = true;
        return Some(h);
    }
    if let Some(h) = compiler_warning(t) {
        return Some(h);
    }
    if starts_ci(t, "warning") || t.starts_with("W: ") || starts_ci(t, "[warn") {
        return None;
    }
    if t.starts_with("An error occurred while loading ") {
        return Some(
            Hit::new(Kind::TestFailure, 80.0, t)
                .fw("rspec")
                .header()
                .fam(Fam::Test)
                .style(Style::Take(12))
                .weak(),
        );
    }

    // ---------- Test frameworks ----------
    if let Some(h) = detect_tests(s, t, ind, ctx) {
        return Some(h);
    }
    if ctx.stop {
        ctx.stop = false;
        return None;
    }

    // ---------- Compilers ----------
    // Task runners stamp their own messages with a clock time; the compiler
    // and tool messages they relay are recognised behind it.
    if let Some(h) = detect_compile(strip_bracket_prefix(t), ind, ctx) {
        return Some(h);
    }

    // ---------- Crashes ----------
    if let Some(h) = detect_crash(t, ind) {
        return Some(h);
    }

    // ---------- Dependencies, infrastructure ----------
    if let Some(h) = detect_env(t, ind) {
        return Some(h);
    }

    // ---------- Generic ----------
    detect_generic(t, ind)
}

fn detect_tests(s: &str, t: &str, ind: usize, ctx: &mut Ctx) -> Option<Hit> {
    let b = t.as_bytes();
    // Vader (Vim): "(12/40) [EXECUTE] (X) message" marks a failed block.
    match vader_step(t) {
        Some(Some(msg)) => {
            return Some(
                Hit::new(Kind::TestFailure, 80.0, msg)
                    .fw("vader")
                    .header()
                    .fam(Fam::Test)
                    .style(Style::Single(2)),
            );
        }
        // a passing step: its title may say "error" or "failed"
        Some(None) => {
            ctx.stop = true;
            return None;
        }
        None => {}
    }
    // Section headers.
    if ind <= 4 {
        if let Some((n, rest)) = leading_num(t) {
            let rest = rest.trim();
            if rest == "failing" && n > 0 {
                ctx.sect = Sect::Mocha;
                {
                    ctx.stop = true;
                    return None;
                }
            }
            if rest == "passing" || rest.starts_with("passing (") {
                {
                    ctx.stop = true;
                    return None;
                }
            }
        }
        if t == "Failures:" || t == "Failed examples:" {
            ctx.sect = Sect::Rspec;
            {
                ctx.stop = true;
                return None;
            }
        }
        if (t.starts_with("There was ") || t.starts_with("There were "))
            && (t.ends_with("failure:")
                || t.ends_with("failures:")
                || t.ends_with("error:")
                || t.ends_with("errors:"))
        {
            ctx.sect = Sect::Phpunit;
            {
                ctx.stop = true;
                return None;
            }
        }
        if t.starts_with("There was ") || t.starts_with("There were ") {
            ctx.sect = Sect::None;
            {
                ctx.stop = true;
                return None;
            }
        }
        if t == "[ERROR] Failures:"
            || t == "[ERROR] Errors:"
            || t == "Failed tests:"
            || t == "Tests in error:"
        {
            ctx.sect = Sect::Surefire;
            {
                ctx.stop = true;
                return None;
            }
        }
        if t.starts_with("The following tests FAILED:") {
            ctx.sect = Sect::Ctest;
            {
                ctx.stop = true;
                return None;
            }
        }
        if t == "failures:" {
            ctx.sect = Sect::Cargo;
            {
                ctx.stop = true;
                return None;
            }
        }
    }

    // pytest: ____ test_name ____ (also "____ ERROR collecting x ____")
    if b.len() > 8 && t.starts_with("___") && t.ends_with("___") {
        let name = t.trim_matches('_').trim();
        // a name, not a banner of underscores and dots
        if name.bytes().any(|c| c.is_ascii_alphanumeric()) && !name.has("___") {
            if let Some(what) = name.strip_prefix("ERROR collecting ") {
                return Some(
                    Hit::new(Kind::CompileError, 86.0, name)
                        .fw("pytest")
                        .header()
                        .fam(Fam::Test)
                        .style(Style::Until(Term::Pytest))
                        .loc(what, 0)
                        .weak()
                        .rerun(Some(format!("pytest {}", shq(what)))),
                );
            }
            let name = name.strip_prefix("ERROR at setup of ").unwrap_or(name);
            let name = name.strip_prefix("ERROR at teardown of ").unwrap_or(name);
            let test = match name.find('[') {
                Some(b) => format!("{}{}", name[..b].replace('.', "::"), &name[b..]),
                None => name.replace('.', "::"),
            };
            return Some(
                Hit::new(Kind::TestFailure, 86.0, name)
                    .fw("pytest")
                    .test(test)
                    .header()
                    .fam(Fam::Test)
                    .style(Style::Until(Term::Pytest))
                    .weak(),
            );
        }
    }
    // pytest short summary / verbose progress.
    for pre in ["FAILED ", "ERROR "] {
        if let Some(r) = t.strip_prefix(pre) {
            let id = r.split(" - ").next().unwrap_or(r).trim();
            if id.has("::") && !id.contains(' ') {
                let file = id.split("::").next().unwrap_or("");
                let msg = r.split_once(" - ").map(|x| x.1).unwrap_or(r);
                return Some(
                    Hit::new(Kind::TestFailure, 70.0, msg)
                        .fw("pytest")
                        .test(id)
                        .loc(file, 0)
                        .summary()
                        .fam(Fam::Test)
                        .style(Style::Single(0))
                        .rerun(Some(format!("pytest {}", shq(id)))),
                );
            }
        }
    }
    if let Some(p) = t.pos("::") {
        if (t.ends_with(" FAILED") || t.has(" FAILED ["))
            && looks_like_path(&t[..p])
            && !t[..p].contains(' ')
        {
            let id = t.split(' ').next().unwrap_or(t);
            return Some(
                Hit::new(Kind::TestFailure, 60.0, t)
                    .fw("pytest")
                    .test(id)
                    .loc(&t[..p], 0)
                    .summary()
                    .fam(Fam::Test)
                    .style(Style::Single(0))
                    .rerun(Some(format!("pytest {}", shq(id)))),
            );
        }
    }

    // unittest / nose: "FAIL: test_x (mod.Class)" at column 0.
    if ind == 0 {
        for (pre, kind) in [
            ("FAIL: ", Kind::TestFailure),
            ("ERROR: ", Kind::TestFailure),
        ] {
            if let Some(r) = t.strip_prefix(pre) {
                if let Some((name, cls)) = unittest_id(r) {
                    let id = if cls.ends_with(&format!(".{name}")) || cls.is_empty() {
                        cls.to_string()
                    } else {
                        format!("{cls}.{name}")
                    };
                    let id = if id.is_empty() { name.to_string() } else { id };
                    return Some(
                        Hit::new(kind, 86.0, t)
                            .fw("unittest")
                            .test(id.clone())
                            .header()
                            .fam(Fam::Test)
                            .style(Style::Until(Term::Unittest))
                            .weak()
                            .rerun(Some(format!("python -m unittest {}", shq(&id)))),
                    );
                }
            }
        }
    }

    // cargo test
    if let Some(r) = t.strip_prefix("---- ") {
        if let Some(name) = r.strip_suffix(" stdout ----") {
            let name = name.trim();
            return Some(
                Hit::new(Kind::TestFailure, 86.0, t)
                    .fw("cargo-test")
                    .test(name)
                    .header()
                    .fam(Fam::Test)
                    .style(Style::Until(Term::Cargo))
                    .weak()
                    .rerun(Some(cargo_rerun(ctx, name))),
            );
        }
    }
    if let Some(r) = t.strip_prefix("test ") {
        if let Some(name) = r.strip_suffix(" ... FAILED") {
            let name = name.trim();
            return Some(
                Hit::new(Kind::TestFailure, 70.0, t)
                    .fw("cargo-test")
                    .test(name)
                    .summary()
                    .fam(Fam::Test)
                    .style(Style::Single(0))
                    .rerun(Some(cargo_rerun(ctx, name))),
            );
        }
    }
    if ctx.sect == Sect::Cargo && ind == 4 && !t.contains(' ') && t.len() > 1 {
        // list of failed test names after "failures:"
        {
            ctx.stop = true;
            return None;
        }
    }
    // cargo nextest: "FAIL [   0.004s] crate tests::name"
    for (pre, kind) in [
        ("FAIL [", Kind::TestFailure),
        ("TIMEOUT [", Kind::Timeout),
        ("SIGSEGV [", Kind::Crash),
        ("SIGABRT [", Kind::Crash),
        ("ABORT [", Kind::Crash),
    ] {
        if let Some(r) = t.strip_prefix(pre) {
            if let Some(p) = r.find(']') {
                let mut rest = r[p + 1..].trim();
                // optional "(1/2)" progress counter
                if rest.starts_with('(') {
                    if let Some(q) = rest.find(')') {
                        rest = rest[q + 1..].trim();
                    }
                }
                let mut parts = rest.splitn(2, ' ');
                let bin = parts.next().unwrap_or("");
                let name = parts.next().unwrap_or("").trim();
                if !bin.is_empty() && !name.is_empty() && !name.contains(' ') {
                    let krate = bin.split("::").next().unwrap_or(bin);
                    return Some(
                        Hit::new(kind, 80.0, t)
                            .fw("cargo-nextest")
                            .test(name)
                            .fam(Fam::Test)
                            .style(Style::Single(0))
                            .summary()
                            .rerun(Some(format!(
                                "cargo nextest run -p {} -E {}",
                                shq(krate),
                                shq(&format!("test(={name})"))
                            ))),
                    );
                }
            }
        }
    }

    // go test
    if let Some(r) = t.strip_prefix("=== RUN ") {
        let name = r.trim();
        if !name.contains('/') {
            ctx.go_run = Some((name.to_string(), ctx.line_no));
        }
        {
            ctx.stop = true;
            return None;
        }
    }
    if let Some(r) = t.strip_prefix("--- FAIL: ") {
        let name = r.split(" (").next().unwrap_or(r).trim();
        let mut before = 0;
        if let Some((run, at)) = &ctx.go_run {
            let top = name.split('/').next().unwrap_or(name);
            if run == top && ctx.line_no > *at && ctx.line_no - at <= 30 && ind == 0 {
                before = (ctx.line_no - at) as u32;
            }
        }
        let kind = if t.has("panic") {
            Kind::Crash
        } else {
            Kind::TestFailure
        };
        return Some(
            Hit::new(kind, 86.0, t)
                .fw("go-test")
                .test(name)
                .header()
                .before(before)
                .fam(Fam::Test)
                .style(Style::Indented)
                .weak(),
        );
    }

    // jest / vitest
    if let Some(r) = t.strip_prefix("FAIL ") {
        let r = r.trim();
        if r.has(" > ") {
            // vitest: FAIL  src/a.test.ts > suite > name
            let mut it = r.split(" > ");
            let file = it.next().unwrap_or("").trim();
            let names: Vec<&str> = it.map(|x| x.trim()).collect();
            let test = names.join(" > ");
            let file = file.split(' ').next().unwrap_or(file);
            return Some(
                Hit::new(Kind::TestFailure, 86.0, t)
                    .fw("vitest")
                    .test(test)
                    .loc(file, 0)
                    .header()
                    .fam(Fam::Test)
                    .style(Style::Until(Term::Vitest))
                    .weak()
                    .rerun(Some(format!(
                        "npx vitest run {} -t {}",
                        shq(file),
                        dq(&names.join(" "))
                    ))),
            );
        }
        let file = r.split(' ').next().unwrap_or(r);
        if looks_like_path(file) && !file.has("::") {
            ctx.jest_file = Some(file.to_string());
            return Some(
                Hit::new(Kind::TestFailure, 40.0, t)
                    .fw("jest")
                    .loc(file, 0)
                    .fam(Fam::Test)
                    .style(Style::Single(0))
                    .weak()
                    .summary(),
            );
        }
    }
    if let Some(r) = t.strip_prefix("\u{25cf} ") {
        let name = r.trim();
        if !name.starts_with("Console") && !name.is_empty() && ind <= 4 {
            let file = ctx.jest_file.clone();
            let tname = name.replace(" \u{203a} ", " ");
            let rerun = match &file {
                Some(f) => format!("npx jest {} -t {}", shq(f), dq(&tname)),
                None => format!("npx jest -t {}", dq(&tname)),
            };
            let mut h = Hit::new(Kind::TestFailure, 86.0, t)
                .fw("jest")
                .test(name)
                .header()
                .fam(Fam::Test)
                .style(Style::Indented)
                .weak()
                .rerun(Some(rerun));
            if let Some(f) = file {
                h = h.loc(&f, 0);
            }
            return Some(h);
        }
    }
    if ind >= 2 && !ctx.xc_failed.is_empty() {
        if let Some((name, msg)) = t.split_once(", ") {
            if ctx.xc_failed.iter().any(|n| n == name) {
                return Some(
                    Hit::new(Kind::TestFailure, 86.0, msg)
                        .fw("xctest")
                        .test(name)
                        .header()
                        .before(2)
                        .fam(Fam::Test)
                        .style(Style::Indented),
                );
            }
        }
    }
    for mark in ["\u{2715} ", "\u{d7} ", "\u{2717} ", "\u{2716} "] {
        if let Some(r) = t.strip_prefix(mark) {
            // ESLint-style totals: "✖ 3 problems (0 errors, 3 warnings)"
            if let Some(errors) = problem_errors(r) {
                if errors == 0 {
                    ctx.stop = true;
                    return None;
                }
                return Some(
                    Hit::new(Kind::Lint, 30.0, t)
                        .fam(Fam::Lint)
                        .style(Style::Single(0)),
                );
            }
            let name = r.trim();
            let name = strip_duration_suffix(name);
            if let Some((n, _)) = name.split_once(", ") {
                if !n.contains(' ') && ctx.xc_failed.len() < 64 {
                    ctx.xc_failed.push(n.to_string());
                }
            }
            if !name.is_empty() {
                return Some(
                    Hit::new(Kind::TestFailure, 60.0, t)
                        .test(name)
                        .fam(Fam::Test)
                        .summary()
                        .style(Style::Single(2)),
                );
            }
        }
    }

    // Numbered items: mocha, rspec, phpunit, ExUnit, minitest.
    if let Some((_, rest)) = leading_num(t) {
        if let Some(item) = rest
            .strip_prefix(") ")
            .or(if rest == ")" { Some("") } else { None })
        {
            let item = item.trim();
            // ExUnit: "1) test name (Module)"
            if let Some(r) = item.strip_prefix("test ") {
                if r.ends_with(')') && r.has(" (") {
                    let p = r.rfind(" (").unwrap_or(0);
                    let module = &r[p + 2..r.len() - 1];
                    let name = &r[..p];
                    return Some(
                        Hit::new(Kind::TestFailure, 86.0, t)
                            .fw("exunit")
                            .test(format!("{module}: test {name}"))
                            .header()
                            .fam(Fam::Test)
                            .style(Style::Indented)
                            .weak(),
                    );
                }
            }
            if item == "Failure:" || item == "Error:" {
                ctx.minitest_item = ctx.line_no;
                return Some(
                    Hit::new(Kind::TestFailure, 86.0, t)
                        .fw("minitest")
                        .header()
                        .fam(Fam::Test)
                        .style(Style::Until(Term::Blank))
                        .weak(),
                );
            }
            match ctx.sect {
                Sect::Phpunit if ind == 0 => {
                    let id = item.split(" with data set").next().unwrap_or(item);
                    let filter = id.rsplit('\\').next().unwrap_or(id);
                    return Some(
                        Hit::new(Kind::TestFailure, 86.0, t)
                            .fw("phpunit")
                            .test(id)
                            .header()
                            .fam(Fam::Test)
                            .style(Style::Until(Term::Phpunit))
                            .weak()
                            .rerun(Some(format!("vendor/bin/phpunit --filter {}", shq(filter)))),
                    );
                }
                Sect::Rspec => {
                    return Some(
                        Hit::new(Kind::TestFailure, 86.0, t)
                            .fw("rspec")
                            .test(item)
                            .header()
                            .fam(Fam::Test)
                            .style(Style::Indented)
                            .weak(),
                    );
                }
                Sect::Mocha => {
                    return Some(
                        Hit::new(Kind::TestFailure, 86.0, t)
                            .fw("mocha")
                            .test(item.trim_end_matches(':'))
                            .header()
                            .fam(Fam::Test)
                            .style(Style::Indented)
                            .weak(),
                    );
                }
                _ => {
                    if ind >= 2 && !item.is_empty() && item.len() < 200 {
                        // spec reporter marks failing tests inline as "N) name"
                        return Some(
                            Hit::new(Kind::TestFailure, 45.0, t)
                                .fw("mocha")
                                .test(item)
                                .summary()
                                .fam(Fam::Test)
                                .style(Style::Single(0)),
                        );
                    }
                }
            }
        }
    }
    // rspec rerun list: "rspec ./spec/a_spec.rb:12 # Foo does bar"
    if let Some(r) = t.strip_prefix("rspec ") {
        if let Some((loc, desc)) = r.split_once(" # ") {
            let (file, line) = match loc.rsplit_once(':') {
                Some((f, l)) => (f, l.parse::<u32>().ok()),
                None => (loc, None),
            };
            let mut h = Hit::new(Kind::TestFailure, 65.0, desc)
                .fw("rspec")
                .test(desc.trim())
                .summary()
                .fam(Fam::Test)
                .style(Style::Single(0))
                .rerun(Some(format!("bundle exec rspec {}", shq(loc))));
            h.file = Some(file.to_string());
            h.line = line;
            return Some(h);
        }
    }
    // minitest 5 detail: "Failure:" / "Error:" then
    // "FooTest#test_bar [test/foo_test.rb:12]:" and the message up to a blank
    if let Some((name, file, line)) = minitest_id(t) {
        // a numbered `N) Failure:` header already opened this failure
        let numbered = ctx.minitest_item > 0 && ctx.line_no == ctx.minitest_item + 1;
        if ind == 0 && !numbered {
            return Some(
                Hit::new(Kind::TestFailure, 86.0, t)
                    .fw("minitest")
                    .test(name)
                    .loc(file, line)
                    .header()
                    .fam(Fam::Test)
                    .style(Style::Until(Term::Blank))
                    .before(1)
                    .weak(),
            );
        }
    }
    // minitest/rails rerun line "bin/rails test test/a_test.rb:12"
    if let Some(r) = t
        .strip_prefix("bin/rails test ")
        .or_else(|| t.strip_prefix("rails test "))
    {
        if let Some((f, l)) = r.trim().rsplit_once(':') {
            if let Ok(l) = l.parse::<u32>() {
                return Some(
                    Hit::new(Kind::TestFailure, 50.0, t)
                        .fw("minitest")
                        .loc(f, l)
                        .summary()
                        .fam(Fam::Test)
                        .style(Style::Single(0))
                        .rerun(Some(format!("bin/rails test {}", shq(r.trim())))),
                );
            }
        }
    }

    // Maven Surefire
    if t.has("<<< FAILURE!") || t.has("<<< ERROR!") {
        let body = t.strip_prefix("[ERROR] ").unwrap_or(t).trim();
        if body.starts_with("Tests run:") {
            return Some(
                Hit::new(Kind::TestFailure, 30.0, t)
                    .fw("surefire")
                    .fam(Fam::Test)
                    .style(Style::Single(0)),
            );
        }
        let head = body
            .split(" -- Time elapsed")
            .next()
            .unwrap_or(body)
            .split("  Time elapsed")
            .next()
            .unwrap_or(body)
            .trim();
        let head = head.split(" <<<").next().unwrap_or(head).trim();
        let (cls, method) = if let Some(p) = head.find('(') {
            (
                head[p + 1..].trim_end_matches(')').to_string(),
                head[..p].to_string(),
            )
        } else if let Some(p) = head.rfind('.') {
            (head[..p].to_string(), head[p + 1..].to_string())
        } else {
            (
                ctx.maven_class.clone().unwrap_or_default(),
                head.to_string(),
            )
        };
        let simple = cls.rsplit('.').next().unwrap_or(&cls).to_string();
        let id = if cls.is_empty() {
            method.clone()
        } else {
            format!("{cls}.{method}")
        };
        let method_clean = method
            .split('[')
            .next()
            .unwrap_or(&method)
            .trim_end_matches("()");
        return Some(
            Hit::new(Kind::TestFailure, 86.0, t)
                .fw("surefire")
                .test(id)
                .header()
                .fam(Fam::Test)
                .style(Style::Until(Term::Blank))
                .weak()
                .rerun(Some(format!(
                    "mvn test -Dtest={}",
                    shq(&format!("{simple}#{method_clean}"))
                ))),
        );
    }
    if let Some(r) = t.strip_prefix("Running ") {
        let r = r.trim();
        if r.split('.').count() > 2 && !r.contains(' ') && !r.contains('/') {
            ctx.maven_class = Some(r.to_string());
            {
                ctx.stop = true;
                return None;
            }
        }
        // cargo: "Running unittests src/lib.rs (target/debug/deps/name-hash)"
        if let Some(p) = r.pos("deps/") {
            let tail = &r[p + 5..];
            let name = tail.trim_end_matches(')');
            let name = match name.rfind('-') {
                Some(d) => &name[..d],
                None => name,
            };
            let pkg = ctx
                .local_crates
                .iter()
                .find(|c| c.replace('-', "_") == name)
                .cloned()
                .or_else(|| {
                    if ctx.local_crates.is_empty() {
                        None
                    } else {
                        Some(name.to_string())
                    }
                });
            ctx.cargo_crate = pkg;
            {
                ctx.stop = true;
                return None;
            }
        }
    }
    let sure_ind = match t.strip_prefix("[ERROR]") {
        Some(r) => r.len() - r.trim_start().len() >= 2,
        None => ind >= 2,
    };
    if ctx.sect == Sect::Surefire && sure_ind {
        let body = t.strip_prefix("[ERROR]").unwrap_or(t).trim();
        if let Some((id, msg)) = body.split_once(' ').or(Some((body, ""))) {
            let id = id.trim_end_matches(':');
            let id_noline = id.split(':').next().unwrap_or(id);
            if id_noline.contains('.') && !id_noline.contains('/') && id_noline.len() > 3 {
                let mut parts = id_noline.rsplitn(2, '.');
                let m = parts.next().unwrap_or("");
                let c = parts.next().unwrap_or("");
                let c_simple = c.rsplit('.').next().unwrap_or(c);
                return Some(
                    Hit::new(
                        Kind::TestFailure,
                        60.0,
                        if msg.is_empty() { t } else { msg },
                    )
                    .fw("surefire")
                    .test(id_noline)
                    .summary()
                    .fam(Fam::Test)
                    .style(Style::Single(0))
                    .rerun(Some(format!(
                        "mvn test -Dtest={}",
                        shq(&format!("{c_simple}#{m}"))
                    ))),
                );
            }
        }
    }

    // Gradle: "com.x.FooTest > testBar FAILED"
    if let Some(r) = t.strip_suffix(" FAILED") {
        if let Some((cls, m)) = r.split_once(" > ") {
            if !cls.contains(' ') && !cls.starts_with('>') {
                let m = m.trim();
                let mclean = m.trim_end_matches("()");
                return Some(
                    Hit::new(Kind::TestFailure, 86.0, t)
                        .fw("gradle")
                        .test(format!("{cls}.{mclean}"))
                        .header()
                        .fam(Fam::Test)
                        .style(Style::Indented)
                        .weak()
                        .rerun(Some(format!(
                            "gradle test --tests {}",
                            shq(&format!("{cls}.{mclean}"))
                        ))),
                );
            }
        }
    }

    // gtest
    if let Some(r) = t.strip_prefix("[ RUN      ] ") {
        ctx.gtest_run = Some((r.trim().to_string(), ctx.line_no));
        {
            ctx.stop = true;
            return None;
        }
    }
    if let Some(r) = t.strip_prefix("[  FAILED  ] ") {
        let r = r.trim();
        if r.ends_with(" ms)") || r.has(" ms)") {
            let name = r.split(" (").next().unwrap_or(r);
            let name = name.split(", where").next().unwrap_or(name).trim();
            let mut before = 0;
            if let Some((run, at)) = &ctx.gtest_run {
                if run == name && ctx.line_no - at < 49 {
                    before = (ctx.line_no - at - 1) as u32;
                }
            }
            let rerun = ctx
                .gtest_bin
                .as_ref()
                .map(|b| format!("{} --gtest_filter={}", b, shq(name)));
            return Some(
                Hit::new(Kind::TestFailure, 86.0, t)
                    .fw("gtest")
                    .test(name)
                    .header()
                    .before(before)
                    .fam(Fam::Test)
                    .style(Style::Single(0))
                    .weak()
                    .rerun(rerun),
            );
        }
        let name = r.split(", where").next().unwrap_or(r).trim();
        if !name.contains(' ') && name.contains('.') {
            let rerun = ctx
                .gtest_bin
                .as_ref()
                .map(|b| format!("{} --gtest_filter={}", b, shq(name)));
            return Some(
                Hit::new(Kind::TestFailure, 55.0, t)
                    .fw("gtest")
                    .test(name)
                    .summary()
                    .fam(Fam::Test)
                    .style(Style::Single(0))
                    .rerun(rerun),
            );
        }
        {
            ctx.stop = true;
            return None;
        }
    }

    // ctest: " 3/10 Test  #3: name ....***Failed  0.01 sec"
    if let Some(p) = t.pos("Test ") {
        let head = &t[..p];
        if !head.is_empty()
            && head
                .trim()
                .split('/')
                .all(|x| x.trim().parse::<u32>().is_ok())
        {
            let r = t[p + 5..].trim_start();
            if let Some(r) = r.strip_prefix('#') {
                if let Some((_, rest)) = r.split_once(": ") {
                    let name = rest.split([' ', '.']).next().unwrap_or("");
                    if rest.has("***") || rest.has("Failed") {
                        let kind = if rest.has("Timeout") {
                            Kind::Timeout
                        } else if rest.has("Exception") || rest.has("SegFault") {
                            Kind::Crash
                        } else {
                            Kind::TestFailure
                        };
                        return Some(
                            Hit::new(kind, 75.0, t)
                                .fw("ctest")
                                .test(name)
                                .fam(Fam::Test)
                                .style(Style::Single(0))
                                .summary()
                                .rerun(Some(format!(
                                    "ctest -R {} --output-on-failure",
                                    shq(&format!("^{name}$"))
                                ))),
                        );
                    }
                }
            }
        }
    }
    if ctx.sect == Sect::Ctest {
        if let Some((_, r)) = leading_num(t) {
            if let Some(r) = r.trim_start().strip_prefix("- ") {
                let name = r.split(" (").next().unwrap_or(r).trim();
                return Some(
                    Hit::new(Kind::TestFailure, 60.0, t)
                        .fw("ctest")
                        .test(name)
                        .summary()
                        .fam(Fam::Test)
                        .style(Style::Single(0))
                        .rerun(Some(format!(
                            "ctest -R {} --output-on-failure",
                            shq(&format!("^{name}$"))
                        ))),
                );
            }
        }
    }

    // dotnet test: "  Failed Ns.Class.Method [12 ms]"; xunit console: "Ns.Class.Method [FAIL]"
    if let Some(r) = t.strip_prefix("Failed ") {
        if let Some(p) = r.pos(" [") {
            let name = r[..p].trim();
            if !name.contains(' ') && name.contains('.') {
                return Some(
                    Hit::new(Kind::TestFailure, 86.0, t)
                        .fw("dotnet-test")
                        .test(name)
                        .header()
                        .fam(Fam::Test)
                        .style(Style::Until(Term::Dotnet))
                        .weak()
                        .rerun(Some(format!(
                            "dotnet test --filter {}",
                            shq(&format!("FullyQualifiedName={name}"))
                        ))),
                );
            }
        }
    }
    if let Some(name) = t.strip_suffix(" [FAIL]") {
        let name = name.trim();
        if !name.contains(' ') {
            return Some(
                Hit::new(Kind::TestFailure, 86.0, t)
                    .fw("dotnet-test")
                    .test(name)
                    .header()
                    .fam(Fam::Test)
                    .style(Style::Indented)
                    .weak()
                    .rerun(Some(format!(
                        "dotnet test --filter {}",
                        shq(&format!("FullyQualifiedName={name}"))
                    ))),
            );
        }
    }

    // TAP / prove
    if let Some(r) = t.strip_prefix("not ok ") {
        if ind == 0 && !r.has("# TODO") && !r.has("# SKIP") {
            let name = r.split_once(" - ").map(|x| x.1).unwrap_or(r).trim();
            return Some(
                Hit::new(Kind::TestFailure, 62.0, t)
                    .fw("tap")
                    .test(name)
                    .fam(Fam::Test)
                    .style(Style::Indented)
                    .summary(),
            );
        }
    }
    if t.starts_with("Dubious, test returned") {
        // the test file's progress line, cut short by its output, is above
        return Some(
            Hit::new(Kind::TestFailure, 66.0, t)
                .fw("tap")
                .fam(Fam::Test)
                .style(Style::Single(2))
                .before(1),
        );
    }
    if t.has(" Dubious, test returned") || (t.has(" Failed ") && t.has(" subtests")) {
        let file = t.split(' ').next().unwrap_or("");
        let mut h = Hit::new(Kind::TestFailure, 66.0, t)
            .fw("tap")
            .fam(Fam::Test)
            .style(Style::Single(2));
        if looks_like_path(file) {
            h = h
                .test(file)
                .loc(file, 0)
                .rerun(Some(format!("prove -v {}", shq(file))));
        }
        return Some(h);
    }
    if let Some(p) = t.pos(" ..") {
        // prove: "t/https.t ........ Connection error ..." (a non-ok result)
        let file = &t[..p];
        let rest = t[p..].trim_start_matches([' ', '.']);
        if file.ends_with(".t")
            && !rest.starts_with("ok")
            && !rest.starts_with("skipped")
            && !rest.is_empty()
            && has_ci(rest, "error")
        {
            return Some(
                Hit::new(Kind::TestFailure, 64.0, t)
                    .fw("tap")
                    .test(file)
                    .loc(file, 0)
                    .fam(Fam::Test)
                    .style(Style::Single(2))
                    .rerun(Some(format!("prove -v {}", shq(file)))),
            );
        }
    }

    // Erlang common_test: "suite:case failed on line N"
    if let Some(p) = t.pos(" failed on line ") {
        let id = &t[..p];
        if !id.contains(' ') && id.contains(':') {
            return Some(
                Hit::new(Kind::TestFailure, 80.0, t)
                    .fw("common-test")
                    .test(id)
                    .fam(Fam::Test)
                    .style(Style::Single(3))
                    .header(),
            );
        }
    }
    // Pester: "[-] name 12ms"
    if let Some(r) = t.strip_prefix("[-] ") {
        let name = strip_duration_suffix(r.trim());
        return Some(
            Hit::new(Kind::TestFailure, 84.0, t)
                .fw("pester")
                .test(name.split(" -> ").next().unwrap_or(name))
                .header()
                .fam(Fam::Test)
                .style(Style::Indented),
        );
    }
    // XCTest
    if t.starts_with("Test Case '") && t.has("' failed") {
        let name = t[11..].split('\'').next().unwrap_or("");
        return Some(
            Hit::new(Kind::TestFailure, 80.0, t)
                .fw("xctest")
                .test(name)
                .fam(Fam::Test)
                .style(Style::Single(0))
                .summary(),
        );
    }
    if t.has(": error: -[") && t.has("] : ") {
        return Some(
            Hit::new(Kind::TestFailure, 84.0, t)
                .fw("xctest")
                .fam(Fam::Test)
                .style(Style::Single(3)),
        );
    }
    // Result rows with detail below: "name:   FAIL (0.06s)", "- x *** FAILED ***"
    if let Some(name) = fail_row(t) {
        return Some(
            Hit::new(Kind::TestFailure, 80.0, t)
                .test(name)
                .header()
                .fam(Fam::Test)
                .style(Style::Indented)
                .weak(),
        );
    }
    // Karma: "Chrome 75.0.3770 (Linux 0.0.0) Suite does x FAILED", "... ERROR"
    if let Some(rest) = karma_browser(t) {
        if rest.starts_with("LOG:") || rest.starts_with("WARN:") || rest.starts_with("INFO:") {
            // the page's console output, not a result
            ctx.stop = true;
            return None;
        }
        let name = rest.strip_suffix(" FAILED").map(str::trim);
        if name.is_some() || rest == "ERROR" {
            let mut h = Hit::new(Kind::TestFailure, 80.0, t)
                .fw("karma")
                .header()
                .fam(Fam::Test)
                .style(Style::Indented)
                .weak();
            if let Some(n) = name.filter(|n| !n.is_empty()) {
                h = h.test(n);
            }
            return Some(h);
        }
    }
    // a passing row, "name:   OK (0.3s)": its title may say "error" or "fail"
    if pass_row(t) {
        ctx.stop = true;
        return None;
    }
    // Result tables: "suite/name            ERROR"
    for word in ["ERROR", "FAILED", "FAIL", "FAILURE"] {
        if let Some(name) = t.strip_suffix(word) {
            if name.ends_with("  ") || name.ends_with('\t') || name.ends_with(".. ") {
                let name = name.trim_end().trim_end_matches('.').trim_end();
                if !name.is_empty() && !name.contains(' ') {
                    return Some(
                        Hit::new(Kind::TestFailure, 56.0, t)
                            .test(name)
                            .fam(Fam::Test)
                            .style(Style::Single(45)),
                    );
                }
            }
        }
    }
    if t.starts_with("Running the tests in") && t.ends_with("failed.") {
        return Some(
            Hit::new(Kind::TestFailure, 72.0, t)
                .fw("r-cmd-check")
                .header()
                .before(2)
                .fam(Fam::Test)
                .style(Style::Take(14))
                .weak(),
        );
    }
    // Vim's test runner, busted, and similar "Found errors in Test_x():"
    if let Some(r) = t.strip_prefix("Found errors in ") {
        let name = r.trim_end_matches(':').trim_end_matches("()");
        return Some(
            Hit::new(Kind::TestFailure, 80.0, t)
                .test(name)
                .header()
                .fam(Fam::Test)
                .style(Style::Indented)
                .before(1)
                .weak(),
        );
    }
    let _ = s;
    None
}

/// `FooTest#test_bar [test/foo_test.rb:12]:` -> (`FooTest#test_bar`, file, line).
fn minitest_id(t: &str) -> Option<(&str, &str, u32)> {
    let r = t.strip_suffix("]:")?;
    let (name, loc) = r.split_once(" [")?;
    let (class, test) = name.split_once('#')?;
    if class.is_empty() || class.contains(' ') || !test.starts_with("test") || test.contains(' ') {
        return None;
    }
    let (file, line) = loc.rsplit_once(':')?;
    Some((name, file, line.parse().ok()?))
}

/// A Vader step line `(12/40) [EXECUTE] title`: `Some(Some(message))` for a
/// failed one (`(12/40) [EXECUTE] (X) message`), `Some(None)` for another.
fn vader_step(t: &str) -> Option<Option<&str>> {
    let r = t.strip_prefix('(')?;
    let (count, r) = r.split_once(") [")?;
    let (a, b) = count.split_once('/')?;
    // counts are right-aligned: "( 8/139)"
    let num = |x: &str| {
        let x = x.trim_start();
        !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit())
    };
    if !num(a) || !num(b) {
        return None;
    }
    let (step, r) = r.split_once("] ")?;
    if step.is_empty() || !step.trim().bytes().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    Some(r.strip_prefix("(X) "))
}

fn unittest_id(r: &str) -> Option<(&str, &str)> {
    let r = r.trim();
    if let Some(p) = r.pos(" (") {
        let name = &r[..p];
        let cls = r[p + 2..].trim_end_matches(')');
        let cls = cls.split(')').next().unwrap_or(cls);
        if !name.contains(' ')
            && !cls.contains(' ')
            && cls.contains('.')
            && (name.starts_with("test") || name.has("test") || name.starts_with("runTest"))
        {
            return Some((name, cls));
        }
        return None;
    }
    // nose: "FAIL: pkg.module.test_fn"
    if !r.contains(' ') && r.contains('.') && r.has("test") {
        return Some((r.rsplit('.').next().unwrap_or(r), r));
    }
    None
}

fn strip_duration_suffix(s: &str) -> &str {
    let s = s.trim();
    if let Some(p) = s.rfind(" (") {
        if s.ends_with(')') && s[p..].bytes().any(|c| c.is_ascii_digit()) {
            return s[..p].trim();
        }
    }
    if let Some(p) = s.rfind(' ') {
        let tail = &s[p + 1..];
        if tail.ends_with("ms")
            && tail[..tail.len() - 2].bytes().all(|c| c.is_ascii_digit())
            && tail.len() > 2
        {
            return s[..p].trim();
        }
    }
    s
}

fn cargo_rerun(ctx: &Ctx, name: &str) -> String {
    match &ctx.cargo_crate {
        Some(c) => format!("cargo test -p {} {} -- --exact", shq(c), shq(name)),
        None => format!("cargo test {} -- --exact", shq(name)),
    }
}

fn detect_compile(t: &str, ind: usize, ctx: &mut Ctx) -> Option<Hit> {
    // Track local crates: "Compiling foo v0.1.0 (/path)".
    if let Some(r) = t.strip_prefix("Compiling ") {
        let mut it = r.split(' ');
        let name = it.next().unwrap_or("");
        let _ver = it.next();
        if r.has(" (/") || r.has(" (file://") || r.has(" (C:") {
            if ctx.local_crates.len() < 256 && !ctx.local_crates.iter().any(|c| c == name) {
                ctx.local_crates.push(name.to_string());
            }
        }
        return None;
    }
    // rustc
    if t.starts_with("error[E") {
        return Some(
            Hit::new(Kind::CompileError, 90.0, t)
                .fw("rustc")
                .fam(Fam::Compile)
                .style(Style::Compiler)
                .header(),
        );
    }
    if ind == 0 {
        if let Some(r) = t.strip_prefix("error: ") {
            if r.starts_with("could not compile")
                || r.starts_with("aborting due to")
                || r.starts_with("test failed")
                || r.starts_with("process didn't exit successfully")
                || r.starts_with("build failed")
                || r.starts_with("Recipe `")
                || r.starts_with("failed to run custom build command")
            {
                let score = if r.starts_with("failed to run custom build") {
                    60.0
                } else {
                    12.0
                };
                return Some(
                    Hit::new(Kind::CompileError, score, t)
                        .fw("cargo")
                        .fam(Fam::Generic)
                        .style(Style::Single(3)),
                );
            }
            if r.starts_with("linking with `") {
                return Some(
                    Hit::new(Kind::CompileError, 80.0, t)
                        .fw("rustc")
                        .fam(Fam::Compile)
                        .style(Style::Compiler)
                        .header(),
                );
            }
        }
    }
    // file:line[:col]: error: msg  |  file(l,c): error CS0000: msg  |  file:l:c - error TS0000: msg
    if let Some((path, line, rest)) = file_loc(t) {
        let e = ext(path);
        let low_rest = rest.trim_start();
        let is_err = low_rest.starts_with("error")
            || low_rest.starts_with("fatal error")
            || low_rest.starts_with("Error:")
            || low_rest.starts_with("ERROR")
            || low_rest.starts_with("[31merror");
        if is_err {
            let code = low_rest
                .split(':')
                .next()
                .unwrap_or("")
                .trim_start_matches("error")
                .trim_start_matches("fatal error")
                .trim();
            let fw = if code.starts_with("TS") {
                "tsc"
            } else if code.starts_with("CS")
                || code.starts_with("MSB")
                || code.starts_with("FS")
                || code.starts_with("BC")
            {
                "dotnet"
            } else {
                match e {
                    "c" | "h" | "cc" | "cpp" | "cxx" | "hpp" | "hh" | "m" | "mm" => "gcc",
                    "java" => "javac",
                    "ts" | "tsx" => "tsc",
                    "go" => "go",
                    "rs" => "rustc",
                    "swift" => "swiftc",
                    "hs" => "ghc",
                    "kt" => "kotlinc",
                    "scala" => "scalac",
                    _ => "compiler",
                }
            };
            let kind = if code.starts_with("MSB") || code.starts_with("NU") {
                Kind::Dependency
            } else {
                Kind::CompileError
            };
            return Some(
                Hit::new(kind, 90.0, rest)
                    .fw(fw)
                    .loc(path, line)
                    .fam(Fam::Compile)
                    .style(Style::Compiler)
                    .header()
                    .before(u32::from(ind == 0 && fw == "gcc")),
            );
        }
        if starts_ci(low_rest, "warning")
            || starts_ci(low_rest, "note")
            || starts_ci(low_rest, "info")
        {
            return None;
        }
        // Lint: flake8/pycodestyle/pylint codes, rubocop "C: Cop/Name:"
        let code = low_rest.split(' ').next().unwrap_or("");
        let cb = code.as_bytes();
        if e == "py"
            && cb.len() >= 4
            && cb[0].is_ascii_uppercase()
            && cb[1..].iter().all(|c| c.is_ascii_digit())
        {
            return Some(
                Hit::new(Kind::Lint, 72.0, t)
                    .fw("flake8")
                    .loc(path, line)
                    .fam(Fam::Lint)
                    .style(Style::Compiler)
                    .header(),
            );
        }
        if matches!(code, "C:" | "W:" | "E:" | "F:") && e == "rb" {
            return Some(
                Hit::new(Kind::Lint, 72.0, t)
                    .fw("rubocop")
                    .loc(path, line)
                    .fam(Fam::Lint)
                    .style(Style::Compiler)
                    .header(),
            );
        }
        // Go build / vet: "./x.go:12:5: undefined: foo"
        if e == "go" && ind == 0 && !path.ends_with("_test.go") {
            return Some(
                Hit::new(Kind::CompileError, 85.0, rest)
                    .fw("go")
                    .loc(path, line)
                    .fam(Fam::Compile)
                    .style(Style::Compiler)
                    .header()
                    .before(1),
            );
        }
        // Erlang/Elixir compile lines, without an "error" word.
        if (e == "erl" || e == "hrl") && ind == 0 {
            return Some(
                Hit::new(Kind::CompileError, 80.0, rest)
                    .fw("erlc")
                    .loc(path, line)
                    .fam(Fam::Compile)
                    .style(Style::Compiler)
                    .header(),
            );
        }
        // "file:line: message" from a linter/validator with a specific code.
        if ind == 0
            && !rest.is_empty()
            && !path.starts_with('/')
            && matches!(
                e,
                "md" | "yml" | "yaml" | "json" | "xml" | "html" | "rst" | "txt"
            )
            && (has_ci(rest, "error")
                || rest.split([' ', '/', ':']).next().is_some_and(|w| {
                    w.len() > 3
                        && w.bytes().any(|c| c.is_ascii_digit())
                        && w.bytes()
                            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                }))
        {
            return Some(
                Hit::new(Kind::Lint, 62.0, t)
                    .loc(path, line)
                    .fam(Fam::Lint)
                    .style(Style::Compiler)
                    .header(),
            );
        }
    }
    // javac via Maven: "[ERROR] /path/A.java:[12,5] cannot find symbol"
    if let Some(r) = t.strip_prefix("[ERROR] ") {
        if let Some(p) = r.pos(":[") {
            let path = &r[..p];
            if looks_like_path(path) {
                let ln = leading_num(&r[p + 2..]).map(|x| x.0 as u32);
                let msg = r[p..].split_once("] ").map(|x| x.1).unwrap_or(r);
                let mut h = Hit::new(Kind::CompileError, 90.0, msg)
                    .fw(if path.ends_with(".java") {
                        "javac"
                    } else {
                        "maven"
                    })
                    .fam(Fam::Compile)
                    .style(Style::Compiler)
                    .header();
                h.file = Some(path.to_string());
                h.line = ln;
                return Some(h);
            }
        }
        if r.starts_with("COMPILATION ERROR") {
            return Some(
                Hit::new(Kind::CompileError, 50.0, t)
                    .fw("maven")
                    .fam(Fam::Compile)
                    .style(Style::Compiler)
                    .header(),
            );
        }
    }
    // Linker
    if t.has("undefined reference to") || t.has("Undefined symbols for architecture") {
        return Some(
            Hit::new(Kind::CompileError, 84.0, t)
                .fw("ld")
                .fam(Fam::Compile)
                .style(Style::Compiler)
                .header()
                .before(1),
        );
    }
    if t.has("ld returned 1 exit status") || t.starts_with("ld: symbol(s) not found") {
        return Some(
            Hit::new(Kind::CompileError, 35.0, t)
                .fw("ld")
                .fam(Fam::Compile)
                .style(Style::Single(0))
                .before(3),
        );
    }
    if (t.starts_with("/usr/bin/ld: cannot find -l") || t.has("ld: library not found for -l"))
        && ind == 0
    {
        return Some(
            Hit::new(Kind::Dependency, 80.0, t)
                .fw("ld")
                .fam(Fam::Compile)
                .style(Style::Single(2)),
        );
    }
    // ESLint stylish: "  12:2  error  message  rule"
    if ind >= 2 {
        if let Some((_, r)) = leading_num(t) {
            if let Some(r) = r.strip_prefix(':') {
                if let Some((_, r)) = leading_num(r) {
                    let r = r.trim_start();
                    if r.starts_with("error ") || r.starts_with("error\t") {
                        let before =
                            if ctx.last_path_line > 0 && ctx.line_no - ctx.last_path_line <= 8 {
                                (ctx.line_no - ctx.last_path_line) as u32
                            } else {
                                0
                            };
                        return Some(
                            Hit::new(Kind::Lint, 74.0, t)
                                .fw("eslint")
                                .fam(Fam::Lint)
                                .style(Style::Compiler)
                                .header()
                                .before(before),
                        );
                    }
                }
            }
        }
    }
    // Elixir compile errors, mix
    if let Some(r) = t.strip_prefix("** (") {
        let kind = if r.starts_with("CompileError")
            || r.starts_with("SyntaxError")
            || r.starts_with("TokenMissingError")
        {
            Kind::CompileError
        } else {
            Kind::Crash
        };
        let score = if r.starts_with("Mix)") { 60.0 } else { 78.0 };
        return Some(
            Hit::new(kind, score, t)
                .fw("elixir")
                .fam(Fam::Compile)
                .style(Style::Indented)
                .header(),
        );
    }
    // tsc pretty without location
    if t.starts_with("error TS") {
        return Some(
            Hit::new(Kind::CompileError, 85.0, t)
                .fw("tsc")
                .fam(Fam::Compile)
                .style(Style::Compiler)
                .header(),
        );
    }
    // xcpretty "❌  file:line:col: message"
    if let Some(r) = t.strip_prefix('\u{274c}') {
        let r = r.trim();
        let mut h = Hit::new(Kind::CompileError, 82.0, r)
            .fw("xcodebuild")
            .fam(Fam::Compile)
            .style(Style::Compiler)
            .header();
        if let Some((p, l, _)) = file_loc(r) {
            h = h.loc(p, l);
        }
        return Some(h);
    }
    // GHC / purescript style "Error found:" blocks
    if t == "Error found:" || t.starts_with("Error found:") {
        return Some(
            Hit::new(Kind::CompileError, 75.0, t)
                .fam(Fam::Compile)
                .style(Style::Indented)
                .header()
                .weak(),
        );
    }
    // Code style checkers
    if t.has("Code style issues found") || t.starts_with("[warn] Code style issues") {
        return Some(
            Hit::new(Kind::Lint, 70.0, t)
                .fw("prettier")
                .fam(Fam::Lint)
                .style(Style::Single(0))
                .before(1),
        );
    }
    if t.starts_with("Please commit")
        || t.starts_with("Please rebuild")
        || t.starts_with("Please run")
    {
        return Some(
            Hit::new(Kind::Lint, 50.0, t)
                .fam(Fam::Lint)
                .style(Style::Single(3))
                .before(2),
        );
    }
    if t.has("Issues :-(") {
        return Some(
            Hit::new(Kind::Lint, 60.0, t)
                .fam(Fam::Lint)
                .style(Style::Take(20))
                .header(),
        );
    }
    if t.starts_with("standard: ") || t.starts_with("semistandard: ") {
        return Some(
            Hit::new(Kind::Lint, 70.0, t)
                .fw("standard")
                .fam(Fam::Lint)
                .style(Style::Indented)
                .header()
                .weak(),
        );
    }
    if t.starts_with("flag provided but not defined")
        || t.starts_with("Task never defined")
        || ((t.has("limit has exceeded") || t.has("limit exceeded")) && has_ci(t, "size"))
    {
        return Some(
            Hit::new(Kind::Unknown, 60.0, t)
                .fam(Fam::Other)
                .style(Style::Single(4))
                .before(1),
        );
    }
    if t.starts_with("diff --git ") && ind == 0 {
        return Some(
            Hit::new(Kind::Lint, 35.0, t)
                .fam(Fam::Lint)
                .style(Style::Until(Term::Blank))
                .header(),
        );
    }
    None
}

fn detect_crash(t: &str, ind: usize) -> Option<Hit> {
    if t.starts_with("Traceback (most recent call last)") {
        return Some(
            Hit::new(Kind::Crash, 74.0, t)
                .fw("python")
                .fam(Fam::Other)
                .style(Style::Traceback)
                .role(Role::Sub)
                .weak(),
        );
    }
    if let Some(r) = t.strip_prefix("thread '") {
        if let Some((name, rest)) = r.split_once("' panicked at ") {
            let mut h = Hit::new(Kind::Crash, 74.0, rest)
                .fw("rust")
                .fam(Fam::Other)
                .style(Style::Single(4))
                .role(Role::Sub);
            if let Some((f, l, _)) = file_loc(rest.trim_start_matches('\'')) {
                h = h.loc(f, l);
            }
            if name != "main" && name != "<unnamed>" {
                h = h.test(name).fw("cargo-test");
                h.kind = Kind::TestFailure;
            }
            return Some(h);
        }
    }
    if ind == 0
        && (t.starts_with("panic: ") || t.starts_with("fatal error: all goroutines are asleep"))
    {
        return Some(
            Hit::new(Kind::Crash, 74.0, t)
                .fw("go")
                .fam(Fam::Other)
                .style(Style::Until(Term::Blank))
                .role(Role::Sub),
        );
    }
    if t.has("WARNING: DATA RACE") {
        return Some(
            Hit::new(Kind::Crash, 74.0, t)
                .fam(Fam::Other)
                .style(Style::Until(Term::Blank))
                .role(Role::Sub),
        );
    }
    if t.has("ERROR: AddressSanitizer")
        || t.has("ERROR: LeakSanitizer")
        || t.has("WARNING: ThreadSanitizer")
        || t.has("runtime error: ") && t.has(".c")
    {
        return Some(
            Hit::new(Kind::Crash, 80.0, t)
                .fw("sanitizer")
                .fam(Fam::Other)
                .style(Style::Until(Term::Asan))
                .header(),
        );
    }
    if t.has("Segmentation fault")
        || t.has("core dumped")
        || t.has("Abort trap")
        || t.has("Illegal instruction")
        || t.has("Bus error")
        || t.has("SIGSEGV")
        || t.has("Access violation")
        || t.starts_with("terminate called after throwing")
        || t.has("stack overflow")
    {
        return Some(
            Hit::new(Kind::Crash, 70.0, t)
                .fam(Fam::Other)
                .style(Style::Single(4))
                .before(2)
                .role(Role::Sub),
        );
    }
    if (t.starts_with("System process ") && t.has(" terminated"))
        || t.starts_with("Kernel pid terminated")
        || t.starts_with("{\"Kernel pid terminated\"")
    {
        return Some(
            Hit::new(Kind::Crash, 66.0, t)
                .fw("erlang")
                .fam(Fam::Other)
                .style(Style::Single(2)),
        );
    }
    if t.starts_with("Exception in thread ")
        || t.starts_with("Uncaught ")
        || t.starts_with("UnhandledPromiseRejection")
        || t.has("Unhandled exception")
    {
        return Some(
            Hit::new(Kind::Crash, 68.0, t)
                .fam(Fam::Other)
                .style(Style::Indented)
                .role(Role::Sub),
        );
    }
    // Ruby: "file.rb:12:in `m': msg (Error)"
    if ind == 0 && t.has(":in `") && t.ends_with(')') {
        if let Some((p, l, _)) = file_loc(t) {
            if p.ends_with(".rb") {
                return Some(
                    Hit::new(Kind::Crash, 60.0, t)
                        .fw("ruby")
                        .loc(p, l)
                        .fam(Fam::Other)
                        .style(Style::Indented)
                        .role(Role::Sub),
                );
            }
        }
    }
    // Node: "/path/file.js:31" then source and caret, then "SyntaxError: ..."
    if ind == 0 {
        if let Some((p, l, rest)) = file_loc(t) {
            if rest.is_empty()
                && matches!(
                    ext(p),
                    "js" | "mjs" | "cjs" | "ts" | "jsx" | "tsx" | "coffee"
                )
            {
                return Some(
                    Hit::new(Kind::Crash, 66.0, t)
                        .fw("node")
                        .loc(p, l)
                        .fam(Fam::Other)
                        .style(Style::Until(Term::NodeError))
                        .header()
                        .weak(),
                );
            }
        }
    }
    // "SomeError: message" at column 0 (JS/Python/Java exceptions)
    if ind == 0 {
        if let Some(p) = t.pos(": ") {
            let name = &t[..p];
            if (name.ends_with("Error") || name.ends_with("Exception"))
                && !name.contains(' ')
                && name.len() > 5
                && name.bytes().next().is_some_and(|c| c.is_ascii_uppercase())
            {
                let kind = if name.has("ModuleNotFound")
                    || name.has("ImportError")
                    || name.has("ClassNotFound")
                {
                    Kind::Dependency
                } else if name.has("Syntax") {
                    Kind::CompileError
                } else {
                    Kind::Crash
                };
                return Some(
                    Hit::new(kind, 58.0, t)
                        .fam(Fam::Other)
                        .style(Style::Indented)
                        .role(Role::Sub),
                );
            }
        }
    }
    if t.starts_with("Killed") && t.len() < 40
        || t.has("Out of memory")
        || t.has("JavaScript heap out of memory")
    {
        return Some(
            Hit::new(Kind::Crash, 60.0, t)
                .fam(Fam::Other)
                .style(Style::Single(2))
                .before(2),
        );
    }
    None
}

fn detect_env(t: &str, ind: usize) -> Option<Hit> {
    // npm / yarn
    if let Some(r) = t
        .strip_prefix("npm ERR! ")
        .or_else(|| t.strip_prefix("npm error "))
    {
        let r = r.trim();
        let dep = r.starts_with("code E404")
            || r.starts_with("404")
            || r.starts_with("code ETARGET")
            || r.starts_with("notarget")
            || r.starts_with("code ERESOLVE")
            || r.starts_with("peer dep")
            || r.starts_with("code ENOTFOUND")
            || r.starts_with("code EAI_AGAIN")
            || r.starts_with("code ECONNRESET")
            || r.starts_with("code ETIMEDOUT")
            || r.starts_with("Cannot find module")
            || r.starts_with("code EINTEGRITY");
        if dep {
            let kind = if r.has("ENOTFOUND")
                || r.has("EAI_AGAIN")
                || r.has("ECONNRESET")
                || r.has("ETIMEDOUT")
            {
                Kind::Infrastructure
            } else {
                Kind::Dependency
            };
            return Some(
                Hit::new(kind, 62.0, t)
                    .fw("npm")
                    .fam(Fam::Npm)
                    .style(Style::Single(8))
                    .header(),
            );
        }
        let score = if r.starts_with("Test failed")
            || r.starts_with("missing:")
            || r.starts_with("code ELIFECYCLE")
            || r.starts_with("errno")
            || r.starts_with("Exit status")
            || r.starts_with("Failed at")
            || r.starts_with("A complete log")
            || r.starts_with("This is probably not a problem")
            || r.is_empty()
        {
            8.0
        } else {
            14.0
        };
        return Some(
            Hit::new(Kind::Unknown, score, t)
                .fw("npm")
                .fam(Fam::Npm)
                .style(Style::Single(12)),
        );
    }
    if t.starts_with("error Command failed with exit code") {
        // the tail of the failed script's output is just above
        return Some(
            Hit::new(Kind::Unknown, 8.0, t)
                .fw("yarn")
                .fam(Fam::Npm)
                .style(Style::Single(0))
                .before(4),
        );
    }
    if t.starts_with("info Visit https://yarnpkg.com") {
        return Some(
            Hit::new(Kind::Unknown, 8.0, t)
                .fw("yarn")
                .fam(Fam::Npm)
                .style(Style::Single(0)),
        );
    }
    if t.starts_with("error An unexpected error occurred")
        || t.starts_with("error Couldn't find package")
        || t.starts_with("error Package \"")
    {
        return Some(
            Hit::new(Kind::Dependency, 62.0, t)
                .fw("yarn")
                .fam(Fam::Npm)
                .style(Style::Single(2)),
        );
    }
    // pip / python packaging
    if t.has("Could not find a version that satisfies the requirement")
        || t.has("No matching distribution found for")
        || t.has("ResolutionImpossible")
    {
        return Some(
            Hit::new(Kind::Dependency, 76.0, t)
                .fw("pip")
                .fam(Fam::Other)
                .style(Style::Single(3)),
        );
    }
    // apt
    if t.starts_with("E: Unable to locate package")
        || (t.starts_with("E: Package") && t.has("has no installation candidate"))
        || t.starts_with("E: Unable to correct problems")
        || t.starts_with("E: Failed to fetch")
    {
        return Some(
            Hit::new(Kind::Dependency, 70.0, t)
                .fw("apt")
                .fam(Fam::Other)
                .style(Style::Single(3)),
        );
    }
    if t.starts_with("E: ") && ind == 0 {
        return Some(
            Hit::new(Kind::Infrastructure, 40.0, t)
                .fw("apt")
                .fam(Fam::Other)
                .style(Style::Single(3)),
        );
    }
    // Maven / Gradle dependency resolution
    if t.has("Could not resolve dependencies")
        || t.has("Could not find artifact")
        || t.has("Could not resolve all dependencies")
        || t.has("Could not resolve all files")
        || t.has("Could not transfer artifact")
        || t.has("Non-resolvable parent POM")
    {
        return Some(
            Hit::new(Kind::Dependency, 76.0, t)
                .fam(Fam::Maven)
                .style(Style::Indented),
        );
    }
    // Composer / Bundler / Cargo / CocoaPods / Dart
    if t.has("Your requirements could not be resolved")
        || t.has("version solving failed")
        || t.has("Could not find compatible versions")
        || t.has("could not find compatible versions")
        || t.has("Bundler could not find compatible versions")
        || t.has("failed to select a version for")
        || t.starts_with("Could not find gem")
        || t.has("An error occurred while installing")
        || t.has("An error occured while installing")
        || t.has("Unable to satisfy the following requirements")
    {
        return Some(
            Hit::new(Kind::Dependency, 74.0, t)
                .fam(Fam::Other)
                .style(Style::Indented)
                .header(),
        );
    }
    if t.starts_with("- The requested package")
        || (t.starts_with("- ") && t.has(" requires ") && t.has("-> no matching"))
    {
        return Some(
            Hit::new(Kind::Dependency, 76.0, t)
                .fw("composer")
                .fam(Fam::Other)
                .style(Style::Indented),
        );
    }
    if t.has("error while loading shared libraries")
        || t.starts_with("ImportError: ")
        || t.starts_with("ModuleNotFoundError: ")
        || t.starts_with("Error: Cannot find module")
        || t.has("Can't locate ") && t.has(" in @INC")
    {
        return Some(
            Hit::new(Kind::Dependency, 70.0, t)
                .fam(Fam::Other)
                .style(Style::Indented)
                .role(Role::Sub),
        );
    }
    if t.has("Cannot find module") && ind <= 2 {
        return Some(
            Hit::new(Kind::Dependency, 60.0, t)
                .fam(Fam::Other)
                .style(Style::Indented)
                .role(Role::Sub),
        );
    }
    // Git and network
    if let Some(r) = t.strip_prefix("fatal: ") {
        let kind = if has_ci(r, "unable to access")
            || has_ci(r, "could not read")
            || has_ci(r, "remote")
            || has_ci(r, "repository")
        {
            Kind::Infrastructure
        } else {
            Kind::Unknown
        };
        return Some(
            Hit::new(kind, 56.0, t)
                .fw("git")
                .fam(Fam::Other)
                .style(Style::Single(2))
                .before(1),
        );
    }
    if has_ci(t, "could not resolve host")
        || has_ci(t, "connection refused")
        || has_ci(t, "temporary failure in name resolution")
        || has_ci(t, "network is unreachable")
        || has_ci(t, "connection timed out")
        || has_ci(t, "connect timeout")
        || has_ci(t, "failed to connect to")
        || t.starts_with("curl: (")
        || has_ci(t, "no space left on device")
        || has_ci(t, "tls handshake timeout")
        || (has_ci(t, "error 404") || has_ci(t, "404 not found")) && ind == 0
        || has_ci(t, "certificate verify failed")
        || has_ci(t, "no certificate subject alternative name")
        || has_ci(t, "md5sum did not match")
        || has_ci(t, "checksum mismatch")
        || has_ci(t, "hash mismatch")
    {
        let kind = if has_ci(t, "did not match") || has_ci(t, "mismatch") {
            Kind::Dependency
        } else {
            Kind::Infrastructure
        };
        return Some(
            Hit::new(kind, 52.0, t)
                .fam(Fam::Other)
                .style(Style::Single(4)),
        );
    }
    None
}

fn detect_generic(t: &str, ind: usize) -> Option<Hit> {
    // CMake: "CMake Error at CMakeLists.txt:12 (message):" and its indented
    // message and call stack, up to a blank line.
    if t.starts_with("CMake Error") {
        return Some(
            Hit::new(Kind::CompileError, 70.0, t)
                .fw("cmake")
                .header()
                .fam(Fam::Generic)
                .style(Style::Until(Term::Blank))
                .weak(),
        );
    }
    // Maven
    if let Some(r) = t.strip_prefix("[ERROR]") {
        let r = r.trim();
        if r.is_empty()
            || r.starts_with("->")
            || r.starts_with("Re-run Maven")
            || r.starts_with("To see the full stack trace")
            || r.starts_with("For more information")
            || r.starts_with("[Help")
            || r.starts_with("After correcting the problems")
            || r.starts_with("mvn <goals>")
        {
            return Some(
                Hit::new(Kind::Unknown, 2.0, t)
                    .fw("maven")
                    .fam(Fam::Maven)
                    .style(Style::Single(0)),
            );
        }
        if r.starts_with("Failed to execute goal") {
            let (kind, score) =
                if r.has("There are test failures") || r.has("There were test failures") {
                    (Kind::TestFailure, 12.0)
                } else if r.has("Compilation failure") {
                    (Kind::CompileError, 30.0)
                } else if r.has("checkstyle")
                    || r.has("spotless")
                    || r.has("license")
                    || r.has("enforcer")
                    || r.has("animal-sniffer")
                    || r.has("apache-rat")
                {
                    (Kind::Lint, 60.0)
                } else {
                    (Kind::Unknown, 35.0)
                };
            return Some(
                Hit::new(kind, score, r)
                    .fw("maven")
                    .fam(Fam::Maven)
                    .style(Style::Single(3)),
            );
        }
        if r.starts_with("Tests run:") {
            return Some(
                Hit::new(Kind::TestFailure, 20.0, t)
                    .fw("maven")
                    .fam(Fam::Maven)
                    .style(Style::Single(0)),
            );
        }
        return Some(
            Hit::new(Kind::Unknown, 40.0, r)
                .fw("maven")
                .fam(Fam::Maven)
                .style(Style::Single(6)),
        );
    }
    if t.starts_with("BUILD FAILURE")
        || t.starts_with("BUILD FAILED")
        || t.starts_with("FAILURE: Build failed")
    {
        return Some(
            Hit::new(Kind::Unknown, 10.0, t)
                .fam(Fam::Generic)
                .style(Style::Single(0)),
        );
    }
    if t.starts_with("* What went wrong:") {
        return Some(
            Hit::new(Kind::Unknown, 45.0, t)
                .fw("gradle")
                .fam(Fam::Generic)
                .style(Style::Until(Term::GradleTry))
                .header()
                .weak(),
        );
    }
    if t.starts_with("> Task ") && t.ends_with(" FAILED") {
        return Some(
            Hit::new(Kind::Unknown, 15.0, t)
                .fw("gradle")
                .fam(Fam::Generic)
                .style(Style::Single(0)),
        );
    }
    if t.starts_with("make: ***")
        || t.starts_with("make[") && t.has("***")
        || t.starts_with("gmake: ***")
        || t.starts_with("ninja: build stopped")
        || t.starts_with("mingw32-make: ***")
    {
        return Some(
            Hit::new(Kind::Unknown, 11.0, t)
                .fw("make")
                .fam(Fam::Exit)
                .style(Style::Single(0)),
        );
    }
    if t.starts_with("Done. Your build exited") {
        return Some(
            Hit::new(Kind::Unknown, 1.0, t)
                .fam(Fam::Exit)
                .style(Style::Single(0)),
        );
    }
    if t.starts_with("ERROR: \"") && t.has("\" exited with") {
        return Some(
            Hit::new(Kind::Unknown, 8.0, t)
                .fam(Fam::Exit)
                .style(Style::Single(0)),
        );
    }
    if t.starts_with("##[error]Process completed with exit code")
        || t.starts_with("Error: Process completed with exit code")
        || t.starts_with("ERROR: Job failed")
        || t.starts_with("Build step '") && t.has("marked build as failure")
        || t.starts_with("Process finished with exit code")
        || t.starts_with("Error: Process exited with code")
        || t.has("Command failed with exit code")
        || t.starts_with("Command exited with non-zero status")
        || t.starts_with("Exited with code")
        || t.starts_with("ERROR: InvocationError")
    {
        return Some(
            Hit::new(Kind::Unknown, 5.0, t)
                .fam(Fam::Exit)
                .style(Style::Single(0))
                .before(2),
        );
    }
    if t.starts_with("rake aborted!") {
        return Some(
            Hit::new(Kind::Unknown, 30.0, t)
                .fw("rake")
                .fam(Fam::Generic)
                .style(Style::Single(4))
                .before(1)
                .weak(),
        );
    }
    if t.starts_with("Tests timed out")
        || t.starts_with("Test timed out")
        || has_ci(t, "timed out after")
        || t.has("Timeout of ") && t.has("exceeded")
    {
        return Some(
            Hit::new(Kind::Timeout, 60.0, t)
                .fam(Fam::Other)
                .style(Style::Single(3)),
        );
    }
    if shell_error(t) {
        return Some(
            Hit::new(Kind::Unknown, 32.0, t)
                .fw("shell")
                .fam(Fam::Generic)
                .style(Style::Single(2)),
        );
    }
    if negated_error(t) {
        return None;
    }
    // Generic "error:" shapes
    let low_start = |p: &str| starts_ci(t, p);
    if low_start("error:")
        || low_start("error ")
        || low_start("error!")
        || low_start("fatal:")
        || low_start("fatal error")
        || t.starts_with("FATAL")
        || low_start("[error]")
        || low_start("err!")
        || t.starts_with("ERROR")
        || low_start("failure:")
        || t.starts_with("✖ ")
        || low_start("error -")
    {
        let score = if ind == 0 { 46.0 } else { 40.0 };
        return Some(
            Hit::new(Kind::Unknown, score, t)
                .fam(Fam::Generic)
                .style(Style::Single(6)),
        );
    }
    if t.has(": error:")
        || t.has(": fatal error:")
        || t.has(" error: ")
        || t.has("]: error")
        || t.has(" ERROR: ")
        || t.has(" ERROR ")
        || t.has("Error: ") && ind <= 2
    {
        return Some(
            Hit::new(Kind::Unknown, 38.0, t)
                .fam(Fam::Generic)
                .style(Style::Single(6)),
        );
    }
    if (has_word(t, "FAILED")
        || has_word(t, "FAILURE")
        || has_word(t, "FAIL")
        || has_word(t, "Failed")
        || t.starts_with("failed")
        || has_word(t, "failing"))
        && !zero_count(t)
    {
        return Some(
            Hit::new(Kind::Unknown, 22.0, t)
                .fam(Fam::Generic)
                .style(Style::Single(3))
                .before(2),
        );
    }
    if (has_ci(t, "error") || has_word(t, "failed"))
        && !zero_count(t)
        && !has_ci(t, "errors: 0")
        && !has_ci(t, "-werror")
    {
        return Some(
            Hit::new(Kind::Unknown, 3.0, t)
                .fam(Fam::Generic)
                .style(Style::Single(2)),
        );
    }
    None
}

/// Every "error" on the line is denied: "should run without error:", "no
/// errors", as test titles and progress lines say.
fn negated_error(t: &str) -> bool {
    let l = t.to_ascii_lowercase();
    let mut any = false;
    for (i, _) in l.match_indices("error") {
        let before = &l[..i];
        if !(before.ends_with("without ") || before.ends_with("no ")) {
            return false;
        }
        any = true;
    }
    any
}

/// "0 failed", "Failures: 0", "errors: 0" and the like.
fn zero_count(t: &str) -> bool {
    let l = t.to_ascii_lowercase();
    for w in ["fail", "error"] {
        let mut from = 0;
        while let Some(p) = l[from..].find(w) {
            let i = from + p;
            let before = l[..i].trim_end();
            let after = l[i..]
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .trim_start_matches([':', ' ', '=', '(', ')']);
            // "0 failed", "failures: 0" -- but not a duration such as "FAIL (0.06s)"
            if before.ends_with(" 0")
                || before == "0"
                || after.starts_with('0')
                    && !after[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.')
            {
                return true;
            }
            from = i + 1;
        }
    }
    false
}

/// A compiler-style warning: `file:line[:col]: warning: ...` (any case).
fn compiler_warning(t: &str) -> Option<Hit> {
    let (f, l, rest) = file_loc(t)?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == ':' || c == ' ');
    if !starts_ci(rest, "warning") {
        return None;
    }
    let mut h = Hit::new(Kind::CompileError, 1.0, t)
        .fam(Fam::Compile)
        .style(Style::Compiler)
        .loc(f, l);
    h.warning = true;
    Some(h)
}

/// A test-result row that ends in a failure status, optionally followed by
/// a duration: `name: FAIL (0.06s)`, `- name *** FAILED ***`. Returns the name.
pub fn fail_row(t: &str) -> Option<&str> {
    // ScalaTest / specs: "- does x *** FAILED ***"
    if let Some(r) = t.strip_suffix("*** FAILED ***") {
        let name = r.trim().trim_start_matches("- ").trim();
        return (!name.is_empty()).then_some(name);
    }
    let body = strip_duration_suffix(t);
    for word in ["FAILED", "FAIL", "FAILURE", "ERROR"] {
        if let Some(head) = body.strip_suffix(word) {
            // "name:   FAIL": the status set off by a colon and column padding
            if head.ends_with("  ") || head.ends_with('\t') {
                if let Some(n) = head.trim_end().strip_suffix(':') {
                    if !n.trim().is_empty() {
                        return Some(n.trim());
                    }
                }
            }
        }
    }
    None
}

/// What follows a Karma browser prefix, `Chrome 75.0.3770 (Mac OS X 10.13.6) `:
/// a browser name, a dotted version and the platform in parentheses.
fn karma_browser(t: &str) -> Option<&str> {
    if !t.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    let open = t.pos(" (")?;
    let (name, version) = t[..open].rsplit_once(' ')?;
    let dotted = version.starts_with(|c: char| c.is_ascii_digit())
        && version.contains('.')
        && version.bytes().all(|c| c.is_ascii_digit() || c == b'.');
    if !dotted || name.is_empty() {
        return None;
    }
    let close = t[open..].pos(") ")? + open;
    Some(t[close + 2..].trim())
}

/// A passing result row: `name:   OK`, `name:   PASS (0.06s)` (the status
/// set off by a colon and column padding, as hspec/tasty print it).
pub fn pass_row(t: &str) -> bool {
    let body = strip_duration_suffix(t);
    ["OK", "PASS", "PASSED"].iter().any(|word| {
        body.strip_suffix(word).is_some_and(|head| {
            (head.ends_with("  ") || head.ends_with('\t'))
                && head
                    .trim_end()
                    .strip_suffix(':')
                    .is_some_and(|n| !n.trim().is_empty())
        })
    })
}

/// `3 problems (2 errors, 1 warning)`: the number of errors.
fn problem_errors(r: &str) -> Option<u64> {
    let (n, rest) = r.split_once(' ')?;
    n.parse::<u64>().ok()?;
    let rest = rest
        .strip_prefix("problems (")
        .or(rest.strip_prefix("problem ("))?;
    let (e, _) = rest.split_once(" error")?;
    e.trim().parse().ok()
}

/// The hit for a Travis exit line whose command spanned several lines
/// (`The command "case ... esac` ... `" exited with 1.`).
pub fn exit_hit(t: &str, code: &str) -> Hit {
    let kind = if code == "124" || code == "137" {
        Kind::Timeout
    } else {
        Kind::Unknown
    };
    Hit::new(kind, 4.0, t)
        .fam(Fam::Exit)
        .style(Style::Single(0))
}
