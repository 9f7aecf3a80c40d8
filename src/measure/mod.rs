//! Measures: named per-unit values computed from datasets with polars expressions, one
//! line of TOML each, from a small vocabulary:
//!
//! ```toml
//! [measures]
//! claims       = { count = "claims" }                                  # rows per unit
//! insured      = { sum = "enrolment", column = "实际参保人数" }
//! eligible     = { sum = "enrolment", column = "应参保人数" }
//! coverage     = { ratio = ["insured", "eligible"], percent = true }    # of two measures
//! remit_gap    = { expr = "remitted - insured * 20" }                  # arithmetic over measures
//! persons      = { distinct = "roster", column = "身份证号" }
//! avg_payout   = { mean = "claims", column = "赔款" }
//! closed_in_30 = { share = "claims", where = { days_between = ["报案日期", "结案日期"], at_most = 30 }, percent = true }
//! verified     = { count = "complaints", where = { column = "是否属实", is = true } }
//! archive      = { value = "inspection", column = "档案管理" }         # one row per unit
//! last_report  = { latest = "reports", column = "报送日期", after = 2016-12-31 }  # days after
//! first_meet   = { earliest = "meetings", column = "召开日期", after = 2016-10-31 } # ≤ 0: held by then
//! all_on_time  = { all = "claims", where = { days_between = ["定损日期", "赔付日期"], at_most = 20 }, evidence = true }
//!
//! below_std    = { any = "subsidies", where = { sum_of = ["中央", "省级", "市县"], less_than = { by = "险种", values = { "水稻" = 70 }, other = 60 } } }
//! via_card     = { all = "claims", rows = { column = "支付日期", blank = false }, where = { column = "支付方式", in = ["一卡通", "一折通"] } }
//! ```
//!
//! `all` is 1 when every row of the unit matches `where`, else 0 (1 with no rows: every
//! one of no claims was paid on time); `any` is 1 when some row does. With `evidence = true`
//! the rows that cost the unit its point (for `all`, those that do not match; for
//! `count` with `where`, those that do) are listed with file, row and the values read, in
//! the programme's `evidence` table: every deducted point says why.
//!
//! Any measure may carry `label = "参保率（%）"`, the header of its column in the metrics sheet.
//!
//! `where` keeps the rows whose `column` `is` true/false, `equals` a text, is `at_least`
//! / `at_most` a number, or is `blank`; `days_between = [from, to]` compares the calendar
//! days between two date columns (a blank `to` counts up to `[assessment] as_of`).
//! A unit without rows counts 0 for count, distinct and sum; has no share, mean or ratio
//! (“不适用”); and has no value or latest date — which a rubric item then reports as
//! missing, naming the unit, rather than scoring it.
//!
//! An `expr` follows the ratio's rule: a division by 0 (or by 不适用) is 不适用, and a
//! unit without one of the measures it reads has no value. It is computed after the ratios
//! and before the ranks, each expr after the exprs it reads, and — unlike shares and ratios,
//! rounded to two decimals as published — it is not rounded: a rubric reads 600, not 599.99.

pub mod declared;
mod frame;
pub mod quota;
pub mod rank;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use polars::prelude::*;

use crate::problem::{nearest, InputProblem};
use crate::programme::expr::{Formula, Op};
use crate::programme::units::Level;
use crate::validate::dataset::{day_number, ColumnType, Dataset, UNIT};
use frame::Frames;

/// One unit's measures by name: what rubrics score and views show.
pub type Metrics = BTreeMap<String, f64>;

pub use crate::programme::measure::{Conditions, Day, EvidenceSpec, MeasureSpec, Override, Threshold, Where};

impl Day {
    /// The day, once names are resolved ([`resolve_days`]).
    fn date(&self) -> Result<NaiveDate, Problem> {
        match self {
            Day::Date(d) => d
                .date
                .and_then(|d| NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32))
                .ok_or_else(|| Problem::Config(format!("“{d}”不是日期，应写成 2015-12-31 这样"))),
            Day::Named(n) => Err(Problem::Config(format!("“{n}”不是 [assessment] dates 中的日期"))),
        }
    }
}

/// Replace every day named in a condition by its date from `dates` (with `as_of`); the
/// names not found, for the programme file's message.
pub fn resolve_days(w: &mut Conditions, dates: &BTreeMap<String, toml::value::Datetime>) -> Vec<String> {
    let mut unknown = Vec::new();
    let list: &mut [Where] = match w {
        Conditions::One(one) => std::slice::from_mut(one),
        Conditions::All(all) => all,
    };
    for c in list {
        for day in [&mut c.after, &mut c.before].into_iter().flatten() {
            if let Day::Named(n) = day {
                match dates.get(n.as_str()) {
                    Some(d) => *day = Day::Date(*d),
                    None => unknown.push(n.clone()),
                }
            }
        }
    }
    unknown
}

/// In `days_between`, the assessment date (`[assessment] as_of`).
const AS_OF: &str = "as_of";

/// A row behind a measure's value: a late claim, a verified complaint.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The unit's key ([`crate::validate::dataset::unit_key`]).
    pub unit: String,
    /// The measure's label (or name).
    pub measure: String,
    /// The values read, e.g. 报案日期 2016-03-01，结案日期 2016-04-20，相隔50天.
    pub detail: String,
    /// File and row, as a clerk finds it.
    pub source: String,
    pub file: String,
    pub row: usize,
}

