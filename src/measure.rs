//! Measures: named per-unit values computed from datasets with polars expressions, one
//! line of TOML each, from a small vocabulary:
//!
//! ```toml
//! [measures]
//! claims       = { count = "claims" }                                  # rows per unit
//! insured      = { sum = "enrolment", column = "实际参保人数" }
//! eligible     = { sum = "enrolment", column = "应参保人数" }
//! coverage     = { ratio = ["insured", "eligible"], percent = true }    # of two measures
//! persons      = { distinct = "roster", column = "身份证号" }
//! avg_payout   = { mean = "claims", column = "赔款" }
//! closed_in_30 = { share = "claims", where = { days_between = ["报案日期", "结案日期"], at_most = 30 }, percent = true }
//! verified     = { count = "complaints", where = { column = "是否属实", is = true } }
//! archive      = { value = "inspection", column = "档案管理" }         # one row per unit
//! last_report  = { latest = "reports", column = "报送日期", after = 2016-12-31 }  # days after
//! ```
//!
//! Any measure may carry `label = "参保率（%）"`, the header of its column in the metrics sheet.
//!
//! `where` keeps the rows whose `column` `is` true/false, `equals` a text, is `at_least`
//! / `at_most` a number, or is `blank`; `days_between = [from, to]` compares the calendar
//! days between two date columns (a blank `to` counts up to `[assessment] as_of`).
//! A unit without rows counts 0 for count, distinct and sum; has no share, mean or ratio
//! (“不适用”); and has no value or latest date — which a rubric item then reports as
//! missing, naming the unit, rather than scoring it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;
use serde::Deserialize;

use crate::dataset::{day_number, ColumnType, Dataset, UNIT};
use crate::problem::{nearest, InputProblem};
use crate::rubric::score::Metrics;

/// Which rows a measure reads.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Where {
    pub column: Option<String>,
    /// Two date columns: the calendar days from the first to the second.
    pub days_between: Option<[String; 2]>,
    pub is: Option<bool>,
    pub equals: Option<String>,
    pub at_least: Option<f64>,
    pub at_most: Option<f64>,
    pub blank: Option<bool>,
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
    /// Two other measures: the first divided by the second.
    pub ratio: Option<[String; 2]>,
    /// The column read by distinct, sum, mean, value and latest.
    pub column: Option<String>,
    #[serde(rename = "where")]
    pub filter: Option<Where>,
    /// share and ratio: × 100 (the rubric reads percent).
    #[serde(default)]
    pub percent: bool,
    /// latest: the date it is measured from (the result is days after it).
    pub after: Option<toml::value::Datetime>,
    /// The column header in the metrics sheet (default: the measure's name).
    pub label: Option<String>,
}

