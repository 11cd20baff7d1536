//! `cifix parse-logs FILE|-`: ranked failures from a CI log.
//!
//! Inputs:
//! - a text log (any CI; GitHub Actions timestamps, ANSI colours, `\r`
//!   progress lines are handled by the parser), streamed to the plugin in
//!   chunks, never held whole in memory;
//! - a JUnit XML report (`.xml`, or content starting with `<?xml` /
//!   `<testsuite`): passed to the same parser, whose streaming JUnit scanner
//!   runs inside the sandbox and keeps line numbers (see [`JUNIT_NOTE`]);
//! - a GitHub run-log `.zip`: the top-level `N_<job>.txt` job logs, or the
//!   `<job>/<n>_<step>.txt` step logs of a job that has no top-level file,
//!   each parsed on its own (line numbers are per file) in one parser
//!   session; failures are merged highest score first and name their log as
//!   `ZIP!ENTRY`.
//!
//! Empty input gives an empty report; binary input (NUL bytes, gzip,
//! UTF-16) and a missing file are usage errors (exit status 2).

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use clap::Args;

use super::{Env, UsageError};
use crate::capabilities::input::Input;
use crate::phases::parse::{failure_json, kind_name};
use crate::plugins::{self, ParserSession, PluginError, wit};

/// Why JUnit XML goes through the core's scanner and not `quick-junit`:
/// quick-junit (0.5.2+) can deserialize, but its deserializer is marked
/// experimental, needs the whole document, rejects truncated or
/// attribute-less reports (`unexpected EOF in <testsuite>`), and keeps no
/// source positions, so excerpts could not carry `start_line`/`end_line`;
/// it would also parse untrusted XML in the host instead of the sandbox.
/// The tests use quick-junit to write reports and as the oracle the
/// scanner's results are checked against.
pub const JUNIT_NOTE: &str =
    "JUnit XML is read by the log parser's streaming scanner inside the sandbox";

/// Bytes looked at to tell text from binary and a zip from a log.
const SNIFF: usize = 8192;
/// Most logs parsed from one zip.
pub const MAX_ZIP_LOGS: usize = 1000;
/// Size of the pieces a zip entry is decompressed in.
const ZIP_PIECE: usize = 1 << 20;

/// Arguments of `parse-logs`.
#[derive(Debug, Args)]
pub struct ParseLogsArgs {
    /// The log file (a text log, a JUnit XML report or a GitHub run-log
    /// .zip), or `-` for standard input.
    pub file: PathBuf,
    /// Print one JSON object with a `failures` array, most likely cause first.
    #[arg(long)]
    pub json: bool,
    /// The parser plugin: a name or a path to a .wasm component.
    #[arg(long, default_value = "log-parser", value_name = "NAME|PATH")]
    pub strategy: String,
}

/// Why an input cannot be parsed.
#[derive(Debug, thiserror::Error)]
pub enum LogInputError {
    /// The file could not be opened or read.
    #[error("{path}: cannot read the log: {source}")]
    Open {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The content is not text.
    #[error(
        "{path}: not a text log ({why}); give a CI log, a JUnit XML report or a GitHub run-log .zip"
    )]
    Binary {
        /// The file.
        path: String,
        /// What gave it away.
        why: String,
    },
    /// A zip could not be read.
    #[error("{path}: not a readable zip archive: {source}")]
    Zip {
        /// The file.
        path: String,
        /// The zip error.
        source: zip::result::ZipError,
    },
    /// A zip holds no file to parse.
    #[error("{path}: the zip archive holds no log file")]
    EmptyZip {
        /// The file.
        path: String,
    },
    /// A zip holds more logs than cifix parses.
    #[error("{path}: the zip archive holds {count} logs; at most {MAX_ZIP_LOGS} are parsed")]
    TooManyLogs {
        /// The file.
        path: String,
        /// Logs found.
        count: usize,
    },
    /// A zip arrived on standard input.
    #[error("-: standard input is a zip archive; give its path instead (zips need seeking)")]
    ZipOnStdin,
}

impl From<LogInputError> for UsageError {
    fn from(e: LogInputError) -> Self {
        UsageError(e.to_string())
    }
}

