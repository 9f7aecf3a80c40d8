//! A programme read and measured: the units at one or several levels, the datasets read
//! for them with their columns, the measures computed from them, and the rubrics that
//! will score them. No Rust knows about any particular programme.
//!
//! [`load`]: [`crate::validate::dataset`] (ingest + validate, one task per dataset) →
//! [`crate::measure`] (polars) → [`DeclaredProgramme`], which scoring and the reports read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::*;

use crate::measure::{self, MeasureSpec};
use crate::problem::InputProblem;
use crate::programme::file::{Loaded, ProgrammeFile};
use crate::programme::rubric::{self, Rubric};
use crate::programme::units::{key_columns, levels, Level};
use crate::validate::dataset::{self, Dataset, DatasetSpec};

pub use crate::programme::{AssessmentSection, LastYear};

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
    pub metrics: BTreeMap<String, BTreeMap<String, measure::Metrics>>,
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
    let mut levels: Vec<Level> = levels(units, &file, text)?;
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
    // Then every other dataset, one after another (each reads and checks its files side by
    // side: one level of parallel work).
    let rest: Vec<(String, Result<Dataset, Vec<InputProblem>>)> = crate::timings::timed("ingest+validate", || {
        config
            .datasets
            .iter()
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
    let measure = |specs: &BTreeMap<String, MeasureSpec>| measure::compute(specs, &datasets, &levels, as_of, &file);
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

/// A dataset read from a folder of files, unit by unit: which files its rows came from.
#[derive(Clone)]
pub struct Coverage {
    pub dataset: String,
    /// The level it is told by (every_unit's, else the dataset's own), by its title (镇（办）).
    pub level: String,
    /// Each unit of that level, in the level's order: (name, rows counted, files).
    pub units: Vec<(String, usize, Vec<String>)>,
}

/// For every dataset read from more than one file: each unit's rows and files, so the
/// clerk sees which town's roster is there (a missing one stops the check by itself).
pub fn coverage(p: &DeclaredProgramme, specs: &BTreeMap<String, DatasetSpec>) -> Vec<Coverage> {
    use crate::programme::dataset::EveryUnit;
    let mut out = Vec::new();
    for (name, d) in &p.datasets {
        if d.files.len() < 2 {
            continue;
        }
        let level = match specs.get(name).map(|s| &s.every_unit) {
            Some(EveryUnit::Level(l)) => l.clone(),
            _ => d.level.clone(),
        };
        let Some(found_level) = p.levels.iter().find(|l| l.name == level) else { continue };
        let keys = &found_level.units;
        let level = if found_level.title.is_empty() { level } else { found_level.title.clone() };
        let depth = keys.first().map_or(0, Vec::len).min(d.keys.len());
        // Rows per unit and file, files in the order first met: one polars group-by on the
        // unit columns (a coarser level: its first ones) and the file.
        let by: Vec<Expr> = d.keys[..depth].iter().map(|k| col(k.as_str())).chain([col(dataset::FILE)]).collect();
        let Ok(counted) = d.frame.clone().lazy().group_by_stable(by).agg([len().alias("rows")]).collect() else {
            continue;
        };
        let text = |c: &str| counted.column(c).ok().and_then(|c| c.str().ok().cloned());
        let (Some(cells), Some(files), Ok(rows)) = (
            d.keys[..depth].iter().map(|k| text(k)).collect::<Option<Vec<_>>>(),
            text(dataset::FILE),
            counted.column("rows").and_then(|c| c.cast(&DataType::UInt64)),
        ) else {
            continue;
        };
        let Ok(rows) = rows.u64().cloned() else { continue };
        // Unit key cells → (rows, files in the order first met).
        let mut found: std::collections::HashMap<Vec<&str>, (usize, Vec<String>)> = Default::default();
        for i in 0..counted.height() {
            let unit: Vec<&str> = cells.iter().map(|c| c.get(i).unwrap_or_default()).collect();
            let entry = found.entry(unit).or_default();
            entry.0 += rows.get(i).unwrap_or(0) as usize;
            let file = files.get(i).unwrap_or_default();
            let file = file.rsplit('/').next().unwrap_or(file);
            if !entry.1.iter().any(|f| f == file) {
                entry.1.push(file.to_string());
            }
        }
        let units = keys
            .iter()
            .map(|k| {
                let key: Vec<&str> = k.iter().map(String::as_str).collect();
                let (rows, files) = found.remove(&key).unwrap_or_default();
                (k.join(" "), rows, files)
            })
            .collect();
        out.push(Coverage { dataset: name.clone(), level, units });
    }
    out
}