/// Every measure of every unit, and the evidence rows asked for.
pub struct Measured {
    /// Level → unit key ([`crate::validate::dataset::unit_key`]) → measure → value.
    pub metrics: BTreeMap<String, BTreeMap<String, Metrics>>,
    /// Each measure's level: its dataset's (a ratio's: its two measures').
    pub level_of: BTreeMap<String, String>,
    pub evidence: Vec<Evidence>,
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
    Earliest(&'a str),
    All(&'a str),
    Any(&'a str),
    SetAside(&'a str),
    Apportion,
    Rank,
    Ratio(&'a str, &'a str),
    Expr(&'a str),
    Sql(&'a str),
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
            self.earliest.as_deref().map(Kind::Earliest),
            self.all.as_deref().map(Kind::All),
            self.any.as_deref().map(Kind::Any),
            self.set_aside.as_deref().map(Kind::SetAside),
            self.apportion.as_deref().map(|_| Kind::Apportion),
            self.rank.as_deref().map(|_| Kind::Rank),
            self.ratio.as_ref().map(|[a, b]| Kind::Ratio(a, b)),
            self.expr.as_deref().map(Kind::Expr),
            self.sql.as_deref().map(Kind::Sql),
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
const KINDS: &str =
    "count、distinct、sum、mean、share、value、latest、earliest、all、any、set_aside、ratio、expr、apportion、rank、sql";

/// Compute every measure for every unit. Problems (an unknown dataset or column, a column
/// of the wrong type, a unit with two rows where one value is expected) name
/// programme.toml and the measure, or the data file and rows.
///
/// Dataset measures are gathered per dataset and level and computed in one polars
/// group-by each; every result is left-joined into its level's frame ([`frame::Frames`]),
/// where quotas, ratios, exprs, ranks and the published rounding follow.
pub fn compute(
    specs: &BTreeMap<String, MeasureSpec>,
    datasets: &BTreeMap<String, Dataset>,
    levels: &[Level],
    as_of: NaiveDate,
    toml_file: &str,
) -> Result<Measured, Vec<InputProblem>> {
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    let bad = |name: &str, message: String| InputProblem::file(toml_file, format!("[measures] {name}：{message}"));
    let internal = |e: PolarsError| {
        vec![InputProblem::file(toml_file, format!("[measures] 计算失败（{e}）"))
            .hint("这是 kaohe 的内部错误，不是数据的问题：请把这条信息和数据文件发给维护人员")]
    };
    let mut frames = Frames::new(levels).map_err(internal)?;
    // Dataset measures first, then ratios of them.
    let mut ratios = Vec::new();
    let mut exprs = Vec::new();
    let mut apportioned = Vec::new();
    let mut batches: BTreeMap<(&str, String), Vec<Aggregate>> = BTreeMap::new();
    for (name, spec) in specs {
        let kind = match spec.kind() {
            Ok(k) => k,
            Err(m) => {
                problems.push(bad(name, m).hint(format!("计算方式有：{KINDS}")));
                continue;
            }
        };
        match kind {
            Kind::Ratio(a, b) => {
                ratios.push((name, a, b, spec.percent));
                continue;
            }
            Kind::Expr(text) => {
                exprs.push((name, text, spec.percent));
                continue;
            }
            Kind::Apportion | Kind::Rank => {
                apportioned.push((name, spec));
                continue;
            }
            Kind::Sql(query) => {
                match sql(query, spec, datasets, levels) {
                    Ok((level, values)) => frames.join(&level, name, values, spec.absent).map_err(internal)?,
                    Err(Problem::Config(m)) => problems.push(bad(name, m).hint(SQL_HINT)),
                    Err(Problem::Data(p)) => problems.extend(p),
                }
                continue;
            }
            Kind::SetAside(d) => {
                match set_aside_counts(d, spec, datasets, levels) {
                    Ok((level, counts)) => frames.join(&level, name, counts, Some(0.0)).map_err(internal)?,
                    Err(m) => problems.push(bad(name, m)),
                }
                continue;
            }
            _ => {}
        }
        if spec.evidence.wanted() {
            let label = match &spec.evidence {
                EvidenceSpec::Under(what) => what.clone(),
                _ => spec.label.clone().unwrap_or_else(|| name.clone()),
            };
            let rows = match (&kind, &spec.filter) {
                (Kind::All(d), Some(w)) => evidence_rows(&label, spec, w, datasets.get(*d), d, as_of, false),
                (Kind::Count(d) | Kind::Any(d), Some(w)) => {
                    evidence_rows(&label, spec, w, datasets.get(*d), d, as_of, true)
                }
                _ => Err(Problem::Config("evidence = true 只用于 all、any，和带 where 的 count".into())),
            };
            match rows {
                Ok(rows) => evidence.extend(rows),
                Err(Problem::Config(m)) => problems.push(bad(name, m)),
                Err(Problem::Data(p)) => problems.extend(p),
            }
        }
        match aggregate(name, spec, &kind, datasets, levels, as_of) {
            Ok(a) => batches.entry((a.dataset, a.level.clone())).or_default().push(a),
            Err(Problem::Config(m)) => problems.push(bad(name, m)),
            Err(Problem::Data(p)) => problems.extend(p),
        }
    }
    // One group-by per dataset and level; each measure joined into the level's frame.
    for ((dataset, level), aggregates) in &batches {
        let grouped = match group(&datasets[*dataset], aggregates) {
            Ok(g) => g,
            Err(Problem::Config(m)) => {
                // Which measure polars stumbled on: each alone (only on this path).
                let alone: Vec<InputProblem> = aggregates
                    .iter()
                    .filter_map(|a| match group(&datasets[*dataset], std::slice::from_ref(a)) {
                        Err(Problem::Config(m)) => Some(bad(a.name, m)),
                        _ => None,
                    })
                    .collect();
                match alone.is_empty() {
                    true => problems.extend(aggregates.iter().map(|a| bad(a.name, m.clone()))),
                    false => problems.extend(alone),
                }
                continue;
            }
            Err(Problem::Data(p)) => {
                problems.extend(p);
                continue;
            }
        };
        let width = frames.width(level).unwrap_or(0);
        for (i, a) in aggregates.iter().enumerate() {
            if a.single {
                let twice = twice(&grouped, i, width, a.name, dataset);
                if !twice.is_empty() {
                    problems.extend(twice);
                    continue;
                }
            }
            let mut values = grouped.select((0..width).map(frame::key).chain([format!("v{i}")])).map_err(internal)?;
            values.rename(&format!("v{i}"), "value".into()).map_err(internal)?;
            frames.join(level, a.name, values, a.absent).map_err(internal)?;
        }
    }
    // Quotas before ratios: completion is insured ÷ quota; a split `within` a coarser
    // level's quota after that quota.
    let quotas = apportioned.iter().filter(|(_, spec)| spec.rank.is_none());
    for (name, spec) in
        quotas.clone().filter(|(_, s)| s.within.is_none()).chain(quotas.filter(|(_, s)| s.within.is_some()))
    {
        let done = match spec.within {
            Some(_) => split_within(name, spec, &mut frames),
            None => apportion(name, spec, &mut frames),
        };
        if let Err(m) = done {
            problems.push(bad(name, m));
        }
    }
    // The `.base` companions of the apportion measures: ratios and exprs may read them.
    let based: BTreeSet<String> =
        specs.iter().filter(|(_, s)| s.apportion.is_some()).map(|(name, _)| format!("{name}{BASE_SUFFIX}")).collect();
    for (name, a, b, percent) in ratios {
        for side in [a, b] {
            let from_data = match specs.get(side) {
                Some(spec) => spec.ratio.is_none() && spec.rank.is_none() && spec.expr.is_none(),
                // `quota.base`: the base each unit's quota was taken of.
                None => based.contains(side),
            };
            if !from_data {
                let p = bad(name, format!("ratio 中的“{side}”不是按数据集计算的度量"));
                problems.push(match nearest(side, specs.keys().map(String::as_str)) {
                    Some(n) if n != side => p.hint(format!("是否应为“{n}”？")),
                    _ if specs.get(side).is_some_and(|s| s.expr.is_some() || s.ratio.is_some()) => {
                        p.hint(format!("把它写成 expr = \"{a} / {b}\"（expr 可以读其他 expr 和 ratio）"))
                    }
                    _ => p,
                });
            }
        }
        let (Some(level), Some(other)) = (frames.level_of(a).map(str::to_string), frames.level_of(b)) else {
            continue;
        };
        if level != other {
            problems.push(bad(name, format!("ratio 的两个度量单位层级不同（{a}：{level}，{b}：{other}）")));
            continue;
        }
        let (x, y) = (frames.col(a).expect("computed"), frames.col(b).expect("computed"));
        // A missing side: no value (first: polars' `or` of unknown and true is true); a zero
        // denominator, or 不适用 on either side: 不适用.
        let times = if percent { 100.0 } else { 1.0 };
        let value = when(x.clone().is_null().or(y.clone().is_null()))
            .then(lit(NULL).cast(DataType::Float64))
            .when(y.clone().eq(lit(0.0)).or(y.clone().is_nan()).or(x.clone().is_nan()))
            .then(lit(f64::NAN))
            .otherwise(x / y * lit(times));
        frames.derive(&level, name, value).map_err(internal)?;
    }
    // Arithmetic over measures, after the ratios it may read, each after the exprs it reads.
    for (name, message, hint) in compute_exprs(&exprs, specs, &based, &mut frames) {
        let p = bad(name, message);
        problems.push(match hint {
            Some(h) => p.hint(h),
            None => p,
        });
    }
    // Places last: a rank may be taken of a ratio (a town's completion of its quota).
    for (name, spec) in apportioned.iter().filter(|(_, spec)| spec.rank.is_some()) {
        let by = spec.rank.as_deref().unwrap_or_default();
        let (Some(level), Some(value)) = (frames.level_of(by).map(str::to_string), frames.col(by)) else {
            problems.push(bad(name, format!("rank 中的“{by}”不是一个度量")));
            continue;
        };
        frames.derive(&level, name, frame::places(value, spec.ascending)).map_err(internal)?;
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Shares and ratios are published to two decimals; score on what is published. An expr
    // is not rounded: its rubric reads the difference itself (600, not 599.99).
    let unrounded: Vec<&str> = exprs.iter().map(|(name, ..)| name.as_str()).collect();
    let (metrics, level_of) = frames.finish(&unrounded).map_err(internal)?;
    Ok(Measured { metrics, level_of, evidence })
}

/// A `set_aside` measure: per unit of its level (the dataset's, or a coarser `level`),
/// the rows set aside whose unit cells name it — a row whose town is blank or unknown is
/// no town's (the join onto the level's units drops it).
fn set_aside_counts(
    dataset: &str,
    spec: &MeasureSpec,
    datasets: &BTreeMap<String, Dataset>,
    levels: &[Level],
) -> Result<(String, DataFrame), String> {
    let data = datasets.get(dataset).ok_or_else(|| format!("没有名为 {dataset} 的数据集"))?;
    let quality =
        data.quality.as_ref().ok_or_else(|| format!("数据集 {dataset} 不剔除行（没有 set_aside 或 keep_first）"))?;
    let level = spec.level.clone().unwrap_or_else(|| data.level.clone());
    let depth = levels
        .iter()
        .find(|l| l.name == level)
        .map(|l| l.columns.len())
        .ok_or_else(|| format!("没有名为 {level} 的层级"))?;
    let rows = quality.rows.iter().filter(|row| row.unit.len() >= depth);
    let mut columns: Vec<Column> = (0..depth)
        .map(|i| Column::new(frame::key(i).into(), rows.clone().map(|row| row.unit[i].as_str()).collect::<Vec<_>>()))
        .collect();
    columns.push(Column::new("value".into(), vec![1.0f64; rows.count()]));
    let keys: Vec<Expr> = (0..depth).map(|i| col(frame::key(i).as_str())).collect();
    let counted = DataFrame::new_infer_height(columns)
        .and_then(|f| f.lazy().group_by(keys).agg([col("value").sum()]).collect())
        .map_err(|e| format!("计算失败：{e}"))?;
    Ok((level, counted))
}

/// polars' engine for the measure queries: in memory, or streaming when
/// `KAOHE_ENGINE=streaming` (the province benchmark compares them).
fn engine() -> Engine {
    match std::env::var("KAOHE_ENGINE").as_deref() {
        Ok("streaming") => Engine::Streaming,
        _ => Engine::InMemory,
    }
}

/// An `apportion` measure `quota` also gives `quota.base`: the base each unit's quota was
/// taken of (its override's, where it has one) — what its participation is a share of.
pub const BASE_SUFFIX: &str = ".base";

/// A problem with an `expr`: the measure, the message and a hint.
type ExprProblem<'a> = (&'a str, String, Option<String>);

/// Every `expr` measure, each after the exprs it reads, as one polars expression over its
/// level's frame. Unknown names (with the nearest one), names of ranks, a cycle and
/// measures of two levels are problems; an expr reading a measure that could not be
/// computed is left out (that measure's problem is said).
fn compute_exprs<'a>(
    exprs: &[(&'a String, &'a str, bool)],
    specs: &BTreeMap<String, MeasureSpec>,
    given: &BTreeSet<String>,
    frames: &mut Frames,
) -> Vec<ExprProblem<'a>> {
    let mut problems: Vec<ExprProblem<'a>> = Vec::new();
    let known = || specs.keys().map(String::as_str).chain(given.iter().map(String::as_str));
    let mut parsed: BTreeMap<&str, (Formula, bool)> = BTreeMap::new();
    for &(name, text, percent) in exprs {
        let name: &'a str = name.as_str();
        let formula = match Formula::parse(text) {
            Ok(f) => f,
            Err(m) => {
                problems.push((name, format!("expr = \"{text}\"：{m}"), Some(EXPR_HINT.into())));
                continue;
            }
        };
        let mut fine = true;
        if formula.names().is_empty() {
            problems.push((name, "expr 中没有度量，只有数".into(), Some(EXPR_HINT.into())));
            fine = false;
        }
        for n in formula.names() {
            match specs.get(n) {
                Some(s) if s.rank.is_some() => {
                    problems.push((name, format!("expr 中的“{n}”是名次（rank），不能参与计算"), None));
                    fine = false;
                }
                Some(_) => {}
                None if given.contains(n) => {}
                None => {
                    let hint = nearest(n, known().filter(|k| *k != name)).map(|k| format!("是否应为“{k}”？"));
                    problems.push((name, format!("expr 中的“{n}”不是度量"), hint));
                    fine = false;
                }
            }
        }
        if fine {
            parsed.insert(name, (formula, percent));
        }
    }
    // Dependency order: an expr after the exprs it reads; a cycle is said once, as a path.
    let deps: BTreeMap<&str, Vec<&str>> = parsed
        .iter()
        .map(|(n, (f, _))| (*n, f.names().into_iter().filter(|d| parsed.contains_key(d)).collect()))
        .collect();
    let mut order = Vec::new();
    let mut state = BTreeMap::new();
    let mut cycles = Vec::new();
    for n in deps.keys() {
        visit(*n, &deps, &mut state, &mut Vec::new(), &mut order, &mut cycles);
    }
    for cycle in cycles {
        let Some(&(first, ..)) = exprs.iter().find(|(n, ..)| n.as_str() == cycle[0]) else { continue };
        problems.push((
            first.as_str(),
            format!("expr 循环引用：{}", cycle.join(" → ")),
            Some("expr 不能直接或经由其他 expr 读到它自己".into()),
        ));
    }
    for name in order {
        let (formula, percent) = &parsed[name];
        let Some(&(owner, ..)) = exprs.iter().find(|(n, ..)| n.as_str() == name) else { continue };
        let owner: &'a str = owner.as_str();
        let reads = formula.names();
        // A measure that could not be computed has said so already.
        let Some(levels) =
            reads.iter().map(|n| frames.level_of(n).map(str::to_string)).collect::<Option<Vec<String>>>()
        else {
            continue;
        };
        if levels.iter().any(|l| *l != levels[0]) {
            let said: Vec<String> = reads.iter().zip(&levels).map(|(n, l)| format!("{n}：{l}")).collect();
            problems.push((owner, format!("expr 中的度量单位层级不同（{}）", said.join("，")), None));
            continue;
        }
        let value = expression(formula, frames) * lit(if *percent { 100.0 } else { 1.0 });
        if let Err(e) = frames.derive(&levels[0], name, value) {
            problems.push((owner, format!("计算失败：{e}"), None));
        }
    }
    problems
}

const EXPR_HINT: &str =
    "expr 写同一层级的度量名、数和 + - * / ( )，如 expr = \"a - b * 20\"；含运算符的度量名用 ` ` 括起来";

/// Depth first over the exprs an expr reads: `order` gets each after its own; a cycle is
/// recorded as its path (a → b → a) and none of its exprs is ordered.
fn visit<'a>(
    n: &'a str,
    deps: &BTreeMap<&'a str, Vec<&'a str>>,
    state: &mut BTreeMap<&'a str, bool>,
    path: &mut Vec<&'a str>,
    order: &mut Vec<&'a str>,
    cycles: &mut Vec<Vec<&'a str>>,
) -> bool {
    match state.get(n) {
        // On the path: a cycle.
        Some(false) => {
            let from = path.iter().position(|p| *p == n).unwrap_or(0);
            let mut cycle = path[from..].to_vec();
            cycle.push(n);
            cycles.push(cycle);
            return false;
        }
        Some(true) => return order.contains(&n),
        None => {}
    }
    state.insert(n, false);
    path.push(n);
    let mut fine = true;
    for d in deps.get(n).into_iter().flatten() {
        if !visit(*d, deps, state, path, order, cycles) {
            fine = false;
        }
    }
    path.pop();
    state.insert(n, true);
    if fine {
        order.push(n);
    }
    fine
}

/// The formula as a polars expression over its level's measure columns; a unit without
/// one of them has no value (null), and a division by 0 is NaN (不适用), as a ratio's is.
fn expression(f: &Formula, frames: &Frames) -> Expr {
    match f {
        Formula::Number(n) => lit(*n),
        Formula::Measure(n) => frames.col(n).unwrap_or_else(|| lit(NULL).cast(DataType::Float64)),
        Formula::Negate(x) => lit(0.0) - expression(x, frames),
        Formula::Binary(op, a, b) => {
            let (a, b) = (expression(a, frames), expression(b, frames));
            match op {
                Op::Add => a + b,
                Op::Subtract => a - b,
                Op::Multiply => a * b,
                Op::Divide => when(b.clone().eq(lit(0.0))).then(lit(f64::NAN)).otherwise(a / b),
            }
        }
    }
}

/// A measure's values as whole numbers of people (a quota's base): a unit without a
/// value, or with a fraction or a negative, cannot be split.
fn whole(v: Option<f64>, unit: &[String], measure: &str) -> Result<u64, String> {
    let v = v.unwrap_or(f64::NAN);
    if v >= 0.0 && v.fract() == 0.0 {
        Ok(v as u64)
    } else {
        Err(format!("“{}”的 {measure} 不是非负整数（{v}），无法分解任务", unit.join(" ")))
    }
}

/// An `apportion` measure: every unit of its base measure's level gets its whole quota, in
/// exact integer arithmetic ([`crate::measure::quota::whole_quotas`]; largest remainder keeps the
/// total to the person, ties to the larger base, then the unit listed first).
fn apportion(name: &str, spec: &MeasureSpec, frames: &mut Frames) -> Result<(), String> {
    let base = spec.apportion.as_deref().unwrap_or_default();
    let Some(level) = frames.level_of(base).map(str::to_string) else {
        return Err(format!("apportion 中的“{base}”不是按数据集计算的度量"));
    };
    let rate = spec.rate.ok_or("apportion 要写 rate，如 \"50%\"")?;
    let rounding = spec.rounding.unwrap_or(crate::programme::file::Rounding::LargestRemainder);
    let units = frames.units(&level).to_vec();
    let shown: Vec<String> = units.iter().map(|k| k.join(" ")).collect();
    if let Some(u) = spec.overrides.keys().find(|u| !shown.contains(u)) {
        return Err(format!("overrides 中的“{u}”不是 {level} 级的单位"));
    }
    let mut read: BTreeMap<&str, Vec<Option<f64>>> = BTreeMap::new();
    let (mut bases, mut rates) = (Vec::new(), Vec::new());
    for (i, (unit, shown)) in units.iter().zip(&shown).enumerate() {
        let o = spec.overrides.get(shown);
        let measure = o.and_then(|o| o.base.as_deref()).unwrap_or(base);
        if frames.level_of(measure) != Some(level.as_str()) {
            return Err(format!("“{measure}”不是 {level} 级按数据集计算的度量"));
        }
        let values = read.entry(measure).or_insert_with(|| frames.values(measure));
        bases.push(whole(values[i], unit, measure)?);
        rates.push(o.and_then(|o| o.rate).unwrap_or(rate));
    }
    let quotas = crate::measure::quota::whole_quotas(&bases, &rates, rounding);
    frames.put(&level, name, quotas.into_iter().map(|q| Some(q as f64)).collect()).map_err(|e| e.to_string())?;
    let based = format!("{name}{BASE_SUFFIX}");
    frames.put(&level, &based, bases.into_iter().map(|b| Some(b as f64)).collect()).map_err(|e| e.to_string())
}

/// `apportion` with `within`: each unit of a coarser level splits its whole quota over its
/// own units of the base measure's level (those whose first key cells are its own), in
/// proportion to their base, by largest remainders — they sum to it exactly.
fn split_within(name: &str, spec: &MeasureSpec, frames: &mut Frames) -> Result<(), String> {
    let base = spec.apportion.as_deref().unwrap_or_default();
    let within = spec.within.as_deref().unwrap_or_default();
    if spec.rate.is_some() || spec.rounding.is_some() || spec.overrides.values().any(|o| o.rate.is_some()) {
        return Err("写了 within 就按上级任务数分解，不再写 rate 或 rounding（overrides 只可写 base）".into());
    }
    let (Some(level), Some(parent)) =
        (frames.level_of(base).map(str::to_string), frames.level_of(within).map(str::to_string))
    else {
        return Err(format!("apportion 的“{base}”和 within 的“{within}”都要是度量"));
    };
    let (units, parents) = (frames.units(&level).to_vec(), frames.units(&parent).to_vec());
    let parent_width = frames.width(&parent).unwrap_or(0);
    if parent == level || frames.width(&level).unwrap_or(0) <= parent_width {
        return Err(format!("within 的“{within}”（{parent} 级）不是“{base}”（{level} 级）的上一级"));
    }
    let shown: Vec<String> = parents.iter().map(|k| k.join(" ")).collect();
    if let Some(u) = spec.overrides.keys().find(|u| !shown.contains(u)) {
        return Err(format!("overrides 中的“{u}”不是 {parent} 级的单位"));
    }
    let parent_quotas = frames.values(within);
    let mut read: BTreeMap<&str, Vec<Option<f64>>> = BTreeMap::new();
    let (mut quotas, mut bases) = (vec![None; units.len()], vec![None; units.len()]);
    for ((p, shown), quota) in parents.iter().zip(&shown).zip(parent_quotas) {
        let quota = whole(quota, p, within)?;
        // A unit whose quota rests on another base (老城办: 户籍总人口) splits on that base.
        let base = spec.overrides.get(shown).and_then(|o| o.base.as_deref()).unwrap_or(base);
        if frames.level_of(base) != Some(level.as_str()) {
            return Err(format!("“{base}”不是 {level} 级的度量"));
        }
        let values = read.entry(base).or_insert_with(|| frames.values(base));
        let children: Vec<usize> = (0..units.len()).filter(|&i| units[i][..parent_width] == p[..]).collect();
        let child_bases =
            children.iter().map(|&i| whole(values[i], &units[i], base)).collect::<Result<Vec<u64>, _>>()?;
        if children.is_empty() && quota > 0 {
            return Err(format!("“{shown}”有任务 {quota}，但在 {level} 级没有下属单位"));
        }
        for ((&i, q), b) in
            children.iter().zip(crate::measure::quota::split_by_base(quota, &child_bases)).zip(&child_bases)
        {
            quotas[i] = Some(q as f64);
            bases[i] = Some(*b as f64);
        }
    }
    frames.put(&level, name, quotas).map_err(|e| e.to_string())?;
    frames.put(&level, &format!("{name}{BASE_SUFFIX}"), bases).map_err(|e| e.to_string())
}

/// The rows of `dataset` that match `w` (or, with `matching` false, that do not), as evidence.
fn evidence_rows(
    label: &str,
    spec: &MeasureSpec,
    w: &Conditions,
    data: Option<&Dataset>,
    dataset: &str,
    as_of: NaiveDate,
    matching: bool,
) -> Result<Vec<Evidence>, Problem> {
    let Some(data) = data else { return Err(Problem::Config(format!("没有名为 {dataset} 的数据集"))) };
    let cond = conditions(w, data, dataset, as_of)?;
    let mut cond = if matching { cond } else { cond.not() };
    if let Some(rows) = &spec.rows {
        cond = conditions(rows, data, dataset, as_of)?.and(cond);
    }
    // Every column a condition reads, in the order written.
    let mut columns: Vec<String> = Vec::new();
    for c in w.list() {
        let read = c
            .days_between
            .iter()
            .flatten()
            .filter(|d| data.types.contains_key(*d))
            .chain(c.sum_of.iter().flatten())
            .chain(&c.column)
            .chain(&c.below)
            .chain(match &c.less_than {
                Some(Threshold::By { by, .. }) => Some(by),
                _ => None,
            });
        for r in read {
            if !columns.contains(r) {
                columns.push(r.clone());
            }
        }
    }
    if let Some(n) = data.row_name.as_ref().filter(|n| !columns.contains(*n)) {
        columns.push(n.clone());
    }
    let mut select = vec![col(UNIT), col(crate::validate::dataset::FILE), col(crate::validate::dataset::ROW)];
    select.extend(columns.iter().map(|c| col(c.as_str())));
    let df = data
        .frame
        .clone()
        .lazy()
        .filter(cond)
        .select(select)
        .collect()
        .map_err(|e| Problem::Config(format!("列出依据失败：{e}")))?;
    let text = |c: &str, i: usize| -> String {
        let Ok(column) = df.column(c) else { return String::new() };
        match (column.get(i), data.types.get(c)) {
            (Ok(AnyValue::Null), _) | (Err(_), _) => "空".into(),
            (Ok(AnyValue::Date(d)), Some(ColumnType::Date)) => {
                (NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid") + chrono::Duration::days(d as i64)).to_string()
            }
            (Ok(AnyValue::Boolean(b)), _) => if b { "是" } else { "否" }.into(),
            (Ok(AnyValue::Float64(x)), _) => crate::programme::rubric::fmt_points(x),
            (Ok(AnyValue::String(s)), _) => s.to_string(),
            (Ok(v), _) => v.to_string(),
        }
    };
    let number = |c: &str, i: usize| -> f64 {
        df.column(c).ok().and_then(|c| c.get(i).ok()).and_then(|v| v.extract::<f64>()).unwrap_or(0.0)
    };
    let mut out = Vec::new();
    for i in 0..df.height() {
        let mut parts = Vec::new();
        // Each column's value once, the row's name first: 赔案号 CUIC…；张榜公布：否.
        let mut shown: Vec<&str> = Vec::new();
        if let Some(n) = &data.row_name {
            parts.push(format!("{n} {}", text(n, i)));
            shown.push(n);
        }
        for c in w.list() {
            if let Some([a, b]) = &c.days_between {
                let date =
                    |c: &str| if c == AS_OF && !data.types.contains_key(c) { as_of.to_string() } else { text(c, i) };
                let (from, to) = (date(a), date(b));
                // A blank start has no days to count (not “相隔0天”): its dates are said as read.
                let days = match (from.parse::<NaiveDate>(), to.parse::<NaiveDate>()) {
                    (Ok(x), Ok(y)) => format!("，相隔{}天", (y - x).num_days()),
                    (Ok(x), Err(_)) => format!("，相隔{}天", (as_of - x).num_days()),
                    _ => String::new(),
                };
                let to = if to == "空" { format!("未填（计至{as_of}）") } else { to };
                // "as_of" in a rule is the assessment date: named so in words.
                let name = |c: &str| {
                    if c == AS_OF && !data.types.contains_key(c) {
                        "考核截止日".to_string()
                    } else {
                        c.to_string()
                    }
                };
                parts.push(format!("{}{from}，{}{to}{days}", name(a), name(b)));
            } else if let Some(cols) = &c.sum_of {
                let total: f64 = cols.iter().map(|x| number(x, i)).sum();
                let mut part = format!("{}合计{}", cols.join("+"), crate::programme::rubric::fmt_points(total));
                match &c.less_than {
                    Some(Threshold::By { by, values, other }) => {
                        let key = text(by, i);
                        if let Some(v) = values.get(&key).or(other.as_ref()) {
                            part = format!("{by}“{key}”：{part}，标准{}", crate::programme::rubric::fmt_points(*v));
                        }
                    }
                    Some(Threshold::Fixed(v)) => part += &format!("，标准{}", crate::programme::rubric::fmt_points(*v)),
                    None => {}
                }
                parts.push(part);
            } else if let Some(column) = &c.column {
                let mut new = Vec::new();
                for r in std::iter::once(column).chain(&c.below) {
                    if !shown.contains(&r.as_str()) {
                        shown.push(r);
                        new.push(format!("{r}：{}", text(r, i)));
                    }
                }
                if !new.is_empty() {
                    parts.push(new.join("，"));
                }
            }
        }
        out.push(Evidence {
            unit: text(UNIT, i),
            measure: label.to_string(),
            detail: parts.join("；"),
            source: format!(
                "{} 第{}行",
                text(crate::validate::dataset::FILE, i),
                text(crate::validate::dataset::ROW, i)
            ),
            file: text(crate::validate::dataset::FILE, i),
            row: text(crate::validate::dataset::ROW, i).parse().unwrap_or(0),
        });
    }
    Ok(out)
}

/// The rows of a dataset that break its `[[datasets.<name>.check]]` rules, each named with
/// file, row, the rule's message and the values read (支付日期早于定损日期：…).
pub fn broken(data: &Dataset, dataset: &str, as_of: NaiveDate, toml_file: &str) -> Vec<InputProblem> {
    let mut problems = Vec::new();
    for check in &data.checks {
        // `when`: the rows the rule applies to (the paid claims).
        let spec = MeasureSpec { rows: check.when.clone(), ..MeasureSpec::default() };
        match evidence_rows(&check.message, &spec, &check.rule, Some(data), dataset, as_of, false) {
            Ok(rows) => {
                let n = rows.len();
                for e in rows.iter().take(20) {
                    problems.push(InputProblem::at(&e.file, e.row, None, format!("{}（{}）", check.message, e.detail)));
                }
                if n > 20 {
                    problems
                        .push(InputProblem::file(dataset, format!("……另有 {} 行“{}”未列出", n - 20, check.message)));
                }
            }
            Err(Problem::Config(m)) => problems
                .push(InputProblem::file(toml_file, format!("[[datasets.{dataset}.check]] {}：{m}", check.message))),
            Err(Problem::Data(p)) => problems.extend(p),
        }
    }
    problems
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

/// The rows every condition of a `where` keeps, as one polars expression.
fn conditions(w: &Conditions, data: &Dataset, dataset: &str, as_of: NaiveDate) -> Result<Expr, Problem> {
    let mut all = w.list().iter().map(|c| condition(c, data, dataset, as_of));
    let first = all.next().unwrap_or_else(|| Err(Problem::Config("where 是空的".into())))?;
    all.try_fold(first, |a, b| Ok(a.and(b?)))
}

/// The rows one condition keeps, as a polars expression.
fn condition(w: &Where, data: &Dataset, dataset: &str, as_of: NaiveDate) -> Result<Expr, Problem> {
    use ColumnType::*;
    let base = match (&w.days_between, &w.column, &w.sum_of) {
        (None, None, Some(cols)) if !cols.is_empty() => {
            let mut sum = lit(0.0);
            for c in cols {
                let c = need(data, dataset, Some(c), &[Integer, Number, Percent, NumberOrYesNo])?;
                sum = sum + col(c).cast(DataType::Float64).fill_null(lit(0.0));
            }
            sum
        }
        (Some([from, to]), None, None) => {
            // "as_of" (when no column is called so) is the assessment date itself.
            let date = |c: &str| -> Result<Expr, Problem> {
                if c == AS_OF && !data.types.contains_key(c) {
                    return Ok(lit(day_number(as_of)));
                }
                need(data, dataset, Some(c), &[Date])?;
                Ok(col(c).cast(DataType::Int32))
            };
            let (from, to) = (date(from)?, date(to)?);
            // A blank end (not closed, not paid) counts up to the assessment date.
            (to.fill_null(lit(day_number(as_of))) - from).cast(DataType::Float64)
        }
        (None, Some(c), None) => {
            need(data, dataset, Some(c), &[])?;
            col(c.as_str())
        }
        _ => return Err(Problem::Config("where 中要写 column、days_between 或 sum_of（三选一）".into())),
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
    if let Some(other) = &w.below {
        let other = need(data, dataset, Some(other), &[Integer, Number, Percent, NumberOrYesNo])?;
        parts.push(base.clone().cast(DataType::Float64).lt(col(other).cast(DataType::Float64)));
    }
    if let Some(list) = &w.among {
        let mut any = lit(false);
        for t in list {
            any = any.or(base.clone().eq(lit(t.as_str())));
        }
        parts.push(any);
    }
    match &w.less_than {
        Some(Threshold::Fixed(n)) => parts.push(base.clone().cast(DataType::Float64).lt(lit(*n))),
        Some(Threshold::By { by, values, other }) => {
            let by = need(data, dataset, Some(by), &[Text])?;
            if other.is_none() {
                // A row whose standard is not listed would pass unnoticed: refuse it.
                check_listed(data, dataset, by, values)?;
            }
            let mut standard = match other {
                Some(o) => lit(*o),
                None => lit(NULL).cast(DataType::Float64),
            };
            for (k, v) in values.iter().rev() {
                standard = when(col(by).eq(lit(k.as_str()))).then(lit(*v)).otherwise(standard);
            }
            parts.push(base.clone().cast(DataType::Float64).lt(standard));
        }
        None => {}
    }
    if let Some(b) = w.blank {
        parts.push(if b { base.clone().is_null() } else { base.clone().is_not_null() });
    }
    for (day, after) in [(&w.after, true), (&w.before, false)] {
        let Some(day) = day else { continue };
        match &w.column {
            Some(c) if data.types.get(c) == Some(&Date) => {}
            _ => return Err(Problem::Config("after、before 要与一个日期列（column）一起写".into())),
        }
        let day = lit(day_number(day.date()?)).cast(DataType::Date);
        parts.push(if after { base.clone().gt(day) } else { base.clone().lt(day) });
    }
    let Some(first) = parts.pop() else {
        return Err(Problem::Config(
            "where 中要写 is、equals、in、at_least、at_most、less_than、below、after、before 或 blank".into(),
        ));
    };
    // A blank cell never matches a comparison.
    let matched = parts.into_iter().fold(first, |a, b| a.and(b)).fill_null(lit(false));
    Ok(if w.not { matched.not() } else { matched })
}

/// Every `by` cell must have a standard in `values` (no `other` given).
fn check_listed(data: &Dataset, dataset: &str, by: &str, values: &BTreeMap<String, f64>) -> Result<(), Problem> {
    let (Ok(cells), Ok(rows), Ok(files)) = (
        data.frame.column(by),
        data.frame.column(crate::validate::dataset::ROW),
        data.frame.column(crate::validate::dataset::FILE),
    ) else {
        return Err(Problem::Config(format!("数据集 {dataset} 没有“{by}”列")));
    };
    let (Ok(cells), Ok(rows), Ok(files)) = (cells.str(), rows.u32(), files.str()) else {
        return Err(Problem::Config(format!("“{by}”列应是文字")));
    };
    let mut problems = Vec::new();
    for i in 0..cells.len() {
        let Some(cell) = cells.get(i) else { continue };
        if !values.contains_key(cell) {
            let listed: Vec<&str> = values.keys().map(String::as_str).collect();
            problems.push(
                InputProblem::at(
                    files.get(i).unwrap_or(dataset),
                    rows.get(i).unwrap_or(0) as usize,
                    Some(by),
                    format!("“{cell}”没有规定的标准"),
                )
                .hint(format!("标准规定了：{}；或在 less_than 中写 other = 其余的标准", listed.join("、"))),
            );
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problem::Data(problems))
    }
}

/// One dataset measure, ready for its dataset's group-by at its level.
struct Aggregate<'a> {
    name: &'a str,
    dataset: &'a str,
    level: String,
    /// The dataset's unit columns read as the level's key (its first ones for a coarser level).
    keys: Vec<String>,
    /// The value per unit, as a polars aggregation.
    value: Expr,
    /// The rows it reads (`rows` and, unless it tests them, `where`); none: every row.
    mask: Option<Expr>,
    /// A unit without rows: 0 for counts and sums, 1 for `all`, NaN (不适用) for shares and
    /// means, no value for the rest.
    absent: Option<f64>,
    /// `value`: one row per unit, or the unit's rows are named.
    single: bool,
}

/// The unit columns of `data` that key `level`: all of them, or the first ones for a
/// coarser level (the county of an insurer in a county) — whose columns must come first.
fn level_keys(data: &Dataset, dataset: &str, level: &str, levels: &[Level]) -> Result<Vec<String>, Problem> {
    let find = |name: &str| levels.iter().find(|l| l.name == name);
    let (Some(to), Some(from)) = (find(level), find(&data.level)) else {
        let known: Vec<&str> = levels.iter().map(|l| l.name.as_str()).collect();
        return Err(Problem::Config(format!("level = \"{level}\" 不是 [units] 中的层级（有：{}）", known.join("、"))));
    };
    let (to, from) = (&to.columns, &from.columns);
    if to.len() > from.len() || from[..to.len()] != to[..] || (to.len() == from.len() && level != data.level) {
        return Err(Problem::Config(format!(
            "数据集 {dataset} 的行属于层级 {}（{}），不能按层级 {level}（{}）汇总",
            data.level,
            from.join("、"),
            to.join("、")
        )));
    }
    // Text columns, as validate requires of a unit's.
    Ok(data.keys[..to.len()].to_vec())
}

/// One dataset measure as a polars aggregation over its unit's rows.
fn aggregate<'a>(
    name: &'a str,
    spec: &'a MeasureSpec,
    kind: &Kind<'a>,
    datasets: &BTreeMap<String, Dataset>,
    levels: &[Level],
    as_of: NaiveDate,
) -> Result<Aggregate<'a>, Problem> {
    use ColumnType::*;
    let dataset = match kind {
        Kind::Count(d)
        | Kind::Distinct(d)
        | Kind::Sum(d)
        | Kind::Mean(d)
        | Kind::Share(d)
        | Kind::Value(d)
        | Kind::Latest(d)
        | Kind::Earliest(d)
        | Kind::All(d)
        | Kind::Any(d) => *d,
        Kind::Ratio(..) | Kind::Expr(_) | Kind::Apportion | Kind::Rank | Kind::SetAside(_) | Kind::Sql(_) => {
            unreachable!("computed from other measures, the rows set aside or a query")
        }
    };
    let Some(data) = datasets.get(dataset) else {
        let known: Vec<&str> = datasets.keys().map(String::as_str).collect();
        return Err(Problem::Config(match nearest(dataset, known.iter().copied()) {
            Some(n) => format!("没有名为 {dataset} 的数据集（是否应为 {n}？）"),
            None => format!("没有名为 {dataset} 的数据集（有：{}）", known.join("、")),
        }));
    };
    let filter = match &spec.filter {
        Some(w) => Some(conditions(w, data, dataset, as_of)?),
        None => None,
    };
    let tests_rows = matches!(kind, Kind::Share(_) | Kind::All(_) | Kind::Any(_));
    if tests_rows && filter.is_none() {
        return Err(Problem::Config("share、all 和 any 要写 where（哪些行算在内）".into()));
    }
    let column = spec.column.as_deref();
    let numeric = [Integer, Number, Percent, NumberOrYesNo];
    let level = spec.level.clone().unwrap_or_else(|| data.level.clone());
    let keys = level_keys(data, dataset, &level, levels)?;
    let rows = match &spec.rows {
        Some(rows) => Some(conditions(rows, data, dataset, as_of)?),
        None => None,
    };
    let mask = match (rows.clone(), filter.clone().filter(|_| !tests_rows)) {
        (Some(r), Some(w)) => Some(r.and(w)),
        (r, w) => r.or(w),
    };
    let keep = |e: Expr| match &mask {
        Some(m) => e.filter(m.clone()),
        None => e,
    };
    // `where` tested on the rows `rows` keeps: 1.0 for a row that matches, 0.0 for one that does not.
    let tested = || {
        let f = filter.clone().expect("checked").cast(DataType::Float64);
        match &rows {
            Some(r) => f.filter(r.clone()),
            None => f,
        }
    };
    let value: Expr = match kind {
        Kind::Count(_) => match &mask {
            Some(m) => m.clone().cast(DataType::Float64).sum(),
            None => len().cast(DataType::Float64),
        },
        Kind::Distinct(_) => keep(col(need(data, dataset, column, &[])?)).drop_nulls().n_unique(),
        Kind::Sum(_) => keep(col(need(data, dataset, column, &numeric)?)).sum(),
        Kind::Mean(_) => keep(col(need(data, dataset, column, &numeric)?)).mean(),
        Kind::Share(_) => tested().mean() * lit(if spec.percent { 100.0 } else { 1.0 }),
        Kind::All(_) => tested().min(),
        Kind::Any(_) => tested().max(),
        Kind::Value(_) => {
            keep(col(need(data, dataset, column, &[Integer, Number, Percent, YesNo, NumberOrYesNo])?)).first()
        }
        Kind::Latest(_) | Kind::Earliest(_) => {
            let c = need(data, dataset, column, &[Date])?;
            let what = if matches!(kind, Kind::Latest(_)) { "latest" } else { "earliest" };
            let Some(after) = spec.after.and_then(|d| d.date) else {
                return Err(Problem::Config(format!("{what} 要写 after = 日期（结果是晚于它的天数）")));
            };
            let after = NaiveDate::from_ymd_opt(after.year as i32, after.month as u32, after.day as u32)
                .ok_or_else(|| Problem::Config("after 不是有效日期".into()))?;
            // A blank date is no date: a unit whose dates are all blank has none.
            let days = keep(col(c).cast(DataType::Int32));
            let day = if matches!(kind, Kind::Latest(_)) { days.max() } else { days.min() };
            day - lit(day_number(after))
        }
        Kind::Ratio(..) | Kind::Expr(_) | Kind::Apportion | Kind::Rank | Kind::SetAside(_) | Kind::Sql(_) => {
            unreachable!()
        }
    };
    let absent = match kind {
        Kind::Count(_) | Kind::Distinct(_) | Kind::Sum(_) | Kind::Any(_) => Some(0.0),
        // Every one of no claims was paid on time: `all` of no rows holds.
        Kind::All(_) => Some(1.0),
        Kind::Share(_) | Kind::Mean(_) => Some(f64::NAN),
        _ => None,
    };
    Ok(Aggregate {
        name,
        dataset,
        level,
        keys,
        value: value.cast(DataType::Float64),
        mask,
        absent,
        single: matches!(kind, Kind::Value(_)),
    })
}

/// The measures of one dataset at one level in one group-by: per unit with rows, its key
/// cells (`k0`…) and each measure's value (`v0`…); for a `value` measure also the rows it
/// read (`n0`…, `at0`…, `f0`…).
fn group(data: &Dataset, aggregates: &[Aggregate]) -> Result<DataFrame, Problem> {
    let keys: Vec<Expr> =
        aggregates[0].keys.iter().enumerate().map(|(i, k)| col(k.as_str()).alias(frame::key(i))).collect();
    let mut aggs = Vec::new();
    for (i, a) in aggregates.iter().enumerate() {
        aggs.push(a.value.clone().alias(format!("v{i}")));
        if a.single {
            let keep = |e: Expr| match &a.mask {
                Some(m) => e.filter(m.clone()),
                None => e,
            };
            aggs.push(keep(col(crate::validate::dataset::ROW)).alias(format!("at{i}")));
            aggs.push(keep(col(crate::validate::dataset::FILE)).first().alias(format!("f{i}")));
        }
    }
    Ok(data
        .frame
        .clone()
        .lazy()
        .group_by(keys)
        .agg(aggs)
        .collect_with_engine(engine())
        .map_err(|e| Problem::Config(format!("计算失败：{e}")))?
        .unwrap_single())
}

/// A `value` measure reads one row per unit: each unit with more is named with its file
/// and rows.
fn twice(grouped: &DataFrame, i: usize, width: usize, name: &str, dataset: &str) -> Vec<InputProblem> {
    let (Ok(at), Ok(files)) = (
        grouped.column(&format!("at{i}")).and_then(|c| c.list().cloned()),
        grouped.column(&format!("f{i}")).and_then(|c| c.str().cloned()),
    ) else {
        return vec![InputProblem::file(dataset, format!("度量 {name} 的行无法读取"))];
    };
    let keys: Vec<StringChunked> =
        (0..width).filter_map(|k| grouped.column(&frame::key(k)).ok()?.str().ok().cloned()).collect();
    let mut found = Vec::new();
    for row in 0..grouped.height() {
        let Some(rows) = at.get_as_series(row).filter(|s| s.len() > 1) else { continue };
        let unit: Vec<&str> = keys.iter().map(|k| k.get(row).unwrap_or_default()).collect();
        let numbers: Vec<u64> = rows
            .cast(&DataType::UInt64)
            .ok()
            .and_then(|s| s.u64().ok().cloned())
            .map_or_else(Vec::new, |s| s.into_no_null_iter().collect());
        let said: Vec<String> = numbers.iter().map(|n| format!("第{n}行")).collect();
        let file = files.get(row).unwrap_or(dataset).to_string();
        let p = InputProblem::file(
            file.clone(),
            format!("“{}”有 {} 行（{}），度量 {name} 每个单位只能有一行", unit.join(" "), said.len(), said.join("、")),
        )
        .hint("删去重复的行，只留一行");
        found.push(((file, numbers.first().copied().unwrap_or(0)), p));
    }
    // In the order a clerk finds them: file, then row.
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found.into_iter().map(|(_, p)| p).collect()
}

const SQL_HINT: &str = "每个数据集是一张同名的表，列是它声明的列（日期是日期）；查询每个单位一行：先是该层级的单位列（按 [units] 的顺序），最后一列是数，如 sql = \"SELECT 镇, COUNT(*) FROM rosters WHERE 保费 >= 200 GROUP BY 镇\"；含括号等符号的列名用双引号括起来";

/// A `sql` measure: the query run by polars over every dataset (a table of its name, its
/// declared columns, dates as dates); each result row is a unit's key cells and its value,
/// returned as the level's key columns (`k0`…) and `value`.
fn sql(
    query: &str,
    spec: &MeasureSpec,
    datasets: &BTreeMap<String, Dataset>,
    levels: &[Level],
) -> Result<(String, DataFrame), Problem> {
    let names = || levels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join("、");
    let level = match (&spec.level, levels) {
        (Some(l), _) => l.clone(),
        (None, [one]) => one.name.clone(),
        (None, _) => return Err(Problem::Config(format!("sql 要写 level（结果是哪一级单位的：{}）", names()))),
    };
    let Some(the_level) = levels.iter().find(|l| l.name == level) else {
        return Err(Problem::Config(format!("level = \"{level}\" 不是 [units] 中的层级（有：{}）", names())));
    };
    let width = the_level.columns.len();
    let mut context = polars::sql::SQLContext::new();
    for (name, data) in datasets {
        // The declared columns only (not the unit, file and row kept for messages); a date
        // column is a date, so a query compares it with '2016-01-30'.
        let columns: Vec<Expr> = data.types.keys().map(|c| col(c.as_str())).collect();
        context.register(name, data.frame.clone().lazy().select(columns));
    }
    let failed = |e: PolarsError| Problem::Config(format!("sql 无法执行：{e}"));
    // A query polars itself stumbles on (a panic inside it) is this measure's problem too.
    let result = crate::ingest::contain(|| context.execute(query).and_then(|q| q.collect()))
        .map_err(|()| Problem::Config("sql 无法执行：polars 执行这条查询时中止".into()))?
        .map_err(failed)?;
    if result.width() != width + 1 {
        let names: Vec<&str> = result.get_column_names().iter().map(|n| n.as_str()).collect();
        return Err(Problem::Config(format!(
            "sql 的结果有 {} 列（{}），层级 {level} 要 {} 列：{} 个单位列和 1 个数",
            result.width(),
            names.join("、"),
            width + 1,
            width
        )));
    }
    let columns = result.columns();
    let keys: Vec<StringChunked> = columns[..width]
        .iter()
        .map(|c| c.cast(&DataType::String).and_then(|c| c.str().cloned()))
        .collect::<PolarsResult<_>>()
        .map_err(failed)?;
    let values = columns[width]
        .cast(&DataType::Float64)
        .and_then(|c| c.f64().cloned())
        .map_err(|_| Problem::Config(format!("sql 结果的最后一列“{}”不是数", columns[width].name())))?;
    let known: BTreeSet<&[String]> = the_level.units.iter().map(Vec::as_slice).collect();
    let mut seen = BTreeSet::new();
    for i in 0..result.height() {
        let cells: Vec<String> = keys.iter().map(|k| k.get(i).unwrap_or_default().to_string()).collect();
        if !known.contains(cells.as_slice()) {
            return Err(Problem::Config(format!(
                "sql 结果第{}行的“{}”不是层级 {level} 的单位",
                i + 1,
                cells.join(" ")
            )));
        }
        if !seen.insert(cells.clone()) {
            return Err(Problem::Config(format!("sql 结果中“{}”有不止一行（少了 GROUP BY？）", cells.join(" "))));
        }
    }
    // A null value (SUM of no rows) is no value, as for a unit without rows.
    let mut out: Vec<Column> =
        keys.into_iter().enumerate().map(|(i, k)| k.into_series().with_name(frame::key(i).into()).into()).collect();
    out.push(values.into_series().with_name("value".into()).into());
    Ok((level, DataFrame::new(result.height(), out).map_err(failed)?))
}
