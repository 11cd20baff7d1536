//! Diagnose: every log of a run through the log-parser plugin, into one
//! [`FailureReport`] (failures ranked, highest score first; ties keep log order).
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
//!   session; failures name their log as `ZIP!ENTRY`.
//!
//! `cifix parse-logs` and `cifix run` call the same code, so a run fed a zip
//! understands it as `parse-logs` does. Empty input gives an empty report;
//! binary input (NUL bytes, gzip, UTF-16) and a missing file are
//! [`LogInputError`]s (bad input, exit status 2).

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use cifix_model::{Failure, FailureReport, LogReport};

use crate::capabilities::input::Input;
use crate::sandbox::{self, Limits, ParserSession, PluginError};

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

/// Why a run's logs could not be diagnosed.
#[derive(Debug, thiserror::Error)]
pub enum DiagnoseError {
    /// The input is not a log cifix can read (bad input).
    #[error(transparent)]
    Input(#[from] LogInputError),
    /// The parser plugin could not be loaded or failed.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// The parser failed on one log of several.
    #[error("{log}: {source}")]
    Entry {
        /// The log's name.
        log: String,
        /// What the plugin did.
        source: PluginError,
    },
}

/// Parse every file with the parser `spec` (a name or a `.wasm` path), in one
/// session, into one report.
pub fn diagnose_files(
    spec: &str,
    files: &[PathBuf],
    limits: Limits,
) -> Result<FailureReport, DiagnoseError> {
    let _span = tracing::info_span!("phase.diagnose").entered();
    let plugin = sandbox::load(spec)?;
    let mut session = ParserSession::open(&plugin, limits)?;
    let mut logs = Vec::new();
    let mut format = None;
    for f in files {
        let one = parse_path(&mut session, f)?;
        format.get_or_insert_with(|| one.format.clone());
        logs.extend(one.logs);
    }
    let format = match (logs.len(), format) {
        (1, Some(f)) => f,
        (0, _) => "none".into(),
        _ => "several".into(),
    };
    Ok(merge(format, logs))
}

/// One log's summary and failures, as the parser returned them.
pub type ParsedLog = (LogReport, Vec<Failure>);

/// What one path held: its format and logs.
pub struct Parsed {
    /// `zip` for an archive, else the one log's detected format.
    pub format: String,
    /// Each log parsed, in parse order.
    pub logs: Vec<ParsedLog>,
}

fn merge(format: String, logs: Vec<ParsedLog>) -> FailureReport {
    FailureReport::merge(format, logs)
}

/// The diagnose phase, recorded: the report goes into `failures.json`, and the
/// top failure into the run report.
pub fn phase(
    rec: &mut super::Recorder<'_>,
    parser: &str,
    logs: &[PathBuf],
    limits: Limits,
    failure_dir: &Path,
) -> anyhow::Result<FailureReport> {
    if logs.is_empty() {
        rec.skip("diagnose", "no logs to diagnose");
        return Ok(FailureReport::default());
    }
    let t = rec.start("diagnose");
    match diagnose_files(parser, logs, limits) {
        Ok(r) => {
            std::fs::write(
                failure_dir.join("failures.json"),
                serde_json::to_vec_pretty(&r)?,
            )?;
            rec.report.failures_found = r.failures.len();
            rec.report.failure = r.failures.first().cloned();
            rec.record(
                "diagnose",
                t,
                cifix_model::PhaseStatus::Ok,
                format!("{} failure(s) in {} log(s)", r.failures.len(), r.logs.len()),
            );
            Ok(r)
        }
        Err(e) => {
            rec.record(
                "diagnose",
                t,
                cifix_model::PhaseStatus::Failed,
                e.to_string(),
            );
            Err(e.into())
        }
    }
}

/// Parse one path into a report (what `parse-logs` prints).
pub fn diagnose_path(
    session: &mut ParserSession<'_>,
    path: &Path,
) -> Result<FailureReport, DiagnoseError> {
    let p = parse_path(session, path)?;
    Ok(merge(p.format, p.logs))
}

/// Parse `path` (`-` for standard input): a text log, a JUnit XML report or
/// a GitHub run-log zip.
pub fn parse_path(session: &mut ParserSession<'_>, path: &Path) -> Result<Parsed, DiagnoseError> {
    if path.as_os_str() == "-" {
        let mut stdin = std::io::stdin();
        let head = read_head(&mut stdin).map_err(|e| open_err("-", e))?;
        if is_zip(&head) {
            return Err(LogInputError::ZipOnStdin.into());
        }
        check_text("-", &head)?;
        let reader = std::io::Cursor::new(head).chain(stdin);
        let log = session.parse(Input::new("-", reader))?;
        return Ok(Parsed {
            format: log.0.format.clone(),
            logs: vec![log],
        });
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
    let log = session.parse(Input::new(name, file))?;
    Ok(Parsed {
        format: log.0.format.clone(),
        logs: vec![log],
    })
}

/// The error for a log that cannot be opened or read.
pub fn open_err(path: &str, source: std::io::Error) -> DiagnoseError {
    LogInputError::Open {
        path: path.into(),
        source,
    }
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

fn check_text(path: &str, head: &[u8]) -> Result<(), DiagnoseError> {
    match binary_reason(head) {
        Some(why) => Err(LogInputError::Binary {
            path: path.into(),
            why,
        }
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
) -> Result<Parsed, DiagnoseError> {
    let zip_err = |source| LogInputError::Zip {
        path: path.into(),
        source,
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
        return Err(LogInputError::EmptyZip { path: path.into() }.into());
    }
    if logs.len() > MAX_ZIP_LOGS {
        return Err(LogInputError::TooManyLogs {
            path: path.into(),
            count: logs.len(),
        }
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
        let log = report.map_err(|source| DiagnoseError::Entry { log: label, source })?;
        out.push(log);
    }
    Ok(Parsed {
        format: "zip".into(),
        logs: out,
    })
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
