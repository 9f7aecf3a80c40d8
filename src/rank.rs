//! Ranking units at year end: competition ranks (1, 2, 2, 4) on an exact ratio, the
//! bottom N flagged for the bad-record list (every unit tied at the cut is flagged),
//! and the top N noted.

use std::cmp::Ordering;

/// A ratio kept exact so that equal rates really tie (no float noise).
#[derive(Debug, Clone, Copy)]
pub struct Ratio {
    pub num: u64,
    pub den: u64,
}

impl Ratio {
    /// As a fraction; a zero denominator counts as complete (nothing was asked).
    pub fn value(self) -> f64 {
        if self.den == 0 {
            1.0
        } else {
            self.num as f64 / self.den as f64
        }
    }

    fn cmp_exact(self, other: Ratio) -> Ordering {
        let norm = |r: Ratio| if r.den == 0 { (1u128, 1u128) } else { (r.num as u128, r.den as u128) };
        let (a, b) = (norm(self), norm(other));
        (a.0 * b.1).cmp(&(b.0 * a.1))
    }
}

impl PartialEq for Ratio {
    fn eq(&self, other: &Self) -> bool {
        self.cmp_exact(*other) == Ordering::Equal
    }
}

/// Where a unit stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// 1 = best; tied units share a rank.
    pub rank: usize,
    /// Among the bottom N (ties at the cut included).
    pub bottom: bool,
    /// Among the top N (ties at the cut included).
    pub top: bool,
}

/// Rank `keys` (higher is better). Returns one standing per key, in input order.
pub fn rank(keys: &[Ratio], bottom_n: usize, top_n: usize) -> Vec<Standing> {
    let mut sorted: Vec<Ratio> = keys.to_vec();
    sorted.sort_by(|a, b| b.cmp_exact(*a));
    let n = keys.len();
    keys.iter()
        .map(|k| {
            let better = sorted.iter().filter(|s| s.cmp_exact(*k) == Ordering::Greater).count();
            // The N-th lowest and N-th highest values mark the cuts; ties with them are inside.
            let bottom = bottom_n > 0 && n > 0 && k.cmp_exact(sorted[n - bottom_n.min(n)]) != Ordering::Greater;
            let top = top_n > 0 && n > 0 && k.cmp_exact(sorted[top_n.min(n) - 1]) != Ordering::Less;
            Standing { rank: better + 1, bottom, top }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(num: u64, den: u64) -> Ratio {
        Ratio { num, den }
    }

    #[test]
    fn ties_share_ranks_and_straddle_the_cut() {
        // 90%, 80%, 80% (4/5 = 8/10, exactly equal), 70%, 60%
        let keys = [r(9, 10), r(4, 5), r(8, 10), r(7, 10), r(6, 10)];
        let s = rank(&keys, 3, 1);
        let ranks: Vec<usize> = s.iter().map(|s| s.rank).collect();
        assert_eq!(ranks, vec![1, 2, 2, 4, 5]);
        // Bottom three is 60%, 70% and 80% — and 80% is tied, so both 80% units are flagged.
        let bottom: Vec<bool> = s.iter().map(|s| s.bottom).collect();
        assert_eq!(bottom, vec![false, true, true, true, true]);
        assert!(s[0].top && !s[1].top);
    }
}