/// One parsed log: its name (`FILE`, `-` or `ZIP!ENTRY`) and report.
#[derive(Debug, Clone)]
pub struct LogReport {
    /// The log's name as shown and as in the JSON `log` field.
    pub log: String,
    /// What the parser found.
    pub report: wit::Report,
}

/// Everything found in the input, failures merged across logs.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// `zip` for an archive, else the one log's detected format.
    pub format: String,
    /// Each log parsed, in parse order.
    pub logs: Vec<LogReport>,
    /// `(index into logs, failure)`, highest score first; ties keep log order.
    pub failures: Vec<(usize, wit::Failure)>,
}

impl Parsed {
    fn new(format: String, logs: Vec<LogReport>) -> Parsed {
        let mut failures: Vec<(usize, wit::Failure)> = logs
            .iter()
            .enumerate()
            .flat_map(|(i, l)| l.report.failures.iter().map(move |f| (i, f.clone())))
            .collect();
        // stable: equal scores keep log order, then the parser's order
        failures.sort_by(|a, b| {
            b.1.score
                .partial_cmp(&a.1.score)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        Parsed {
            format,
            logs,
            failures,
        }
    }

    /// Lines over all logs.
    pub fn lines(&self) -> u64 {
        self.logs.iter().map(|l| l.report.lines).sum()
    }

    /// Bytes over all logs.
    pub fn bytes(&self) -> u64 {
        self.logs.iter().map(|l| l.report.bytes).sum()
    }

    /// The `--json` object (contract documented in the README).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "format": self.format,
            "lines": self.lines(),
            "bytes": self.bytes(),
            "logs": self.logs.iter().map(|l| serde_json::json!({
                "log": l.log,
                "format": l.report.format,
                "lines": l.report.lines,
                "bytes": l.report.bytes,
                "failures": l.report.failures.len(),
            })).collect::<Vec<_>>(),
            "failures": self.failures.iter().map(|(i, f)| {
                let mut v = failure_json(f);
                v["log"] = serde_json::Value::String(self.logs[*i].log.clone());
                v
            }).collect::<Vec<_>>(),
        })
    }
}

/// Parse one input with a parser plugin.
pub fn parse_input(env: &Env, strategy: &str, input: Input) -> anyhow::Result<wit::Report> {
    let plugin = plugins::load(strategy)?;
    let mut session = ParserSession::open(&plugin, env.limits)?;
    Ok(session.parse(input)?)
}

/// Parse `path` (`-` for standard input): a text log, a JUnit XML report or
/// a GitHub run-log zip.
pub fn parse_path(session: &mut ParserSession<'_>, path: &Path) -> anyhow::Result<Parsed> {
    if path.as_os_str() == "-" {
        let mut stdin = std::io::stdin();
        let head = read_head(&mut stdin).map_err(|e| open_err("-", e))?;
        if is_zip(&head) {
            return Err(UsageError::from(LogInputError::ZipOnStdin).into());
        }
        check_text("-", &head)?;
        let reader = std::io::Cursor::new(head).chain(stdin);
        let report = session.parse(Input::new("-", reader))?;
        return Ok(Parsed::new(
            report.format.clone(),
            vec![LogReport {
                log: "-".into(),
                report,
            }],
        ));
    }
    let name = path.display().to_string();
    let mut file = std::fs::File::open(path).map_err(|e| open_err(&name, e))?;
    let head = read_head(&mut file).map_err(|e| open_err(&name, e))?;
    let zip_ext = path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("zip"));
    if is_zip(&head) || (zip_ext && !head.is_empty()) {
        file.rewind().map_err(|e| open_err(&name, e))?;
        return parse_zip(session, &name, file);
    }
    check_text(&name, &head)?;
    file.rewind().map_err(|e| open_err(&name, e))?;
    // The plain file: `Input::read` fills its buffer straight from it.
    let report = session.parse(Input::new(name.clone(), file))?;
    Ok(Parsed::new(
        report.format.clone(),
        vec![LogReport { log: name, report }],
    ))
}

