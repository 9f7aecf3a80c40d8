//! The programme file (`programme.toml`) read into one model: who issues the results, the
//! units, datasets, measures, rubrics and views, and what is published.
//!
//! Unknown keys are errors (a misspelt key silently ignored would change a result).
//! Rates are written as percentages ("50%") and kept as exact integers (parts per
//! million) so that quota arithmetic is exact.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::problem::{nearest, InputProblem};

pub use crate::programme::{fill_template, Rate, Rounding};

/// The whole `programme.toml`: one model for every programme.
/// - `[units]`, `[datasets.*]`, `[measures]`, `[assessment]`: units, the datasets read for
///   them and the measures computed ([`crate::measure::declared`]);
/// - `[views.*]`: tables of units and measures ([`crate::report::views`]);
/// - `rubrics`: score the measures of any level ([`crate::score`]), `[rubric_text]`
///   the wording of their results;
/// - `[[pdf]]`, `[[table]]`: what is published ([`crate::pipeline::publish`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeFile {
    /// The rubric files, relative to the programme folder; none by default.
    #[serde(default)]
    pub rubrics: Vec<String>,
    pub programme: ProgrammeSection,
    pub document: ResultsDocument,
    /// `[units]` (one level) or `[[units]]` (several), read by [`crate::programme::units::levels`].
    #[serde(default)]
    pub units: Option<toml::Value>,
    #[serde(default)]
    pub assessment: Option<crate::programme::AssessmentSection>,
    #[serde(default)]
    pub datasets: BTreeMap<String, crate::programme::dataset::DatasetSpec>,
    #[serde(default)]
    pub measures: BTreeMap<String, crate::programme::measure::MeasureSpec>,
    /// `[rubric_text]`: the wording of the rubric results (titles, notes, reasons, headers),
    /// over the built-in [`crate::programme::wording::Wording`]; checked when the rubrics are read.
    #[serde(default)]
    pub rubric_text: toml::Table,
    /// `[views.<name>]`: tables of units and their measures, declared ([`crate::report::views`]).
    #[serde(default)]
    pub views: BTreeMap<String, crate::programme::view::ViewSpec>,
    /// `[[pdf]]`: the documents published (default: every one the programme computes).
    #[serde(default)]
    pub pdf: Vec<crate::programme::PdfSpec>,
    /// `[[table]]`: the tables published as CSV and results.xlsx sheets (default: all).
    #[serde(default)]
    pub table: Vec<crate::programme::TableSpec>,
}

/// `[document]` of a programme that publishes results (an assessment): who issues them,
/// when, and the 发文字号 only when the method has one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsDocument {
    pub issuer: String,
    pub date: toml::value::Datetime,
    pub code: Option<String>,
    pub serial: Option<u32>,
}

impl ResultsDocument {
    /// 南政办发〔2012〕12号, or nothing when the document has no number.
    pub fn number(&self, year: i32) -> String {
        match (&self.code, self.serial) {
            (Some(code), Some(serial)) => format!("{code}〔{year}〕{serial}号"),
            _ => String::new(),
        }
    }
}

/// What programme this folder is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeSection {
    /// No longer read: every programme runs through one engine, its steps chosen by the
    /// sections it writes. Kept so that files written for earlier versions still load.
    #[serde(default)]
    pub kind: Option<String>,
    /// 汉滨区
    pub region: String,
    /// 2015
    pub year: i32,
    /// 小额人身保险
    pub name: String,
}

/// The region as a whole, as notes say it: 汉滨区 → 全区, 岚皋县 → 全县, 南通市 → 全市
/// (a region not ending in 区, 县 or 市: 全 and its name).
pub fn whole(region: &str) -> String {
    let region = region.trim();
    match region.chars().last() {
        Some(c @ ('区' | '县' | '市' | '旗')) => format!("全{c}"),
        _ => format!("全{region}"),
    }
}

