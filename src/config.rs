//! The programme config (`programme.toml`): who issues the circular, the quota rule,
//! deadlines, ranking settings and every piece of wording an office may want to change.
//!
//! Unknown keys are errors (a misspelt key silently ignored would change a result).
//! Rates are written as percentages ("50%") and kept as exact integers (parts per
//! million) so that quota arithmetic is exact.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::problem::{nearest, InputProblem};

pub use crate::programme::{fill_template, Base, Level, RankKey, Rate, Rounding};

/// The whole `programme.toml`: one model for every programme. Each part is a step that
/// runs when its sections are written:
/// - `[units]`, `[datasets.*]`, `[measures]`, `[assessment]`: units, the datasets read for
///   them and the measures computed ([`crate::declared`]);
/// - `[inputs]`, `[quota]`, `[enrollment]`, `[ranking]`, `[text]`: the participation
///   workflow — population and rosters read, quotas apportioned, towns ranked
///   ([`crate::micro`]); its towns are the level `town`, their results measures;
/// - `rubrics`: score the measures of any level ([`crate::assess`]), `[rubric_text]`
///   the wording of their results;
/// - `[[pdf]]`, `[[table]]`: what is published ([`crate::outputs`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeFile {
    /// The rubric files, relative to the programme folder; none by default.
    #[serde(default)]
    pub rubrics: Vec<String>,
    pub programme: ProgrammeSection,
    pub document: ResultsDocument,
    /// `[units]` (one level) or `[[units]]` (several), read by [`crate::declared::levels`].
    #[serde(default)]
    pub units: Option<toml::Value>,
    #[serde(default)]
    pub assessment: Option<crate::programme::AssessmentSection>,
    #[serde(default)]
    pub datasets: BTreeMap<String, crate::programme::dataset::DatasetSpec>,
    #[serde(default)]
    pub measures: BTreeMap<String, crate::programme::measure::MeasureSpec>,
    #[serde(default)]
    pub inputs: Option<InputsSection>,
    #[serde(default)]
    pub quota: Option<QuotaSection>,
    #[serde(default)]
    pub enrollment: Option<EnrollmentSection>,
    #[serde(default)]
    pub ranking: Option<RankingSection>,
    #[serde(default)]
    pub text: Option<TextSection>,
    /// `[rubric_text]`: the wording of the rubric results (titles, notes, reasons, headers),
    /// over the built-in [`crate::rubric::text::Wording`]; checked when the rubrics are read.
    #[serde(default)]
    pub rubric_text: toml::Table,
    /// `[views.<name>]`: tables of units and their measures, declared ([`crate::views`]).
    #[serde(default)]
    pub views: BTreeMap<String, crate::programme::view::ViewSpec>,
    /// `[[pdf]]`: the documents published (default: every one the programme computes).
    #[serde(default)]
    pub pdf: Vec<crate::programme::PdfSpec>,
    /// `[[table]]`: the tables published as CSV and results.xlsx sheets (default: all).
    #[serde(default)]
    pub table: Vec<crate::programme::TableSpec>,
}

/// The participation workflow's settings (all five sections, checked present).
#[derive(Debug, Clone)]
pub struct Participation {
    pub programme: ProgrammeSection,
    pub document: ResultsDocument,
    pub inputs: InputsSection,
    pub quota: QuotaSection,
    pub enrollment: EnrollmentSection,
    pub ranking: RankingSection,
    pub text: TextSection,
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

/// Input files, relative to the programme folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputsSection {
    pub population: String,
    pub rosters: String,
    /// Header spellings this office's files use beyond those kaohe knows, by field:
    /// `"身份证号" = ["证件号"]`.
    #[serde(default)]
    pub columns: crate::programme::Spellings,
}

/// The quota rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaSection {
    pub default_rate: Rate,
    pub default_base: Base,
    pub rounding: Rounding,
    pub level: Level,
    #[serde(default, rename = "override")]
    pub overrides: Vec<QuotaOverride>,
}

