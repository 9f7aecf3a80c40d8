//! Quota apportionment: base population × rate, made into whole persons.
//!
//! The seed's table preserves the district total to the person while rounding some
//! x.5 towns up and others down, which no per-row rule does; the default is therefore
//! the largest-remainder (Hamilton) method, top-down: district total → towns, each
//! town's whole quota → its villages. Ties between equal remainders go to the larger
//! base population, then to the unit listed first in the population file — a rule
//! that is documented, deterministic and stated in the report's note.
//! Half-up, floor and ceil round each unit on its own.
//! All arithmetic is on integers (rates in parts per million): no float drift.

use crate::programme::file::{Rate, Rounding};

/// Denominator of an exact quota computed from a [`Rate`].
pub const PPM: u128 = Rate::WHOLE as u128;

/// An exact quota as decimal text: 21055.5
pub fn exact_text(ppm: u128) -> String {
    let int = ppm / PPM;
    let frac = ppm % PPM;
    if frac == 0 {
        int.to_string()
    } else {
        format!("{int}.{}", format!("{frac:06}").trim_end_matches('0'))
    }
}

/// Round `num / den` by a per-row rule (largest remainder is not per-row; it is treated as half-up
/// only for the district total).
fn round_rule(num: u128, den: u128, rule: Rounding) -> u64 {
    let q = num / den;
    let r = num % den;
    (match rule {
        Rounding::Floor => q,
        Rounding::Ceil => q + (r > 0) as u128,
        Rounding::HalfUp | Rounding::LargestRemainder => q + (2 * r >= den) as u128,
    }) as u64
}

/// Largest-remainder apportionment of `target` persons over units whose exact shares are
/// `nums[i] / den`. Ties: larger `bases[i]` first, then lower index.
pub fn largest_remainder(nums: &[u128], den: u128, bases: &[u64], target: u64) -> Vec<u64> {
    let mut out: Vec<u64> = nums.iter().map(|n| (n / den) as u64).collect();
    let assigned: u64 = out.iter().sum();
    let mut left = target.saturating_sub(assigned) as usize;
    let mut order: Vec<usize> = (0..nums.len()).collect();
    order.sort_by(|&a, &b| (nums[b] % den).cmp(&(nums[a] % den)).then(bases[b].cmp(&bases[a])).then(a.cmp(&b)));
    for i in order {
        if left == 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// Whole quotas of units with these bases at these rates: largest remainder keeps the
/// total (the exact sum rounded half up) to the person; the other rules round each unit.
pub fn whole_quotas(bases: &[u64], rates: &[Rate], rounding: Rounding) -> Vec<u64> {
    let nums: Vec<u128> = bases.iter().zip(rates).map(|(&b, r)| b as u128 * r.0 as u128).collect();
    if rounding == Rounding::LargestRemainder {
        let target = round_rule(nums.iter().sum(), PPM, Rounding::HalfUp);
        largest_remainder(&nums, PPM, bases, target)
    } else {
        nums.iter().map(|&n| round_rule(n, PPM, rounding)).collect()
    }
}

/// Split a town's whole quota over its villages in proportion to their bases.
pub fn split_by_base(quota: u64, bases: &[u64]) -> Vec<u64> {
    let total: u64 = bases.iter().sum();
    if total == 0 {
        return vec![0; bases.len()];
    }
    let nums: Vec<u128> = bases.iter().map(|&b| quota as u128 * b as u128).collect();
    largest_remainder(&nums, total as u128, bases, quota)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hamilton_preserves_total_and_breaks_ties_by_base() {
        // Three units at 50%: 5 → 2.5, 7 → 3.5, 9 → 4.5; exact total 10.5 → 11 (half-up).
        let nums = [5 * 500_000u128, 7 * 500_000, 9 * 500_000];
        let got = largest_remainder(&nums, PPM, &[5, 7, 9], 11);
        assert_eq!(got, vec![2, 4, 5]); // the two larger bases win the tied .5 remainders
        assert_eq!(got.iter().sum::<u64>(), 11);
    }

    #[test]
    fn exact_text_trims() {
        assert_eq!(exact_text(42111 * 500_000), "21055.5");
        assert_eq!(exact_text(40120 * 200_000), "8024");
    }
}
