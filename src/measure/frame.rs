//! The measures of every level as polars frames: one frame per unit level, one row per
//! unit in the order `[units]` lists them, the level's key cells as real columns and one
//! Float64 column per measure. A dataset's group-by result is left-joined on the key
//! columns (a unit without rows gets its kind's value for none), and ratios, exprs, ranks
//! and the published rounding are polars expressions over the level's columns.
//!
//! Columns are named by kaohe (`k0`, `k1`… for the key cells; `m0`, `m1`… for measures):
//! a clerk's measure name may be anything, and must never be read as a polars pattern.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::programme::units::Level;

/// The frame column of the `i`-th key cell of a level.
pub fn key(i: usize) -> String {
    format!("k{i}")
}

/// One level's frame and how wide its key is.
struct LevelFrame {
    frame: DataFrame,
    width: usize,
    /// Each unit's key cells, in the frame's row order.
    units: Vec<Vec<String>>,
}

/// Every level's frame, and where each measure sits.
pub struct Frames {
    levels: BTreeMap<String, LevelFrame>,
    /// Measure name → (level, frame column).
    at: BTreeMap<String, (String, String)>,
    /// Columns made so far: the next one's number (a name claimed twice gets a new column).
    made: usize,
}

impl Frames {
    /// A frame of key columns per level, its units in the listed order.
    pub fn new(levels: &[Level]) -> PolarsResult<Frames> {
        let mut out = BTreeMap::new();
        for level in levels {
            let width = level.columns.len();
            let columns: Vec<Column> = (0..width)
                .map(|i| {
                    let cells: Vec<&str> = level.units.iter().map(|u| u[i].as_str()).collect();
                    Column::new(key(i).into(), cells)
                })
                .collect();
            let frame = DataFrame::new(level.units.len(), columns)?;
            out.insert(level.name.clone(), LevelFrame { frame, width, units: level.units.clone() });
        }
        Ok(Frames { levels: out, at: BTreeMap::new(), made: 0 })
    }

    /// The level a measure was computed at, once it has been.
    pub fn level_of(&self, measure: &str) -> Option<&str> {
        self.at.get(measure).map(|(level, _)| level.as_str())
    }

    /// How many key cells a level's units have.
    pub fn width(&self, level: &str) -> Option<usize> {
        self.levels.get(level).map(|l| l.width)
    }

    /// A level's units, each as its key cells, in row order.
    pub fn units(&self, level: &str) -> &[Vec<String>] {
        self.levels.get(level).map(|l| l.units.as_slice()).unwrap_or_default()
    }

    /// The expression reading a measure's column (in its level's frame).
    pub fn col(&self, measure: &str) -> Option<Expr> {
        self.at.get(measure).map(|(_, c)| col(c.as_str()))
    }

    /// A new column for `measure` at `level`.
    fn claim(&mut self, level: &str, measure: &str) -> String {
        let column = format!("m{}", self.made);
        self.made += 1;
        self.at.insert(measure.to_string(), (level.to_string(), column.clone()));
        column
    }

    /// `values` (the level's key columns `k0`… and one column `value`, at most one row per
    /// unit) left-joined as `measure`; a unit without a row gets `absent` (none: no value).
    pub fn join(&mut self, level: &str, measure: &str, values: DataFrame, absent: Option<f64>) -> PolarsResult<()> {
        let width = self.width(level).unwrap_or(0);
        let column = self.claim(level, measure);
        let keys: Vec<Expr> = (0..width).map(|i| col(key(i).as_str())).collect();
        let right = values.lazy().select(
            keys.iter()
                .cloned()
                .chain([col("value").cast(DataType::Float64).alias(column.as_str())])
                .collect::<Vec<_>>(),
        );
        let value = match absent {
            Some(a) => col(column.as_str()).fill_null(lit(a)),
            None => col(column.as_str()),
        };
        let level_frame = self.levels.get_mut(level).expect("a measure's level has a frame");
        // Left order kept: the units stay in the order [units] lists them.
        let args = JoinArgs { maintain_order: MaintainOrderJoin::Left, ..JoinArgs::new(JoinType::Left) };
        level_frame.frame = std::mem::take(&mut level_frame.frame)
            .lazy()
            .join(right, keys.clone(), keys, args)
            .with_column(value)
            .collect()?;
        Ok(())
    }

    /// `measure` at `level`, from an expression over the level's measure columns.
    pub fn derive(&mut self, level: &str, measure: &str, value: Expr) -> PolarsResult<()> {
        let column = self.claim(level, measure);
        let level_frame = self.levels.get_mut(level).expect("a measure's level has a frame");
        level_frame.frame = std::mem::take(&mut level_frame.frame)
            .lazy()
            .with_column(value.cast(DataType::Float64).alias(column.as_str()))
            .collect()?;
        Ok(())
    }

