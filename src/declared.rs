//! The declared steps of a programme: the units at one or several levels, the datasets
//! read for them with their columns, the measures computed from them, and the rubrics
//! that score the measures of any level. No Rust knows about any particular programme; `input/langao-2016-towns/` and
//! `input/nantong-2012-agri/` are two.
//!
//! [`load`]: [`crate::dataset`] (ingest + validate, one task per dataset) →
//! [`crate::measure`] (polars); [`publish`]: [`crate::assess`] (score, rank, grade) → views.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Deserialize;

use crate::assess::{self, Unit};
use crate::config::{Loaded, ProgrammeFile};
use crate::dataset::{self, Dataset, DatasetSpec};
use crate::measure::{self, MeasureSpec};
use crate::outputs::{Content, Views};
use crate::problem::{InputErrors, InputProblem};
use crate::report::{Cell, Table};
use crate::rubric::{self, Rubric};

pub use crate::programme::{AssessmentSection, LastYear};

/// `[units]`: who is assessed, at one level; `[[units]]`, one table per level.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitsSpec {
    /// The level's name, as rubrics write it in `assesses` (e.g. "town").
    pub level: String,
    /// The unit column's header in every table (e.g. "镇（办）").
    #[serde(default)]
    pub column: Option<String>,
    /// A unit named by several cells: `columns = ["县（市）区", "承办公司"]`.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Every unit, in the order tables list them: a name, or one cell per column
    /// (`["崇川区", "人保财险"]`).
    #[serde(default)]
    pub names: Vec<UnitName>,
    /// Or: the units are those a dataset names, in its order (the towns of a population table).
    pub from: Option<String>,
    /// What the units are called in sheet titles (“承办公司” → 承办公司考核指标);
    /// default: the last unit column.
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum UnitName {
    One(String),
    Keys(Vec<String>),
}

/// A level of units, checked: its key columns and each unit's key cells.
#[derive(Debug, Clone)]
pub struct Level {
    pub name: String,
    /// Where its units are listed, as messages say it: " [units] ", "数据集 population", "人口数据".
    pub named_in: String,
    /// `from`: the dataset the units are drawn from.
    pub from: Option<String>,
    pub title: String,
    pub columns: Vec<String>,
    pub units: Vec<Vec<String>>,
}

