//! The process-wide wasmtime engine and its epoch ticker.

use std::sync::OnceLock;
use std::time::Duration;

use wasmtime::{Config, Engine};

/// One epoch tick; deadlines are counted in ticks.
pub const TICK: Duration = Duration::from_millis(10);

/// The engine, created on first use with the epoch ticker running.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut cfg = Config::new();
        cfg.wasm_component_model(true)
            .epoch_interruption(true)
            .max_wasm_stack(1 << 20);
        if std::env::var_os("CIFIX_WASM_PERFMAP").is_some() {
            // `perf record` can then name plugin functions (/tmp/perf-PID.map)
            cfg.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&cfg).expect("wasmtime engine configuration is valid");
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("cifix-epoch".into())
            .spawn(move || {
                while let Some(e) = weak.upgrade() {
                    e.increment_epoch();
                    drop(e);
                    std::thread::sleep(TICK);
                }
            })
            .expect("spawn the epoch thread");
        engine
    })
}

/// Ticks for a deadline, at least one.
pub fn ticks(d: Duration) -> u64 {
    (d.as_millis() / TICK.as_millis()).max(1) as u64 + 1
}