/// 2015年9月15日 (no leading zeros, GB/T 9704).
pub fn chinese_date(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

fn toml_date(file: &str, key: &str, v: &toml::value::Datetime) -> Result<NaiveDate, InputProblem> {
    match (v.date, v.time) {
        (Some(d), None) => NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32)
            .ok_or_else(|| InputProblem::file(file, format!("{key} 不是有效日期"))),
        _ => Err(InputProblem::file(file, format!("{key} 应是日期，如 2016-01-30（不带时间）"))),
    }
}

/// The sections of units, datasets and measures: known here, their keys checked when read.
const DECLARED: [&str; 5] = ["units", "assessment", "datasets", "measures", "views"];

/// Every key each section accepts, to report all misspelt keys at once (serde stops at the first).
const SECTIONS: &[(&str, &[&str])] = &[
    ("rubrics", &[]),
    // Its keys are those of the built-in wording (crate::programme::wording::KEYS).
    ("rubric_text", &[]),
    ("programme", &["kind", "region", "year", "name"]),
    ("document", &["issuer", "code", "serial", "date"]),
    ("pdf", &["view", "template", "file"]),
    ("table", &["view", "file"]),
];

/// Line (1-based) where `key` is first written in `text`, for messages.
fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with(key) && l[key.len()..].trim_start().starts_with('=')
                || l.trim_start_matches('[').trim_end_matches(']').trim() == key
        })
        .map(|i| i + 1)
}

/// The sections of the 2015 participation workflow, retired: what each becomes in the one
/// model, as `kaohe check` tells an office whose file still has them (the bundled
/// `input/hanbin-2015-micro/programme.toml` is that file rewritten).
const RETIRED: [(&str, &str); 5] = [
    (
        "inputs",
        "人口数据和名册写成数据集：[datasets.population]（file = \"population.csv\"，unit = [\"镇办\", \"村\"]）和 [datasets.rosters]（file = \"rosters\"，set_aside = true，keep_first = \"身份证号\"，every_unit = \"town\"）；[inputs.columns] 的写法改为各列的 aliases；镇和村写成 [[units]] from = \"population\"",
    ),
    (
        "quota",
        "任务分解写成度量：quota = { apportion = \"rural\", rate = \"50%\", overrides = { \"老城办\" = { rate = \"20%\", base = \"total\" } } }，分到村：village_quota = { apportion = \"rural_v\", within = \"quota\" }；rounding 写在 quota 中",
    ),
    (
        "enrollment",
        "截止日写成 [assessment] dates = { \"缴费截止日\" = 2016-01-30 }；按时参保、逾期缴费写成 count 度量（where = { column = \"缴费日期\", after = \"缴费截止日\" }）；no_roster 改为 [datasets.rosters] may_lack；全区目标写在排名表合计行的 total = { measure = \"participation\", at_least = 50, … }",
    ),
    (
        "ranking",
        "名次写成度量 place = { rank = \"completion\" }；[views.participation-ranking] 写 order = \"place\"，备注列写 remarks = [{ bottom = 3, text = \"…\" }, { measure = \"completion\", below = 100, text = \"未完成任务\" }, { top = 3, text = \"…\" }]",
    ),
    (
        "text",
        "标题和注写在各 [views.*] 的 title、subtitle、note 中（占位符 {region}、{year}、{name}、{缴费截止日} 等）；评分结果的文字写在 [rubric_text] 中",
    ),
];

