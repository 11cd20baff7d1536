//! General rules: line numbering, step exits, warnings-as-errors, result
//! rows, hierarchical test names, lint totals.

use cifix_logparse::{Options, Parser, parse_bytes};

fn first(log: &str) -> (u64, u64, String) {
    let r = parse_bytes(log.as_bytes());
    let f = r.failures.first().expect("a failure");
    (f.excerpt.start_line, f.excerpt.end_line, f.message.clone())
}

#[test]
fn universal_newlines_by_default_crlf_is_one_break() {
    let log = b"a\r\nb\rc\nerror: broke\r\n";
    let r = parse_bytes(log);
    assert_eq!(r.lines, 4);
    assert_eq!(r.failures[0].excerpt.start_line, 4);
    // `\n`-only numbering stays available
    let mut p = Parser::new(Options {
        cr_newlines: false,
        ..Options::default()
    });
    p.feed(log);
    let r = p.finish();
    assert_eq!(r.lines, 3);
    assert_eq!(r.failures[0].excerpt.start_line, 3);
}

#[test]
fn multi_line_travis_command_marks_its_step_failed() {
    let log = "$ ./setup.sh\nerror: optional tool missing, continuing\n\
The command \"./setup.sh\" exited with 0.\n\
$ case \"$MODE\" in\n  a) make ;;\nesac\n\
Tests passed\n    queries:                     FAIL (0.12s)\n      expected: 3\n       but got: 4\n\
The command \"case \"$MODE\" in\n  a) make ;;\nesac\n\" exited with 1.\n";
    let (s, e, _) = first(log);
    assert!(s <= 8 && e >= 9, "{s}-{e}");
}

#[test]
fn warning_counts_when_treated_as_error() {
    let log = "[3 of 9] Compiling A ( src/A.hs )\n\nsrc/A.hs:94:10: Warning:\n    No explicit implementation for\n      `mappend'\n\n<no location info>:\nFailing due to -Werror.\n[4 of 9] Compiling B ( src/B.hs )\n";
    let (s, _, _) = first(log);
    assert_eq!(s, 3);
    // without -Werror a warning is no failure
    let r = parse_bytes(b"src/A.hs:94:10: Warning:\n    unused\n");
    assert!(r.failures.is_empty());
}

#[test]
fn subtest_beats_its_parent() {
    let log = "--- FAIL: TestSort (0.02s)\n    --- PASS: TestSort/a (0.00s)\n    --- FAIL: TestSort/b (0.00s)\n        sort_test.go:31: expected x but got y\n    --- PASS: TestSort/c (0.00s)\nFAIL\n";
    let r = parse_bytes(log.as_bytes());
    assert_eq!(r.failures[0].test.as_deref(), Some("TestSort/b"));
    assert_eq!(r.failures[0].excerpt.start_line, 3);
}

#[test]
fn level_prefixed_fail_row_with_detail() {
    let log = "[info] - parses x\n[info] - parses y *** FAILED ***\n[info]   3 did not equal 4 (ParserSpec.scala:12)\n[info] - parses z\n[error] Failed tests:\n[error] \tcom.example.ParserSpec\n";
    let (s, e, _) = first(log);
    assert_eq!((s, e), (2, 3));
}

#[test]
fn warning_only_lint_total_is_no_failure() {
    let log = "\u{2716} 2 problems (0 errors, 2 warnings)\n\nERROR: Detected 1 broken links.\n";
    let (s, _, _) = first(log);
    assert_eq!(s, 3);
}

#[test]
fn introducer_line_takes_its_message_and_cmake_block() {
    let (s, e, _) = first(
        "rake aborted!\nNo Rakefile found (looking for: rakefile)\n(See full trace by running task with --trace)\n",
    );
    assert_eq!(s, 1);
    assert!(e >= 2);
    let log = "-- Found X\nCMake Error at cmake/Deps.cmake:20 (message):\n  Could NOT find Foo\nCall Stack (most recent call first):\n  CMakeLists.txt:4 (include)\n\n-- Configuring incomplete, errors occurred!\n";
    let (s, e, _) = first(log);
    assert_eq!((s, e), (2, 5));
}