/// A unit with its own rate or base (老城办: 20% of 户籍总人口).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaOverride {
    pub unit: String,
    pub rate: Option<Rate>,
    pub base: Option<Base>,
}

/// Enrollment rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentSection {
    /// Premiums paid after this day are late.
    pub deadline: toml::value::Datetime,
    /// District participation goal.
    pub goal: Rate,
    /// Towns known to have no roster this year; any other town without rows is an error.
    #[serde(default)]
    pub no_roster: Vec<String>,
    /// When this share of a roster file's rows (10 rows at least) fails one column's
    /// check, the file is refused instead of its town being ranked on what is left.
    #[serde(default = "default_max_set_aside")]
    pub max_set_aside: Rate,
}

fn default_max_set_aside() -> Rate {
    Rate(200_000)
}

/// Ranking settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankingSection {
    pub key: RankKey,
    pub bottom_n: usize,
    pub bottom_remark: String,
    pub top_n: usize,
    pub top_remark: String,
    pub unfinished_remark: String,
}

/// Wording templates; `{name}` placeholders are filled from the config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextSection {
    pub annex_label: String,
    pub quota_title: String,
    pub quota_note: String,
    pub override_note: String,
    pub ranking_title: String,
    pub ranking_note: String,
    pub detail_title: String,
    pub quality_title: String,
    /// What the units are called in tables, notes and the metrics sheet (镇办, 乡镇, 街道).
    #[serde(default = "default_unit_name")]
    pub unit_name: String,
    /// The quota table's three column headers; default: {unit_name}及村名, the base
    /// (户籍总人口（农村） or 户籍总人口, by `default_base`), 参保任务数(人).
    #[serde(default)]
    pub quota_columns: Option<Vec<String>>,
    /// The ranking's 合计 remark; also `{reached}` (已达到 or 未达到).
    #[serde(default = "default_goal_line")]
    pub goal_line: String,
    /// Each village-detail sheet's 注; also `{base}` (the town's base population) and
    /// `{village_rule}` (how the town's quota was split to its villages).
    #[serde(default = "default_detail_note")]
    pub detail_note: String,
}

fn default_unit_name() -> String {
    "镇办".into()
}

fn default_goal_line() -> String {
    "{whole}目标{goal}：{reached}".into()
}

fn default_detail_note() -> String {
    "注：基数人口为{base}；{village_rule}；参保人数只计{deadline}前缴费的有效身份证号，同一人只计一次。".into()
}

/// A config with its dates resolved.
#[derive(Debug, Clone)]
pub struct Programme {
    pub config: Participation,
    /// Folder name, e.g. hanbin-2015-micro.
    pub id: String,
    pub date: NaiveDate,
    pub deadline: NaiveDate,
    /// SHA-256 of the config file's bytes.
    pub digest: String,
}

impl Programme {
    /// 汉政办发〔2015〕105号
    pub fn document_number(&self) -> String {
        self.config.document.number(self.config.programme.year)
    }

    /// Fill `{placeholders}` in a wording template; unknown ones are an error naming the key.
    pub fn fill(&self, key: &str, template: &str, extra: &[(&str, String)]) -> Result<String, String> {
        let c = &self.config;
        let mut vars: Vec<(&str, String)> = vec![
            ("region", c.programme.region.clone()),
            ("year", c.programme.year.to_string()),
            ("name", c.programme.name.clone()),
            ("issuer", c.document.issuer.clone()),
            ("default_rate", c.quota.default_rate.label()),
            ("default_base", c.quota.default_base.label().to_string()),
            ("rounding", c.quota.rounding.label_in(&whole(&c.programme.region))),
            ("whole", whole(&c.programme.region)),
            ("deadline", chinese_date(self.deadline)),
            ("goal", c.enrollment.goal.label()),
            ("bottom_n", c.ranking.bottom_n.to_string()),
            ("top_n", c.ranking.top_n.to_string()),
        ];
        vars.extend(extra.iter().cloned());
        fill_template("[text]", key, template, &vars)
    }