/// Run `parse-logs`.
pub fn run(env: &Env, a: ParseLogsArgs) -> anyhow::Result<ExitCode> {
    // Check the input before loading the plugin, so a typo fails fast.
    if a.file.as_os_str() != "-" && !a.file.exists() {
        let e = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        return Err(open_err(&a.file.display().to_string(), e));
    }
    let plugin = plugins::load(&a.strategy)?;
    let mut session = ParserSession::open(&plugin, env.limits)?;
    let parsed = parse_path(&mut session, &a.file)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&parsed.to_json())?);
    } else {
        print_summary(&parsed);
    }
    Ok(ExitCode::SUCCESS)
}

fn open_err(path: &str, source: std::io::Error) -> anyhow::Error {
    UsageError::from(LogInputError::Open {
        path: path.into(),
        source,
    })
    .into()
}

fn read_head(r: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(SNIFF);
    r.by_ref().take(SNIFF as u64).read_to_end(&mut head)?;
    Ok(head)
}

fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// Why `head` (the first bytes of an input) is not text, if it is not.
pub fn binary_reason(head: &[u8]) -> Option<String> {
    if head.starts_with(&[0x1f, 0x8b]) {
        return Some("gzip-compressed: decompress it first".into());
    }
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Some(
            "UTF-16 text: convert it to UTF-8 first, e.g. with iconv -f UTF-16 -t UTF-8".into(),
        );
    }
    if head.is_empty() {
        return None;
    }
    let nul = head.iter().filter(|&&b| b == 0).count();
    let control = head
        .iter()
        .filter(|&&b| {
            (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b | 0x08)) || b == 0x7f
        })
        .count();
    // A stray NUL or two in a terminal log is fine; a binary file has many.
    if nul * 100 > head.len() || control * 10 > head.len() {
        let at = head.iter().position(|&b| b == 0).unwrap_or(0);
        return Some(format!(
            "binary data: {nul} NUL and {control} control bytes in the first {} bytes, first NUL at offset {at}",
            head.len()
        ));
    }
    None
}

fn check_text(path: &str, head: &[u8]) -> anyhow::Result<()> {
    match binary_reason(head) {
        Some(why) => Err(UsageError::from(LogInputError::Binary {
            path: path.into(),
            why,
        })
        .into()),
        None => Ok(()),
    }
}

/// An entry of a run-log zip to parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipLog {
    /// Index in the archive.
    pub index: usize,
    /// The entry's name.
    pub name: String,
}

/// Leading `N_` of a GitHub log file name, as a number, and the rest.
fn numbered(stem: &str) -> (u64, &str) {
    match stem.split_once('_') {
        Some((n, rest)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            (n.parse().unwrap_or(u64::MAX), rest)
        }
        _ => (u64::MAX, stem),
    }
}

fn strip_txt(name: &str) -> Option<&str> {
    let n = name.len();
    (n > 4 && name[n - 4..].eq_ignore_ascii_case(".txt")).then(|| &name[..n - 4])
}

/// The logs of a GitHub run-log zip, in parse order, from the entry names
/// (`(index, name)`): the top-level `N_<job>.txt` files by `N`, then for
/// each job folder without a top-level file its `<job>/<n>_<step>.txt`
/// files by `n`. An archive with neither shape: every file in it.
pub fn select_zip_logs(entries: &[(usize, String)]) -> Vec<ZipLog> {
    let mut top: Vec<(u64, String, ZipLog)> = Vec::new();
    let mut steps: Vec<(String, u64, ZipLog)> = Vec::new();
    for (index, name) in entries {
        let log = ZipLog {
            index: *index,
            name: name.clone(),
        };
        if name.ends_with('/') {
            continue;
        }
        match name.split('/').collect::<Vec<_>>()[..] {
            [file] => {
                if let Some(stem) = strip_txt(file) {
                    let (n, job) = numbered(stem);
                    top.push((n, job.to_string(), log));
                }
            }
            [job, file] => {
                if let Some(stem) = strip_txt(file) {
                    steps.push((job.to_string(), numbered(stem).0, log));
                }
            }
            _ => {}
        }
    }
    if top.is_empty() && steps.is_empty() {
        return entries
            .iter()
            .filter(|(_, n)| !n.ends_with('/'))
            .map(|(i, n)| ZipLog {
                index: *i,
                name: n.clone(),
            })
            .collect();
    }
    top.sort_by(|a, b| (a.0, &a.2.name).cmp(&(b.0, &b.2.name)));
    steps.retain(|(job, _, _)| !top.iter().any(|(_, j, _)| j == job));
    steps.sort_by(|a, b| (&a.0, a.1, &a.2.name).cmp(&(&b.0, b.1, &b.2.name)));
    top.into_iter()
        .map(|t| t.2)
        .chain(steps.into_iter().map(|s| s.2))
        .collect()
}