#[test]
fn shell_runtime_error_is_a_failure_even_without_an_exit_line() {
    let log = "$ ./ci/setup.sh\nDownloading toolchain\nsaved [100/100]\n\n\
./ci/setup.sh: line 42: cd: ./ci/tools: No such file or directory\n\n";
    let (s, e, m) = first(log);
    assert!(s <= 5 && e >= 5, "{s}-{e}");
    assert!(m.contains("No such file or directory"), "{m}");
    // a sentence that merely mentions a line number is not one
    let r = parse_bytes(b"see notes: line 4: all good\n");
    assert!(r.failures.is_empty());
}

#[test]
fn task_runner_clock_stamps_do_not_hide_task_errors() {
    let log = "$ npm test\n\n> gulp\n\n[02:22:53] Using gulpfile ~/proj/gulpfile.js\n\
[02:22:53] Task never defined: default\n\
[02:22:53] To list available tasks, try running: gulp --tasks\n\
npm ERR! Test failed.  See above for more details.\n\n\
The command \"npm test\" exited with 1.\n";
    let (s, e, m) = first(log);
    assert!(s <= 6 && e >= 6, "{s}-{e}");
    assert!(m.contains("Task never defined"), "{m}");
}

#[test]
fn minitest5_failure_block_outranks_its_rerun_line() {
    let log = "Run options: --seed 1\n\n# Running:\n\n..F.\n\nFailure:\n\
Shop::CartTest#test_totals_add_up [/src/test/cart_test.rb:41]:\n\
Expected 3 to equal 4.\n\n\
rails test test/cart_test.rb:38\n\n\
4 runs, 4 assertions, 1 failures, 0 errors, 0 skips\nrake aborted!\n";
    let r = parse_bytes(log.as_bytes());
    let f = r.failures.first().expect("a failure");
    assert_eq!(f.test.as_deref(), Some("Shop::CartTest#test_totals_add_up"));
    assert!(
        f.excerpt.start_line <= 8 && f.excerpt.end_line >= 9,
        "{}-{}",
        f.excerpt.start_line,
        f.excerpt.end_line
    );
}

#[test]
fn vader_failed_block_is_the_failure() {
    let log = "Starting Vader: 1 suite(s), 3 case(s)\n\
  Starting Vader: test/main.vader\n\
    (1/3) [EXECUTE] Error messages are shown\n\
    (2/3) [EXECUTE] (X) Vim(call):E121: Undefined variable: g:foo\n\
      > /tmp/vader/12, line 3\n\
    ( 3/3) [EXECUTE] Handles failed hooks\n\
  Success/Total: 2/3\n\
Success/Total: 2/3 (assertions: 4/4)\n\n\
The command \"test/run\" exited with 1.\n";
    let r = parse_bytes(log.as_bytes());
    let f = r.failures.first().expect("a failure");
    assert_eq!(f.framework.as_deref(), Some("vader"));
    assert!(
        f.excerpt.start_line <= 4 && f.excerpt.end_line >= 4,
        "{}-{}",
        f.excerpt.start_line,
        f.excerpt.end_line
    );
    assert!(f.message.contains("E121"), "{}", f.message);
    // passing steps whose titles say "error" or "failed" are not failures
    assert!(
        r.failures
            .iter()
            .all(|f| !f.message.contains("Error messages"))
    );
    assert!(
        r.failures
            .iter()
            .all(|f| !f.message.contains("failed hooks"))
    );
}

#[test]
fn commands_echoed_inside_a_travis_step_stay_that_step() {
    // yarn echoes the scripts it runs as `$ ...`: still the step's output
    let log = "travis_time:start:1a2b\n$ yarn test\nyarn run v1.3.2\n\
$ tsc -p src/\nsrc/a.ts(3,1): error TS2304: Cannot find name 'x'.\n\
error Command failed with exit code 2.\n$ node run-e2e\nE/launcher - Error: boom\n\
travis_time:end:1a2b:start=1,finish=2,duration=1\n\
The command \"yarn test\" exited with 1.\n";
    let r = parse_bytes(log.as_bytes());
    let f = r.failures.first().expect("a failure");
    assert_eq!(f.excerpt.start_line, 5);
    assert_eq!(f.step.as_deref(), Some("yarn test"));
}

