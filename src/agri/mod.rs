//! The 南通 agricultural-insurance assessment programme (seed 004): its config, the
//! datasets ([`data`]), one metrics table per rubric ([`metrics`]), every unit scored,
//! ranked and graded ([`assess`]), and the blank forms (附件1, 附件2) as the office
//! attaches them to the assessment method at the start of the year.

pub mod data;
pub mod metrics;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use indicatif::ProgressBar;

use crate::archive::Manifest;
use crate::assess::{self, ResultText, Unit};
use crate::outputs::Views;
use crate::pipeline::{records, ProgrammeDir, Ready};
use crate::problem::InputErrors;
use crate::problem::{io_text, InputProblem};
use crate::report::{Cell, Table};
use crate::rubric::{self, Rubric};

use data::{DatasetPaths, Datasets};
use metrics::MetricTables;

/// `programme.toml` of an agri-assessment folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgriConfig {
    pub programme: crate::config::ProgrammeSection,
    pub document: crate::config::ResultsDocument,
    pub rubrics: Vec<String>,
    /// The assessed county-level units, in the order tables list them.
    pub units: Vec<String>,
    pub datasets: DatasetPaths,
    pub assessment: Settings,
    /// Crop name in the areas file → the coverage metric the rubric reads.
    pub crops: BTreeMap<String, String>,
    #[serde(default)]
    pub text: ResultText,
    /// `[[pdf]]`: the documents published (default: every one the programme computes).
    #[serde(default)]
    pub pdf: Vec<crate::outputs::PdfSpec>,
    /// `[[table]]`: the tables published as CSV and results.xlsx sheets (default: all).
    #[serde(default)]
    pub table: Vec<crate::outputs::TableSpec>,
}

/// The figures the datasets are measured against (`[assessment]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The assessment cut-off: an unpaid claim counts as late once its limit has passed by then.
    #[serde(rename = "as_of")]
    as_of_raw: toml::value::Datetime,
    /// `as_of` as a date, filled in by [`load`].
    #[serde(skip)]
    pub as_of: NaiveDate,
    /// 赔付资金应于定损后N日内支付到户 (calendar days).
    pub pay_within_days: u32,
    /// Payment channels that count as 一折通/一卡通.
    pub channels: Vec<String>,
    /// Greenhouses of at least this contiguous area (亩) count as 规模高效设施大棚.
    pub greenhouse_min_mu: f64,
    /// Minimum fiscal subsidy share (%) for lines no standard names.
    pub subsidy_default_minimum: f64,
    #[serde(default, rename = "subsidy")]
    pub subsidy_standards: Vec<SubsidyStandard>,
    /// Filled in by [`load`] from `[crops]`.
    #[serde(skip)]
    pub crops: Vec<(String, String)>,
}

/// 各级财政保费补贴不低于 `minimum`% for these lines.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubsidyStandard {
    pub lines: Vec<String>,
    pub minimum: f64,
}

impl Settings {
    /// The minimum subsidy share for a line.
    pub fn subsidy_minimum(&self, line: &str) -> f64 {
        self.subsidy_standards
            .iter()
            .find(|s| s.lines.iter().any(|l| l == line))
            .map_or(self.subsidy_default_minimum, |s| s.minimum)
    }
}

/// A loaded agri programme.
#[derive(Debug, Clone)]
pub struct AgriProgramme {
    pub config: AgriConfig,
    pub id: String,
    pub date: NaiveDate,
    pub digest: String,
    /// (file as shown, rubric) in config order.
    pub rubrics: Vec<(String, Rubric)>,
    pub datasets: Datasets,
    pub metrics: MetricTables,
}