    /// `measure` at `level` from one value per unit, in row order (an apportionment).
    pub fn put(&mut self, level: &str, measure: &str, values: Vec<Option<f64>>) -> PolarsResult<()> {
        let column = self.claim(level, measure);
        let level_frame = self.levels.get_mut(level).expect("a measure's level has a frame");
        level_frame.frame.with_column(Column::new(column.into(), values))?;
        Ok(())
    }

    /// A measure's value per unit, in row order (none where the unit has none).
    pub fn values(&self, measure: &str) -> Vec<Option<f64>> {
        let Some((level, column)) = self.at.get(measure) else { return Vec::new() };
        let frame = &self.levels[level].frame;
        match frame.column(column).and_then(|c| c.f64().cloned()) {
            Ok(v) => v.iter().collect(),
            Err(_) => vec![None; frame.height()],
        }
    }

    /// Every measure of every unit, the published rounding applied (two decimals, half
    /// away from zero) to all but `unrounded`; null is no value, NaN is 不适用.
    pub fn finish(
        self,
        unrounded: &[&str],
    ) -> PolarsResult<(BTreeMap<String, BTreeMap<String, super::Metrics>>, BTreeMap<String, String>)> {
        let mut metrics = BTreeMap::new();
        for (level, level_frame) in &self.levels {
            let measures: Vec<(&String, &String)> =
                self.at.iter().filter(|(_, (l, _))| l == level).map(|(name, (_, c))| (name, c)).collect();
            let published: Vec<Expr> = measures
                .iter()
                .map(|(name, c)| match unrounded.contains(&name.as_str()) {
                    true => col(c.as_str()),
                    false => col(c.as_str()).round(2, RoundMode::HalfAwayFromZero),
                })
                .collect();
            let frame = level_frame.frame.clone().lazy().select(published).collect()?;
            let columns: Vec<Float64Chunked> =
                frame.columns().iter().map(|c| c.f64().cloned()).collect::<PolarsResult<_>>()?;
            let units: &mut BTreeMap<String, super::Metrics> = metrics.entry(level.clone()).or_default();
            for (i, unit) in level_frame.units.iter().enumerate() {
                let m = units.entry(crate::validate::dataset::unit_key(unit)).or_default();
                for ((name, _), values) in measures.iter().zip(&columns) {
                    if let Some(v) = values.get(i) {
                        m.insert((*name).clone(), v);
                    }
                }
            }
        }
        let level_of = self.at.into_iter().map(|(name, (level, _))| (name, level)).collect();
        Ok((metrics, level_of))
    }
}

/// Competition places (1, 2, 2, 4) of `value` on the value as published (hundredths):
/// what prints equal shares a place; highest first unless `ascending`. A unit without a
/// value, or 不适用, has no place. The one ranking rule ([`super::rank::standings`]).
pub fn places(value: Expr, ascending: bool) -> Expr {
    let hundredths = (value.clone() * lit(100.0)).round(0, RoundMode::HalfAwayFromZero);
    let hundredths = when(value.is_nan()).then(lit(NULL).cast(DataType::Float64)).otherwise(hundredths);
    hundredths.rank(RankOptions { method: RankMethod::Min, descending: !ascending }, None).cast(DataType::Float64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rank measure and a rubric's ranking follow one rule: polars' places equal
    /// [`super::super::rank::standings`] for values with ties, 不适用 and none.
    #[test]
    fn places_in_polars_are_the_one_ranking_rule() {
        let values = [Some(95.004), Some(80.0), Some(95.0), None, Some(f64::NAN), Some(60.0), Some(80.001), Some(0.0)];
        let frame = DataFrame::new(values.len(), vec![Column::new("v".into(), values.to_vec())]).unwrap();
        let placed = |ascending: bool| -> Vec<Option<f64>> {
            let out = frame.clone().lazy().select([places(col("v"), ascending).alias("p")]).collect().unwrap();
            out.column("p").unwrap().f64().unwrap().iter().collect()
        };
        for ascending in [false, true] {
            let got = placed(ascending);
            let ranked: Vec<i64> = values
                .iter()
                .flatten()
                .filter(|v| !v.is_nan())
                .map(|v| (v * 100.0).round() as i64 * if ascending { -1 } else { 1 })
                .collect();
            let want: Vec<f64> =
                super::super::rank::standings(&ranked, 0, 0).into_iter().map(|s| s.rank as f64).collect();
            let got_ranked: Vec<f64> = got.iter().flatten().copied().collect();
            assert_eq!(got_ranked, want, "ascending = {ascending}");
            assert_eq!(got[3], None);
            assert_eq!(got[4], None);
        }
        // By hand: 95.00 (95.004 as published) ties 95.0 for first; 80.00 ties 80.001; then 60, 0.
        let first = placed(false);
        assert_eq!(first, vec![Some(1.0), Some(3.0), Some(1.0), None, None, Some(5.0), Some(3.0), Some(6.0)]);
    }
}