#[test]
fn yarn_failure_line_shows_the_script_output_above() {
    let log = "$ prettier --list-different 'src/**/*.js'\n\nsrc/routes/about.js\n\n\
error Command failed with exit code 1.\n";
    let (s, e, _) = first(log);
    assert!(s <= 3 && e >= 5, "{s}-{e}");
}

#[test]
fn banners_and_passing_rows_are_no_failures() {
    // a banner of underscores is no pytest header; a passing row's title and
    // a denied error are no errors
    let log = " ______________________________...______\n...\n      \
'a.purs' should compile and run without error:        OK (0.31s)\n\
Build finished without errors\n";
    let r = parse_bytes(log.as_bytes());
    assert!(r.failures.is_empty(), "{:?}", r.failures);
}

#[test]
fn error_block_under_a_failed_row_is_its_detail() {
    let log = [
        "  compiler",
        "      'Lists.purs' should compile and run without error:    OK (0.02s)",
        "      'Coerce.purs' should compile and run without error:   FAIL (0.01s)",
        "        Error found:",
        "        in module Main",
        "          Module Safe.Coerce was not found.",
        "      'Maps.purs' should compile and run without error:     OK (0.02s)",
        "",
    ]
    .join("\n");
    let r = parse_bytes(log.as_bytes());
    let f = r.failures.first().expect("a failure");
    assert_eq!(
        f.test.as_deref(),
        Some("'Coerce.purs' should compile and run without error")
    );
    assert_eq!((f.excerpt.start_line, f.excerpt.end_line), (3, 6));
}

#[test]
fn prove_dubious_result_on_its_own_line() {
    let log = "[10:25:45] t3303-notes.sh .......... ok    10948 ms\n\
[10:25:48] t9806-options.sh .......... \n\
Dubious, test returned 1 (wstat 256, 0x100)\nFailed 1/5 subtests \n\
[10:25:55] t9164-dcommit.sh .......... ok    14283 ms\n\n\
Test Summary Report\n-------------------\n\
t9806-options.sh                 (Wstat: 256 Tests: 5 Failed: 1)\n  Failed test:  5\n\
Files=3, Tests=40, 80 wallclock secs\nResult: FAIL\n";
    let (s, e, _) = first(log);
    assert!(s <= 2 && e >= 3, "{s}-{e}");
}

#[test]
fn karma_browser_results() {
    let log = "Chrome 75.0.3770 (Linux 0.0.0) LOG: 'retrying after error'\n\
.......\n\
Chrome 75.0.3770 (Linux 0.0.0) Parser parses numbers FAILED\n\
\tExpected 3 to be 4.\n\t    at <Jasmine>\n\
Chrome 75.0.3770 (Linux 0.0.0): Executed 12 of 40 (1 FAILED) (0.2 secs / 0.1 secs)\n";
    let r = parse_bytes(log.as_bytes());
    let f = r.failures.first().expect("a failure");
    assert_eq!(f.framework.as_deref(), Some("karma"));
    assert_eq!(f.test.as_deref(), Some("Parser parses numbers"));
    assert_eq!((f.excerpt.start_line, f.excerpt.end_line), (3, 5));
    // a browser that went away
    let log = "IE 9.0.0 (Windows 7.0.0) ERROR\n  Disconnected, because no message in 30000 ms.\n\
IE 9.0.0 (Windows 7.0.0): Executed 50 of 220 DISCONNECTED (33.1 secs / 1.0 secs)\n";
    let (s, e, _) = first(log);
    assert_eq!((s, e), (1, 2));
}

#[test]
fn many_equal_failures_keep_the_first_ones() {
    let mut log = String::new();
    for i in 0..120 {
        log.push_str(&format!(
            "--- FAIL: TestCase{i} (0.00s)\n    case_test.go:{}: got 1, want 2\n",
            i + 1
        ));
    }
    let r = parse_bytes(log.as_bytes());
    assert_eq!(r.failures[0].test.as_deref(), Some("TestCase0"));
}
