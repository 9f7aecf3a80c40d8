//! Units scored against rubrics (in parallel), ranked by total (ties share a rank;
//! disqualified units listed apart, unranked) or graded with the two-year rule. Any
//! programme with rubrics uses this stage: a unit is a row of key cells (县（市）区 and
//! 承办公司, or 镇办) and its metrics; [`crate::report::assessment`] makes the tables.

pub mod input;
pub mod rubric;

use std::collections::BTreeMap;

use crate::measure::rank;
use crate::problem::InputProblem;
use crate::programme::rubric::Rubric;
use rubric::{Metrics, UnitScore};

/// One unit's metrics, keyed by its cells in the key columns (empty cells for a level
/// above the finest: a county unit has no insurer).
#[derive(Debug, Clone)]
pub struct Unit {
    pub keys: Vec<String>,
    pub values: Metrics,
}

/// Units as named: 通州区 人保财险 (non-empty keys, space-joined).
pub fn unit_name(keys: &[String]) -> String {
    keys.iter().filter(|k| !k.is_empty()).cloned().collect::<Vec<_>>().join(" ")
}

/// One unit's place in the results.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub keys: Vec<String>,
    pub score: UnitScore,
    /// Competition rank among the units not disqualified (ranked rubrics only).
    pub rank: Option<usize>,
    /// Among the rubric's bottom N / top N (ties at the cut included).
    pub bottom: bool,
    pub top: bool,
    /// Grade band (graded rubrics only).
    pub grade: Option<String>,
    pub last_year: Option<String>,
    /// e.g. 连续2年考核不合格，取消农业保险承办资格
    pub consequence: Option<String>,
}

impl Outcome {
    /// As named in tables and the manifest: 通州区, or 通州区 人保财险.
    pub fn name(&self) -> String {
        unit_name(&self.keys)
    }

    /// As written in a file name: 通州区-人保财险.
    pub fn file_name(&self) -> String {
        self.keys.iter().filter(|k| !k.is_empty()).cloned().collect::<Vec<_>>().join("-")
    }
}

/// One rubric's results.
#[derive(Debug, Clone)]
pub struct RubricResults<'a> {
    pub rubric: &'a Rubric,
    /// The programme's key columns (县（市）区, 承办公司), the first columns of every table.
    pub key_columns: Vec<String>,
    /// In unit order.
    pub outcomes: Vec<Outcome>,
}

/// What scoring needs: the rubrics, the units of each level a rubric can assess, and the
/// facts the grade and sample rules read.
pub struct Input<'a> {
    /// (file as shown, rubric), in programme order.
    pub rubrics: &'a [(String, Rubric)],
    /// Each level's key column headers (its own, then the widest level's beyond them: a
    /// county row leaves 承办公司 empty); every unit's keys are as many.
    pub key_columns: BTreeMap<String, Vec<String>>,
    /// Level (a rubric's `assesses`) → its units, in table order.
    pub units: BTreeMap<String, Vec<Unit>>,
    /// Last year's grade per unit keys (the two-year rule).
    pub last_year: BTreeMap<Vec<String>, String>,
    /// Where a unit's figure for a measure was read (file, row, column): a figure missing,
    /// out of range or too small a sample is named at its cell.
    pub sources: BTreeMap<(Vec<String>, String), (String, usize, String)>,
}

/// The measure an item's judged score (or, with `sample`, its sample size) is read from.
fn item_metric(rubric: &Rubric, item: &str, sample: bool) -> Option<String> {
    match &rubric.items.iter().find(|i| i.id == item)?.rule {
        crate::programme::rubric::Rule::Shortfall { sample: Some(s), .. } if sample => Some(s.clone()),
        crate::programme::rubric::Rule::Judged { metric } if !sample => Some(metric.clone()),
        _ => None,
    }
}

