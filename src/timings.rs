//! Wall time per pipeline stage, summed over programmes and printed by `run --timings`
//! (the benchmark script reads these lines). Stages overlap nowhere: each is timed
//! around the code that does it, on the thread that waits for it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The stages the benchmark reports, in pipeline order.
pub const STAGES: [&str; 6] = ["startup", "ingest+validate", "metrics", "scoring", "rendering", "writing"];

static TOTALS: Mutex<[Duration; 6]> = Mutex::new([Duration::ZERO; 6]);

/// Run `f`, adding its wall time to `stage`.
pub fn timed<T>(stage: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    add(stage, start.elapsed());
    out
}

/// Add `d` to `stage`.
pub fn add(stage: &str, d: Duration) {
    let i = STAGES.iter().position(|s| *s == stage).expect("known stage");
    TOTALS.lock().expect("timings lock")[i] += d;
}

/// (stage, seconds) for every stage.
pub fn report() -> Vec<(&'static str, f64)> {
    let totals = TOTALS.lock().expect("timings lock");
    STAGES.iter().zip(totals.iter()).map(|(s, d)| (*s, d.as_secs_f64())).collect()
}