/// Parse the logs of a run-log zip, each as its own input of `session`.
fn parse_zip<R: Read + Seek + Send>(
    session: &mut ParserSession<'_>,
    path: &str,
    reader: R,
) -> anyhow::Result<Parsed> {
    let zip_err = |source| {
        UsageError::from(LogInputError::Zip {
            path: path.into(),
            source,
        })
    };
    let mut archive = zip::ZipArchive::new(reader).map_err(zip_err)?;
    let mut entries = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        match archive.name_for_index(i) {
            Some(Ok(n)) => entries.push((i, n.into_owned())),
            Some(Err(e)) => return Err(zip_err(e).into()),
            None => {}
        }
    }
    let logs = select_zip_logs(&entries);
    if logs.is_empty() {
        return Err(UsageError::from(LogInputError::EmptyZip { path: path.into() }).into());
    }
    if logs.len() > MAX_ZIP_LOGS {
        return Err(UsageError::from(LogInputError::TooManyLogs {
            path: path.into(),
            count: logs.len(),
        })
        .into());
    }
    let mut out = Vec::with_capacity(logs.len());
    for z in logs {
        let label = format!("{path}!{}", z.name);
        let (tx, rx) = sync_channel(2);
        let archive = &mut archive;
        let report = std::thread::scope(|s| {
            s.spawn(move || pump(archive, z.index, tx));
            // The receiver is dropped when the call ends, which stops the pump.
            session.parse(Input::new(label.clone(), Pieces::new(rx)))
        });
        let report = report.map_err(|e| entry_error(&label, e))?;
        out.push(LogReport { log: label, report });
    }
    Ok(Parsed::new("zip".into(), out))
}

fn entry_error(label: &str, e: PluginError) -> anyhow::Error {
    anyhow::anyhow!("{label}: {e}")
}

