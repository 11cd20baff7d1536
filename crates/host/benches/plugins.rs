//! What loading and calling a plugin costs.
//!
//! - `load/NAME/cold`: compile a built-in (`CIFIX_CACHE_DIR` pointed at a
//!   fresh, empty folder each iteration, so nothing is cached);
//! - `load/NAME/cached`: the same load with the compiled component on disk;
//! - `instantiate/NAME`: a fresh store and instance from a loaded component
//!   (what a session does before its first call);
//! - `first-call/log-parser`: cached load + session + one parse of an empty
//!   input, end to end;
//! - `host-call/input.name/N`: the `hostile-parser` fixture calls the
//!   host's `input.name()` N times; (N=100000 − N=0) / 100000 is the cost of
//!   one empty host call, printed at the end.
//!
//! `cargo bench -p cifix-host --bench plugins`

#[path = "../../../tests/support/fixtures.rs"]
mod fixtures;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cifix_host::capabilities::input::Input;
use cifix_host::sandbox::host::bindings::{log_parser::LogParserPre, strategy::StrategyPre};
use cifix_host::sandbox::host::{HostConfig, HostState};
use cifix_host::sandbox::{self, BUILTINS, Limits, ParserSession, Source, World, cache, engine};
use criterion::{BatchSize, Criterion, criterion_group};
use sha2::{Digest, Sha256};
use wasmtime::Store;
use wasmtime::component::{HasSelf, InstancePre, Linker};

/// Calls made by the host-call benchmark.
const CALLS: u64 = 100_000;

fn set_cache_dir(dir: &Path) {
    // SAFETY: benchmarks run on one thread; nothing else reads the
    // environment while it changes.
    unsafe { std::env::set_var("CIFIX_CACHE_DIR", dir) };
}

fn hostile_parser() -> PathBuf {
    fixtures::plugin("hostile_parser")
}

fn instance_pre(bytes: &[u8], world: World) -> InstancePre<HostState> {
    let engine = engine::engine();
    let sha: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let (component, _) = cache::compile(engine, bytes, &sha).expect("compile");
    let mut linker: Linker<HostState> = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    match world {
        World::LogParser => cifix_host::sandbox::host::bindings::log_parser::LogParser::add_to_linker::<
            _,
            HasSelf<_>,
        >(&mut linker, |s| s)
        .unwrap(),
        World::Strategy => cifix_host::sandbox::host::bindings::strategy::Strategy::add_to_linker::<
            _,
            HasSelf<_>,
        >(&mut linker, |s| s)
        .unwrap(),
    }
    linker.instantiate_pre(&component).unwrap()
}

fn instantiate(pre: &InstancePre<HostState>, world: World, name: &str) {
    let limits = Limits::default();
    let mut store = Store::new(
        engine::engine(),
        HostState::new(name, HostConfig::default(), limits.memory, limits.stdio),
    );
    store.limiter(|s| &mut s.memory);
    store.set_epoch_deadline(engine::ticks(limits.deadline));
    match world {
        World::LogParser => drop(std::hint::black_box(
            LogParserPre::new(pre.clone())
                .unwrap()
                .instantiate(&mut store)
                .unwrap(),
        )),
        World::Strategy => drop(std::hint::black_box(
            StrategyPre::new(pre.clone())
                .unwrap()
                .instantiate(&mut store)
                .unwrap(),
        )),
    }
}

fn loads(c: &mut Criterion) {
    let warm = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("load");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15));
    for (name, bytes) in BUILTINS {
        g.bench_function(format!("{name}/cold"), |b| {
            b.iter_batched(
                || {
                    let d = tempfile::tempdir().unwrap();
                    set_cache_dir(d.path());
                    d
                },
                |d| {
                    let p = sandbox::load_bytes(name, bytes, Source::Builtin).unwrap();
                    assert_eq!(p.origin, cache::Origin::Compiled);
                    (p, d)
                },
                BatchSize::PerIteration,
            )
        });
        set_cache_dir(warm.path());
        sandbox::load_bytes(name, bytes, Source::Builtin).unwrap();
        g.bench_function(format!("{name}/cached"), |b| {
            b.iter(|| {
                let p = sandbox::load_bytes(name, bytes, Source::Builtin).unwrap();
                assert_eq!(p.origin, cache::Origin::Cached);
                p
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("instantiate");
    for (name, bytes) in BUILTINS {
        let world = sandbox::load_bytes(name, bytes, Source::Builtin)
            .unwrap()
            .manifest
            .world;
        let pre = instance_pre(bytes, world);
        g.bench_function(*name, |b| b.iter(|| instantiate(&pre, world, name)));
    }
    g.finish();

    let mut g = c.benchmark_group("first-call");
    g.bench_function("log-parser", |b| {
        b.iter(|| {
            let p = sandbox::load("log-parser").unwrap();
            let mut s = ParserSession::open(&p, Limits::default()).unwrap();
            s.parse(Input::new("empty", Cursor::new(Vec::new())))
                .unwrap()
        })
    });
    g.finish();
}

fn host_calls(c: &mut Criterion) {
    let p = sandbox::load_path(&hostile_parser()).unwrap();
    let mut session = ParserSession::open(&p, Limits::default()).unwrap();
    let mut run = |n: u64| {
        let r = session
            .parse(Input::new(
                "bench",
                Cursor::new(format!("calls {n}\n").into_bytes()),
            ))
            .unwrap();
        assert_eq!(r.0.format, "calls");
    };
    let mut g = c.benchmark_group("host-call");
    g.sample_size(20);
    for n in [0, CALLS] {
        g.bench_function(format!("input.name/{n}"), |b| b.iter(|| run(n)));
    }
    g.finish();
    // The derived figure, from interleaved runs.
    let (mut zero, mut many) = (Vec::new(), Vec::new());
    for _ in 0..21 {
        let t = Instant::now();
        run(0);
        zero.push(t.elapsed());
        let t = Instant::now();
        run(CALLS);
        many.push(t.elapsed());
    }
    let (z, m) = (median(&mut zero), median(&mut many));
    let per_call = (m.as_nanos() as f64 - z.as_nanos() as f64) / CALLS as f64;
    println!(
        "host-call summary: parse call with 0 host calls {:.1} µs, with {CALLS} calls {:.2} ms (medians of 21) => {per_call:.1} ns per empty host call",
        z.as_secs_f64() * 1e6,
        m.as_secs_f64() * 1e3
    );
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

criterion_group!(benches, loads, host_calls);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
