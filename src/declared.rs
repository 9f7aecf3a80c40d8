//! A programme declared entirely in its `programme.toml` (`kind = "assessment"`): the
//! units at one level, the datasets with their columns, the measures computed from them,
//! the rubrics that score the measures and the documents published. No Rust knows about
//! any particular programme of this kind; `input/langao-2016-towns/` is one.
//!
//! load → [`crate::dataset`] (ingest + validate, one task per dataset) →
//! [`crate::measure`] (polars) → [`crate::assess`] (score, rank, grade) → views.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Deserialize;

use indicatif::ProgressBar;

use crate::archive::Manifest;
use crate::assess::{self, ResultText, Unit};
use crate::dataset::{self, Dataset, DatasetSpec};
use crate::measure::{self, MeasureSpec};
use crate::outputs::Views;
use crate::outputs::{PdfSpec, TableSpec};
use crate::pipeline::{records, ProgrammeDir, Ready};
use crate::problem::InputErrors;
use crate::problem::{io_text, InputProblem};
use crate::rubric::{self, Rubric};

/// `programme.toml` of a declared programme.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredConfig {
    /// The rubric files, relative to the programme folder.
    pub rubrics: Vec<String>,
    pub programme: crate::config::ProgrammeSection,
    pub document: crate::config::ResultsDocument,
    pub units: UnitsSpec,
    pub assessment: AssessmentSection,
    pub datasets: BTreeMap<String, DatasetSpec>,
    pub measures: BTreeMap<String, MeasureSpec>,
    #[serde(default)]
    pub text: ResultText,
    #[serde(default)]
    pub pdf: Vec<PdfSpec>,
    #[serde(default)]
    pub table: Vec<TableSpec>,
}

/// `[units]`: who is assessed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitsSpec {
    /// The level's name, as rubrics write it in `assesses` (e.g. "town").
    pub level: String,
    /// The unit column's header in every table (e.g. "镇（办）").
    pub column: String,
    /// Every unit, in the order tables list them.
    pub names: Vec<String>,
}

/// `[assessment]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentSection {
    /// The day the year's figures stand at: an open case's days count up to it.
    pub as_of: toml::value::Datetime,
}