/// All unknown sections and keys, each with its line and the nearest known name; each
/// retired section with what to write instead.
fn unknown_keys(text: &str, file: &str) -> Vec<InputProblem> {
    let Ok(table) = text.parse::<toml::Table>() else { return Vec::new() };
    let mut problems = Vec::new();
    let mut retired = Vec::new();
    let mut report = |key: &str, known: &[&str], place: &str| {
        let msg = format!("{place}未知的配置项“{key}”");
        let mut p = match line_of(text, key) {
            Some(l) => InputProblem::at(file, l, None, msg),
            None => InputProblem::file(file, msg),
        };
        if let Some(n) = nearest(key, known.iter().copied()) {
            p = p.hint(format!("是否应为“{n}”？"));
        }
        problems.push(p);
    };
    let top: Vec<&str> = SECTIONS.iter().map(|(s, _)| *s).filter(|s| !s.contains('.')).chain(DECLARED).collect();
    for (section, value) in &table {
        if DECLARED.contains(&section.as_str()) {
            continue;
        }
        if let Some((_, instead)) = RETIRED.iter().find(|(s, _)| s == section) {
            let msg = format!("[{section}] 是2015年参保工作流程的写法，现在的 kaohe 不再读取");
            retired.push(
                match line_of(text, section) {
                    Some(l) => InputProblem::at(file, l, None, msg),
                    None => InputProblem::file(file, msg),
                }
                .hint(format!("{instead}（完整的例子：input/hanbin-2015-micro/programme.toml）")),
            );
            continue;
        }
        let Some((_, keys)) = SECTIONS.iter().find(|(s, _)| s == section) else {
            report(section, &top, "");
            continue;
        };
        let wording_keys = crate::programme::wording::key_names();
        let keys: &[&str] = if section == "rubric_text" { &wording_keys } else { keys };
        let mut check = |t: &toml::Table, keys: &[&str], place: String| {
            for k in t.keys() {
                if !keys.contains(&k.as_str()) {
                    report(k, keys, &place);
                }
            }
        };
        if let toml::Value::Array(list) = value {
            for t in list.iter().filter_map(|t| t.as_table()) {
                check(t, keys, format!("[[{section}]] 中"));
            }
        }
        if let toml::Value::Table(t) = value {
            check(t, keys, format!("[{section}] 中"));
        }
    }
    // What replaces a retired section first: the rest may be its keys read as unknown.
    if !retired.is_empty() {
        return retired;
    }
    problems
}

/// A programme file read and parsed: the model and what every step needs from the file.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub file: ProgrammeFile,
    /// The file's text: the order of `[measures]` is read from it.
    pub text: String,
    /// The folder's name, e.g. hanbin-2015-micro: the output folder's.
    pub id: String,
    /// `[document] date`: the date inside every PDF.
    pub date: NaiveDate,
    /// SHA-256 of the file's bytes.
    pub digest: String,
    /// As shown in messages, e.g. input/hanbin-2015-micro/programme.toml.
    pub shown: String,
}

/// Read and check `programme.toml` in a programme folder.
pub fn load(dir: &Path, display: &str) -> Result<Loaded, Vec<InputProblem>> {
    let path = dir.join("programme.toml");
    let file = format!("{display}/programme.toml");
    let bytes = std::fs::read(&path)
        .map_err(|e| vec![InputProblem::file(&file, format!("无法读取：{}", crate::problem::io_text(&e)))])?;
    let text = String::from_utf8(bytes.clone())
        .map_err(|_| vec![InputProblem::file(&file, "不是 UTF-8 编码").hint("用记事本“另存为”UTF-8 编码")])?;
    let unknown = unknown_keys(&text, &file);
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let config: ProgrammeFile = toml::from_str(&text).map_err(|e| {
        let msg = e.message();
        let date = msg.contains("expected a TOML datetime") || msg.contains("expected a date");
        let extra = date.then_some("日期写成 2016-01-30 这样，不加引号");
        vec![crate::problem::toml_problem(&file, &text, &e, "配置", extra)]
    })?;
    let date = toml_date(&file, "document.date", &config.document.date).map_err(|p| vec![p])?;
    let digest = sha256_hex(&bytes);
    let id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(Loaded { file: config, text, id, date, digest, shown: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_exactly() {
        assert_eq!(Rate::parse("50%").unwrap(), Rate(500_000));
        assert_eq!(Rate::parse("20.25%").unwrap(), Rate(202_500));
        assert_eq!(Rate::parse("100%").unwrap().label(), "100%");
        assert_eq!(Rate(202_500).label(), "20.25%");
        assert!(Rate::parse("120%").unwrap_err().contains("超出0–100%"));
        assert!(Rate::parse("0.5").is_err());
        assert!(Rate::parse("-5%").is_err());
    }
}

/// A file's SHA-256 as lower-case hex: the programme's digest, and every record of the manifest.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}
