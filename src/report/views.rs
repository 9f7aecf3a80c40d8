//! The tables a programme declares in `[views.<name>]` ([`crate::programme::view`]), built
//! from its units and measures: rows in unit order or by a ranking, key cells, figures,
//! remarks by the one ranking rule ([`crate::measure::rank::standings`]), a 合计 row, the title and
//! notes with their placeholders filled, a chart — one PDF payload (or one per unit of a
//! coarser level) and one sheet. No wording here: every word is in the programme file.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::measure::declared::DeclaredProgramme;
use crate::measure::{MeasureSpec, BASE_SUFFIX};
use crate::problem::{nearest, InputProblem};
use crate::programme::file::{Loaded, ProgrammeFile};
use crate::programme::units::Level;
use crate::programme::view::{Remark, TotalCell, ViewSpec};
use crate::report::{Cell, Table};
use crate::report::{Content, UnitDocument, Views};
use crate::validate::dataset::unit_key;

/// What every text of a view may say: {region} {year} {name} {issuer}, and each day
/// named in `[assessment] dates` ({缴费截止日} → 2016年1月30日).
fn programme_vars(c: &ProgrammeFile) -> Vec<(String, String)> {
    let mut vars = vec![
        ("region".to_string(), c.programme.region.clone()),
        ("year".to_string(), c.programme.year.to_string()),
        ("name".to_string(), c.programme.name.clone()),
        ("issuer".to_string(), c.document.issuer.clone()),
    ];
    if let Some(a) = &c.assessment {
        for (name, day) in &a.dates {
            let day =
                day.date.and_then(|d| chrono::NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32));
            if let Some(d) = day {
                vars.push((name.clone(), crate::programme::file::chinese_date(d)));
            }
        }
    }
    vars
}

fn fill(view: &str, key: &str, text: &str, vars: &[(String, String)]) -> Result<String, String> {
    let vars: Vec<(&str, String)> = vars.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    crate::programme::fill_template(&format!("[views.{view}]"), key, text, &vars)
}

/// A measure's value for a unit, exact where it can be: a ratio from its two parts (the
/// published two decimals would make 99.996% complete), as a fraction when `percent`.
struct Figures<'a> {
    specs: &'a BTreeMap<String, MeasureSpec>,
    metrics: &'a BTreeMap<String, BTreeMap<String, crate::score::rubric::Metrics>>,
    not_applicable: &'a str,
}