/// The levels of `[units]` / `[[units]]`, each checked: a name, its columns, every unit
/// with one cell per column, none twice.
pub fn levels(units: &toml::Value, file: &str, text: &str) -> Result<Vec<Level>, Vec<InputProblem>> {
    let specs: Vec<toml::Value> = match units {
        toml::Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let mut out: Vec<Level> = Vec::new();
    let mut problems = Vec::new();
    for spec in specs {
        let spec: UnitsSpec = match spec.try_into() {
            Ok(s) => s,
            Err(e) => {
                let e: toml::de::Error = e;
                problems.push(
                    InputProblem::file(file, format!("[units] 写法有误：{}", e.message()))
                        .hint("每个层级写 level、column（或 columns）和 names"),
                );
                continue;
            }
        };
        let columns = match (&spec.column, spec.columns.is_empty()) {
            (Some(c), true) => vec![c.clone()],
            (None, false) => spec.columns.clone(),
            _ => {
                problems.push(InputProblem::file(
                    file,
                    format!("[units] {}：写 column（一列）或 columns（几列），只写其中一个", spec.level),
                ));
                continue;
            }
        };
        if out.iter().any(|l| l.name == spec.level) {
            problems.push(InputProblem::file(file, format!("[units] 中层级“{}”出现了两次", spec.level)));
        }
        let mut seen = BTreeSet::new();
        let mut units = Vec::new();
        for name in &spec.names {
            let keys = match name {
                UnitName::One(n) => vec![n.clone()],
                UnitName::Keys(k) => k.clone(),
            };
            let shown = keys.join(" ");
            // “通州区 ” would match no row of any file: one problem here, at its line, not
            // one per row at the data files.
            if let Some(k) = keys.iter().find(|k| k.trim() != k.as_str() || k.is_empty()) {
                let quoted = format!("\"{k}\"");
                let line = text.lines().position(|l| l.contains(&quoted)).map(|i| i + 1);
                let message = format!("[units] {} 的单位名“{k}”前后有空格（或是空的）", spec.level);
                let p = match line {
                    Some(line) => InputProblem::at(file, line, None, message),
                    None => InputProblem::file(file, message),
                };
                problems.push(p.hint(format!("写成“{}”", k.trim())));
                continue;
            }
            if keys.len() != columns.len() {
                problems.push(InputProblem::file(
                    file,
                    format!("[units] {} 的“{shown}”有 {} 格，columns 有 {} 列", spec.level, keys.len(), columns.len()),
                ));
            } else if !seen.insert(shown.clone()) {
                problems.push(InputProblem::file(file, format!("[units] names 中“{shown}”出现了两次")));
            } else {
                units.push(keys);
            }
        }
        if spec.from.is_some() == !spec.names.is_empty() {
            problems.push(InputProblem::file(
                file,
                format!("[units] {}：写 names（单位名单）或 from（取自哪个数据集），只写其中一个", spec.level),
            ));
        }
        let title = spec.title.clone().unwrap_or_else(|| columns.last().cloned().unwrap_or_default());
        let named_in = match &spec.from {
            Some(d) => format!("数据集 {d} "),
            None => " [units] ".to_string(),
        };
        out.push(Level { name: spec.level, named_in, from: spec.from.clone(), title, columns, units });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The key columns of every table: the widest level's (a county row leaves 承办公司 empty).
pub fn key_columns(levels: &[Level]) -> Vec<String> {
    levels.iter().map(|l| &l.columns).max_by_key(|c| c.len()).cloned().unwrap_or_default()
}

/// The level a dataset's rows belong to: the declared one, or the only level with as
/// many key columns as the dataset's `unit`.
fn level_of<'a>(name: &str, spec: &DatasetSpec, levels: &'a [Level], file: &str) -> Result<&'a Level, InputProblem> {
    let width = spec.unit.names().len();
    let names = || levels.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join("、");
    let level = match &spec.level {
        Some(l) => levels.iter().find(|x| &x.name == l).ok_or_else(|| {
            InputProblem::file(file, format!("[datasets.{name}] level = \"{l}\" 不是 [units] 中的层级"))
                .hint(format!("层级有：{}", names()))
        })?,
        None => {
            let fit: Vec<&Level> = levels.iter().filter(|l| l.columns.len() == width).collect();
            match fit.as_slice() {
                [one] => *one,
                _ => {
                    return Err(InputProblem::file(file, format!("[datasets.{name}] 属于哪个单位层级不明"))
                        .hint(format!("写 level = 其中之一：{}", names())))
                }
            }
        }
    };
    if level.columns.len() != width {
        return Err(InputProblem::file(
            file,
            format!("[datasets.{name}] 的 unit 有 {width} 列，层级 {} 的单位有 {} 列", level.name, level.columns.len()),
        ));
    }
    Ok(level)
}

/// Last year's grade of every unit of `levels` the last-year dataset names. A rubric with
/// a two-year rule needs a row for every unit it grades: a missing row must not quietly
/// spare a unit its consequence (a unit new this year has 无).
fn last_year_grades(
    config: &ProgrammeFile,
    datasets: &BTreeMap<String, Dataset>,
    rubrics: &[(String, Rubric)],
    levels: &[Level],
    file: &str,
) -> Result<BTreeMap<Vec<String>, String>, Vec<InputProblem>> {
    let twice: Vec<&Rubric> =
        rubrics.iter().map(|(_, r)| r).filter(|r| r.grades.iter().any(|g| g.twice.is_some())).collect();
    let Some(spec) = config.assessment.as_ref().and_then(|a| a.last_year.as_ref()) else {
        return match twice.first() {
            None => Ok(BTreeMap::new()),
            Some(r) => Err(vec![InputProblem::file(
                file,
                format!(
                    "评分表 {} 有连续两年同一等级的规则（twice），但 [assessment] 中没有 last_year（上年考核等级）",
                    r.rubric.id
                ),
            )
            .hint(
                "写 last_year = { dataset = \"上年等级数据集\", column = \"等级\" }；上年未参加考核的单位等级填“无”",
            )]),
        };
    };
    let Some(data) = datasets.get(&spec.dataset) else {
        return Err(vec![InputProblem::file(
            file,
            format!("[assessment] last_year：没有名为 {} 的数据集", spec.dataset),
        )]);
    };
    let text = |c: &str| data.frame.column(c).ok().and_then(|c| c.str().ok().cloned());
    let (Some(units), Some(grades)) = (text(dataset::UNIT), text(&spec.column)) else {
        return Err(vec![InputProblem::file(
            file,
            format!("[assessment] last_year：数据集 {} 没有文字列“{}”", spec.dataset, spec.column),
        )]);
    };
    let mut problems = Vec::new();
    // A grade the rubrics do not have (不及格 for 不合格) would never repeat: refused, as is
    // a unit with two rows (which one counts?).
    let mut allowed: BTreeSet<&str> = twice.iter().flat_map(|r| r.grades.iter().map(|g| g.grade.as_str())).collect();
    allowed.insert("无");
    let (files, rows) = (text(dataset::FILE), data.frame.column(dataset::ROW).ok().and_then(|c| c.u32().ok().cloned()));
    let mut out: BTreeMap<Vec<String>, String> = BTreeMap::new();
    for (i, (unit, grade)) in units.iter().zip(grades.iter()).enumerate() {
        let keys: Vec<String> = unit.unwrap_or_default().split(dataset::KEY_SEP).map(str::to_string).collect();
        let grade = grade.unwrap_or_default().trim().to_string();
        let file = files.as_ref().and_then(|f| f.get(i)).unwrap_or_default().to_string();
        let row = rows.as_ref().and_then(|r| r.get(i)).unwrap_or(0) as usize;
        if !twice.is_empty() && !allowed.contains(grade.as_str()) {
            let listed: Vec<&str> = allowed.iter().copied().collect();
            problems.push(
                InputProblem::at(&file, row, Some(&spec.column), format!("上年等级“{grade}”不是评分表中的等级"))
                    .hint(format!("可填：{}（上年未参加考核的填“无”）", listed.join("、"))),
            );
        }
        if out.insert(keys.clone(), grade).is_some() {
            problems.push(
                InputProblem::at(&file, row, None, format!("“{}”的上年等级填了不止一行", keys.join(" ")))
                    .hint("每个单位只留一行"),
            );
        }
    }
    for r in twice {
        let Some(level) = levels.iter().find(|l| l.name == r.rubric.assesses) else { continue };
        for keys in level.units.iter().filter(|k| !out.contains_key(*k)) {
            let shown = data.files.first().map(|(_, s)| s.clone()).unwrap_or_else(|| spec.dataset.clone());
            problems.push(
                InputProblem::file(shown, format!("没有“{}”的上年等级", keys.join(" ")))
                    .hint("补上该单位上年的等级；上年未参加考核的，等级填“无”"),
            );
        }
    }
    // Padded like the units: keys as wide as the widest level.
    let width = key_columns(levels).len();
    let out = out
        .into_iter()
        .map(|(mut k, g)| {
            k.resize(width, String::new());
            (k, g)
        })
        .collect();
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The declared steps of a programme, read, checked and measured.
pub struct DeclaredProgramme {
    pub rubrics: Vec<(String, Rubric)>,
    pub datasets: BTreeMap<String, Dataset>,
    /// The levels of units, as `[units]` lists them.
    pub levels: Vec<Level>,
    /// Level → unit key → measure name → value.
    pub metrics: BTreeMap<String, BTreeMap<String, rubric::score::Metrics>>,
    /// Last year's grade per unit keys (padded like [`Unit`] keys), for two-year rules.
    pub last_year: BTreeMap<Vec<String>, String>,
    /// The rows behind measures declared with `evidence = true`.
    pub evidence: Vec<measure::Evidence>,
    /// Level → the columns of its metrics sheet: `[measures]` in the order programme.toml
    /// lists them (but `sheet = false`), then each findings column.
    pub sheet: BTreeMap<String, Vec<String>>,
    /// Each measure's metrics-sheet header: its `label`, or its name.
    pub headers: BTreeMap<String, String>,
    /// `[measures]` as declared.
    pub measures: BTreeMap<String, MeasureSpec>,
}

/// The names of `[measures]` in the order the file writes them (serde's map is sorted);
/// any name not found this way goes last, in name order.
fn measure_order(text: &str, measures: &BTreeMap<String, MeasureSpec>) -> Vec<String> {
    let mut order: Vec<String> = Vec::new();
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == "[measures]";
            continue;
        }
        let name = line.split('=').next().unwrap_or("").trim().trim_matches('"');
        if inside && line.contains('=') && measures.contains_key(name) && !order.iter().any(|o| o == name) {
            order.push(name.to_string());
        }
    }
    order.extend(measures.keys().filter(|k| !order.contains(k)).cloned().collect::<Vec<_>>());
    order
}

