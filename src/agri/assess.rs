//! Every unit scored against its rubric (in parallel), counties ranked by total (ties
//! share a rank; disqualified units listed apart, unranked), insurers graded with the
//! two-year rule — and the tables and payloads the outputs are made of.

use rayon::prelude::*;
use serde_json::{json, Value};

use super::metrics::UnitMetrics;
use super::AgriProgramme;
use crate::problem::InputProblem;
use crate::rank::{self, Ratio};
use crate::report::{Cell, Table};
use crate::rubric::score::{self, UnitScore};
use crate::rubric::{fmt_points, Assesses, Rubric};

/// One unit's place in the results.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub county: String,
    /// Empty for a county unit.
    pub insurer: String,
    pub score: UnitScore,
    /// Competition rank among the units not disqualified (ranked rubrics only).
    pub rank: Option<usize>,
    /// Grade band (graded rubrics only).
    pub grade: Option<String>,
    pub last_year: Option<String>,
    /// e.g. 连续2年考核不合格，取消农业保险承办资格
    pub consequence: Option<String>,
}

impl Outcome {
    /// As named in tables and file names: 通州区, or 通州区 人保财险.
    pub fn name(&self) -> String {
        if self.insurer.is_empty() {
            self.county.clone()
        } else {
            format!("{} {}", self.county, self.insurer)
        }
    }
}

/// One rubric's results.
#[derive(Debug, Clone)]
pub struct RubricResults<'a> {
    pub rubric: &'a Rubric,
    /// In unit order (config order of counties; findings order of insurers).
    pub outcomes: Vec<Outcome>,
}

/// Score every unit of every rubric; scoring errors (missing data, a judged score out of
/// range, a survey too small) are input problems naming the unit and item.
pub fn assess(p: &AgriProgramme) -> Result<Vec<RubricResults<'_>>, Vec<InputProblem>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (file, rubric) in &p.rubrics {
        let units: &[UnitMetrics] = match rubric.rubric.assesses {
            Assesses::County => &p.metrics.county,
            Assesses::Insurer => &p.metrics.insurer,
        };
        let scored: Vec<Result<UnitScore, score::ScoreError>> = units
            .par_iter()
            .map(|u| {
                let name = if u.insurer.is_empty() { u.county.clone() } else { format!("{}{}", u.county, u.insurer) };
                score::score_unit(rubric, &name, &u.values)
            })
            .collect();
        let mut outcomes = Vec::new();
        for (u, s) in units.iter().zip(scored) {
            match s {
                Ok(score) => outcomes.push(Outcome {
                    county: u.county.clone(),
                    insurer: u.insurer.clone(),
                    score,
                    rank: None,
                    grade: None,
                    last_year: None,
                    consequence: None,
                }),
                Err(e) => {
                    let hint = match &e {
                        score::ScoreError::Missing { .. } => "在检查结果表中为该单位填上这一指标，或检查相应数据集",
                        score::ScoreError::Judged { .. } => "检查评分应在0到该项基本分之间",
                        score::ScoreError::Sample { .. } => "补足电话回访户数后再考核",
                    };
                    // Too small a sample is a fact of the survey: name its file and row.
                    let survey_line = p.datasets.survey.iter().find(|s| s.county == u.county && s.insurer == u.insurer);
                    let problem = match (&e, survey_line) {
                        (score::ScoreError::Sample { .. }, Some(s)) => {
                            InputProblem::at(&s.source.0, s.source.1, Some(&s.source.2), e.to_string())
                        }
                        _ => InputProblem::file(file, e.to_string()),
                    };
                    problems.push(problem.hint(hint));
                }
            }
        }
        if rubric.grades.is_empty() {
            rank_units(&mut outcomes);
        } else {
            for o in &mut outcomes {
                let g = score::grade(rubric, o.score.total).map(|g| g.grade.clone());
                o.last_year = p.datasets.last_year.get(&(o.county.clone(), o.insurer.clone())).cloned();
                if let Some(g) = &g {
                    o.consequence = score::consequence(rubric, g, o.last_year.as_deref()).map(str::to_string);
                }
                o.grade = g;
            }
        }
        out.push(RubricResults { rubric, outcomes });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Competition ranks on totals (exact to the hundredth of a point); disqualified units get none.
