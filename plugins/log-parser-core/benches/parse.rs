//! Throughput of the parser on a synthetic GitHub Actions log.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn synth(target: usize) -> Vec<u8> {
    let mut s = String::with_capacity(target + 4096);
    s.push('\u{feff}');
    let mut i = 0u64;
    s.push_str("2026-06-21T05:34:50.0000000Z ##[group]Run cargo test --workspace\n");
    while s.len() < target {
        let ts = format!(
            "2026-06-21T05:{:02}:{:02}.{:07}Z ",
            (i / 60000) % 60,
            (i / 1000) % 60,
            i % 10_000_000
        );
        match i % 1000 {
            500 if i % 100_000 == 500 => {
                s.push_str(&ts);
                s.push_str(&format!("---- tests::case_{i} stdout ----\n"));
                s.push_str(&ts);
                s.push_str(&format!(
                    "thread 'tests::case_{i}' panicked at src/lib.rs:{}:9:\n",
                    i % 400
                ));
                s.push_str(&ts);
                s.push_str("assertion `left == right` failed\n");
            }
            7 => {
                s.push_str(&ts);
                s.push_str("\x1b[32m   Compiling\x1b[0m some-crate v0.1.0\n");
            }
            _ => {
                s.push_str(&ts);
                s.push_str(&format!("test module_{}::tests::case_{i} ... ok\n", i % 97));
            }
        }
        i += 1;
    }
    s.push_str("2026-06-21T05:59:59.0000000Z ##[error]Process completed with exit code 101.\n");
    s.into_bytes()
}

fn bench(c: &mut Criterion) {
    let data = synth(32 << 20);
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    g.bench_function("github_actions_32MiB", |b| {
        b.iter(|| {
            let mut p = cifix_logparse::Parser::new(cifix_logparse::Options::default());
            for chunk in data.chunks(64 * 1024) {
                p.feed(black_box(chunk));
            }
            black_box(p.finish())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
