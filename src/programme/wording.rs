//! The wording of a rubric's results as data: reasons (“参保率92.3%，低于95%，扣6分”),
//! table headers, the score sheet's lines and the grade bands' sentence. The defaults are
//! `report-templates/rubric-text.toml`, built in; a programme's `[rubric_text]` rewords
//! any key, and a rubric's own `[text]` rewords it for that rubric alone. Each key takes
//! the placeholders [`KEYS`] lists, and an unknown one is refused when the file is read.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::programme::fill_template;

/// The built-in wording (report-templates/rubric-text.toml).
const BUNDLED: &str = include_str!("../../report-templates/rubric-text.toml");

/// Title placeholders: filled in every title and note.
const TITLE: &[&str] = &["year", "region", "name", "whole"];

/// Every key, with the placeholders it may use (README lists the same).
pub const KEYS: &[(&str, &[&str])] = &[
    ("ranking_label", TITLE),
    ("ranking_title", TITLE),
    ("ranking_note", TITLE),
    ("grades_label", TITLE),
    ("grades_title", TITLE),
    ("grades_note", TITLE),
    ("deducted_each", &["reason", "count", "unit", "points"]),
    ("added_each", &["reason", "count", "unit", "points"]),
    ("deducted_once", &["reason", "points"]),
    ("added_once", &["reason", "points"]),
    ("count_unit", &[]),
    ("below_target", &["label", "value", "unit", "target", "points", "gap"]),
    ("above_ceiling", &["label", "value", "unit", "ceiling", "points", "gap"]),
    ("shortfall_unit", &[]),
    ("zeroed", &["reason"]),
    ("tier_reason", &["label", "value", "unit", "points"]),
    ("tier_unit", &[]),
    ("judged_reason", &["score", "points"]),
    ("deadline_missed", &["date", "full_date", "days", "action", "points"]),
    ("deadline_blank", &["action", "points"]),
    ("floored", &[]),
    ("item_cap_added", &["cap"]),
    ("item_cap_deducted", &["cap"]),
    ("category_cap_added", &["category", "cap"]),
    ("category_cap_deducted", &["category", "cap"]),
    ("ranking_sheet", &["unit"]),
    ("ranking_columns", &["unit"]),
    ("unranked", &[]),
    ("tied", &[]),
    ("disqualified", &["reason"]),
    ("grades_sheet", &["unit"]),
    ("grades_columns", &[]),
    ("no_last_year", &[]),
    ("band_top", &["min", "grade"]),
    ("band_middle", &["min", "below", "grade"]),
    ("band_bottom", &["below", "grade"]),
    ("bands_note", &["bands"]),
    ("items_sheet", &["label"]),
    ("items_columns", &[]),
    ("form_columns", &[]),
    ("sheet_columns", &[]),
    ("sheet_unit_line", &["unit", "year"]),
    ("sheet_summary", &["base", "bonus", "penalty", "total"]),
    ("sheet_rank", &["rank"]),
    ("sheet_rank_tied", &["rank"]),
    ("sheet_grade", &["grade"]),
    ("sheet_bottom", &["n", "remark"]),
    ("sheet_top", &["n", "remark"]),
    ("sheet_consequence", &["last", "consequence"]),
    ("not_applicable", &[]),
];

/// The names of [`KEYS`], for the strict loader's list of what `[rubric_text]` accepts.
pub fn key_names() -> Vec<&'static str> {
    KEYS.iter().map(|(k, _)| *k).collect()
}

/// A rubric's wording, every key present (the built-in file supplies all of them).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wording {
    pub ranking_label: String,
    pub ranking_title: String,
    pub ranking_note: String,
    pub grades_label: String,
    pub grades_title: String,
    pub grades_note: String,
    pub deducted_each: String,
    pub added_each: String,
    pub deducted_once: String,
    pub added_once: String,
    pub count_unit: String,
    pub below_target: String,
    pub above_ceiling: String,
    pub shortfall_unit: String,
    pub zeroed: String,
    pub tier_reason: String,
    pub tier_unit: String,
    pub judged_reason: String,
    pub deadline_missed: String,
    pub deadline_blank: String,
    pub floored: String,
    pub item_cap_added: String,
    pub item_cap_deducted: String,
    pub category_cap_added: String,
    pub category_cap_deducted: String,
    pub ranking_sheet: String,
    pub ranking_columns: [String; 7],
    pub unranked: String,
    pub tied: String,
    pub disqualified: String,
    pub grades_sheet: String,
    pub grades_columns: [String; 4],
    pub no_last_year: String,
    pub band_top: String,
    pub band_middle: String,
    pub band_bottom: String,
    pub bands_note: String,
    pub items_sheet: String,
    pub items_columns: [String; 5],
    pub form_columns: [String; 6],
    pub sheet_columns: [String; 7],
    pub sheet_unit_line: String,
    pub sheet_summary: String,
    pub sheet_rank: String,
    pub sheet_rank_tied: String,
    pub sheet_grade: String,
    pub sheet_bottom: String,
    pub sheet_top: String,
    pub sheet_consequence: String,
    pub not_applicable: String,
}

