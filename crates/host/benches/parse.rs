//! Log parsing throughput on a ~100 MB GitHub Actions log, in one run:
//!
//! - `sandbox`: the built-in `log-parser` plugin inside wasmtime, through the
//!   library (`plugins::load`, `ParserSession::open`, `parse` of a file
//!   reader), as `cifix parse-logs` does it;
//! - `native`: the same core (`cifix_logparse::Parser`) compiled natively,
//!   fed 1 MiB chunks read from the same file;
//! - `grep`: `grep -c error FILE`, a spawned process.
//!
//! Criterion reports each; then interleaved rounds give medians, MB/s and
//! the sandbox/native ratio (printed, and written to
//! `target/bench-data/parse-summary.txt`). The log is generated once into
//! `target/bench-data/gh-100MB.log` (kept for `bench/memory.sh`).
//!
//! `cargo bench -p cifix-host --bench parse`

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cifix_host::capabilities::input::Input;
use cifix_host::sandbox::{self, Limits, ParserSession};
use criterion::{Criterion, Throughput};

/// Size of the generated log.
const TARGET_BYTES: u64 = 100 * 1000 * 1000;
/// Bump when the generator changes, so a stale file is rewritten.
const GENERATOR: u32 = 1;
/// Interleaved rounds for the summary.
const ROUNDS: usize = 31;

fn data_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("bench-data")
}

/// The log: timestamps on every line, a BOM, step groups, compiler noise,
/// thousands of passing tests of several frameworks (some with "error" in
/// their names, so the keyword prefilter has work to do), and a few
/// failures spread through it.
fn generate(path: &Path) -> std::io::Result<u64> {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let written = std::cell::Cell::new(0u64);
    let put = |w: &mut BufWriter<std::fs::File>, i: u64, text: &str| -> std::io::Result<()> {
        let ts = format!(
            "2026-06-21T{:02}:{:02}:{:02}.{:07}Z ",
            5 + (i / 3_600_000) % 18,
            (i / 60_000) % 60,
            (i / 1000) % 60,
            (i * 7919) % 10_000_000
        );
        w.write_all(ts.as_bytes())?;
        w.write_all(text.as_bytes())?;
        w.write_all(b"\n")?;
        written.set(written.get() + ts.len() as u64 + text.len() as u64 + 1);
        Ok(())
    };
    w.write_all("\u{feff}".as_bytes())?;
    let mut i = 0u64;
    let mut step = 0;
    while written.get() < TARGET_BYTES {
        if i.is_multiple_of(200_000) {
            step += 1;
            put(
                &mut w,
                i,
                &format!("##[group]Run cargo test --workspace --partition {step}"),
            )?;
            put(&mut w, i, "cargo test --workspace")?;
            put(&mut w, i, "##[endgroup]")?;
        }
        let line = match i % 1000 {
            7 => "\x1b[1m\x1b[32m   Compiling\x1b[0m serde_json v1.0.140".to_string(),
            8 => "\x1b[1m\x1b[32m    Finished\x1b[0m `test` profile [unoptimized + debuginfo] target(s) in 41.27s".to_string(),
            9 => format!("     Running unittests src/lib.rs (target/debug/deps/widgets-{:016x})", i * 31),
            100 => format!("tests/test_api.py::test_error_handling_{i} PASSED                          [ 42%]"),
            200 => format!("  ✓ renders error boundary {i} (3 ms)"),
            300 => format!("--- PASS: TestErrorPaths/case_{i} (0.00s)"),
            400 => "warning: unused variable: `x`".to_string(),
            500 if i % 250_000 == 500 => format!("test widgets::tests::case_{i} ... FAILED"),
            _ => format!("test module_{}::tests::case_{i} ... ok", i % 97),
        };
        put(&mut w, i, &line)?;
        if i % 250_000 == 500 {
            for l in [
                String::new(),
                format!("---- widgets::tests::case_{i} stdout ----"),
                format!(
                    "thread 'widgets::tests::case_{i}' panicked at src/lib.rs:{}:9:",
                    10 + i % 400
                ),
                "assertion `left == right` failed".to_string(),
                "  left: 3".to_string(),
                " right: 4".to_string(),
                String::new(),
            ] {
                put(&mut w, i, &l)?;
            }
        }
        i += 1;
    }
    put(
        &mut w,
        i,
        "test result: FAILED. 99996 passed; 4 failed; 0 ignored; 0 measured; 0 filtered out",
    )?;
    put(&mut w, i, "##[error]Process completed with exit code 101.")?;
    w.flush()?;
    drop(w);
    Ok(std::fs::metadata(path)?.len())
}

