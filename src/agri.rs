//! The 南通 agricultural-insurance assessment programme (seed 004): its config and, for
//! now, the blank assessment forms (附件1, 附件2) rendered from the rubric files, as the
//! office attaches them to the assessment method at the start of the year. Scoring with
//! the datasets builds on [`crate::rubric`].

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::problem::{io_text, InputProblem};
use crate::rubric::{self, Rubric};

/// `programme.toml` of an agri-assessment folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgriConfig {
    pub programme: AgriSection,
    pub document: AgriDocument,
    pub rubrics: Vec<String>,
}

/// The method document; a 发文字号 only when it has one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgriDocument {
    pub issuer: String,
    pub date: toml::value::Datetime,
    pub code: Option<String>,
    pub serial: Option<u32>,
}

/// What programme this folder is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgriSection {
    pub kind: String,
    pub region: String,
    pub year: i32,
    pub name: String,
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
}

/// Load the config and check every rubric it names.
pub fn load(dir: &Path, display: &str) -> Result<AgriProgramme, Vec<InputProblem>> {
    let file = format!("{display}/programme.toml");
    let bytes = std::fs::read(dir.join("programme.toml"))
        .map_err(|e| vec![InputProblem::file(&file, format!("无法读取：{}", io_text(&e)))])?;
    let text = String::from_utf8_lossy(&bytes);
    let config: AgriConfig =
        toml::from_str(&text).map_err(|e| vec![InputProblem::file(&file, format!("配置有误：{}", e.message()))])?;
    let d = config.document.date;
    let date = d
        .date
        .and_then(|d| NaiveDate::from_ymd_opt(d.year as i32, d.month as u32, d.day as u32))
        .ok_or_else(|| vec![InputProblem::file(&file, "document.date 应是日期，如 2012-06-30")])?;
    let available = rubric::agri_metrics();
    let mut rubrics = Vec::new();
    let mut problems = Vec::new();
    for name in &config.rubrics {
        let shown = format!("{display}/{name}");
        match rubric::load(&dir.join(name), &shown, &available) {
            Ok(r) => rubrics.push((shown, r)),
            Err(p) => problems.extend(p),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let id = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(AgriProgramme { config, id, date, digest: crate::archive::sha256_hex(&bytes), rubrics })
}

/// The blank form's payload: categories with their items, merged cells spelled out.
pub fn form_payload(rubric: &Rubric) -> Value {
    let items = &rubric.items;
    // The 负责考核部门 cell spans from an item that names a department to the next one that does.
    let dept_span = |i: usize| -> usize {
        if items[i].department.is_empty() && i > 0 {
            return 0;
        }
        1 + items[i + 1..].iter().take_while(|it| it.department.is_empty()).count()
    };
    let categories: Vec<Value> = rubric
        .categories
        .iter()
        .map(|c| {
            let rows: Vec<Value> = items
                .iter()
                .enumerate()
                .filter(|(_, it)| it.category == c.no)
                .map(|(i, it)| {
                    json!({
                        "indicator": it.indicator,
                        "base": if it.base > 0.0 { rubric::fmt_points(it.base) } else { String::new() },
                        "method": it.method,
                        "department": it.department,
                        "dept_span": dept_span(i),
                    })
                })
                .collect();
            json!({ "no": c.no.to_string(), "name": c.name, "items": rows })
        })
        .collect();
    json!({
        "label": format!("{}：", rubric.rubric.label),
        "title": rubric.rubric.title,
        "unit_line": if rubric.rubric.id == "insurer" { "被考核单位：" } else { "" },
        "columns": ["序号", "考核内容", "考核指标", "基本分", "计分办法", "负责考核部门"],
        "categories": categories,
    })
}
