//! Every supported framework and compiler on a fixture of its own: the
//! failing tests found must be exactly the expected ones (precision and
//! recall 1.0), with the expected kind, location and rerun command.

use cifix_logparse::{Kind, Report, parse_bytes};
use std::collections::BTreeSet;

struct Want {
    fixture: &'static str,
    tests: &'static [&'static str],
    kind: Kind,
    framework: &'static str,
    file_suffix: Option<&'static str>,
    line: Option<u32>,
    rerun: Option<&'static str>,
}

fn load(name: &str) -> Vec<u8> {
    let p = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

fn failing_tests(r: &Report) -> BTreeSet<String> {
    r.failures.iter().filter_map(|f| f.test.clone()).collect()
}

const WANT: &[Want] = &[
    Want {
        fixture: "pytest.log",
        tests: &[
            "tests/test_cart.py::test_add_twice",
            "tests/test_prices.py::test_discount[summer-0.15]",
        ],
        kind: Kind::TestFailure,
        framework: "pytest",
        file_suffix: Some("tests/test_cart.py"),
        line: Some(31),
        rerun: Some("pytest tests/test_cart.py::test_add_twice"),
    },
    Want {
        fixture: "unittest.log",
        tests: &["tests.test_parser.ParserTest.test_parse_nested"],
        kind: Kind::TestFailure,
        framework: "unittest",
        file_suffix: Some("tests/test_parser.py"),
        line: Some(44),
        rerun: Some("python -m unittest tests.test_parser.ParserTest.test_parse_nested"),
    },
    Want {
        fixture: "cargo-test.log",
        tests: &["money::tests::rounds_half_even"],
        kind: Kind::TestFailure,
        framework: "cargo-test",
        file_suffix: Some("core/src/money.rs"),
        line: Some(88),
        rerun: Some("cargo test -p ledger-core money::tests::rounds_half_even -- --exact"),
    },
    Want {
        fixture: "nextest.log",
        tests: &["money::tests::rounds_half_even"],
        kind: Kind::TestFailure,
        framework: "cargo-nextest",
        file_suffix: Some("core/src/money.rs"),
        line: Some(88),
        rerun: Some("cargo nextest run -p ledger-core -E 'test(=money::tests::rounds_half_even)'"),
    },
    Want {
        fixture: "go-test.log",
        tests: &["TestRoundTrip"],
        kind: Kind::TestFailure,
        framework: "go-test",
        file_suffix: Some("codec_test.go"),
        line: Some(57),
        rerun: Some("go test ./codec -run '^TestRoundTrip$'"),
    },
    Want {
        fixture: "jest.log",
        tests: &["Cart \u{203a} adds an item twice"],
        kind: Kind::TestFailure,
        framework: "jest",
        file_suffix: Some("src/cart/cart.test.js"),
        line: Some(24),
        rerun: Some("npx jest src/cart/cart.test.js -t \"Cart adds an item twice\""),
    },
    Want {
        fixture: "vitest.log",
        tests: &["Cart > adds an item twice"],
        kind: Kind::TestFailure,
        framework: "vitest",
        file_suffix: Some("src/cart.test.ts"),
        line: Some(24),
        rerun: Some("npx vitest run src/cart.test.ts -t \"Cart adds an item twice\""),
    },
    Want {
        fixture: "mocha.log",
        tests: &["Router extracts named params"],
        kind: Kind::TestFailure,
        framework: "mocha",
        file_suffix: Some("test/router.test.js"),
        line: Some(41),
        rerun: Some("npx mocha --grep \"Router extracts named params\""),
    },
    Want {
        fixture: "surefire.log",
        tests: &["com.acme.billing.InvoiceTest.totalIncludesTax"],
        kind: Kind::TestFailure,
        framework: "surefire",
        file_suffix: Some("InvoiceTest.java"),
        line: Some(42),
        rerun: Some("mvn test -Dtest='InvoiceTest#totalIncludesTax'"),
    },
    Want {
        fixture: "gradle.log",
        tests: &["com.acme.billing.InvoiceTest.totalIncludesTax"],
        kind: Kind::TestFailure,
        framework: "gradle",
        file_suffix: Some("InvoiceTest.java"),
        line: Some(42),
        rerun: Some("gradle test --tests com.acme.billing.InvoiceTest.totalIncludesTax"),
    },
    Want {
        fixture: "gtest.log",
        tests: &["Polygon.Perimeter"],
        kind: Kind::TestFailure,
        framework: "gtest",
        file_suffix: Some("test/polygon_test.cc"),
        line: Some(27),
        rerun: Some("./build/geometry_test --gtest_filter=Polygon.Perimeter"),
    },
    Want {
        fixture: "ctest.log",
        tests: &["polygon_perimeter"],
        kind: Kind::TestFailure,
        framework: "ctest",
        file_suffix: None,
        line: None,
        rerun: Some("ctest -R '^polygon_perimeter$' --output-on-failure"),
    },
    Want {
        fixture: "rspec.log",
        tests: &["Invoice#total includes tax"],
        kind: Kind::TestFailure,
        framework: "rspec",
        file_suffix: Some("spec/models/invoice_spec.rb"),
        line: Some(18),
        rerun: Some("bundle exec rspec ./spec/models/invoice_spec.rb:15"),
    },
    Want {
        fixture: "minitest.log",
        tests: &["InvoiceTest#test_total_includes_tax"],
        kind: Kind::TestFailure,
        framework: "minitest",
        file_suffix: Some("test/invoice_test.rb"),
        line: Some(12),
        rerun: Some("ruby -Itest test/invoice_test.rb -n test_total_includes_tax"),
    },
    Want {
        fixture: "phpunit.log",
        tests: &["App\\Tests\\InvoiceTest::testTotalIncludesTax"],
        kind: Kind::TestFailure,
        framework: "phpunit",
        file_suffix: Some("tests/InvoiceTest.php"),
        line: Some(21),
        rerun: Some("vendor/bin/phpunit --filter InvoiceTest::testTotalIncludesTax"),
    },
    Want {
        fixture: "dotnet-test.log",
        tests: &["Billing.Tests.InvoiceTests.TotalIncludesTax"],
        kind: Kind::TestFailure,
        framework: "dotnet-test",
        file_suffix: Some("tests/InvoiceTests.cs"),
        line: Some(17),
        rerun: Some(
            "dotnet test --filter FullyQualifiedName=Billing.Tests.InvoiceTests.TotalIncludesTax",
        ),
    },
    Want {
        fixture: "junit.xml",
        tests: &["com.acme.billing.InvoiceTest.totalIncludesTax"],
        kind: Kind::TestFailure,
        framework: "junit",
        file_suffix: None,
        line: None,
        rerun: None,
    },
    Want {
        fixture: "rustc.log",
        tests: &[],
        kind: Kind::CompileError,
        framework: "rustc",
        file_suffix: Some("core/src/money.rs"),
        line: Some(42),
        rerun: None,
    },
    Want {
        fixture: "gcc.log",
        tests: &[],
        kind: Kind::CompileError,
        framework: "gcc",
        file_suffix: Some("src/polygon.c"),
        line: Some(31),
        rerun: None,
    },
    Want {
        fixture: "tsc.log",
        tests: &[],
        kind: Kind::CompileError,
        framework: "tsc",
        file_suffix: Some("src/cart/cart.ts"),
        line: Some(14),
        rerun: None,
    },
    Want {
        fixture: "javac.log",
        tests: &[],
        kind: Kind::CompileError,
        framework: "javac",
        file_suffix: Some("com/acme/billing/Invoice.java"),
        line: Some(27),
        rerun: None,
    },
    Want {
        fixture: "go-build.log",
        tests: &[],
        kind: Kind::CompileError,
        framework: "go",
        file_suffix: Some("codec.go"),
        line: Some(88),
        rerun: None,
    },
];

#[test]
fn fixtures_match() {
    for w in WANT {
        let input = load(w.fixture);
        let r = parse_bytes(&input);
        let ctx = w.fixture;
        let want: BTreeSet<String> = w.tests.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            failing_tests(&r),
            want,
            "{ctx}: failing tests (precision/recall)"
        );
        let f = r
            .failures
            .first()
            .unwrap_or_else(|| panic!("{ctx}: no failure"));
        assert_eq!(f.kind, w.kind, "{ctx}: kind");
        assert_eq!(
            f.framework.as_deref(),
            Some(w.framework),
            "{ctx}: framework"
        );
        if let Some(t) = w.tests.first() {
            assert_eq!(f.test.as_deref(), Some(*t), "{ctx}: first test");
        }
        match w.file_suffix {
            Some(sfx) => assert!(
                f.file.as_deref().is_some_and(|x| x.ends_with(sfx)),
                "{ctx}: file {:?} should end with {sfx}",
                f.file
            ),
            None => assert!(f.file.is_none(), "{ctx}: file {:?}", f.file),
        }
        assert_eq!(f.line, w.line, "{ctx}: line");
        assert_eq!(f.rerun.as_deref(), w.rerun, "{ctx}: rerun");
        // excerpts are small and their text is the lines they name
        let lines: Vec<&str> = std::str::from_utf8(&input).unwrap().split('\n').collect();
        for f in &r.failures {
            let e = &f.excerpt;
            assert!(
                e.start_line >= 1 && e.start_line <= e.end_line,
                "{ctx}: {e:?}"
            );
            assert!(e.end_line - e.start_line < 50, "{ctx}: excerpt too long");
            let first = e.text.split('\n').next().unwrap_or("");
            assert_eq!(
                first.trim(),
                lines[e.start_line as usize - 1].trim(),
                "{ctx}: excerpt start"
            );
        }
        // ranked by score
        for p in r.failures.windows(2) {
            assert!(p[0].score >= p[1].score, "{ctx}: ranking");
        }
    }
}

#[test]
fn junit_format_detected() {
    let r = parse_bytes(&load("junit.xml"));
    assert_eq!(r.format, "junit-xml");
    assert_eq!(r.failures.len(), 1);
    assert_eq!(r.failures[0].message, "expected: <119.0> but was: <100.0>");
    assert_eq!(r.failures[0].excerpt.start_line, 5);
}