impl Figures<'_> {
    fn raw(&self, level: &str, unit: &str, measure: &str) -> Option<f64> {
        self.metrics.get(level)?.get(unit)?.get(measure).copied().filter(|v| !v.is_nan())
    }

    /// (numerator, denominator) of a ratio measure; `None` for any other kind.
    fn parts(&self, measure: &str) -> Option<(&str, &str, bool)> {
        let spec = self.specs.get(measure)?;
        spec.ratio.as_ref().map(|[a, b]| (a.as_str(), b.as_str(), spec.percent))
    }

    /// The value as compared and drawn: a ratio exact (a fraction when percent).
    fn exact(&self, level: &str, unit: &str, measure: &str) -> Option<f64> {
        match self.parts(measure) {
            Some((a, b, _)) => {
                let (x, y) = (self.raw(level, unit, a)?, self.raw(level, unit, b)?);
                (y != 0.0).then(|| x / y)
            }
            None => self.raw(level, unit, measure),
        }
    }

    /// One cell of a measure column.
    fn cell(&self, level: &str, unit: &str, measure: &str) -> Cell {
        match (self.parts(measure), self.exact(level, unit, measure)) {
            (_, None) => Cell::Text(self.not_applicable.to_string()),
            (Some((_, _, true)), Some(v)) => Cell::Pct(v),
            (Some(_), Some(v)) => Cell::Points(v),
            (None, Some(v)) if v.fract() == 0.0 && v.abs() < 1e15 => Cell::Int(v as u64),
            (None, Some(v)) => Cell::Points(v),
        }
    }

    /// Summed over rows: counts, sums, quotas and their bases; a ratio is the ratio of its
    /// parts' sums; anything else (a rank, a mean) has no total.
    fn total(&self, level: &str, units: &[String], measure: &str) -> Option<(f64, f64)> {
        let sum = |m: &str| -> Option<f64> {
            let spec = self.specs.get(m);
            let summable = match spec {
                Some(s) => {
                    s.count.is_some()
                        || s.sum.is_some()
                        || s.value.is_some()
                        || s.apportion.is_some()
                        || s.set_aside.is_some()
                }
                None => {
                    m.strip_suffix(BASE_SUFFIX).and_then(|q| self.specs.get(q)).is_some_and(|s| s.apportion.is_some())
                }
            };
            summable.then(|| units.iter().filter_map(|u| self.raw(level, u, m)).sum())
        };
        match self.parts(measure) {
            Some((a, b, _)) => Some((sum(a)?, sum(b)?)),
            None => Some((sum(measure)?, 1.0)),
        }
    }

    fn total_cell(&self, level: &str, units: &[String], measure: &str) -> Cell {
        match (self.parts(measure), self.total(level, units, measure)) {
            (_, None) => Cell::Text(String::new()),
            (_, Some((_, y))) if y == 0.0 => Cell::Text(self.not_applicable.to_string()),
            (Some((_, _, true)), Some((x, y))) => Cell::Pct(x / y),
            (Some(_), Some((x, y))) => Cell::Points(x / y),
            (None, Some((x, _))) if x.fract() == 0.0 && x.abs() < 1e15 => Cell::Int(x as u64),
            (None, Some((x, _))) => Cell::Points(x),
        }
    }
}

/// Every name a view reads is checked against the level's measures and key columns
/// before anything is built: one problem per wrong name, at programme.toml.
fn check(
    name: &str,
    spec: &ViewSpec,
    levels: &[Level],
    measures_of: &dyn Fn(&str) -> Vec<String>,
    file: &str,
) -> Vec<InputProblem> {
    let mut problems = Vec::new();
    let at = |m: String| InputProblem::file(file, format!("[views.{name}] {m}"));
    let Some(level) = levels.iter().find(|l| l.name == spec.level) else {
        let names: Vec<&str> = levels.iter().map(|l| l.name.as_str()).collect();
        return vec![at(format!("level = \"{}\" 不是 [units] 中的层级", spec.level))
            .hint(format!("层级有：{}", names.join("、")))];
    };
    if let Some(per) = &spec.per {
        match levels.iter().find(|l| &l.name == per) {
            Some(p) if p.columns.len() < level.columns.len() && level.columns.starts_with(&p.columns) => {}
            Some(_) => problems.push(at(format!("per = \"{per}\" 不是 {} 的上一级", spec.level))),
            None => problems.push(at(format!("per = \"{per}\" 不是 [units] 中的层级"))),
        }
    }
    let known = measures_of(&spec.level);
    let measure = |m: &str, what: &str, level: &str, known: &[String]| -> Option<InputProblem> {
        if known.iter().any(|k| k == m) {
            return None;
        }
        let p = at(format!("{what}“{m}”不是 {level} 级的度量"));
        Some(match nearest(m, known.iter().map(String::as_str)) {
            Some(n) => p.hint(format!("是否应为“{n}”？")),
            None => p.hint(format!("{level} 级的度量有：{}", known.join("、"))),
        })
    };
    if let Some(o) = &spec.order {
        problems.extend(measure(o, "order 中的", &spec.level, &known));
    }
    if let Some(c) = &spec.chart {
        problems.extend(measure(&c.measure, "chart 中的", &spec.level, &known));
    }
    for column in &spec.columns {
        let kinds = [column.key.is_some(), column.measure.is_some(), !column.remarks.is_empty()];
        if kinds.iter().filter(|k| **k).count() != 1 {
            problems.push(at(format!("列“{}”要写 key、measure 或 remarks 中的一个", column.header)));
            continue;
        }
        if let Some(k) = &column.key {
            if !level.columns.contains(k) {
                problems.push(
                    at(format!("列“{}”的 key = \"{k}\" 不是 {} 级的单位列", column.header, spec.level))
                        .hint(format!("单位列有：{}", level.columns.join("、"))),
                );
            }
        }
        if let Some(m) = &column.measure {
            problems.extend(measure(m, &format!("列“{}”的 measure ", column.header), &spec.level, &known));
        }
        for r in &column.remarks {
            let by_rank = r.bottom.is_some() || r.top.is_some();
            let by_value = r.measure.is_some() && r.below.is_some();
            if by_rank == by_value {
                problems.push(at(format!(
                    "备注“{}”要写 bottom 或 top（排名前后几位），或 measure 和 below（低于某值）",
                    r.text
                )));
            } else if by_rank && spec.order.is_none() {
                problems.push(at(format!("备注“{}”按排名，要写 order（按哪个名次排）", r.text)));
            }
            if let Some(m) = &r.measure {
                problems.extend(measure(m, "备注中的", &spec.level, &known));
            }
        }
        if let Some(TotalCell::Goal(g)) = &column.total {
            problems.extend(measure(&g.measure, "total 中的", &spec.level, &known));
        }
    }
    if spec.columns.is_empty() {
        problems.push(at("没有 columns".into()));
    }
    problems
}