fn date_of(d: toml::value::Datetime, file: &str, key: &str) -> Result<NaiveDate, InputProblem> {
    d.date
        .and_then(|d| NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32))
        .ok_or_else(|| InputProblem::file(file, format!("{key} 应是日期，如 2016-12-31")))
}

/// Read the programme file, every dataset and rubric, and compute every measure.
/// All problems at once.
pub fn load(dir: &Path, display: &str, loaded: &Loaded) -> Result<DeclaredProgramme, Vec<InputProblem>> {
    let file = loaded.shown.clone();
    let config = &loaded.file;
    let text = &loaded.text;
    // The day the datasets' figures stand at: an open case's days count up to it.
    let as_of = match &config.assessment {
        Some(a) => date_of(a.as_of, &file, "assessment.as_of").map_err(|p| vec![p])?,
        None if config.datasets.is_empty() => loaded.date,
        None => {
            return Err(vec![InputProblem::file(&file, "写了 [datasets]，但没有 [assessment] as_of（数据截至哪一天）")
                .hint(format!("加上：[assessment] 一节，写 as_of = {}-12-31 这样的日期", config.programme.year))])
        }
    };
    let Some(units) = &config.units else {
        return Err(vec![InputProblem::file(&file, "没有声明被考核的单位").hint(
            "写 [units]（level、column、names 或 from；几个层级写 [[units]]），见 input/hanbin-2015-micro/programme.toml",
        )]);
    };
    let mut levels: Vec<Level> = self::levels(units, &file, text)?;
    // Units drawn from a dataset are named in messages by its title (人口数据（区统计局）).
    for level in levels.iter_mut() {
        if let Some(spec) = level.from.as_ref().and_then(|d| config.datasets.get(d)).filter(|s| !s.title.is_empty()) {
            level.named_in = spec.title.clone();
        }
    }
    let mut problems = Vec::new();
    // Days named in conditions (`after = "缴费截止日"`) become their dates, once.
    let dates = config.assessment.as_ref().map(|a| a.dates.clone()).unwrap_or_default();
    let unknown_day = |what: String, names: Vec<String>| -> Vec<InputProblem> {
        let listed: Vec<&str> = dates.keys().map(String::as_str).collect();
        names
            .into_iter()
            .map(|n| {
                InputProblem::file(&file, format!("{what} 中的日期“{n}”不在 [assessment] dates 中")).hint(
                    if listed.is_empty() {
                        format!("在 [assessment] 中写 dates = {{ \"{n}\" = {}-12-31 }}", config.programme.year)
                    } else {
                        format!("[assessment] dates 中有：{}", listed.join("、"))
                    },
                )
            })
            .collect()
    };
    let mut measures = config.measures.clone();
    for (name, spec) in measures.iter_mut() {
        for w in [&mut spec.filter, &mut spec.rows].into_iter().flatten() {
            problems.extend(unknown_day(format!("[measures] {name}"), measure::resolve_days(w, &dates)));
        }
    }
    let read_one = |name: &String, spec: &DatasetSpec, levels: &[Level]| {
        let read = level_of(name, spec, levels, &file).map_err(|p| vec![p]).and_then(|level| {
            let defines = level.from.as_ref() == Some(name);
            let all = levels.iter().map(|l| (l.name.as_str(), l.units.as_slice())).collect();
            let units = dataset::UnitsOf {
                level: &level.name,
                keys: &level.units,
                defines,
                named_in: &level.named_in,
                levels: all,
            };
            dataset::read(dir, display, name, spec, units, as_of, config.programme.year)
        });
        (name.clone(), read)
    };
    // The datasets units are drawn from are read first; their units, in order, are the level's.
    let mut read: Vec<(String, Result<Dataset, Vec<InputProblem>>)> = Vec::new();
    for i in 0..levels.len() {
        let Some(from) = levels[i].from.clone() else { continue };
        let Some(spec) = config.datasets.get(&from) else {
            return Err(vec![InputProblem::file(
                &file,
                format!("[units] {} 的 from = \"{from}\" 不是 [datasets] 中的数据集", levels[i].name),
            )]);
        };
        // One dataset may give two levels (a population table by town and village gives
        // the villages, and the towns as their first key column): it is read once.
        if !read.iter().any(|(n, _)| n == &from) {
            let one = crate::timings::timed("ingest+validate", || read_one(&from, spec, &levels));
            read.push(one);
        }
        let Some((_, data)) = read.iter().find(|(n, _)| n == &from) else { continue };
        let Ok(d) = data else { continue };
        let own = levels.iter().find(|l| l.name == d.level).map(|l| l.columns.clone()).unwrap_or_default();
        let width = levels[i].columns.len();
        if d.level != levels[i].name && (width >= own.len() || own[..width] != levels[i].columns[..]) {
            return Err(vec![InputProblem::file(
                &file,
                format!("[units] {} 取自数据集 {from}，但它的行属于层级 {}", levels[i].name, d.level),
            )
            .hint(format!(
                "在 [datasets.{from}] 中写 level = \"{}\"；或让层级 {} 的 columns 是 {} 的前几列",
                levels[i].name,
                levels[i].name,
                own.join("、")
            ))]);
        }
        let mut units: Vec<Vec<String>> = Vec::new();
        let mut seen = BTreeSet::new();
        if let Ok(keys) = d.frame.column(dataset::UNIT).and_then(|c| c.str().cloned()) {
            for k in keys.iter().flatten() {
                let key: Vec<String> = k.split(dataset::KEY_SEP).take(width).map(str::to_string).collect();
                if seen.insert(key.clone()) {
                    units.push(key);
                }
            }
        }
        levels[i].units = units;
    }
    // A table the units are drawn from that cannot be read leaves no units to check the
    // other datasets' rows against: its problems alone, not one per row of every roster.
    let failed: Vec<InputProblem> = read.iter().filter_map(|(_, r)| r.as_ref().err()).flatten().cloned().collect();
    if !failed.is_empty() {
        return Err(failed);
    }
    // Then every other dataset, each in its own task.
    let rest: Vec<(String, Result<Dataset, Vec<InputProblem>>)> = crate::timings::timed("ingest+validate", || {
        config
            .datasets
            .par_iter()
            .filter(|(name, _)| !read.iter().any(|(n, _)| n == *name))
            .map(|(name, spec)| read_one(name, spec, &levels))
            .collect()
    });
    read.extend(rest);
    let mut datasets = BTreeMap::new();
    for (name, r) in read {
        match r {
            Ok(d) => {
                datasets.insert(name, d);
            }
            Err(p) => problems.extend(p),
        }
    }
    for (name, data) in datasets.iter_mut() {
        for check in data.checks.iter_mut() {
            for w in [&mut check.when].into_iter().flatten().chain([&mut check.rule]) {
                problems.extend(unknown_day(format!("[[datasets.{name}.check]]"), measure::resolve_days(w, &dates)));
            }
        }
    }
    for (name, data) in &datasets {
        problems.extend(measure::broken(data, name, as_of, &file));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let unit_keys: BTreeMap<String, Vec<String>> =
        levels.iter().map(|l| (l.name.clone(), l.units.iter().map(|k| dataset::unit_key(k)).collect())).collect();
    let level_columns: BTreeMap<String, Vec<String>> =
        levels.iter().map(|l| (l.name.clone(), l.columns.clone())).collect();
    let measure = |specs: &BTreeMap<String, MeasureSpec>| {
        measure::compute(specs, &datasets, &unit_keys, &level_columns, as_of, &file)
    };
    let measure::Measured { mut metrics, level_of, evidence } =
        crate::timings::timed("metrics", || measure(&measures))?;
    let mut headers: BTreeMap<String, String> = config
        .measures
        .iter()
        .map(|(name, m)| (name.clone(), m.label.clone().unwrap_or_else(|| name.clone())))
        .collect();
    // Each level's measures: [measures] in the order the file writes them, then each
    // column of the level's findings tables — a measure of the same name, the unit's value.
    let mut columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in measure_order(text, &config.measures) {
        if let Some(level) = level_of.get(&name) {
            columns.entry(level.clone()).or_default().push(name);
        }
    }
    let mut sheet = columns.clone();
    for names in sheet.values_mut() {
        names.retain(|n| config.measures.get(n).and_then(|m| m.sheet) != Some(false));
    }
    for (name, data) in &datasets {
        if data.other_columns.is_empty() {
            continue;
        }
        let level = columns.entry(data.level.clone()).or_default();
        let mut specs = BTreeMap::new();
        for column in &data.other_columns {
            if level.contains(column) {
                problems.push(
                    InputProblem::file(&file, format!("[measures] 中已有“{column}”，它也是数据集 {name} 的检查结果列"))
                        .hint("改掉其中一个名字"),
                );
                continue;
            }
            level.push(column.clone());
            headers.insert(column.clone(), column.clone());
            sheet.entry(data.level.clone()).or_default().push(column.clone());
            specs.insert(
                column.clone(),
                MeasureSpec { value: Some(name.clone()), column: Some(column.clone()), ..MeasureSpec::default() },
            );
        }
        match measure(&specs) {
            Ok(found) => {
                for (level, units) in found.metrics {
                    for (unit, values) in units {
                        metrics.entry(level.clone()).or_default().entry(unit).or_default().extend(values);
                    }
                }
            }
            Err(p) => problems.extend(p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Two columns of one metrics sheet under one header: which is the 排名 a clerk reads?
    for names in sheet.values() {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for name in names {
            let header = headers.get(name).map(String::as_str).unwrap_or(name);
            if let Some(other) = seen.insert(header, name) {
                problems.push(
                    InputProblem::file(&file, format!("度量“{other}”和“{name}”在考核指标表中都叫“{header}”"))
                        .hint("给其中一个换一个 label"),
                );
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // A rubric reads the measures of its own level.
    let available = |level: &str| -> BTreeSet<String> { columns.get(level).into_iter().flatten().cloned().collect() };
    let level_names: Vec<&str> = levels.iter().map(|l| l.name.as_str()).collect();
    let mut rubrics = rubric::load_listed(dir, display, &config.rubrics, &level_names, available, &config.rubric_text)?;
    deadlines(&mut rubrics, &config.measures)?;
    let last_year = last_year_grades(config, &datasets, &rubrics, &levels, &file)?;
    Ok(DeclaredProgramme { rubrics, datasets, levels, metrics, last_year, evidence, sheet, headers, measures })
}

/// A `deadline` item's day is the `after` of the measure it reads (a `latest` or `earliest`):
/// set here, where both files are known, so the day is written once; an item reading any
/// other measure is refused at its rubric file.
fn deadlines(
    rubrics: &mut [(String, rubric::Rubric)],
    measures: &BTreeMap<String, MeasureSpec>,
) -> Result<(), Vec<InputProblem>> {
    let mut problems = Vec::new();
    for (file, r) in rubrics.iter_mut() {
        for item in r.items.iter_mut() {
            let rubric::Rule::Deadline { metric, date, .. } = &mut item.rule else { continue };
            let day = measures
                .get(metric.as_str())
                .filter(|m| m.latest.is_some() || m.earliest.is_some())
                .and_then(|m| m.after)
                .and_then(|d| d.date)
                .and_then(|d| NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32));
            match day {
                Some(d) => *date = Some(d),
                None => problems.push(
                    InputProblem::file(
                        file.as_str(),
                        format!("第{}项：deadline 读的“{metric}”不是写了 after 的 latest 或 earliest 度量", item.id),
                    )
                    .hint(format!(
                        "在 programme.toml 的 [measures] 中写 {metric} = {{ earliest = \"数据集\", column = \"日期列\", after = 截止日期 }}"
                    )),
                ),
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The units and their measures, as the scoring stage reads them.
pub fn assessment_input(p: &DeclaredProgramme) -> assess::Input<'_> {
    let key_columns = key_columns(&p.levels);
    let units = p
        .levels
        .iter()
        .map(|level| {
            let metrics = p.metrics.get(&level.name);
            let units = level
                .units
                .iter()
                .map(|keys| {
                    let values = metrics.and_then(|m| m.get(&dataset::unit_key(keys))).cloned().unwrap_or_default();
                    // Padded to the widest level's columns: a county row leaves 承办公司 empty.
                    let mut keys = keys.clone();
                    keys.resize(key_columns.len(), String::new());
                    Unit { keys, values }
                })
                .collect();
            (level.name.clone(), units)
        })
        .collect();
    // Each level's headers: its own columns, then the widest level's beyond them.
    let level_columns = p
        .levels
        .iter()
        .map(|l| {
            let mut columns = l.columns.clone();
            columns.extend(key_columns.iter().skip(l.columns.len()).cloned());
            (l.name.clone(), columns)
        })
        .collect();
    assess::Input {
        rubrics: &p.rubrics,
        key_columns: level_columns,
        units,
        last_year: p.last_year.clone(),
        sources: cell_sources(p, &key_columns),
    }
}

/// Where a unit's figure was read (file, row, column), for the measures a clerk fills in
/// one cell per unit — `value` measures, findings columns and a rubric's `sample` (by
/// `sum` or `value`): a figure missing or a sample too small is then named at its cell.
fn cell_sources(
    p: &DeclaredProgramme,
    key_columns: &[String],
) -> BTreeMap<(Vec<String>, String), (String, usize, String)> {
    let samples: BTreeSet<&str> = p
        .rubrics
        .iter()
        .flat_map(|(_, r)| &r.items)
        .filter_map(|item| match &item.rule {
            rubric::Rule::Shortfall { sample: Some(s), .. } => Some(s.as_str()),
            _ => None,
        })
        .collect();
    // (measure, dataset, column)
    let mut read: Vec<(&str, &str, &str)> = Vec::new();
    for (name, spec) in &p.measures {
        let dataset = spec.value.as_deref().or(spec.sum.as_deref().filter(|_| samples.contains(name.as_str())));
        if let (Some(d), Some(c)) = (dataset, spec.column.as_deref()) {
            read.push((name, d, c));
        }
    }
    for (d, data) in &p.datasets {
        read.extend(data.other_columns.iter().map(|c| (c.as_str(), d.as_str(), c.as_str())));
    }
    let mut out = BTreeMap::new();
    for (measure, dataset, column) in read {
        let Some(data) = p.datasets.get(dataset) else { continue };
        let f = &data.frame;
        let (Ok(units), Ok(files), Ok(rows)) =
            (f.column(dataset::UNIT), f.column(dataset::FILE), f.column(dataset::ROW))
        else {
            continue;
        };
        let (Ok(units), Ok(files), Ok(rows)) = (units.str(), files.str(), rows.u32()) else { continue };
        for i in 0..f.height() {
            let mut keys: Vec<String> =
                units.get(i).unwrap_or_default().split(dataset::KEY_SEP).map(str::to_string).collect();
            keys.resize(key_columns.len(), String::new());
            out.entry((keys, measure.to_string())).or_insert_with(|| {
                (files.get(i).unwrap_or_default().to_string(), rows.get(i).unwrap_or(0) as usize, column.to_string())
            });
        }
        // A unit with no row at all: its figure is missing from this file (row 0: no row).
        let Some(level) = p.levels.iter().find(|l| l.name == data.level) else { continue };
        let shown = data.files.first().map(|(_, s)| s.clone()).unwrap_or_else(|| dataset.to_string());
        for keys in &level.units {
            let mut keys = keys.clone();
            keys.resize(key_columns.len(), String::new());
            out.entry((keys, measure.to_string())).or_insert_with(|| (shown.clone(), 0, column.to_string()));
        }
    }
    out
}

/// Score every unit and add what is published: the rubrics' forms, score sheets, ranking
/// or grades, one metrics sheet per level and the evidence rows.
pub fn publish(p: &DeclaredProgramme, loaded: &Loaded, views: &mut Views) -> Result<(), InputErrors> {
    let input = assessment_input(p);
    let results = crate::timings::timed("scoring", || assess::assess(&input)).map_err(InputErrors)?;
    let c = &loaded.file;
    let titles = assess::Titles { year: c.programme.year, region: &c.programme.region, name: &c.programme.name };
    assess::views(views, &results, &titles);
    // The programme's own wording (checked with its rubrics): what a metrics sheet prints.
    let wording = crate::rubric::text::Wording::layered(&[("[rubric_text]", &c.rubric_text)])
        .map_err(|m| InputErrors(vec![InputProblem::file(&loaded.shown, m)]))?;
    // One metrics sheet per level: "metrics", or "metrics-<level>" when there are several.
    for level in &p.levels {
        let columns = p.sheet.get(&level.name).cloned().unwrap_or_default();
        let headers: Vec<String> =
            columns.iter().map(|name| p.headers.get(name).cloned().unwrap_or_else(|| name.clone())).collect();
        let (view, title) = match p.levels.len() {
            1 => ("metrics".to_string(), "考核指标".to_string()),
            _ => (format!("metrics-{}", level.name), format!("{}考核指标", level.title)),
        };
        let keys = &input.key_columns[&level.name];
        let table = assess::metrics_table(
            &title,
            keys,
            &input.units[&level.name],
            &columns,
            Some(&headers),
            &wording.not_applicable,
        );
        views.table(&view, table);
    }
    if p.measures.values().any(|m| m.evidence.wanted()) {
        views.table("evidence", evidence_table(&key_columns(&p.levels), &p.evidence));
    }
    // What each dataset that filters, sets rows aside or keeps first records read, kept
    // and set aside: the data-quality report, and its two tables for the clerk's sheets.
    let checked: Vec<(&str, &dataset::Quality)> = p
        .datasets
        .iter()
        .filter_map(|(name, d)| {
            let title = c.datasets.get(name).map(|s| s.title.as_str()).filter(|t| !t.is_empty()).unwrap_or(name);
            d.quality.as_ref().map(|q| (title, q))
        })
        .collect();
    if !checked.is_empty() {
        views.document(
            "dataset-quality",
            "dataset-quality",
            "dataset-quality.pdf",
            Content::One(quality_payload(&checked, c)),
        );
        views.table("dataset-files", quality_files_table(&checked));
        views.table("set-aside", set_aside_table(&checked));
    }
    Ok(())
}

/// Per file of every checked dataset: rows read, blank, outside `only`, kept, set aside.
/// A file's counts as the summary columns list them: read, blank, 范围外, 计入, 剔除.
fn counts(f: &dataset::FileSummary) -> [Cell; 5] {
    [f.records, f.blank_rows, f.outside, f.kept, f.set_aside].map(|n| Cell::Int(n as u64))
}

fn quality_files_table(checked: &[(&str, &dataset::Quality)]) -> Table {
    let mut table = Table::new(
        "数据汇总",
        &[("数据", 4), ("文件", 6), ("格式", 3), ("记录数", 2), ("空行", 2), ("范围外", 2), ("计入", 2), ("剔除", 2)],
    );
    for (title, q) in checked {
        for f in &q.files {
            let mut row = vec![Cell::Text(title.to_string()), Cell::Text(f.file.clone()), Cell::Text(f.format.clone())];
            row.extend(counts(f));
            table.rows.push(row);
        }
    }
    table
}

/// Every row set aside, with its masked ID.
fn set_aside_table(checked: &[(&str, &dataset::Quality)]) -> Table {
    let mut table =
        Table::new("剔除的行", &[("数据", 4), ("文件", 5), ("行", 2), ("列", 3), ("问题", 8), ("身份证号", 7)]);
    for (title, q) in checked {
        for r in &q.rows {
            table.rows.push(vec![
                Cell::Text(title.to_string()),
                Cell::Text(r.file.clone()),
                Cell::Int(r.row as u64),
                Cell::Text(r.column.clone()),
                Cell::Text(r.problem.clone()),
                Cell::Text(r.masked_id.clone()),
            ]);
        }
    }
    table
}

/// The data-quality report's data: per dataset its files (with 合计) and its rows set
/// aside, one table per file. The words around them are the template's.
fn quality_payload(checked: &[(&str, &dataset::Quality)], c: &ProgrammeFile) -> serde_json::Value {
    let short = |f: &str| f.rsplit('/').next().unwrap_or(f).to_string();
    let datasets: Vec<serde_json::Value> = checked
        .iter()
        .map(|(title, q)| {
            let mut files = Table::new(
                "数据汇总",
                &[("文件", 5), ("格式", 4), ("记录数", 2), ("空行", 2), ("范围外", 2), ("计入", 2), ("剔除", 2)],
            );
            for f in &q.files {
                let mut row = vec![Cell::Text(short(&f.file)), Cell::Text(f.format.clone())];
                row.extend(counts(f));
                files.rows.push(row);
            }
            let sum = |n: fn(&dataset::FileSummary) -> usize| Cell::Int(q.files.iter().map(n).sum::<usize>() as u64);
            files.total = Some(vec![
                Cell::Text("合计".into()),
                Cell::Text(String::new()),
                sum(|f| f.records),
                sum(|f| f.blank_rows),
                sum(|f| f.outside),
                sum(|f| f.kept),
                sum(|f| f.set_aside),
            ]);
            let notes: Vec<String> =
                q.files.iter().flat_map(|f| f.notes.iter().map(move |n| format!("{}：{n}。", short(&f.file)))).collect();
            let groups: Vec<serde_json::Value> = q
                .files
                .iter()
                .filter(|f| f.set_aside > 0)
                .map(|f| {
                    let mut rows = Table::new("剔除的行", &[("行", 2), ("列", 5), ("问题", 12), ("身份证号", 7)]);
                    for r in q.rows.iter().filter(|r| r.file == f.file) {
                        rows.rows.push(vec![
                            Cell::Int(r.row as u64),
                            Cell::Text(r.column.clone()),
                            Cell::Text(r.problem.clone()),
                            Cell::Text(r.masked_id.clone()),
                        ]);
                    }
                    let mut json = rows.to_json();
                    // The file rides in the header row: every continuation page says whose rows these are.
                    json["caption"] = serde_json::json!(format!(
                        "{}（{}，{}行，剔除{}行）",
                        short(&f.file),
                        f.format,
                        f.records,
                        f.set_aside
                    ));
                    json
                })
                .collect();
            serde_json::json!({ "title": title, "only": q.only, "files": files.to_json(), "notes": notes, "groups": groups })
        })
        .collect();
    serde_json::json!({
        "region": c.programme.region,
        "year": c.programme.year,
        "name": c.programme.name,
        "datasets": datasets,
    })
}

/// What `kaohe check` says of the declared part, when there is one (rubrics or datasets).
pub fn check_line(p: &DeclaredProgramme, display: &str) -> Option<String> {
    if p.rubrics.is_empty() && p.datasets.is_empty() {
        return None;
    }
    let rows: usize = p.datasets.values().map(|d| d.frame.height()).sum();
    let items: usize = p.rubrics.iter().map(|(_, r)| r.items.len()).sum();
    let aside: usize = p.datasets.values().filter_map(|d| d.quality.as_ref()).map(|q| q.rows.len()).sum();
    let aside = if aside > 0 { format!("（另剔除 {aside} 行）") } else { String::new() };
    let rubrics = match p.rubrics.len() {
        0 => String::new(),
        n => format!("；{n} 个评分表共 {items} 项，均可计分"),
    };
    Some(format!(
        "{display}: {} 个单位；{} 个数据集共 {} 行{aside}，{} 个度量{rubrics}",
        p.levels.iter().map(|l| l.units.len()).sum::<usize>(),
        p.datasets.len(),
        rows,
        p.sheet.values().map(Vec::len).sum::<usize>()
    ))
}

/// Every row a dataset set aside, one line each (`kaohe check --strict` lists them).
pub fn set_aside_lines(p: &DeclaredProgramme) -> Vec<String> {
    p.datasets
        .values()
        .filter_map(|d| d.quality.as_ref())
        .flat_map(|q| &q.rows)
        .map(|r| format!("{} 第{}行 “{}”列：{}（{}）", r.file, r.row, r.column, r.problem, r.masked_id))
        .collect()
}

/// What `kaohe run` adds to its line when datasets set rows aside: how many, and where listed.
pub fn set_aside_figures(p: &DeclaredProgramme) -> String {
    let rows: usize = p.datasets.values().filter_map(|d| d.quality.as_ref()).map(|q| q.rows.len()).sum();
    match rows {
        0 => String::new(),
        n => format!("；剔除 {n} 行（逐行列在数据校验报告中）"),
    }
}

/// The files read (rubrics, then every dataset's), as (path, shown), for the record.
pub fn files<'a>(p: &'a DeclaredProgramme, dir: &Path, names: &[String]) -> Vec<(std::path::PathBuf, &'a str)> {
    names
        .iter()
        .zip(&p.rubrics)
        .map(|(name, (shown, _))| (dir.join(name), shown.as_str()))
        .chain(p.datasets.values().flat_map(|d| d.files.iter().map(|(path, shown)| (path.clone(), shown.as_str()))))
        .collect()
}

/// The rows behind the measures that asked for evidence: unit, measure, values, file and row.
fn evidence_table(key_columns: &[String], evidence: &[measure::Evidence]) -> crate::report::Table {
    let mut columns: Vec<(&str, u32)> = key_columns.iter().map(|c| (c.as_str(), 3)).collect();
    columns.extend([("事项", 4), ("明细", 8), ("来源", 6)]);
    let mut table = Table::new("考核依据明细", &columns);
    let t = |s: &str| Cell::Text(s.to_string());
    for e in evidence {
        let mut row: Vec<Cell> = e.unit.split(dataset::KEY_SEP).map(t).collect();
        row.resize(key_columns.len(), t(""));
        row.extend([t(&e.measure), t(&e.detail), t(&e.source)]);
        table.rows.push(row);
    }
    table
}