/// One measure's kind, once checked.
enum Kind<'a> {
    Count(&'a str),
    Distinct(&'a str),
    Sum(&'a str),
    Mean(&'a str),
    Share(&'a str),
    Value(&'a str),
    Latest(&'a str),
    Ratio(&'a str, &'a str),
}

impl MeasureSpec {
    fn kind(&self) -> Result<Kind<'_>, String> {
        let mut kinds: Vec<Kind<'_>> = [
            self.count.as_deref().map(Kind::Count),
            self.distinct.as_deref().map(Kind::Distinct),
            self.sum.as_deref().map(Kind::Sum),
            self.mean.as_deref().map(Kind::Mean),
            self.share.as_deref().map(Kind::Share),
            self.value.as_deref().map(Kind::Value),
            self.latest.as_deref().map(Kind::Latest),
            self.ratio.as_ref().map(|[a, b]| Kind::Ratio(a, b)),
        ]
        .into_iter()
        .flatten()
        .collect();
        match kinds.len() {
            1 => Ok(kinds.pop().expect("one")),
            0 => Err("没有写计算方式".into()),
            _ => Err("只能写一种计算方式".into()),
        }
    }
}

/// The vocabulary, for hints.
const KINDS: &str = "count、distinct、sum、mean、share、value、latest、ratio";

/// Compute every measure for every unit. Problems (an unknown dataset or column, a column
/// of the wrong type, a unit with two rows where one value is expected) name
/// programme.toml and the measure, or the data file and rows.
pub fn compute(
    specs: &BTreeMap<String, MeasureSpec>,
    datasets: &BTreeMap<String, Dataset>,
    units: &[String],
    as_of: NaiveDate,
    toml_file: &str,
) -> Result<BTreeMap<String, Metrics>, Vec<InputProblem>> {
    let mut problems = Vec::new();
    let mut out: BTreeMap<String, Metrics> = units.iter().map(|u| (u.clone(), Metrics::new())).collect();
    let bad = |name: &str, message: String| InputProblem::file(toml_file, format!("[measures] {name}：{message}"));
    // Dataset measures first, then ratios of them.
    let mut ratios = Vec::new();
    for (name, spec) in specs {
        let kind = match spec.kind() {
            Ok(k) => k,
            Err(m) => {
                problems.push(bad(name, m).hint(format!("计算方式有：{KINDS}")));
                continue;
            }
        };
        if let Kind::Ratio(a, b) = kind {
            ratios.push((name, a, b, spec.percent));
            continue;
        }
        match per_unit(name, spec, &kind, datasets, as_of) {
            Ok(values) => {
                for (unit, v) in values {
                    if let Some(m) = out.get_mut(&unit) {
                        m.insert(name.clone(), v);
                    }
                }
                // Units without rows: 0 for counts and sums, 不适用 for shares and means.
                let absent = match kind {
                    Kind::Count(_) | Kind::Distinct(_) | Kind::Sum(_) => Some(0.0),
                    Kind::Share(_) | Kind::Mean(_) => Some(f64::NAN),
                    _ => None,
                };
                if let Some(a) = absent {
                    for m in out.values_mut() {
                        m.entry(name.clone()).or_insert(a);
                    }
                }
            }
            Err(Problem::Config(m)) => problems.push(bad(name, m)),
            Err(Problem::Data(p)) => problems.extend(p),
        }
    }
    for (name, a, b, percent) in ratios {
        for side in [a, b] {
            if !specs.contains_key(side) || specs[side].ratio.is_some() {
                let p = bad(name, format!("ratio 中的“{side}”不是按数据集计算的度量"));
                problems.push(match nearest(side, specs.keys().map(String::as_str)) {
                    Some(n) => p.hint(format!("是否应为“{n}”？")),
                    None => p,
                });
            }
        }
        for m in out.values_mut() {
            let (Some(x), Some(y)) = (m.get(a).copied(), m.get(b).copied()) else { continue };
            let v =
                if y == 0.0 || y.is_nan() || x.is_nan() { f64::NAN } else { x / y * if percent { 100.0 } else { 1.0 } };
            m.insert(name.clone(), v);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Shares and ratios are published to two decimals; score on what is published.
    for m in out.values_mut() {
        for v in m.values_mut() {
            if !v.is_nan() {
                *v = (*v * 100.0).round() / 100.0;
            }
        }
    }
    Ok(out)
}

enum Problem {
    Config(String),
    Data(Vec<InputProblem>),
}

fn need<'a>(
    data: &'a Dataset,
    dataset: &str,
    column: Option<&'a str>,
    types: &[ColumnType],
) -> Result<&'a str, Problem> {
    let Some(column) = column else {
        return Err(Problem::Config(format!("要写 column = 数据集 {dataset} 中的一列")));
    };
    match data.types.get(column) {
        None => Err(Problem::Config(match nearest(column, data.types.keys().map(String::as_str)) {
            Some(n) => format!("数据集 {dataset} 没有“{column}”列（是否应为“{n}”？）"),
            None => format!("数据集 {dataset} 没有“{column}”列"),
        })),
        Some(t) if !types.is_empty() && !types.contains(t) => {
            Err(Problem::Config(format!("“{column}”列的类型不适合这种计算")))
        }
        Some(_) => Ok(column),
    }
}

/// The rows a `where` keeps, as a polars expression.
fn condition(w: &Where, data: &Dataset, dataset: &str, as_of: NaiveDate) -> Result<Expr, Problem> {
    use ColumnType::*;
    let base = match (&w.days_between, &w.column) {
        (Some([from, to]), None) => {
            need(data, dataset, Some(from), &[Date])?;
            need(data, dataset, Some(to), &[Date])?;
            // A blank end (not closed, not paid) counts up to the assessment date.
            (col(to.as_str()).fill_null(lit(day_number(as_of))) - col(from.as_str())).cast(DataType::Float64)
        }
        (None, Some(c)) => {
            need(data, dataset, Some(c), &[])?;
            col(c.as_str())
        }
        _ => return Err(Problem::Config("where 中要写 column 或 days_between（二选一）".into())),
    };
    let mut parts = Vec::new();
    if let Some(b) = w.is {
        parts.push(base.clone().eq(lit(b)));
    }
    if let Some(t) = &w.equals {
        parts.push(base.clone().eq(lit(t.as_str())));
    }
    if let Some(n) = w.at_least {
        parts.push(base.clone().cast(DataType::Float64).gt_eq(lit(n)));
    }
    if let Some(n) = w.at_most {
        parts.push(base.clone().cast(DataType::Float64).lt_eq(lit(n)));
    }
    if let Some(b) = w.blank {
        parts.push(if b { base.clone().is_null() } else { base.clone().is_not_null() });
    }
    let Some(first) = parts.pop() else {
        return Err(Problem::Config("where 中要写 is、equals、at_least、at_most 或 blank".into()));
    };
    // A blank cell never matches a comparison.
    Ok(parts.into_iter().fold(first, |a, b| a.and(b)).fill_null(lit(false)))
}

/// One dataset measure per unit that has rows.
fn per_unit(
    name: &str,
    spec: &MeasureSpec,
    kind: &Kind,
    datasets: &BTreeMap<String, Dataset>,
    as_of: NaiveDate,
) -> Result<Vec<(String, f64)>, Problem> {
    use ColumnType::*;
    let dataset = match kind {
        Kind::Count(d)
        | Kind::Distinct(d)
        | Kind::Sum(d)
        | Kind::Mean(d)
        | Kind::Share(d)
        | Kind::Value(d)
        | Kind::Latest(d) => *d,
        Kind::Ratio(..) => unreachable!("ratios are computed from other measures"),
    };
    let Some(data) = datasets.get(dataset) else {
        let known: Vec<&str> = datasets.keys().map(String::as_str).collect();
        return Err(Problem::Config(match nearest(dataset, known.iter().copied()) {
            Some(n) => format!("没有名为 {dataset} 的数据集（是否应为 {n}？）"),
            None => format!("没有名为 {dataset} 的数据集（有：{}）", known.join("、")),
        }));
    };
    let filter = match &spec.filter {
        Some(w) => Some(condition(w, data, dataset, as_of)?),
        None => None,
    };
    if matches!(kind, Kind::Share(_)) && filter.is_none() {
        return Err(Problem::Config("share 要写 where（哪些行算在内）".into()));
    }
    let column = spec.column.as_deref();
    let numeric = [Integer, Number, Percent];
    let mut frame = data.frame.clone().lazy();
    if let (Some(f), false) = (&filter, matches!(kind, Kind::Share(_))) {
        frame = frame.filter(f.clone());
    }
    let value: Expr = match kind {
        Kind::Count(_) => len().cast(DataType::Float64),
        Kind::Distinct(_) => col(need(data, dataset, column, &[])?).drop_nulls().n_unique().cast(DataType::Float64),
        Kind::Sum(_) => col(need(data, dataset, column, &numeric)?).sum().cast(DataType::Float64),
        Kind::Mean(_) => col(need(data, dataset, column, &numeric)?).mean().cast(DataType::Float64),
        Kind::Share(_) => {
            let times = if spec.percent { 100.0 } else { 1.0 };
            filter.clone().expect("checked").cast(DataType::Float64).mean() * lit(times)
        }
        Kind::Value(_) => {
            let c = need(data, dataset, column, &[Integer, Number, Percent, YesNo])?;
            col(c).first().cast(DataType::Float64)
        }
        Kind::Latest(_) => {
            let c = need(data, dataset, column, &[Date])?;
            let Some(after) = spec.after.and_then(|d| d.date) else {
                return Err(Problem::Config("latest 要写 after = 日期（结果是晚于它的天数）".into()));
            };
            let after = NaiveDate::from_ymd_opt(after.year as i32, after.month as u32, after.day as u32)
                .ok_or_else(|| Problem::Config("after 不是有效日期".into()))?;
            (col(c).max() - lit(day_number(after))).cast(DataType::Float64)
        }
        Kind::Ratio(..) => unreachable!(),
    };
    let grouped = frame
        .group_by([col(UNIT)])
        .agg([
            value.alias("value"),
            len().alias("rows"),
            col(crate::dataset::ROW).alias("at"),
            col(crate::dataset::FILE).first().alias("file"),
        ])
        .collect_with_engine(crate::metrics::engine())
        .map_err(|e| Problem::Config(format!("计算失败：{e}")))?
        .unwrap_single();
    let units = grouped.column(UNIT).and_then(|c| c.str().cloned());
    let values = grouped.column("value").and_then(|c| c.f64().cloned());
    let rows = grouped.column("rows").and_then(|c| c.cast(&DataType::UInt64)).and_then(|c| c.u64().cloned());
    let (Ok(units), Ok(values), Ok(rows)) = (units, values, rows) else {
        return Err(Problem::Config("计算结果无法读取".into()));
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for i in 0..grouped.height() {
        let unit = units.get(i).unwrap_or_default().to_string();
        if matches!(kind, Kind::Value(_)) && rows.get(i).unwrap_or(0) > 1 {
            let file = grouped.column("file").ok().and_then(|c| c.str().ok()?.get(i).map(str::to_string));
            let at: Vec<String> = grouped
                .column("at")
                .ok()
                .and_then(|c| c.list().ok()?.get_as_series(i))
                .map(|s| s.iter().map(|v| format!("第{v}行")).collect())
                .unwrap_or_default();
            problems.push(
                InputProblem::file(
                    file.unwrap_or_else(|| dataset.to_string()),
                    format!("“{unit}”有 {} 行（{}），度量 {name} 每个单位只能有一行", at.len(), at.join("、")),
                )
                .hint("删去重复的行，只留一行"),
            );
            continue;
        }
        if let Some(v) = values.get(i) {
            out.push((unit, v));
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Problem::Data(problems))
    }
}