impl Default for Wording {
    fn default() -> Self {
        Wording::bundled().clone()
    }
}

impl Wording {
    /// The built-in wording.
    pub fn bundled() -> &'static Wording {
        static W: OnceLock<Wording> = OnceLock::new();
        W.get_or_init(|| toml::from_str(BUNDLED).unwrap_or_else(|e| panic!("report-templates/rubric-text.toml: {e}")))
    }

    /// The built-in wording with `layers` laid over it in turn (a programme's
    /// `[rubric_text]`, then a rubric's `[text]`); each layer is named in messages as its
    /// `section`. Unknown keys, a list of the wrong length and unknown placeholders are refused.
    pub fn layered(layers: &[(&str, &toml::Table)]) -> Result<Wording, String> {
        let mut merged: toml::Table = BUNDLED.parse().map_err(|e| format!("report-templates/rubric-text.toml: {e}"))?;
        for (section, layer) in layers {
            for (key, value) in layer.iter() {
                let Some(old) = merged.get(key) else {
                    let hint = crate::problem::nearest(key, key_names().into_iter())
                        .map(|n| format!("；是否应为“{n}”？"))
                        .unwrap_or_default();
                    return Err(format!("{section} 中未知的配置项“{key}”{hint}"));
                };
                let same_shape = match (old, value) {
                    (toml::Value::String(_), toml::Value::String(_)) => true,
                    (toml::Value::Array(a), toml::Value::Array(b)) => {
                        if a.len() != b.len() || !b.iter().all(toml::Value::is_str) {
                            return Err(format!("{section} {key} 应是{}个列名的列表（如 {old}）", a.len()));
                        }
                        true
                    }
                    _ => false,
                };
                if !same_shape {
                    return Err(format!("{section} {key} 应写成 {key} = {old}"));
                }
                merged.insert(key.clone(), value.clone());
            }
            for (key, allowed) in KEYS {
                if !layer.contains_key(*key) {
                    continue;
                }
                let vars: Vec<(&str, String)> = allowed.iter().map(|p| (*p, String::new())).collect();
                let texts: Vec<&str> = match layer.get(*key) {
                    Some(toml::Value::String(s)) => vec![s.as_str()],
                    Some(toml::Value::Array(list)) => list.iter().filter_map(toml::Value::as_str).collect(),
                    _ => vec![],
                };
                for t in texts {
                    fill_template(section, key, t, &vars)?;
                }
            }
        }
        toml::Value::Table(merged).try_into().map_err(|e: toml::de::Error| e.message().to_string())
    }
}

/// `template` with its placeholders filled; a key's placeholders were checked when its
/// wording was read, so an unknown one can only be a placeholder left as written.
pub fn fill(template: &str, vars: &[(&str, String)]) -> String {
    fill_template("", "", template, vars).unwrap_or_else(|_| template.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_file_has_every_key_and_only_known_placeholders() {
        let table: toml::Table = BUNDLED.parse().unwrap();
        let mut in_file: Vec<&str> = table.keys().map(String::as_str).collect();
        let mut listed = key_names();
        in_file.sort();
        listed.sort();
        assert_eq!(in_file, listed);
        // Every default passes the check a programme's own wording gets.
        Wording::layered(&[("[rubric_text]", &table)]).unwrap();
        assert_eq!(Wording::bundled().tied, "并列");
    }

    #[test]
    fn a_layer_rewords_and_a_wrong_key_or_placeholder_is_refused() {
        let layer: toml::Table = "floored = \"扣完为止，不再扣分\"".parse().unwrap();
        let rubric: toml::Table = "floored = \"扣至0分为止\"".parse().unwrap();
        let w = Wording::layered(&[("[rubric_text]", &layer)]).unwrap();
        assert_eq!(w.floored, "扣完为止，不再扣分");
        let w = Wording::layered(&[("[rubric_text]", &layer), ("[text]", &rubric)]).unwrap();
        assert_eq!(w.floored, "扣至0分为止");
        let bad: toml::Table = "below_target = \"{label}低于{goal}\"".parse().unwrap();
        assert_eq!(
            Wording::layered(&[("[rubric_text]", &bad)]).unwrap_err(),
            "[rubric_text] below_target 中的占位符 {goal} 未知；可用：label、value、unit、target、points、gap"
        );
        let short: toml::Table = "items_columns = [\"序号\"]".parse().unwrap();
        assert_eq!(
            Wording::layered(&[("[text]", &short)]).unwrap_err(),
            "[text] items_columns 应是5个列名的列表（如 [\"序号\", \"考核指标\", \"基本分\", \"得分\", \"扣分、加分说明\"]）"
        );
    }
}
