//! `parse-logs FILE [--json] [--lf-lines] [--no-fast-skip]`: run the failure finder over a log file and print
//! the report (JSON with `--json`, a short summary otherwise). The first
//! argument (a subcommand name such as `parse-logs`) is ignored when present.

use std::io::Read;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let mut files: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    if files.len() >= 2 {
        files.remove(0); // the subcommand name
    }
    // Lines are numbered like Python's universal newlines (the library
    // default, and how the LogChunks scorer reads logs); `--lf-lines`
    // numbers by `\n` only.
    let opts = cifix_logparse::Options {
        cr_newlines: !args.iter().any(|a| a == "--lf-lines"),
        fast_skip: !args.iter().any(|a| a == "--no-fast-skip"),
        ..cifix_logparse::Options::default()
    };
    let mut parser = cifix_logparse::Parser::new(opts);
    let mut buf = vec![0u8; 1 << 16];
    let mut input: Box<dyn Read> = match files.first() {
        Some(f) if f.as_str() != "-" => match std::fs::File::open(f) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("parse-logs: {f}: {e}");
                std::process::exit(2);
            }
        },
        _ => Box::new(std::io::stdin()),
    };
    loop {
        match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => parser.feed(&buf[..n]),
            Err(e) => {
                eprintln!("parse-logs: read: {e}");
                std::process::exit(2);
            }
        }
    }
    let report = parser.finish();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("serialisable")
        );
    } else {
        println!(
            "format={} lines={} bytes={}",
            report.format, report.lines, report.bytes
        );
        for (i, f) in report.failures.iter().enumerate() {
            println!(
                "#{} [{:?}] score={} lines {}-{} {}{}",
                i + 1,
                f.kind,
                f.score,
                f.excerpt.start_line,
                f.excerpt.end_line,
                f.test
                    .as_deref()
                    .map(|t| format!("{t}: "))
                    .unwrap_or_default(),
                f.message
            );
        }
    }
}