/// One table's rows: the units (keys) in order, each unit's cells.
fn rows(
    spec: &ViewSpec,
    level: &Level,
    units: &[Vec<String>],
    figures: &Figures,
    flags: &BTreeMap<String, (bool, bool)>,
) -> Vec<Vec<Cell>> {
    units
        .iter()
        .map(|keys| {
            let unit = unit_key(keys);
            spec.columns
                .iter()
                .map(|column| {
                    if let Some(k) = &column.key {
                        let at = level.columns.iter().position(|c| c == k).unwrap_or(0);
                        return Cell::Text(keys.get(at).cloned().unwrap_or_default());
                    }
                    if let Some(m) = &column.measure {
                        return figures.cell(&level.name, &unit, m);
                    }
                    Cell::Text(remarks(&column.remarks, &level.name, &unit, figures, flags.get(&unit)))
                })
                .collect()
        })
        .collect()
}

fn remarks(list: &[Remark], level: &str, unit: &str, figures: &Figures, flag: Option<&(bool, bool)>) -> String {
    let (bottom, top) = flag.copied().unwrap_or((false, false));
    let mut parts = Vec::new();
    for r in list {
        let said = if r.bottom.is_some() {
            bottom
        } else if r.top.is_some() {
            top && !bottom
        } else {
            let (Some(m), Some(below)) = (&r.measure, r.below) else { continue };
            // A ratio compares exactly: insured × 100 < 100 × quota, not 99.996 rounded.
            match (figures.parts(m), figures.exact(level, unit, m)) {
                (Some((_, _, true)), Some(v)) => v * 100.0 < below,
                (_, Some(v)) => v < below,
                (_, None) => false,
            }
        };
        if said {
            parts.push(r.text.clone());
        }
    }
    parts.join("；")
}

/// The 合计 row: the label in the first column, the other key columns blank, figures
/// summed (a ratio of sums), remarks as the column's `total` says.
fn total_row(spec: &ViewSpec, label: &str, level: &str, units: &[String], figures: &Figures) -> Vec<Cell> {
    spec.columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            if i == 0 {
                return Cell::Text(label.to_string());
            }
            if let Some(m) = &column.measure {
                return figures.total_cell(level, units, m);
            }
            Cell::Text(match &column.total {
                Some(TotalCell::Text(t)) => t.clone(),
                Some(TotalCell::Goal(g)) => {
                    let reached = match figures.total(level, units, &g.measure) {
                        Some((x, y)) if y != 0.0 => {
                            let scale =
                                if matches!(figures.parts(&g.measure), Some((_, _, true))) { 100.0 } else { 1.0 };
                            x * scale >= g.at_least * y
                        }
                        _ => false,
                    };
                    if reached {
                        g.reached.clone()
                    } else {
                        g.missed.clone()
                    }
                }
                None => String::new(),
            })
        })
        .collect()
}