/// Decompress entry `index` into `tx` piece by piece; stops when the
/// receiver goes away.
fn pump<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    index: usize,
    tx: SyncSender<std::io::Result<Vec<u8>>>,
) {
    let mut entry = match archive.by_index(index) {
        Ok(e) => e,
        Err(e) => {
            let _ = tx.send(Err(std::io::Error::other(e)));
            return;
        }
    };
    loop {
        let mut piece = Vec::with_capacity(ZIP_PIECE);
        match entry
            .by_ref()
            .take(ZIP_PIECE as u64)
            .read_to_end(&mut piece)
        {
            Ok(0) => return,
            Ok(_) => {
                if tx.send(Ok(piece)).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        }
    }
}

/// A reader over pieces arriving on a channel (a zip entry being
/// decompressed by another thread).
struct Pieces {
    rx: Receiver<std::io::Result<Vec<u8>>>,
    cur: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Pieces {
    fn new(rx: Receiver<std::io::Result<Vec<u8>>>) -> Self {
        Pieces {
            rx,
            cur: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.cur.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(piece)) => {
                    self.cur = piece;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn print_summary(p: &Parsed) {
    let color = super::color();
    let (bold, red, dim, reset) = if color {
        ("\x1b[1m", "\x1b[31m", "\x1b[2m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    let what = if p.logs.len() == 1 {
        format!("{} lines ({} format)", p.lines(), p.format)
    } else {
        format!("{} logs, {} lines", p.logs.len(), p.lines())
    };
    if p.failures.is_empty() {
        if p.bytes() == 0 {
            println!("The log is empty: nothing to parse.");
        } else {
            println!("No failure found in {what}.");
        }
        return;
    }
    println!(
        "{} failure(s) in {what}; most likely cause first:",
        p.failures.len()
    );
    for (i, (log, f)) in p.failures.iter().take(5).enumerate() {
        let place = match (&f.file, f.line) {
            (Some(file), Some(l)) => format!(" at {file}:{l}"),
            (Some(file), None) => format!(" in {file}"),
            _ => String::new(),
        };
        println!();
        println!(
            "{bold}{}. {red}{}{reset}{bold}{}{place}{reset}",
            i + 1,
            kind_name(f.kind),
            f.test.as_ref().map(|t| format!(" {t}")).unwrap_or_default()
        );
        println!("   {}", f.message);
        if p.logs.len() > 1 {
            println!("   {dim}log:{reset} {}", p.logs[*log].log);
        }
        if let Some(fw) = &f.framework {
            println!("   {dim}framework:{reset} {fw}");
        }
        if let Some(step) = &f.step {
            println!("   {dim}step:{reset} {step}");
        }
        if let Some(rr) = &f.rerun {
            println!("   {dim}rerun:{reset} {rr}");
        }
        if !f.flaky_signals.is_empty() {
            println!(
                "   {dim}may be intermittent:{reset} {}",
                f.flaky_signals.join(", ")
            );
        }
        if i == 0 {
            println!(
                "   {dim}lines {}-{}:{reset}",
                f.excerpt.start_line, f.excerpt.end_line
            );
            for l in f.excerpt.text.lines().take(15) {
                println!("   {dim}│{reset} {l}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<(usize, String)> {
        v.iter()
            .enumerate()
            .map(|(i, n)| (i, n.to_string()))
            .collect()
    }

    #[test]
    fn zip_selection_prefers_job_files_and_falls_back_to_steps() {
        let e = names(&[
            "build/",
            "build/1_Set up job.txt",
            "build/2_Run tests.txt",
            "10_lint.txt",
            "2_build.txt",
            "test (ubuntu)/2_Run cargo test.txt",
            "test (ubuntu)/10_Post.txt",
            "test (ubuntu)/1_Set up job.txt",
            "deep/a/b.txt",
        ]);
        let got: Vec<String> = select_zip_logs(&e).into_iter().map(|z| z.name).collect();
        assert_eq!(
            got,
            [
                "2_build.txt",
                "10_lint.txt",
                "test (ubuntu)/1_Set up job.txt",
                "test (ubuntu)/2_Run cargo test.txt",
                "test (ubuntu)/10_Post.txt"
            ]
        );
    }

    #[test]
    fn zip_without_github_shape_parses_every_file() {
        let e = names(&["logs/", "logs/a/b.log", "c.log"]);
        let got: Vec<String> = select_zip_logs(&e).into_iter().map(|z| z.name).collect();
        assert_eq!(got, ["logs/a/b.log", "c.log"]);
    }

    #[test]
    fn binary_sniffing() {
        assert!(binary_reason(b"").is_none());
        assert!(binary_reason(b"\x1b[31merror\x1b[0m: x\r\n").is_none());
        assert!(binary_reason(b"ok\0 one stray NUL in a long enough line of terminal output ............................................................................................").is_none());
        assert!(binary_reason(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0").is_some());
        assert!(binary_reason(&[0x1f, 0x8b, 8, 0]).unwrap().contains("gzip"));
        assert!(
            binary_reason(&[0xff, 0xfe, b'a', 0])
                .unwrap()
                .contains("UTF-16")
        );
    }

    #[test]
    fn pieces_reader_streams_and_reports_errors() {
        let (tx, rx) = sync_channel(4);
        tx.send(Ok(b"abc".to_vec())).unwrap();
        tx.send(Ok(b"de".to_vec())).unwrap();
        tx.send(Err(std::io::Error::other("corrupt"))).unwrap();
        drop(tx);
        let mut r = Pieces::new(rx);
        let mut buf = [0u8; 4];
        assert_eq!(r.read(&mut buf).unwrap(), 3);
        assert_eq!(r.read(&mut buf).unwrap(), 2);
        assert!(r.read(&mut buf).is_err());
        assert_eq!(r.read(&mut buf).unwrap(), 0);
    }
}
