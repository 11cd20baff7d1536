//! Properties of the parser core, checked with proptest: no input makes it
//! panic or give a malformed excerpt, cutting the input into chunks does not
//! change the report, and neither does the fast path.

use cifix_logparse::{Options, Parser, Report, parse_bytes, signature};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Feed `input` in chunks whose sizes cycle through `cuts`.
fn chunked(input: &[u8], cuts: &[usize], opts: &Options) -> Report {
    let mut p = Parser::new(opts.clone());
    let mut i = 0;
    for &n in cuts.iter().cycle() {
        if i >= input.len() {
            break;
        }
        let j = (i + n).min(input.len());
        p.feed(&input[i..j]);
        i = j;
    }
    p.finish()
}

fn whole(input: &[u8], opts: &Options) -> Report {
    let mut p = Parser::new(opts.clone());
    p.feed(input);
    p.finish()
}

/// The fixture logs, plus CRLF, lone-CR progress lines, ANSI and
/// multi-byte text.
fn fixtures() -> Vec<Vec<u8>> {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut v: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    v.push(b"progress 10%\rprogress 100%\r\nerror: \xe2\x9c\x97 broke \x1b[31mhere\x1b[0m\r\n\xff\xfe tail".to_vec());
    v
}

/// Lines that do not matter, as most of a log.
const NOISE: &[&[u8]] = &[b"test a::b ... ok", b"  collecting words here", b"", b"   "];

/// Lines that matter to the parser in one way or another.
const SIGNAL: &[&[u8]] = &[
    b"error: something broke",
    b"src/lib.rs:12:5: expected x",
    b"1) Suite does a thing",
    b"$ make test",
    b"##[group]Run cargo test",
    b"##[endgroup]",
    b"##[error]Process completed with exit code 1.",
    b"::error file=a.py,line=3::boom",
    b"ok  \tgithub.com/o/r/pkg\t0.01s",
    b"travis_time:end:0a1b:start=1,finish=2,duration=1",
    b"/home/runner/work/x/y.js",
    b"lonelyword",
    b"\x1b[31mred\x1b[0m words",
    b"tab\tseparated words",
    b"progress 10%\rprogress 100%",
    b"FAIL\tgithub.com/o/r/pkg\t0.01s",
    b"--- FAIL: TestX (0.00s)",
    b"    x_test.go:12: want 1, got 2",
    b"thread 'a::b' panicked at src/lib.rs:3:5:",
    b"The command \"make\" exited with 2.",
    b"The following tests FAILED:",
    b"<testsuite name=\"x\" failures=\"1\">",
    b"travis_time:start:0a1b",
    b"[info] compiling 3 files",
    b"\xc2\xa0$ indented by a no-break space",
    b"    at Object.<anonymous> (src/a.test.js:3:7)",
    b"E       assert 1 == 2",
    b"Failures:",
    b"\xff\xfe broken utf-8",
];

/// One log line: mostly noise, sometimes signal or random bytes, with or
/// without a GitHub timestamp, ended by `\n`, `\r\n` or `\r`.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let text = prop_oneof![
        8 => select(NOISE).prop_map(<[u8]>::to_vec),
        3 => select(SIGNAL).prop_map(<[u8]>::to_vec),
        1 => vec(any::<u8>(), 0..60),
    ];
    let end = prop_oneof![18 => Just(&b"\n"[..]), 1 => Just(&b"\r\n"[..]), 1 => Just(&b"\r"[..])];
    (any::<bool>(), text, end).prop_map(|(ts, text, end)| {
        let mut l = Vec::new();
        if ts {
            l.extend_from_slice(b"2026-06-21T05:34:54.5273610Z ");
        }
        l.extend_from_slice(&text);
        l.extend_from_slice(end);
        l
    })
}

fn log(lines: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
    vec(line(), lines).prop_map(|ls| ls.concat())
}

/// Chunk sizes: many tiny ones (lines and UTF-8 split anywhere) and some big.
fn cuts() -> impl Strategy<Value = Vec<usize>> {
    vec(prop_oneof![1usize..4, 1usize..300, 1000usize..5000], 1..16)
}

/// More lines than the format sniffing window, so the fast path engages.
fn noise_prefix() -> Vec<u8> {
    (0..250)
        .flat_map(|i| {
            format!("2026-06-21T05:34:54.{i:07}Z test mod_{i}::case ... ok\n").into_bytes()
        })
        .collect()
}

fn check_excerpts(r: &Report, len: usize) {
    assert_eq!(r.bytes, len as u64);
    for f in &r.failures {
        assert!(f.excerpt.start_line >= 1 && f.excerpt.end_line >= f.excerpt.start_line);
        assert!(f.excerpt.end_line - f.excerpt.start_line < 50);
        assert!(f.excerpt.end_line <= r.lines.max(1));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..4096), cuts in cuts()) {
        check_excerpts(&parse_bytes(&bytes), bytes.len());
        chunked(&bytes, &cuts, &Options::default());
    }

    #[test]
    fn log_like_input_gives_sane_excerpts(input in log(0..600)) {
        check_excerpts(&parse_bytes(&input), input.len());
    }

    #[test]
    fn chunking_does_not_change_the_report(
        input in log(0..400),
        cuts in cuts(),
        cr_newlines in any::<bool>(),
    ) {
        let opts = Options { cr_newlines, ..Options::default() };
        prop_assert_eq!(chunked(&input, &cuts, &opts), whole(&input, &opts));
    }

    #[test]
    fn fast_skip_does_not_change_the_report(
        body in log(0..1500),
        cuts in cuts(),
        cr_newlines in any::<bool>(),
    ) {
        let mut input = noise_prefix();
        input.extend_from_slice(&body);
        let full = Options { cr_newlines, fast_skip: false, ..Options::default() };
        let fast = Options { cr_newlines, ..Options::default() };
        let want = whole(&input, &full);
        prop_assert_eq!(&whole(&input, &fast), &want);
        prop_assert_eq!(&chunked(&input, &cuts, &fast), &want);
    }
}

#[test]
fn fixtures_give_the_same_report_in_chunks_and_on_the_fast_path() {
    for f in fixtures() {
        let mut long = noise_prefix();
        long.extend_from_slice(&f);
        long.extend_from_slice(&noise_prefix());
        for cr_newlines in [false, true] {
            let full = Options {
                cr_newlines,
                fast_skip: false,
                ..Options::default()
            };
            let fast = Options {
                cr_newlines,
                ..Options::default()
            };
            for input in [&f, &long] {
                let want = whole(input, &full);
                for cuts in [&[1][..], &[3, 1, 7], &[64], &[4096], &[1 << 20]] {
                    assert_eq!(chunked(input, cuts, &full), want);
                    assert_eq!(chunked(input, cuts, &fast), want);
                }
            }
        }
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