fn rank_units(outcomes: &mut [Outcome]) {
    let ranked: Vec<usize> = (0..outcomes.len()).filter(|&i| outcomes[i].score.disqualified.is_none()).collect();
    // Totals carry at most two decimals; shifted so a total below zero still orders.
    let keys: Vec<Ratio> = ranked
        .iter()
        .map(|&i| Ratio { num: ((outcomes[i].score.total + 10_000.0) * 100.0).round() as u64, den: 1 })
        .collect();
    for (&i, s) in ranked.iter().zip(rank::rank(&keys, 0, 0)) {
        outcomes[i].rank = Some(s.rank);
    }
}

fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

impl RubricResults<'_> {
    /// Units in table order: ranked by rank then unit order, disqualified after.
    fn ranking_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.outcomes.len()).collect();
        order.sort_by_key(|&i| (self.outcomes[i].rank.unwrap_or(usize::MAX), i));
        order
    }

    /// 考核结果排名表.
    pub fn ranking_table(&self) -> Table {
        let mut table = Table::new(
            "考核结果排名",
            &[
                ("名次", 2),
                (&self.rubric.rubric.unit, 6),
                ("基本项得分", 4),
                ("加分", 2),
                ("扣分", 2),
                ("总分", 2),
                ("备注", 7),
            ],
        );
        for i in self.ranking_order() {
            let o = &self.outcomes[i];
            let s = &o.score;
            table.rows.push(vec![
                t(o.rank.map_or("—".to_string(), |r| r.to_string())),
                t(&o.county),
                Cell::Points(s.base_points),
                Cell::Points(s.bonus),
                Cell::Points(s.penalty),
                Cell::Points(s.total),
                t(match &s.disqualified {
                    Some(why) => format!("取消评比资格：{why}"),
                    None => self.tie_note(i),
                }),
            ]);
        }
        table
    }

    fn tie_note(&self, i: usize) -> String {
        let r = self.outcomes[i].rank;
        let tied = self.outcomes.iter().filter(|o| o.rank.is_some() && o.rank == r).count();
        if tied > 1 {
            "并列".into()
        } else {
            String::new()
        }
    }

    /// 承办机构考核等级表.
    pub fn grades_table(&self) -> Table {
        let mut table = Table::new(
            "承办机构考核等级",
            &[("县（市）区", 4), ("承办公司", 3), ("总分", 2), ("等级", 2), ("上年等级", 2), ("备注", 6)],
        );
        for o in &self.outcomes {
            table.rows.push(vec![
                t(&o.county),
                t(&o.insurer),
                Cell::Points(o.score.total),
                t(o.grade.clone().unwrap_or_default()),
                t(o.last_year.clone().unwrap_or_else(|| "—".into())),
                t(o.consequence.clone().unwrap_or_default()),
            ]);
        }
        table
    }

    /// Every item of every unit with its points and reason.
    pub fn items_table(&self) -> Table {
        let name = format!("{}逐项得分", self.rubric.rubric.label);
        let mut table = Table::new(
            &name,
            &[
                ("县（市）区", 3),
                ("承办公司", 3),
                ("序号", 1),
                ("考核指标", 6),
                ("基本分", 1),
                ("得分", 1),
                ("扣分、加分说明", 8),
            ],
        );
        for o in &self.outcomes {
            for (item, s) in self.rubric.items.iter().zip(&o.score.items) {
                table.rows.push(vec![
                    t(&o.county),
                    t(&o.insurer),
                    t(&item.id),
                    t(&item.indicator),
                    Cell::Points(item.base),
                    Cell::Points(s.points),
                    t(s.reasons.join("；")),
                ]);
            }
        }
        table
    }

    /// The filled form of one unit: the rubric's rows with 得分 and 扣分说明, and the totals.
    pub fn sheet_payload(&self, i: usize, year: i32) -> Value {
        let o = &self.outcomes[i];
        let r = self.rubric;
        let categories: Vec<Value> = r
            .categories
            .iter()
            .map(|c| {
                let items: Vec<Value> = r
                    .items
                    .iter()
                    .zip(&o.score.items)
                    .filter(|(it, _)| it.category == c.no)
                    .map(|(it, s)| {
                        json!({
                            "indicator": it.indicator,
                            "base": if it.base > 0.0 { fmt_points(it.base) } else { String::new() },
                            "method": it.method,
                            "points": if it.rule.has_base() || s.points != 0.0 { signed(it, s.points) } else { String::new() },
                            "reasons": s.reasons.join("；"),
                        })
                    })
                    .collect();
                json!({ "no": c.no.to_string(), "name": c.name, "items": items })
            })
            .collect();
        let s = &o.score;
        let mut summary = vec![
            format!("基本项得分{}分", fmt_points(s.base_points)),
            format!("加分{}分", fmt_points(s.bonus)),
            format!("扣分{}分", fmt_points(s.penalty)),
            format!("总分{}分", fmt_points(s.total)),
        ];
        if let Some(rank) = o.rank {
            summary.push(format!("排名第{rank}名{}", if self.tie_note(i).is_empty() { "" } else { "（并列）" }));
        }
        if let Some(g) = &o.grade {
            summary.push(format!("等级：{g}"));
        }
        let mut remarks = Vec::new();
        if let Some(why) = &s.disqualified {
            remarks.push(format!("取消评比资格：{why}"));
        }
        if let Some(c) = &o.consequence {
            remarks.push(format!("上年等级{}，{c}", o.last_year.clone().unwrap_or_default()));
        }
        json!({
            "label": format!("{}：", r.rubric.label),
            "title": r.rubric.title,
            "unit_line": format!("被考核单位：{}（{}年度）", o.name(), year),
            "columns": ["序号", "考核内容", "考核指标", "基本分", "计分办法", "得分", "扣分、加分说明"],
            "categories": categories,
            "total": { "base": fmt_points(r.rubric.total), "points": fmt_points(s.total) },
            "summary": summary.join("，"),
            "remarks": remarks,
        })
    }
}

