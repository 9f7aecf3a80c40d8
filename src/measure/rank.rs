//! The one ranking rule, for every ranking kaohe publishes — a rubric's (totals), a
//! declared `rank` measure (values as published) and a view's remarks (its places):
//! competition ranks (1, 2, 2, 4), the bottom N flagged (for the bad-record list) and the
//! top N noted, every unit tied at a cut included. [`standings`] takes any ordered key.

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

/// Rank `keys` (higher is better; reverse them for lowest first): equal keys share a
/// place, and the N-th lowest and N-th highest keys mark the cuts, so every unit tied at
/// a cut is inside it. One standing per key, in input order.
pub fn standings<K: Ord>(keys: &[K], bottom_n: usize, top_n: usize) -> Vec<Standing> {
    let mut sorted: Vec<&K> = keys.iter().collect();
    sorted.sort_by(|a, b| b.cmp(a));
    let n = keys.len();
    keys.iter()
        .map(|k| {
            // Units ahead: the sorted keys before the first one not above k.
            let better = sorted.partition_point(|s| *s > k);
            let bottom = bottom_n > 0 && n > 0 && k <= sorted[n - bottom_n.min(n)];
            let top = top_n > 0 && n > 0 && k >= sorted[top_n.min(n) - 1];
            Standing { rank: better + 1, bottom, top }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_ranks_and_straddle_the_cut() {
        // 90%, 80%, 80%, 70%, 60%: bottom three is 60%, 70% and 80% — and 80% is tied, so
        // both 80% units are flagged.
        let s = standings(&[9000i64, 8000, 8000, 7000, 6000], 3, 1);
        assert_eq!(s.iter().map(|s| s.rank).collect::<Vec<_>>(), vec![1, 2, 2, 4, 5]);
        assert_eq!(s.iter().map(|s| s.bottom).collect::<Vec<_>>(), vec![false, true, true, true, true]);
        assert!(s[0].top && !s[1].top);
    }

    #[test]
    fn any_ordered_key_ranks_by_the_same_rule() {
        // Totals in hundredths: 99.5, 80, 99.5, 60, 60 → 1, 3, 1, 4, 4; bottom 1 takes both 60s.
        let s = standings(&[9950i64, 8000, 9950, 6000, 6000], 1, 1);
        let ranks: Vec<usize> = s.iter().map(|s| s.rank).collect();
        assert_eq!(ranks, vec![1, 3, 1, 4, 4]);
        assert_eq!(s.iter().map(|s| s.bottom).collect::<Vec<_>>(), vec![false, false, false, true, true]);
        assert_eq!(s.iter().map(|s| s.top).collect::<Vec<_>>(), vec![true, false, true, false, false]);
        assert!(standings::<i64>(&[], 3, 3).is_empty());
    }
}