/// Load the config, read and check every dataset, check every rubric against the
/// metrics the datasets provide, and build the metrics tables.
pub fn load(dir: &Path, display: &str) -> Result<AgriProgramme, Vec<InputProblem>> {
    let file = format!("{display}/programme.toml");
    let bytes = std::fs::read(dir.join("programme.toml"))
        .map_err(|e| vec![InputProblem::file(&file, format!("无法读取：{}", io_text(&e)))])?;
    let text = String::from_utf8_lossy(&bytes);
    let mut config: AgriConfig =
        toml::from_str(&text).map_err(|e| vec![crate::problem::toml_problem(&file, &text, &e, "配置", None)])?;
    let date = toml_date(config.document.date)
        .ok_or_else(|| vec![InputProblem::file(&file, "document.date 应是日期，如 2012-06-30")])?;
    config.assessment.crops = config.crops.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    config.assessment.as_of = toml_date(config.assessment.as_of_raw)
        .ok_or_else(|| vec![InputProblem::file(&file, "assessment.as_of 应是日期，如 2013-01-31")])?;
    let crops: Vec<String> = config.crops.keys().cloned().collect();
    let datasets = crate::timings::timed("ingest+validate", || {
        data::read(dir, display, &config.datasets, &config.units, &crops, config.assessment.as_of)
    })?;

    // A metric is available when a dataset computes it or a findings file has its column.
    let mut problems = Vec::new();
    let computed_county: BTreeSet<String> =
        metrics::COUNTY_COMPUTED.iter().map(|m| m.to_string()).chain(config.crops.values().cloned()).collect();
    let computed_insurer: BTreeSet<String> = metrics::INSURER_COMPUTED.iter().map(|m| m.to_string()).collect();
    for (findings, computed, rel) in [
        (&datasets.county_findings, &computed_county, &config.datasets.county_findings),
        (&datasets.insurer_findings, &computed_insurer, &config.datasets.insurer_findings),
    ] {
        for m in findings.metrics.iter().filter(|m| computed.contains(*m)) {
            problems.push(
                InputProblem::file(format!("{display}/{rel}"), format!("“{m}”由数据集计算，不能在检查结果中填写"))
                    .column(m.clone())
                    .hint("删除这一列；它来自理赔台账、面积、保费或回访数据"),
            );
        }
    }
    let available = |level: &str| -> BTreeSet<String> {
        let (computed, findings) = match level {
            "insurer" => (&computed_insurer, &datasets.insurer_findings),
            _ => (&computed_county, &datasets.county_findings),
        };
        computed.iter().cloned().chain(findings.metrics.iter().cloned()).collect()
    };
    let mut rubrics = Vec::new();
    for name in &config.rubrics {
        let shown = format!("{display}/{name}");
        let path = match crate::ingest::confined(dir, name, "rubrics", &file) {
            Ok(path) => path,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(InputProblem::file(&shown, format!("无法读取：{}", io_text(&e))));
                continue;
            }
        };
        let level = rubric::assesses(&text);
        if level != "county" && level != "insurer" {
            problems.push(
                InputProblem::file(
                    &shown,
                    format!("[rubric] assesses = \"{level}\"：本项目只考核 county（县区）或 insurer（承办公司）"),
                )
                .hint("删除 assesses（默认 county），或写 assesses = \"insurer\""),
            );
            continue;
        }
        match rubric::parse(&text, &shown, &available(&level)) {
            Ok(r) => rubrics.push((shown, r)),
            Err(p) => problems.extend(p),
        }
    }
    // A two-year rule needs last year's grade of every insurer assessed: a missing row
    // must not quietly spare an insurer 取消承办资格.
    let two_year = rubrics.iter().any(|(_, r)| r.grades.iter().any(|g| g.twice.is_some()));
    if two_year {
        match &config.datasets.last_year {
            None => problems.push(
                InputProblem::file(
                    &file,
                    "评分表有连续两年同一等级的规则，但 [datasets] 中没有 last_year（上年考核等级）",
                )
                .hint("在 [datasets] 中写 last_year = \"上年等级文件\"；首年承办的公司在该文件中等级填“无”"),
            ),
            Some(rel) => {
                for (county, insurer) in &datasets.insurer_findings.order {
                    if insurer.is_empty() || datasets.last_year.contains_key(&(county.clone(), insurer.clone())) {
                        continue;
                    }
                    problems.push(
                        InputProblem::file(format!("{display}/{rel}"), format!("没有{county}“{insurer}”的上年等级"))
                            .hint("补上该公司上年的等级；上年未承办的，等级填“无”"),
                    );
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let metrics = crate::timings::timed("metrics", || metrics::compute(&datasets, &config.assessment, &config.units))
        .map_err(|e| vec![InputProblem::file(display, format!("计算考核指标失败：{e}"))])?;
    let id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(AgriProgramme { config, id, date, digest: crate::archive::sha256_hex(&bytes), rubrics, datasets, metrics })
}

fn toml_date(d: toml::value::Datetime) -> Option<NaiveDate> {
    d.date.and_then(|d| NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32))
}

/// The units and facts the scoring stage reads: counties and insurer × county pairs,
/// keyed by (县（市）区, 承办公司).
pub fn assessment_input(p: &AgriProgramme) -> assess::Input<'_> {
    let units = |list: &[metrics::UnitMetrics]| -> Vec<Unit> {
        list.iter()
            .map(|u| Unit { keys: vec![u.county.clone(), u.insurer.clone()], values: u.values.clone() })
            .collect()
    };
    assess::Input {
        rubrics: &p.rubrics,
        key_columns: vec!["县（市）区".into(), "承办公司".into()],
        units: [("county".to_string(), units(&p.metrics.county)), ("insurer".to_string(), units(&p.metrics.insurer))]
            .into(),
        last_year: p.datasets.last_year.iter().map(|((c, i), g)| (vec![c.clone(), i.clone()], g.clone())).collect(),
        sample_source: p
            .datasets
            .survey
            .iter()
            .map(|s| (vec![s.county.clone(), s.insurer.clone()], s.source.clone()))
            .collect(),
    }
}

/// The facts behind lost points (late claims, subsidy lines below standard, ...).
pub fn evidence_table(p: &AgriProgramme) -> Table {
    let t = |s: &str| Cell::Text(s.to_string());
    let mut table =
        Table::new("考核依据明细", &[("县（市）区", 3), ("承办公司", 3), ("事项", 5), ("明细", 8), ("来源", 6)]);
    for e in &p.metrics.evidence {
        table.rows.push(vec![t(&e.county), t(&e.insurer), t(&e.what), t(&e.detail), t(&e.source)]);
    }
    table
}

/// Read, check and score an agri programme: its forms, score sheets, ranking, grades,
/// sheets and record. A unit that cannot be scored stops the run before anything is written.
pub fn prepare(dir: &ProgrammeDir, _progress: &ProgressBar) -> Result<Ready, InputErrors> {
    let p = load(&dir.path, &dir.display).map_err(InputErrors)?;
    let input = assessment_input(&p);
    let results = crate::timings::timed("scoring", || assess::assess(&input)).map_err(InputErrors)?;
    let c = &p.config;
    let titles =
        assess::Titles { text: &c.text, year: c.programme.year, region: &c.programme.region, name: &c.programme.name };
    let mut views = Views::default();
    assess::views(&mut views, &results, &titles);
    let keys = &input.key_columns;
    let (county, insurer) = (&input.units["county"], &input.units["insurer"]);
    let m = &p.metrics;
    views.table("metrics-county", assess::metrics_table("县区考核指标", keys, county, &m.county_columns, None));
    views.table("metrics-insurer", assess::metrics_table("承办公司考核指标", keys, insurer, &m.insurer_columns, None));
    views.table("evidence", evidence_table(&p));
    let rubric_paths: Vec<_> = c.rubrics.iter().map(|name| dir.path.join(name)).collect();
    let inputs = records(
        dir,
        rubric_paths
            .iter()
            .zip(&p.rubrics)
            .map(|(path, (shown, _))| (path.as_path(), shown.as_str()))
            .chain(p.datasets.files.iter().map(|(path, shown)| (path.as_path(), shown.as_str()))),
    )?;
    let items: usize = p.rubrics.iter().map(|(_, r)| r.items.len()).sum();
    Ok(Ready {
        id: p.id.clone(),
        date: p.date,
        check_line: format!(
            "{}: {} 个评分表共 {} 项；{} 个县区、{} 个承办公司×县区；理赔台账 {} 行；均可计分",
            dir.display,
            p.rubrics.len(),
            items,
            p.metrics.county.len(),
            p.metrics.insurer.len(),
            p.datasets.claims.len()
        ),
        run_line: format!("{}: {{documents}} 份考核表 → {{folder}}", p.id),
        set_aside: Vec::new(),
        manifest: Manifest::new(&p.id, c.document.number(c.programme.year), p.date, &p.digest, inputs),
        pdf: c.pdf.clone(),
        table: c.table.clone(),
        views,
    })
}
