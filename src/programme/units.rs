//! Who is assessed: `[units]` (one level) or `[[units]]` (several), each level's key
//! columns and its units, checked where programme.toml writes them.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::problem::InputProblem;

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