fn log_file() -> PathBuf {
    let dir = data_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("gh-100MB.log");
    let stamp = dir.join("gh-100MB.log.generator");
    let fresh = std::fs::read_to_string(&stamp).ok().as_deref() == Some(&GENERATOR.to_string())
        && path.is_file();
    if !fresh {
        let t = Instant::now();
        let n = generate(&path).unwrap();
        std::fs::write(&stamp, GENERATOR.to_string()).unwrap();
        eprintln!(
            "generated {} ({n} bytes) in {:.1}s",
            path.display(),
            t.elapsed().as_secs_f64()
        );
    }
    path
}

fn sandbox(session: &mut ParserSession<'_>, path: &Path) -> usize {
    let f = std::fs::File::open(path).unwrap();
    let (_, failures) = session
        .parse(Input::new(path.display().to_string(), f))
        .unwrap();
    assert!(!failures.is_empty());
    failures.len()
}

fn native(path: &Path, buf: &mut [u8]) -> usize {
    let mut f = std::fs::File::open(path).unwrap();
    let mut p = cifix_logparse::Parser::new(cifix_logparse::Options::default());
    loop {
        let n = read_full(&mut f, buf);
        if n == 0 {
            break;
        }
        p.feed(&buf[..n]);
    }
    let r = p.finish();
    assert!(!r.failures.is_empty());
    r.failures.len()
}

fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match f.read(&mut buf[filled..]).unwrap() {
            0 => break,
            n => filled += n,
        }
    }
    filled
}

fn grep(path: &Path) -> u64 {
    let out = Command::new("grep")
        .arg("-c")
        .arg("error")
        .arg(path)
        .output()
        .expect("run grep");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("grep -c prints a count")
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// CPU time of this thread: unlike wall time, it leaves out the time the
/// (virtual) machine spent on other work.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn main() {
    let path = log_file();
    let bytes = std::fs::metadata(&path).unwrap().len();
    let plugin = sandbox::load("log-parser").unwrap();
    let mut session = ParserSession::open(&plugin, Limits::default()).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    // both find the same failures
    assert_eq!(sandbox(&mut session, &path), native(&path, &mut buf));

    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("parse-100MB");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    g.bench_function("sandbox", |b| b.iter(|| sandbox(&mut session, &path)));
    g.bench_function("native", |b| b.iter(|| native(&path, &mut buf)));
    g.bench_function("grep-c-error", |b| b.iter(|| grep(&path)));
    g.finish();

    let (mut s, mut n, mut gr) = (Vec::new(), Vec::new(), Vec::new());
    let (mut s_cpu, mut n_cpu) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // alternate which goes first, so neither always runs on a warm cache
        for first in [round % 2 == 0, round % 2 != 0] {
            let (t, c) = (Instant::now(), thread_cpu());
            if first {
                sandbox(&mut session, &path);
                s.push(t.elapsed());
                s_cpu.push(thread_cpu() - c);
            } else {
                native(&path, &mut buf);
                n.push(t.elapsed());
                n_cpu.push(thread_cpu() - c);
            }
        }
        let t = Instant::now();
        grep(&path);
        gr.push(t.elapsed());
    }
    let cpu_ratio = median(&mut s_cpu).as_secs_f64() / median(&mut n_cpu).as_secs_f64();
    let fastest = |v: &[Duration]| v.iter().min().copied().unwrap_or_default();
    let min_ratio = fastest(&s).as_secs_f64() / fastest(&n).as_secs_f64();
    // a round's two parses run back to back, so their ratio shrugs off
    // noise that lasts longer than a round
    let mut ratios: Vec<f64> = s
        .iter()
        .zip(&n)
        .map(|(s, n)| s.as_secs_f64() / n.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    let (s, n, gr) = (median(&mut s), median(&mut n), median(&mut gr));
    let mbps = |d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    let summary = format!(
        "parse of {} ({bytes} bytes), medians of {ROUNDS} interleaved rounds:\n\
         \x20 sandbox (log-parser plugin, wasmtime) {:>7.1} ms  {:>7.1} MB/s\n\
         \x20 native  (cifix-logparse, 1 MiB chunks) {:>6.1} ms  {:>7.1} MB/s\n\
         \x20 grep -c error                        {:>7.1} ms  {:>7.1} MB/s\n\
         \x20 sandbox/native time ratio: {:.2}x (median of per-round ratios; of medians {:.2}x; of median thread CPU times {:.2}x; of fastest rounds {:.2}x); sandbox/grep: {:.2}x\n",
        path.display(),
        s.as_secs_f64() * 1e3,
        mbps(s),
        n.as_secs_f64() * 1e3,
        mbps(n),
        gr.as_secs_f64() * 1e3,
        mbps(gr),
        ratio,
        s.as_secs_f64() / n.as_secs_f64(),
        cpu_ratio,
        min_ratio,
        s.as_secs_f64() / gr.as_secs_f64(),
    );
    println!("{summary}");
    let _ = std::fs::write(data_dir().join("parse-summary.txt"), &summary);
    c.final_summary();
}
