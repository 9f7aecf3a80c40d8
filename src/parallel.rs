//! Our parallel work, at one level: independent items — a dataset's files, a programme's
//! units, its documents — each handled on one of `jobs` plain threads, results in input
//! order. Work asked for inside an item runs in that item's thread: whichever level is
//! reached first (a province's programmes, or one district's files) is the parallel one.
//!
//! Not rayon's pool, on purpose: polars and typst run their own parallel work on rayon
//! pools, and a rayon worker that waits for them runs other queued items on top of its
//! own stack (a province run of 100 programmes overflowed it). A plain thread just waits.

use std::sync::atomic::{AtomicUsize, Ordering};

thread_local! {
    /// Set on the threads [`map`] starts: work asked for there runs in place.
    static WORKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `--jobs`: 0 until set, then the number of threads.
static JOBS: AtomicUsize = AtomicUsize::new(0);

/// Set the number of threads (`--jobs`); unset, one per core.
pub fn set_jobs(jobs: usize) {
    JOBS.store(jobs.max(1), Ordering::Relaxed);
}

/// The number of threads work is spread over.
pub fn jobs() -> usize {
    match JOBS.load(Ordering::Relaxed) {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// `f` of every item, side by side, in the items' order. A panic in `f` is resumed here.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = jobs().min(items.len());
    if workers <= 1 || WORKER.with(|w| w.get()) {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    WORKER.with(|w| w.set(true));
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    });
    let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    for (i, r) in done.into_iter().flatten() {
        out[i] = Some(r);
    }
    out.into_iter().map(|r| r.expect("every item is handled once")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<usize> = (0..1000).collect();
        assert_eq!(map(&items, |i| i * 2), (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(map(&[] as &[usize], |i| *i), Vec::<usize>::new());
    }

    #[test]
    fn work_inside_an_item_runs_in_its_thread() {
        set_jobs(2);
        let outer: Vec<usize> = (0..4).collect();
        let threads = map(&outer, |_| {
            let me = std::thread::current().id();
            map(&[0, 1, 2, 3], |_| std::thread::current().id() == me).into_iter().all(|same| same)
        });
        assert_eq!(threads, vec![true; 4]);
    }
}