/// Points as shown in the 得分 column: penalties with a minus, bonuses with a plus.
fn signed(item: &crate::rubric::Item, points: f64) -> String {
    if item.rule.has_base() {
        fmt_points(points)
    } else if points > 0.0 {
        format!("+{}", fmt_points(points))
    } else {
        fmt_points(points)
    }
}

/// An annex table payload (label, title, table, note).
pub fn annex_payload(label: &str, title: &str, table: &Table, note: &str) -> Value {
    json!({ "label": label, "title": title, "table": table.to_json(), "note": note })
}

/// The metrics table as a sheet: one row per unit, one column per metric.
pub fn metrics_table(name: &str, units: &[UnitMetrics], columns: &[String]) -> Table {
    let mut cols: Vec<(&str, u32)> = vec![("县（市）区", 3), ("承办公司", 3)];
    cols.extend(columns.iter().map(|c| (c.as_str(), 2)));
    let mut table = Table::new(name, &cols);
    for u in units {
        let mut row = vec![t(&u.county), t(&u.insurer)];
        for c in columns {
            row.push(match u.values.get(c) {
                Some(v) if v.is_nan() => t("不适用"),
                Some(v) => Cell::Points(*v),
                None => t(""),
            });
        }
        table.rows.push(row);
    }
    table
}

/// The facts behind lost points (late claims, subsidy lines below standard, ...).
pub fn evidence_table(p: &AgriProgramme) -> Table {
    let mut table =
        Table::new("考核依据明细", &[("县（市）区", 3), ("承办公司", 3), ("事项", 5), ("明细", 8), ("来源", 6)]);
    for e in &p.metrics.evidence {
        table.rows.push(vec![t(&e.county), t(&e.insurer), t(&e.what), t(&e.detail), t(&e.source)]);
    }
    table
}