/// Which units the `bottom` and `top` remarks name: the view's order measure (a place,
/// 1 best) by the one ranking rule, ties at a cut inside it.
fn standings(spec: &ViewSpec, level: &str, units: &[String], figures: &Figures) -> BTreeMap<String, (bool, bool)> {
    let Some(order) = &spec.order else { return BTreeMap::new() };
    let n =
        |f: fn(&Remark) -> Option<usize>| spec.columns.iter().flat_map(|c| &c.remarks).filter_map(f).max().unwrap_or(0);
    let (bottom_n, top_n) = (n(|r| r.bottom), n(|r| r.top));
    // A lower place is better; a unit without one is behind every unit with one.
    let keys: Vec<Reverse<i64>> = units
        .iter()
        .map(|u| Reverse(figures.raw(level, u, order).map_or(i64::MAX, |v| (v * 100.0).round() as i64)))
        .collect();
    units
        .iter()
        .cloned()
        .zip(crate::measure::rank::standings(&keys, bottom_n, top_n).into_iter().map(|s| (s.bottom, s.top)))
        .collect()
}

/// The units of `level` in the order rows list them: unit order, or by `order`.
fn ordered(spec: &ViewSpec, level: &Level, figures: &Figures) -> Vec<Vec<String>> {
    let mut units = level.units.clone();
    if let Some(order) = &spec.order {
        let key = |k: &Vec<String>| figures.raw(&level.name, &unit_key(k), order).unwrap_or(f64::INFINITY);
        // A stable sort: ties keep the order units are listed in.
        units.sort_by(|a, b| key(a).total_cmp(&key(b)));
    }
    units
}

/// The per-unit values a `per` view's texts may name: {unit}, each measure of the unit's
/// level ({quota}, {place}), and for an `apportion` measure {quota.rate} and
/// {quota.base_label} (the rate and the base's label its quota was taken at).
fn unit_vars(p: &DeclaredProgramme, level: &Level, keys: &[String], figures: &Figures) -> Vec<(String, String)> {
    let unit = unit_key(keys);
    let shown = keys.join(" ");
    let mut vars = vec![("unit".to_string(), shown.clone())];
    if let Some(values) = p.metrics.get(&level.name).and_then(|m| m.get(&unit)) {
        for name in values.keys() {
            vars.push((name.clone(), figures.cell(&level.name, &unit, name).text()));
        }
    }
    for (name, spec) in &p.measures {
        let (Some(base), Some(rate)) = (&spec.apportion, spec.rate) else { continue };
        let o = spec.overrides.get(&shown);
        let base = o.and_then(|o| o.base.clone()).unwrap_or_else(|| base.clone());
        let rate = o.and_then(|o| o.rate).unwrap_or(rate);
        vars.push((format!("{name}.rate"), rate.label()));
        vars.push((format!("{name}.base_label"), p.headers.get(&base).cloned().unwrap_or(base)));
    }
    vars
}

fn table_of(name: &str, spec: &ViewSpec, header_first: &[(String, u32)]) -> Table {
    let mut columns: Vec<(&str, u32)> = header_first.iter().map(|(h, w)| (h.as_str(), *w)).collect();
    columns.extend(spec.columns.iter().map(|c| (c.header.as_str(), c.width.unwrap_or(3))));
    Table::new(spec.sheet.as_deref().unwrap_or(name), &columns)
}