    /// Every wording of `[text]` filled once, and the names printed as they are written:
    /// a mistake in one is refused when the programme is read, not printed in a table.
    pub fn check_text(&self) -> Result<(), String> {
        let t = &self.config.text;
        fn x(k: &str) -> (&str, String) {
            (k, String::new())
        }
        let keys: [(&str, &str, Vec<(&str, String)>); 9] = [
            ("quota_title", &t.quota_title, vec![]),
            ("quota_note", &t.quota_note, vec![x("overrides")]),
            ("override_note", &t.override_note, vec![x("unit"), x("base"), x("rate")]),
            ("ranking_title", &t.ranking_title, vec![]),
            ("ranking_note", &t.ranking_note, vec![]),
            ("detail_title", &t.detail_title, vec![x("unit")]),
            ("quality_title", &t.quality_title, vec![]),
            ("goal_line", &t.goal_line, vec![x("reached")]),
            ("detail_note", &t.detail_note, vec![x("base"), x("village_rule")]),
        ];
        for (key, template, extra) in keys {
            self.fill(key, template, &extra)?;
        }
        let mut names = vec![("unit_name", t.unit_name.as_str()), ("annex_label", t.annex_label.as_str())];
        if let Some(columns) = &t.quota_columns {
            if columns.len() != 3 {
                return Err(format!(
                    "[text] quota_columns 应写3个列名（单位、基数人口、任务数），写了{}个",
                    columns.len()
                ));
            }
            names.extend(columns.iter().map(|c| ("quota_columns", c.as_str())));
        }
        for (key, name) in names {
            if name.trim().is_empty() || name.contains(['{', '}']) {
                return Err(format!("[text] {key} = \"{name}\"：照原样印出的名称，不能为空，也不能有占位符"));
            }
        }
        Ok(())
    }
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
    // Its keys are those of the built-in wording (crate::rubric::text::KEYS).
    ("rubric_text", &[]),
    ("programme", &["kind", "region", "year", "name"]),
    ("document", &["issuer", "code", "serial", "date"]),
    ("inputs", &["population", "rosters", "columns"]),
    ("quota", &["default_rate", "default_base", "rounding", "level", "override"]),
    ("quota.override", &["unit", "rate", "base"]),
    ("pdf", &["view", "template", "file"]),
    ("table", &["view", "file"]),
    ("enrollment", &["deadline", "goal", "no_roster", "max_set_aside"]),
    ("ranking", &["key", "bottom_n", "bottom_remark", "top_n", "top_remark", "unfinished_remark"]),
    (
        "text",
        &[
            "annex_label",
            "quota_title",
            "quota_note",
            "override_note",
            "ranking_title",
            "ranking_note",
            "detail_title",
            "quality_title",
            "unit_name",
            "quota_columns",
            "goal_line",
            "detail_note",
        ],
    ),
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

/// All unknown sections and keys, each with its line and the nearest known name.
fn unknown_keys(text: &str, file: &str) -> Vec<InputProblem> {
    let Ok(table) = text.parse::<toml::Table>() else { return Vec::new() };
    let mut problems = Vec::new();
    let mut misplaced = Vec::new();
    let mut report = |key: &str, known: &[&str], place: &str| {
        let msg = format!("{place}未知的配置项“{key}”");
        let mut p = match line_of(text, key) {
            Some(l) => InputProblem::at(file, l, None, msg),
            None => InputProblem::file(file, msg),
        };
        // A rubric result's wording written into the workflow's [text] belongs in [rubric_text].
        let result_text = ["ranking_label", "grades_label", "grades_title", "grades_note"];
        if place.starts_with("[text]") && result_text.contains(&key) {
            p = p.hint("评分结果（排名表、等级表）的标题和注写在 [rubric_text] 中；[text] 是参保工作流程的文字");
        } else if let Some(n) = nearest(key, known.iter().copied()) {
            p = p.hint(format!("是否应为“{n}”？"));
        }
        problems.push(p);
    };
    let top: Vec<&str> = SECTIONS.iter().map(|(s, _)| *s).filter(|s| !s.contains('.')).chain(DECLARED).collect();
    for (section, value) in &table {
        if DECLARED.contains(&section.as_str()) {
            continue;
        }
        let Some((_, keys)) = SECTIONS.iter().find(|(s, _)| s == section) else {
            report(section, &top, "");
            continue;
        };
        let wording_keys = crate::rubric::text::key_names();
        let keys: &[&str] = if section == "rubric_text" { &wording_keys } else { keys };
        // `[text]` is the participation workflow's wording; a rubric's results have theirs
        // in `[rubric_text]` (an older declared file wrote them in `[text]`).
        if section == "text" && !table.contains_key("inputs") {
            let msg = "[text] 是参保工作流程（[inputs] 人口与名册）的文字，本文件没有 [inputs]";
            misplaced.push(
                match line_of(text, "text") {
                    Some(l) => InputProblem::at(file, l, None, msg),
                    None => InputProblem::file(file, msg),
                }
                .hint("评分结果（排名表、等级表）的标题和注写在 [rubric_text] 中：把 [text] 改为 [rubric_text]"),
            );
            continue;
        }
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
            if let Some(toml::Value::Array(overrides)) = t.get("override") {
                for o in overrides.iter().filter_map(|o| o.as_table()) {
                    check(
                        o,
                        SECTIONS.iter().find(|(s, _)| *s == "quota.override").map(|(_, k)| *k).unwrap_or(&[]),
                        "[[quota.override]] 中".into(),
                    );
                }
            }
        }
    }
    problems.extend(misplaced);
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

/// The sections of the participation workflow: written all together or not at all.
const PARTICIPATION: [&str; 5] = ["inputs", "quota", "enrollment", "ranking", "text"];

impl Loaded {
    /// The participation workflow's settings, when the file writes its sections.
    pub fn participation(&self) -> Result<Option<Programme>, Vec<InputProblem>> {
        let f = &self.file;
        let written =
            [f.inputs.is_some(), f.quota.is_some(), f.enrollment.is_some(), f.ranking.is_some(), f.text.is_some()];
        let (Some(inputs), Some(quota), Some(enrollment), Some(ranking), Some(text)) =
            (&f.inputs, &f.quota, &f.enrollment, &f.ranking, &f.text)
        else {
            if !written.contains(&true) {
                return Ok(None);
            }
            let missing: Vec<String> =
                PARTICIPATION.iter().zip(written).filter(|(_, w)| !w).map(|(s, _)| format!("[{s}]")).collect();
            return Err(vec![InputProblem::file(
                &self.shown,
                format!("参保工作流程（人口、名册、任务分解、排名）缺少 {}", missing.join("、")),
            )
            .hint("[inputs]、[quota]、[enrollment]、[ranking]、[text] 五节要一起写（见 input/hanbin-2015-micro/programme.toml）")]);
        };
        let deadline = toml_date(&self.shown, "enrollment.deadline", &enrollment.deadline).map_err(|p| vec![p])?;
        let config = Participation {
            programme: f.programme.clone(),
            document: f.document.clone(),
            inputs: inputs.clone(),
            quota: quota.clone(),
            enrollment: enrollment.clone(),
            ranking: ranking.clone(),
            text: text.clone(),
        };
        let programme =
            Programme { config, id: self.id.clone(), date: self.date, deadline, digest: self.digest.clone() };
        programme.check_text().map_err(|m| vec![InputProblem::file(&self.shown, m)])?;
        Ok(Some(programme))
    }
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