/// A declared programme, read, checked and measured.
pub struct DeclaredProgramme {
    pub config: DeclaredConfig,
    pub id: String,
    pub date: NaiveDate,
    pub digest: String,
    pub rubrics: Vec<(String, Rubric)>,
    pub datasets: BTreeMap<String, Dataset>,
    /// Unit → measure name → value.
    pub metrics: BTreeMap<String, rubric::score::Metrics>,
    /// The rows behind measures declared with `evidence = true`.
    pub evidence: Vec<measure::Evidence>,
    /// The measures in the order programme.toml lists them, then each findings column
    /// (the metrics sheet's columns).
    pub measure_order: Vec<String>,
    /// `[measures]` and one `value` measure per findings column (`other_columns`).
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
pub fn load(dir: &Path, display: &str) -> Result<DeclaredProgramme, Vec<InputProblem>> {
    let file = format!("{display}/programme.toml");
    let bytes = std::fs::read(dir.join("programme.toml"))
        .map_err(|e| vec![InputProblem::file(&file, format!("无法读取：{}", io_text(&e)))])?;
    let text = String::from_utf8_lossy(&bytes);
    let config: DeclaredConfig =
        toml::from_str(&text).map_err(|e| vec![crate::problem::toml_problem(&file, &text, &e, "配置", None)])?;
    let date = date_of(config.document.date, &file, "document.date").map_err(|p| vec![p])?;
    let as_of = date_of(config.assessment.as_of, &file, "assessment.as_of").map_err(|p| vec![p])?;
    let units = &config.units.names;
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for u in units {
        if !seen.insert(u) {
            problems.push(InputProblem::file(&file, format!("[units] names 中“{u}”出现了两次")));
        }
    }
    // Each dataset is read and checked in its own task.
    let read: Vec<(String, Result<Dataset, Vec<InputProblem>>)> = crate::timings::timed("ingest+validate", || {
        config
            .datasets
            .par_iter()
            .map(|(name, spec)| (name.clone(), dataset::read(dir, display, name, spec, units, as_of)))
            .collect()
    });
    let mut datasets = BTreeMap::new();
    for (name, r) in read {
        match r {
            Ok(d) => {
                datasets.insert(name, d);
            }
            Err(p) => problems.extend(p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Each column of a findings table is a measure of the same name: the unit's value.
    let mut measures = config.measures.clone();
    let mut findings = Vec::new();
    for (name, data) in &datasets {
        for column in &data.other_columns {
            if measures.contains_key(column) {
                problems.push(
                    InputProblem::file(&file, format!("[measures] 中已有“{column}”，它也是数据集 {name} 的检查结果列"))
                        .hint("改掉其中一个名字"),
                );
                continue;
            }
            let spec =
                MeasureSpec { value: Some(name.clone()), column: Some(column.clone()), ..MeasureSpec::default() };
            measures.insert(column.clone(), spec);
            findings.push(column.clone());
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let measure::Measured { metrics, evidence } =
        crate::timings::timed("metrics", || measure::compute(&measures, &datasets, units, as_of, &file))?;
    let available: BTreeSet<String> = measures.keys().cloned().collect();
    let mut rubrics = Vec::new();
    for name in &config.rubrics {
        let shown = format!("{display}/{name}");
        let text = match crate::ingest::confined(dir, name, "rubrics", &file).and_then(|path| {
            std::fs::read_to_string(path).map_err(|e| InputProblem::file(&shown, format!("无法读取：{}", io_text(&e))))
        }) {
            Ok(t) => t,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let level = rubric::assesses(&text);
        if level != config.units.level {
            problems.push(
                InputProblem::file(
                    &shown,
                    format!(
                        "[rubric] assesses = \"{level}\"，但本项目的单位是 [units] level = \"{}\"",
                        config.units.level
                    ),
                )
                .hint(format!("在 [rubric] 中写 assesses = \"{}\"", config.units.level)),
            );
            continue;
        }
        match rubric::parse(&text, &shown, &available) {
            // Last year's grades are not a dataset of this kind: a two-year rule would never fire.
            Ok(r) if r.grades.iter().any(|g| g.twice.is_some()) => problems.push(
                InputProblem::file(&shown, "评分表有连续两年同一等级的规则（twice），本类项目没有上年等级数据")
                    .hint("删去 [[grade]] 中的 twice"),
            ),
            Ok(r) => rubrics.push((shown, r)),
            Err(p) => problems.extend(p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut measure_order = measure_order(&text, &config.measures);
    measure_order.extend(findings);
    let digest = crate::archive::sha256_hex(&bytes);
    Ok(DeclaredProgramme { config, id, date, digest, rubrics, datasets, metrics, evidence, measure_order, measures })
}

/// The units and their measures, as the scoring stage reads them.
pub fn assessment_input(p: &DeclaredProgramme) -> assess::Input<'_> {
    let units = p
        .config
        .units
        .names
        .iter()
        .map(|u| Unit { keys: vec![u.clone()], values: p.metrics.get(u).cloned().unwrap_or_default() })
        .collect();
    assess::Input {
        rubrics: &p.rubrics,
        key_columns: vec![p.config.units.column.clone()],
        units: [(p.config.units.level.clone(), units)].into(),
        last_year: BTreeMap::new(),
        sample_source: BTreeMap::new(),
    }
}

/// Read, check, measure and score a declared programme: its forms, score sheets,
/// ranking or grades, metrics sheet and record.
pub fn prepare(dir: &ProgrammeDir, _progress: &ProgressBar) -> Result<Ready, InputErrors> {
    let p = load(&dir.path, &dir.display).map_err(InputErrors)?;
    let input = assessment_input(&p);
    let results = crate::timings::timed("scoring", || assess::assess(&input)).map_err(InputErrors)?;
    let c = &p.config;
    let titles =
        assess::Titles { text: &c.text, year: c.programme.year, region: &c.programme.region, name: &c.programme.name };
    let mut views = Views::default();
    assess::views(&mut views, &results, &titles);
    let columns = &p.measure_order;
    let units = &input.units[&c.units.level];
    let headers: Vec<String> =
        columns.iter().map(|name| p.measures[name].label.clone().unwrap_or_else(|| name.clone())).collect();
    views.table("metrics", assess::metrics_table("考核指标", &input.key_columns, units, columns, Some(&headers)));
    if p.measures.values().any(|m| m.evidence) {
        views.table("evidence", evidence_table(&c.units.column, &p.evidence));
    }
    let rubric_paths: Vec<_> = c.rubrics.iter().map(|name| dir.path.join(name)).collect();
    let rows: usize = p.datasets.values().map(|d| d.frame.height()).sum();
    let inputs = records(
        dir,
        rubric_paths.iter().zip(&p.rubrics).map(|(path, (shown, _))| (path.as_path(), shown.as_str())).chain(
            p.datasets.values().flat_map(|d| d.files.iter().map(|(path, shown)| (path.as_path(), shown.as_str()))),
        ),
    )?;
    let items: usize = p.rubrics.iter().map(|(_, r)| r.items.len()).sum();
    Ok(Ready {
        id: p.id.clone(),
        date: p.date,
        check_line: format!(
            "{}: {} 个评分表共 {} 项；{} 个单位；{} 个数据集共 {} 行，{} 个度量；均可计分",
            dir.display,
            p.rubrics.len(),
            items,
            c.units.names.len(),
            p.datasets.len(),
            rows,
            p.measures.len()
        ),
        run_line: format!("{}: {{documents}} 份考核表 → {{folder}}", p.id),
        set_aside: Vec::new(),
        manifest: Manifest::new(&p.id, c.document.number(c.programme.year), p.date, &p.digest, inputs),
        pdf: c.pdf.clone(),
        table: c.table.clone(),
        views,
    })
}

/// The rows behind the measures that asked for evidence: unit, measure, values, file and row.
fn evidence_table(unit_column: &str, evidence: &[measure::Evidence]) -> crate::report::Table {
    use crate::report::{Cell, Table};
    let mut table = Table::new("考核依据明细", &[(unit_column, 3), ("事项", 4), ("明细", 8), ("来源", 6)]);
    for e in evidence {
        let t = |s: &str| Cell::Text(s.to_string());
        table.rows.push(vec![t(&e.unit), t(&e.measure), t(&e.detail), t(&e.source)]);
    }
    table
}