/// `[assessment] summary` filled with the totals of the measures it names (each over all
/// units of its level: a count summed, a ratio of sums), for the run line.
pub fn summary(p: &DeclaredProgramme, loaded: &Loaded) -> Result<Option<String>, Vec<InputProblem>> {
    let c = &loaded.file;
    let Some(text) = c.assessment.as_ref().and_then(|a| a.summary.as_ref()) else { return Ok(None) };
    let wording = crate::programme::wording::Wording::layered(&[("[rubric_text]", &c.rubric_text)])
        .map_err(|m| vec![InputProblem::file(&loaded.shown, m)])?;
    let figures = Figures { specs: &p.measures, metrics: &p.metrics, not_applicable: &wording.not_applicable };
    let mut vars = programme_vars(c);
    for level in &p.levels {
        let units: Vec<String> = level.units.iter().map(|k| unit_key(k)).collect();
        let names: std::collections::BTreeSet<&String> =
            p.metrics.get(&level.name).into_iter().flat_map(|m| m.values()).flat_map(|m| m.keys()).collect();
        for name in names {
            if figures.total(&level.name, &units, name).is_some() {
                vars.push((name.clone(), figures.total_cell(&level.name, &units, name).text()));
            }
        }
    }
    let vars: Vec<(&str, String)> = vars.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    crate::programme::fill_template("[assessment]", "summary", text, &vars)
        .map(Some)
        .map_err(|m| vec![InputProblem::file(&loaded.shown, m)])
}

