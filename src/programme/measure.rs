//! `[measures]`: each measure's kind and options, and the `where` conditions measures,
//! row checks and `only` are written with — declarations only; [`crate::measure`]
//! computes them.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `where = {…}`, or `where = [{…}, {…}]`: a row matches when every condition holds.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Conditions {
    One(Where),
    All(Vec<Where>),
}

impl Conditions {
    pub fn list(&self) -> &[Where] {
        match self {
            Conditions::One(w) => std::slice::from_ref(w),
            Conditions::All(v) => v,
        }
    }
}

/// A number a value must reach: the same for every row (`70`), or looked up by another
/// column of the row (`{ by = "险种", values = { "水稻" = 70 }, other = 60 }`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Threshold {
    Fixed(f64),
    By {
        by: String,
        values: BTreeMap<String, f64>,
        /// For a row whose `by` cell is not in `values`; without it, such a row is an error.
        other: Option<f64>,
    },
}

/// A day in a condition: written as a date, or named in `[assessment] dates`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Day {
    Date(toml::value::Datetime),
    Named(String),
}

/// One condition on a row.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Where {
    pub column: Option<String>,
    /// Two date columns: the calendar days from the first to the second.
    pub days_between: Option<[String; 2]>,
    /// Number columns added up (各级财政补贴合计).
    pub sum_of: Option<Vec<String>>,
    /// The text is one of these (`in = ["一卡通", "一折通"]`).
    #[serde(rename = "in")]
    pub among: Option<Vec<String>>,
    /// Strictly below a number, or below the row's standard looked up by another column.
    pub less_than: Option<Threshold>,
    pub is: Option<bool>,
    pub equals: Option<String>,
    pub at_least: Option<f64>,
    pub at_most: Option<f64>,
    /// Another number column of the same row: keep rows whose `column` is below it
    /// (参保面积 below 连片面积: a greenhouse not fully insured).
    pub below: Option<String>,
    pub blank: Option<bool>,
    /// A date column strictly after a day (paid after the deadline: late): a date
    /// (`2015-12-31`) or the name of one in `[assessment] dates` (`"缴费截止日"`).
    pub after: Option<Day>,
    /// A date column strictly before a day.
    pub before: Option<Day>,
    /// The row matches when the rest of this condition does not hold (a blank cell too).
    #[serde(default)]
    pub not: bool,
}

/// `[measures]` entry: exactly one of the kinds, with its options.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MeasureSpec {
    pub count: Option<String>,
    pub distinct: Option<String>,
    pub sum: Option<String>,
    pub mean: Option<String>,
    pub share: Option<String>,
    pub value: Option<String>,
    pub latest: Option<String>,
    /// The unit's first date, as days after `after` (≤ 0: done by that day; none: never).
    pub earliest: Option<String>,
    /// 1 when every row of the unit matches `where`, else 0.
    pub all: Option<String>,
    /// 1 when some row of the unit matches `where`, else 0 (also with no rows).
    pub any: Option<String>,
    /// The rows of a dataset set aside (`set_aside`, `keep_first`) that name the unit:
    /// a roster's bad and repeated rows per town.
    pub set_aside: Option<String>,
    /// List the rows behind the value in the evidence table (`all`, `any` and `count`
    /// with `where`): `true`, or the 事项 the rows are listed under (default: the label).
    #[serde(default)]
    pub evidence: EvidenceSpec,
    /// A coarser level the measure is taken at: a ledger of insurers in counties, read per
    /// county (the level's unit columns are the first of the dataset's).
    pub level: Option<String>,
    /// Two other measures: the first divided by the second.
    pub ratio: Option<[String; 2]>,
    /// Arithmetic over other measures of the same level (`"remitted - insured * 20"`; see
    /// [`crate::programme::expr`]), evaluated by polars, not rounded before a rubric reads it.
    pub expr: Option<String>,
    /// Where the vocabulary ends: one polars SQL query over the datasets (each a table of
    /// its name), one row per unit — the level's unit cells first, then the value.
    pub sql: Option<String>,
    /// `sql`: the value of a unit the query gives no row (0 for a count); none by default.
    pub absent: Option<f64>,
    /// Quota apportionment: each unit's whole share of another measure (its base
    /// population) at `rate`, rounded by `rounding`; `overrides` give a unit its own rate
    /// or base measure (老城办: 20% of 户籍总人口).
    pub apportion: Option<String>,
    /// With `apportion`: split a coarser level's whole quota over its units instead of
    /// applying a rate (`village_quota = { apportion = "rural", within = "quota" }`: each
    /// town's quota over its villages in proportion to their base, largest remainders,
    /// the villages summing to the town's quota).
    pub within: Option<String>,
    /// Each unit's place by another measure, highest first (`ascending = true`: lowest
    /// first); equal values share a place (1, 2, 2, 4); a unit without the value has none.
    pub rank: Option<String>,
    #[serde(default)]
    pub ascending: bool,
    pub rate: Option<crate::programme::Rate>,
    pub rounding: Option<crate::programme::Rounding>,
    #[serde(default)]
    pub overrides: BTreeMap<String, Override>,
    /// The column read by distinct, sum, mean, value, latest and earliest.
    pub column: Option<String>,
    #[serde(rename = "where")]
    pub filter: Option<Conditions>,
    /// The rows the measure reads at all (“of the paid claims, all via card”).
    pub rows: Option<Conditions>,
    /// share, ratio and expr: × 100 (the rubric reads percent).
    #[serde(default)]
    pub percent: bool,
    /// latest and earliest: the date it is measured from (the result is days after it).
    pub after: Option<toml::value::Datetime>,
    /// The column header in the metrics sheet (default: the measure's name).
    pub label: Option<String>,
    /// `sheet = false`: not a column of the metrics sheet (a sum only a ratio reads).
    pub sheet: Option<bool>,
}

/// `evidence = true`, or `evidence = "理赔未张榜公布"`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(untagged)]
pub enum EvidenceSpec {
    #[default]
    None,
    Listed(bool),
    Under(String),
}

impl EvidenceSpec {
    pub fn wanted(&self) -> bool {
        !matches!(self, EvidenceSpec::None | EvidenceSpec::Listed(false))
    }
}

/// A unit's own rule in an `apportion` measure.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub rate: Option<crate::programme::Rate>,
    /// Another measure as the unit's base.
    pub base: Option<String>,
}
