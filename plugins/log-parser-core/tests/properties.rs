//! Chunking does not change the report; no input makes the parser panic.

use cifix_logparse::{Options, Parser, Report, parse_bytes, signature};

/// xorshift64*: deterministic, dependency-free randomness for the properties.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn chunked(input: &[u8], rng: &mut Rng, opts: &Options) -> Report {
    let mut p = Parser::new(opts.clone());
    let mut i = 0;
    while i < input.len() {
        let small = rng.below(4) == 0;
        let n = 1 + rng.below(if small { 3 } else { 200 });
        let j = (i + n).min(input.len());
        p.feed(&input[i..j]);
        i = j;
    }
    p.finish()
}

fn corpus() -> Vec<Vec<u8>> {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    // CRLF, lone CR progress lines, ANSI and multi-byte text across boundaries
    v.push(b"progress 10%\rprogress 100%\r\nerror: \xe2\x9c\x97 broke \x1b[31mhere\x1b[0m\r\n\xff\xfe tail".to_vec());
    v
}

#[test]
fn random_chunking_gives_same_report() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for cr in [false, true] {
        let opts = Options {
            cr_newlines: cr,
            ..Options::default()
        };
        for input in corpus() {
            let mut whole = Parser::new(opts.clone());
            whole.feed(&input);
            let whole = whole.finish();
            for _ in 0..20 {
                assert_eq!(chunked(&input, &mut rng, &opts), whole);
            }
        }
    }
}

/// Logs long enough for the fast path: each fixture after 300 lines of
/// noise, and random mixes of lines that matter and lines that do not.
fn long_logs(rng: &mut Rng) -> Vec<Vec<u8>> {
    let noise = |i: usize| format!("2026-06-21T05:34:54.{i:07}Z test mod_{i}::case ... ok\n");
    let mut v = Vec::new();
    for f in corpus() {
        let mut log: Vec<u8> = (0..300).flat_map(|i| noise(i).into_bytes()).collect();
        log.extend_from_slice(&f);
        log.extend((0..100).flat_map(|i| noise(i).into_bytes()));
        v.push(log);
    }
    let lines: &[&[u8]] = &[
        b"test a::b ... ok",
        b"  collecting words here",
        b"",
        b"   ",
        b"error: something broke",
        b"src/lib.rs:12:5: expected x",
        b"1) Suite does a thing",
        b"$ make test",
        b"##[group]Run cargo test",
        b"##[endgroup]",
        b"##[error]Process completed with exit code 1.",
        b"/home/runner/work/x/y.js",
        b"lonelyword",
        b"\x1b[31mred\x1b[0m words",
        b"tab\tseparated words",
        b"progress 10%\rprogress 100%",
        b"FAIL\tgithub.com/o/r/pkg\t0.01s",
        b"--- FAIL: TestX (0.00s)",
        b"The command \"make\" exited with 2.",
        b"The following tests FAILED:",
        b"<testsuite name=\"x\" failures=\"1\">",
        b"[info] compiling 3 files",
        b"\xc2\xa0$ indented by a no-break space",
        b"    at Object.<anonymous> (src/a.test.js:3:7)",
    ];
    for round in 0..40 {
        let mut log = Vec::new();
        for _ in 0..(400 + rng.below(1500)) {
            // mostly noise, like real logs
            let l = if rng.below(10) < 8 {
                lines[rng.below(4)]
            } else {
                lines[rng.below(lines.len())]
            };
            if round % 2 == 0 {
                log.extend_from_slice(b"2026-06-21T05:34:54.5273610Z ");
            }
            log.extend_from_slice(l);
            log.extend_from_slice(if rng.below(20) == 0 { b"\r\n" } else { b"\n" });
        }
        v.push(log);
    }
    v
}

#[test]
fn fast_skip_gives_the_same_report() {
    let mut rng = Rng(7);
    for input in long_logs(&mut rng) {
        for cr in [false, true] {
            let full = Options {
                cr_newlines: cr,
                fast_skip: false,
                ..Options::default()
            };
            let fast = Options {
                cr_newlines: cr,
                ..Options::default()
            };
            let mut p = Parser::new(full.clone());
            p.feed(&input);
            let want = p.finish();
            assert_eq!(chunked(&input, &mut rng, &full), want);
            let mut p = Parser::new(fast.clone());
            p.feed(&input);
            assert_eq!(p.finish(), want, "{}", String::from_utf8_lossy(&input));
            for _ in 0..3 {
                assert_eq!(chunked(&input, &mut rng, &fast), want);
            }
        }
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = Rng(42);
    let alphabet: &[u8] = b"\n\r\t \x1b[]0123456789:;.,/()<>_-=#!*abcdefgERRORFAILtest error failed panic \xe2\x9c\x97\xff\xc3";
    for round in 0..300 {
        let len = rng.below(4000);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if round % 3 == 0 {
                    rng.next() as u8
                } else {
                    alphabet[rng.below(alphabet.len())]
                }
            })
            .collect();
        let r = parse_bytes(&bytes);
        assert_eq!(r.bytes, bytes.len() as u64);
        for f in &r.failures {
            assert!(f.excerpt.start_line >= 1 && f.excerpt.end_line >= f.excerpt.start_line);
            assert!(f.excerpt.end_line - f.excerpt.start_line < 50);
            assert!(f.excerpt.end_line <= r.lines.max(1));
        }
        let _ = chunked(&bytes, &mut rng, &Options::default());
    }
    assert_eq!(parse_bytes(b"").failures.len(), 0);
    assert_eq!(parse_bytes(b"").lines, 0);
}

#[test]
fn huge_line_is_capped() {
    let mut big = vec![b'x'; 3 << 20];
    big.extend_from_slice(b" error: too long\nnext\n");
    let r = parse_bytes(&big);
    assert_eq!(r.lines, 2);
    assert!(r.failures.iter().all(|f| f.excerpt.text.len() < 64 * 1024));
}

#[test]
fn signatures_ignore_run_noise() {
    let a = signature(
        "timeout after 12.5s waiting for 0x7ffc53357450 in /tmp/tmp.7muyWDlizz/sock at 2026-06-21T05:34:54Z id 123e4567-e89b-12d3-a456-426614174000",
    );
    let b = signature(
        "timeout after 3s waiting for 0x55d0aa01 in /tmp/pytest-of-runner/pytest-7/sock at 2026-07-01T01:02:03Z id 00000000-1111-2222-3333-444444444444",
    );
    assert_eq!(a, b);
    assert_eq!(
        signature("expected 3 items, got 4"),
        signature("expected 10 items, got 12")
    );
    assert_ne!(
        signature("expected 3 items, got 4"),
        signature("expected 3 users, got 4")
    );
    assert_ne!(
        signature("connection refused"),
        signature("connection reset")
    );
}

#[test]
fn same_failure_two_runs_same_signature() {
    let run1 = b"---- t::a stdout ----\nthread 't::a' panicked at src/lib.rs:10:5:\nvalue was 17 at 0xdeadbeef1\n\nfailures:\n";
    let run2 = b"---- t::a stdout ----\nthread 't::a' panicked at src/lib.rs:10:5:\nvalue was 23 at 0x12345678a\n\nfailures:\n";
    let a = parse_bytes(run1);
    let b = parse_bytes(run2);
    assert_eq!(a.failures[0].signature, b.failures[0].signature);
}