/// Build every declared view into `views`: all problems at once, at programme.toml.
pub fn build(p: &DeclaredProgramme, loaded: &Loaded, views: &mut Views) -> Result<(), Vec<InputProblem>> {
    let (c, file) = (&loaded.file, loaded.shown.as_str());
    if c.views.is_empty() {
        return Ok(());
    }
    // 不适用, as the programme's wording says it.
    let wording = crate::programme::wording::Wording::layered(&[("[rubric_text]", &c.rubric_text)])
        .map_err(|m| vec![InputProblem::file(file, m)])?;
    let not_applicable = wording.not_applicable.as_str();
    let measures_of = |level: &str| -> Vec<String> {
        let mut names: Vec<String> = p
            .metrics
            .get(level)
            .map(|units| units.values().flat_map(|m| m.keys().cloned()).collect::<std::collections::BTreeSet<_>>())
            .unwrap_or_default()
            .into_iter()
            .collect();
        names.sort();
        names
    };
    let problems: Vec<InputProblem> =
        c.views.iter().flat_map(|(name, spec)| check(name, spec, &p.levels, &measures_of, file)).collect();
    if !problems.is_empty() {
        return Err(problems);
    }
    let figures = Figures { specs: &p.measures, metrics: &p.metrics, not_applicable };
    let vars = programme_vars(c);
    let bad = |m: String| vec![InputProblem::file(file, m)];
    for (name, spec) in &c.views {
        let level = p.levels.iter().find(|l| l.name == spec.level).expect("checked");
        let units = ordered(spec, level, &figures);
        let keys: Vec<String> = units.iter().map(|k| unit_key(k)).collect();
        let flags = standings(spec, &level.name, &keys, &figures);
        let text = |key: &str, t: &str, vars: &[(String, String)]| fill(name, key, t, vars).map_err(bad);
        // One document's payload, and its table (the sheet of a view of one document).
        let document =
            |units: &[Vec<String>], vars: &[(String, String)]| -> Result<(Value, Table), Vec<InputProblem>> {
                let keys: Vec<String> = units.iter().map(|k| unit_key(k)).collect();
                let mut table = table_of(name, spec, &[]);
                table.rows = rows(spec, level, units, &figures, &flags);
                if let Some(label) = &spec.total {
                    table.total = Some(total_row(spec, label, &level.name, &keys, &figures));
                }
                let mut data = json!({
                    "label": spec.label,
                    "title": text("title", &spec.title, vars)?,
                    "subtitle": text("subtitle", &spec.subtitle, vars)?,
                    "table": table.to_json(),
                    "note": text("note", &spec.note, vars)?,
                });
                if let Some(chart) = &spec.chart {
                    let items: Vec<Value> = keys
                    .iter()
                    .zip(units)
                    .map(|(u, k)| {
                        let v = figures.exact(&level.name, u, &chart.measure).unwrap_or(0.0);
                        let shown = figures.cell(&level.name, u, &chart.measure).text();
                        let flag = flags.get(u).is_some_and(|f| f.0);
                        json!({"name": k.last().cloned().unwrap_or_default(), "value": v, "text": shown, "flag": flag})
                    })
                    .collect();
                    let max = items.iter().filter_map(|i| i["value"].as_f64()).fold(1.0f64, f64::max);
                    data["chart"] = json!({
                        "title": text("chart.title", &chart.title, vars)?,
                        "scale": (max * 10.0).ceil() / 10.0,
                        "items": items,
                        "legend": text("chart.legend", &chart.legend, vars)?,
                    });
                }
                Ok((data, table))
            };
        match &spec.per {
            None => {
                let (data, table) = document(&units, &vars)?;
                views.document(name, name, &format!("{name}.pdf"), Content::One(data));
                views.table(name, table);
            }
            Some(per) => {
                let parent = p.levels.iter().find(|l| &l.name == per).expect("checked");
                let depth = parent.columns.len();
                let mut docs = Vec::new();
                let keys_first: Vec<(String, u32)> = parent.columns.iter().map(|c| (c.clone(), 3)).collect();
                let mut sheet = table_of(name, spec, &keys_first);
                for parent_keys in &parent.units {
                    let own: Vec<Vec<String>> =
                        units.iter().filter(|k| k[..depth] == parent_keys[..]).cloned().collect();
                    let mut unit_vars = vars.clone();
                    unit_vars.extend(self::unit_vars(p, parent, parent_keys, &figures));
                    let (data, _) = document(&own, &unit_vars)?;
                    for row in rows(spec, level, &own, &figures, &flags) {
                        let mut cells: Vec<Cell> = parent_keys.iter().map(|k| Cell::Text(k.clone())).collect();
                        cells.extend(row);
                        sheet.rows.push(cells);
                    }
                    let shown = parent_keys.join(" ");
                    docs.push(UnitDocument { file_name: parent_keys.join("-"), unit: shown, data });
                }
                views.document(name, name, &format!("{name}/{{n}}-{{unit}}.pdf"), Content::PerUnit(docs));
                views.table(name, sheet);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remarks_follow_the_ranking_and_a_ratio_is_compared_exactly() {
        let mut specs = BTreeMap::new();
        let ratio =
            MeasureSpec { ratio: Some(["insured".into(), "quota".into()]), percent: true, ..Default::default() };
        specs.insert("completion".to_string(), ratio);
        let mut units = BTreeMap::new();
        // 49,999 of 50,000: 99.998%, published as 100.00% — still unfinished.
        units.insert("甲".to_string(), [("insured".to_string(), 49_999.0), ("quota".to_string(), 50_000.0)].into());
        units.insert("乙".to_string(), [("insured".to_string(), 50_000.0), ("quota".to_string(), 50_000.0)].into());
        let metrics = [("town".to_string(), units)].into();
        let figures = Figures { specs: &specs, metrics: &metrics, not_applicable: "不适用" };
        let unfinished = [Remark {
            text: "未完成任务".into(),
            bottom: None,
            top: None,
            measure: Some("completion".into()),
            below: Some(100.0),
        }];
        assert_eq!(remarks(&unfinished, "town", "甲", &figures, None), "未完成任务");
        assert_eq!(remarks(&unfinished, "town", "乙", &figures, None), "");
        assert_eq!(figures.cell("town", "甲", "completion").text(), "100.00%");
        let both = (true, true);
        let cut = [
            Remark { text: "后一位".into(), bottom: Some(1), top: None, measure: None, below: None },
            Remark { text: "前一位".into(), bottom: None, top: Some(1), measure: None, below: None },
        ];
        // A unit at both cuts (a list of one) is named only at the bottom.
        assert_eq!(remarks(&cut, "town", "甲", &figures, Some(&both)), "后一位");
    }
}
