//! Comparing a quota table an office already published (or typed by hand) with
//! kaohe's: every row that differs, by how much, and which rounding explains it.
//! The seed's own annex is the first real case: it rounds seven x.5 towns up and seven
//! down, a tie-break nobody can infer, so the differences are shown, not hidden.

use crate::ingest::RawTable;
use crate::measure::quota::{exact_text, PPM};
use crate::problem::InputProblem;
use crate::validate::{match_headers, Field};

const FIELDS: [Field; 2] = [
    Field { label: "单位", aliases: &["镇办及村名", "镇办", "单位", "镇", "unit", "town"] },
    Field { label: "任务数", aliases: &["参保任务数（人）", "参保任务数", "任务数", "quota"] },
];

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub unit: String,
    pub exact: Option<String>,
    pub published: Option<u64>,
    pub kaohe: Option<u64>,
    pub why: String,
}

fn direction(value: u64, exact_ppm: u128) -> &'static str {
    let v = value as u128 * PPM;
    if v == exact_ppm {
        "取精确值"
    } else if value as u128 == exact_ppm / PPM {
        "向下取整"
    } else if value as u128 == exact_ppm.div_ceil(PPM) {
        "向上取整"
    } else {
        "与精确值不符（不是取整所致）"
    }
}

/// Compare; returns the differing rows (units missing on either side included) and
/// a line about the totals.
/// One unit's quota as kaohe apportions it: its name, whole quota and exact share (ppm).
#[derive(Debug, Clone)]
pub struct Apportioned {
    pub name: String,
    pub quota: u64,
    pub exact_ppm: u128,
}

pub fn compare(
    published: &RawTable,
    quotas: &[Apportioned],
    source: &str,
) -> Result<(Vec<Difference>, String), Vec<InputProblem>> {
    let cols = match_headers(published, &FIELDS)?;
    let mut problems = Vec::new();
    let mut rows: Vec<(String, u64)> = Vec::new();
    let mut published_total = None;
    for r in 0..published.len() {
        let unit = published.cells[cols[0]][r].replace([' ', '\u{3000}'], "");
        let text = published.cells[cols[1]][r].trim();
        let Ok(value) = text.parse::<u64>() else {
            problems.push(InputProblem::at(
                &published.file,
                published.rows[r],
                Some(&published.headers[cols[1]]),
                format!("任务数“{text}”不是整数"),
            ));
            continue;
        };
        if unit == "合计" || unit == "总计" {
            published_total = Some(value);
        } else {
            rows.push((unit, value));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut diffs = Vec::new();
    for town in quotas {
        match rows.iter().find(|(u, _)| *u == town.name) {
            Some(&(_, p)) if p == town.quota => {}
            Some(&(_, p)) => {
                let gap = p as i64 - town.quota as i64;
                diffs.push(Difference {
                    unit: town.name.clone(),
                    exact: Some(exact_text(town.exact_ppm)),
                    published: Some(p),
                    kaohe: Some(town.quota),
                    why: format!(
                        "精确值{}，公布值{}，kaohe 的规则{}（差{:+}）",
                        exact_text(town.exact_ppm),
                        direction(p, town.exact_ppm),
                        direction(town.quota, town.exact_ppm),
                        gap
                    ),
                });
            }
            None => diffs.push(Difference {
                unit: town.name.clone(),
                exact: Some(exact_text(town.exact_ppm)),
                published: None,
                kaohe: Some(town.quota),
                why: "公布表中没有此单位".into(),
            }),
        }
    }
    for (unit, p) in &rows {
        if !quotas.iter().any(|t| &t.name == unit) {
            let near = crate::problem::nearest(unit, quotas.iter().map(|t| t.name.as_str()));
            let why = match near {
                Some(n) => format!("{source}中没有此单位，是否为“{n}”？"),
                None => format!("{source}中没有此单位"),
            };
            diffs.push(Difference { unit: unit.clone(), exact: None, published: Some(*p), kaohe: None, why });
        }
    }
    let ours: u64 = quotas.iter().map(|q| q.quota).sum();
    let sum: u64 = rows.iter().map(|(_, p)| p).sum();
    let mut total = format!("合计：kaohe {ours}，公布表各行相加 {sum}");
    if let Some(t) = published_total {
        total.push_str(&format!("，公布表合计行 {t}"));
        if t != sum {
            total.push_str("（公布表合计行与各行之和不符）");
        }
    }
    total.push_str(if sum == ours { "；总数一致。" } else { "；总数不一致。" });
    Ok((diffs, total))
}