/// Score every unit of every rubric; scoring errors (missing data, a judged score out of
/// range, a survey too small) are input problems naming the unit and item.
pub fn assess<'a>(input: &Input<'a>) -> Result<Vec<RubricResults<'a>>, Vec<InputProblem>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let none = Vec::new();
    for (file, rubric) in input.rubrics {
        let units: &[Unit] = input.units.get(&rubric.rubric.assesses).unwrap_or(&none);
        let scored: Vec<Result<UnitScore, rubric::ScoreError>> =
            crate::parallel::map(units, |u| rubric::score_unit(rubric, &u.keys.concat(), &u.values));
        let mut outcomes = Vec::new();
        for (u, s) in units.iter().zip(scored) {
            match s {
                Ok(score) => outcomes.push(Outcome {
                    keys: u.keys.clone(),
                    score,
                    rank: None,
                    bottom: false,
                    top: false,
                    grade: None,
                    last_year: None,
                    consequence: None,
                }),
                Err(e) => {
                    let (hint, metric) = match &e {
                        rubric::ScoreError::Missing { metric, .. } => {
                            ("在检查结果表中为该单位填上这一指标，或检查相应数据集", Some(metric.clone()))
                        }
                        rubric::ScoreError::Judged { item, .. } => {
                            ("检查评分应在0到该项基本分之间", item_metric(rubric, item, false))
                        }
                        rubric::ScoreError::Sample { item, .. } => {
                            ("补足电话回访户数后再考核", item_metric(rubric, item, true))
                        }
                        rubric::ScoreError::Count { .. } => {
                            ("在评分表该条件中写 each = true（每件计分）或 each = false（有就计一次）", None)
                        }
                    };
                    // A figure is a fact of a data file: name its file, row and column when known.
                    let at = metric.and_then(|m| input.sources.get(&(u.keys.clone(), m)));
                    let problem = match at {
                        // Row 0: the unit has no row in that file at all.
                        Some((f, 0, col)) => InputProblem::file(f, format!("{e}（该文件中没有这个单位的行）"))
                            .column(col.clone())
                            .hint(format!("在 {f} 中为该单位补上一行，填写“{col}”")),
                        Some((f, row, col)) => InputProblem::at(f, *row, Some(col), e.to_string()).hint(hint),
                        None => InputProblem::file(file, e.to_string()).hint(hint),
                    };
                    problems.push(problem);
                }
            }
        }
        if rubric.grades.is_empty() {
            rank_units(&mut outcomes, rubric.rubric.bottom_n, rubric.rubric.top_n);
        } else {
            for o in &mut outcomes {
                let g = rubric::grade(rubric, o.score.total).map(|g| g.grade.clone());
                o.last_year = input.last_year.get(&o.keys).cloned();
                if let Some(g) = &g {
                    o.consequence = rubric::consequence(rubric, g, o.last_year.as_deref()).map(str::to_string);
                }
                o.grade = g;
            }
        }
        let key_columns = input.key_columns.get(&rubric.rubric.assesses).cloned().unwrap_or_default();
        out.push(RubricResults { rubric, key_columns, outcomes });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Competition ranks on totals (exact to the hundredth of a point), by the one ranking
/// rule ([`rank::standings`]), with the bottom and top N; disqualified units get none.
fn rank_units(outcomes: &mut [Outcome], bottom_n: usize, top_n: usize) {
    let ranked: Vec<usize> = (0..outcomes.len()).filter(|&i| outcomes[i].score.disqualified.is_none()).collect();
    // Totals carry at most two decimals: in hundredths they tie exactly.
    let keys: Vec<i64> = ranked.iter().map(|&i| (outcomes[i].score.total * 100.0).round() as i64).collect();
    for (&i, s) in ranked.iter().zip(rank::standings(&keys, bottom_n, top_n)) {
        outcomes[i].rank = Some(s.rank);
        outcomes[i].bottom = s.bottom;
        outcomes[i].top = s.top && !s.bottom;
    }
}
