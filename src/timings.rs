//! Wall time per pipeline stage, printed by `run --timings` (the benchmark script reads
//! these lines). Programmes run side by side, so a stage's time is the wall time during
//! which at least one programme was in it — the union of its intervals, not their sum —
//! and the stages of a run can add up to more than its total.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The stages the benchmark reports, in pipeline order.
pub const STAGES: [&str; 6] = ["startup", "ingest+validate", "metrics", "scoring", "rendering", "writing"];

static INTERVALS: Mutex<Vec<(usize, Instant, Instant)>> = Mutex::new(Vec::new());

/// Run `f`, recording its interval under `stage`.
pub fn timed<T>(stage: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    add(stage, start.elapsed());
    out
}

/// Record that `stage` ran for `d`, ending now.
pub fn add(stage: &str, d: Duration) {
    let i = STAGES.iter().position(|s| *s == stage).expect("known stage");
    let end = Instant::now();
    INTERVALS.lock().expect("timings lock").push((i, end - d, end));
}

/// (stage, seconds) for every stage: the length of the union of its intervals.
pub fn report() -> Vec<(&'static str, f64)> {
    let intervals = INTERVALS.lock().expect("timings lock");
    STAGES
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let mut spans: Vec<(Instant, Instant)> =
                intervals.iter().filter(|(s, _, _)| *s == i).map(|(_, a, b)| (*a, *b)).collect();
            spans.sort();
            let mut total = Duration::ZERO;
            let mut current: Option<(Instant, Instant)> = None;
            for (a, b) in spans {
                current = match current {
                    Some((ca, cb)) if a <= cb => Some((ca, cb.max(b))),
                    Some((ca, cb)) => {
                        total += cb - ca;
                        Some((a, b))
                    }
                    None => Some((a, b)),
                };
            }
            if let Some((a, b)) = current {
                total += b - a;
            }
            (*stage, total.as_secs_f64())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_intervals_count_once() {
        let t0 = Instant::now();
        let s = |ms: u64| t0 + Duration::from_millis(ms);
        INTERVALS.lock().unwrap().extend([(5, s(0), s(100)), (5, s(50), s(150)), (5, s(200), s(250))]);
        let writing = report().into_iter().find(|(n, _)| *n == "writing").unwrap().1;
        assert!((writing - 0.2).abs() < 1e-9, "{writing}");
    }
}
