//! The runner's overhead: `run_batch` on a trivial command against
//! `seq N | xargs -P P -I{} true`, in the same run. Criterion reports both
//! as runs per second; the README quotes the ratio of the medians.

use std::hint::black_box;
use std::process::Command;
use std::time::Duration;

use cifix_host::capabilities::process::{BatchSpec, Spec, run_batch};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const RUNS: u32 = 400;
const PARALLEL: u32 = 2;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let spec = BatchSpec {
        spec: Spec {
            program: "true".into(),
            args: vec![],
            cwd: String::new(),
            env: vec![],
            timeout: Duration::from_secs(10),
        },
        runs: RUNS,
        parallel: PARALLEL,
        budget: Duration::from_secs(600),
        expect: vec![],
        stop_after_failures: 0,
        stop_on_pass: false,
    };
    let mut g = c.benchmark_group("runner");
    g.throughput(Throughput::Elements(RUNS as u64))
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    g.bench_function("xargs", |b| {
        b.iter(|| {
            let st = Command::new("sh")
                .arg("-c")
                .arg(format!("seq {RUNS} | xargs -P {PARALLEL} -I{{}} true"))
                .status()
                .unwrap();
            assert!(st.success());
        })
    });
    g.bench_function("cifix_run_batch", |b| {
        b.iter(|| {
            let r = run_batch(dir.path(), &spec, &|_| {}).unwrap();
            assert_eq!(r.runs.len() as u32, RUNS);
            black_box(r)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
