//! Units scored against rubrics (in parallel), ranked by total (ties share a rank;
//! disqualified units listed apart, unranked) or graded with the two-year rule — and
//! the tables and views the outputs are made of. Any programme with rubrics uses this
//! stage: a unit is a row of key cells (县（市）区 and 承办公司, or 镇办) and its metrics.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::{json, Value};

use crate::outputs::{Content, UnitDocument, Views};
use crate::problem::InputProblem;
use crate::rank;
use crate::report::{Cell, Table};
use crate::rubric::score::{self, Metrics, UnitScore};
use crate::rubric::text::{fill, Wording};
use crate::rubric::{fmt_points, Rubric};

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
        crate::rubric::Rule::Shortfall { sample: Some(s), .. } if sample => Some(s.clone()),
        crate::rubric::Rule::Judged { metric } if !sample => Some(metric.clone()),
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
        let scored: Vec<Result<UnitScore, score::ScoreError>> =
            units.par_iter().map(|u| score::score_unit(rubric, &u.keys.concat(), &u.values)).collect();
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
                        score::ScoreError::Missing { metric, .. } => {
                            ("在检查结果表中为该单位填上这一指标，或检查相应数据集", Some(metric.clone()))
                        }
                        score::ScoreError::Judged { item, .. } => {
                            ("检查评分应在0到该项基本分之间", item_metric(rubric, item, false))
                        }
                        score::ScoreError::Sample { item, .. } => {
                            ("补足电话回访户数后再考核", item_metric(rubric, item, true))
                        }
                        score::ScoreError::Count { .. } => {
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
                let g = score::grade(rubric, o.score.total).map(|g| g.grade.clone());
                o.last_year = input.last_year.get(&o.keys).cloned();
                if let Some(g) = &g {
                    o.consequence = score::consequence(rubric, g, o.last_year.as_deref()).map(str::to_string);
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

fn t(s: impl ToString) -> Cell {
    Cell::Text(s.to_string())
}

impl RubricResults<'_> {
    /// Units in table order: ranked by rank then unit order, disqualified after.
    fn ranking_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.outcomes.len()).collect();
        order.sort_by_key(|&i| (self.outcomes[i].rank.unwrap_or(usize::MAX), i));
        order
    }

    fn w(&self) -> &Wording {
        &self.rubric.wording
    }

    /// `{unit}` of the table wordings: who is assessed (县（市）区).
    fn unit_var(&self) -> [(&'static str, String); 1] {
        [("unit", self.rubric.rubric.unit.clone())]
    }

    /// 考核结果排名表.
    pub fn ranking_table(&self) -> Table {
        let w = self.w();
        let headers: Vec<String> = w.ranking_columns.iter().map(|c| fill(c, &self.unit_var())).collect();
        let widths = [2, 6, 4, 2, 2, 2, 7];
        let columns: Vec<(&str, u32)> = headers.iter().map(String::as_str).zip(widths).collect();
        let mut table = Table::new(&fill(&w.ranking_sheet, &self.unit_var()), &columns);
        for i in self.ranking_order() {
            let o = &self.outcomes[i];
            let s = &o.score;
            table.rows.push(vec![
                t(o.rank.map_or(w.unranked.clone(), |r| r.to_string())),
                t(o.name()),
                Cell::Points(s.base_points),
                Cell::Points(s.bonus),
                Cell::Points(s.penalty),
                Cell::Points(s.total),
                t(match &s.disqualified {
                    Some(why) => fill(&w.disqualified, &[("reason", why.clone())]),
                    None => self.remark(i),
                }),
            ]);
        }
        table
    }

    /// 备注 of a ranked unit: 并列, then the bottom-N or top-N remark.
    fn remark(&self, i: usize) -> String {
        let (o, h) = (&self.outcomes[i], &self.rubric.rubric);
        let mut parts = vec![self.tie_note(i)];
        if o.bottom {
            parts.push(h.bottom_remark.clone());
        }
        if o.top {
            parts.push(h.top_remark.clone());
        }
        parts.retain(|p| !p.is_empty());
        parts.join("；")
    }

    fn tie_note(&self, i: usize) -> String {
        let r = self.outcomes[i].rank;
        let tied = self.outcomes.iter().filter(|o| o.rank.is_some() && o.rank == r).count();
        if tied > 1 {
            self.w().tied.clone()
        } else {
            String::new()
        }
    }

    /// 承办机构考核等级表.
    pub fn grades_table(&self) -> Table {
        let w = self.w();
        let mut columns = self.key_column_widths(&[4, 3]);
        columns.extend(w.grades_columns.iter().map(String::as_str).zip([2, 2, 2, 6]));
        let mut table = Table::new(&fill(&w.grades_sheet, &self.unit_var()), &columns);
        for o in &self.outcomes {
            let mut row: Vec<Cell> = o.keys.iter().map(t).collect();
            row.extend([
                Cell::Points(o.score.total),
                t(o.grade.clone().unwrap_or_default()),
                t(o.last_year.clone().unwrap_or_else(|| w.no_last_year.clone())),
                t(o.consequence.clone().unwrap_or_default()),
            ]);
            table.rows.push(row);
        }
        table
    }

    /// The key columns with their relative widths (the last width repeats).
    fn key_column_widths(&self, widths: &[u32]) -> Vec<(&str, u32)> {
        self.key_columns.iter().enumerate().map(|(i, c)| (c.as_str(), widths[i.min(widths.len() - 1)])).collect()
    }

    /// Every item of every unit with its points and reason.
    pub fn items_table(&self) -> Table {
        let w = self.w();
        let name = fill(&w.items_sheet, &[("label", self.rubric.rubric.label.clone())]);
        let mut columns = self.key_column_widths(&[3]);
        columns.extend(w.items_columns.iter().map(String::as_str).zip([1, 6, 1, 1, 8]));
        let mut table = Table::new(&name, &columns);
        for o in &self.outcomes {
            for (item, s) in self.rubric.items.iter().zip(&o.score.items) {
                let mut row: Vec<Cell> = o.keys.iter().map(t).collect();
                row.extend([
                    t(&item.id),
                    t(&item.indicator),
                    Cell::Points(item.base),
                    Cell::Points(s.points),
                    t(s.reasons.join("；")),
                ]);
                table.rows.push(row);
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
        let w = self.w();
        let mut summary = vec![fill(
            &w.sheet_summary,
            &[
                ("base", fmt_points(s.base_points)),
                ("bonus", fmt_points(s.bonus)),
                ("penalty", fmt_points(s.penalty)),
                ("total", fmt_points(s.total)),
            ],
        )];
        if let Some(rank) = o.rank {
            let wording = if self.tie_note(i).is_empty() { &w.sheet_rank } else { &w.sheet_rank_tied };
            summary.push(fill(wording, &[("rank", rank.to_string())]));
        }
        if let Some(g) = &o.grade {
            summary.push(fill(&w.sheet_grade, &[("grade", g.clone())]));
        }
        let mut remarks = Vec::new();
        if let Some(why) = &s.disqualified {
            remarks.push(fill(&w.disqualified, &[("reason", why.clone())]));
        }
        let h = &r.rubric;
        if o.bottom {
            remarks.push(fill(&w.sheet_bottom, &[("n", h.bottom_n.to_string()), ("remark", h.bottom_remark.clone())]));
        }
        if o.top {
            remarks.push(fill(&w.sheet_top, &[("n", h.top_n.to_string()), ("remark", h.top_remark.clone())]));
        }
        if let Some(c) = &o.consequence {
            let vars = [("last", o.last_year.clone().unwrap_or_default()), ("consequence", c.clone())];
            remarks.push(fill(&w.sheet_consequence, &vars));
        }
        json!({
            "label": format!("{}：", r.rubric.label),
            "title": r.rubric.title,
            "unit_line": fill(&w.sheet_unit_line, &[("unit", o.name()), ("year", year.to_string())]),
            "columns": w.sheet_columns,
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

/// The metrics table as a sheet: one row per unit, one column per metric, headed by
/// `headers` when given (the measures' labels), else by the metric names.
pub fn metrics_table(
    name: &str,
    key_columns: &[String],
    units: &[Unit],
    columns: &[String],
    headers: Option<&[String]>,
    not_applicable: &str,
) -> Table {
    let mut cols: Vec<(&str, u32)> = key_columns.iter().map(|c| (c.as_str(), 3)).collect();
    cols.extend(headers.unwrap_or(columns).iter().map(|c| (c.as_str(), 2)));
    let mut table = Table::new(name, &cols);
    for u in units {
        let mut row: Vec<Cell> = u.keys.iter().map(t).collect();
        for c in columns {
            row.push(match u.values.get(c) {
                Some(v) if v.is_nan() => t(not_applicable),
                Some(v) => Cell::Points(*v),
                None => t(""),
            });
        }
        table.rows.push(row);
    }
    table
}

/// What the views' titles are filled with: `{year}`, `{region}`, `{name}` and `{whole}`;
/// each rubric's titles and notes are in its wording ([`Wording`]).
pub struct Titles<'a> {
    pub year: i32,
    pub region: &'a str,
    pub name: &'a str,
}

impl Titles<'_> {
    fn fill(&self, t: &str) -> String {
        // Checked when the wording was read: no unknown placeholder is left.
        fill(
            t,
            &[
                ("year", self.year.to_string()),
                ("region", self.region.to_string()),
                ("name", self.name.to_string()),
                ("whole", crate::config::whole(self.region)),
            ],
        )
    }
}

/// Every view a scored programme can publish: per rubric `X` the blank form
/// (`rubric-form-X`), one score sheet per unit (`score-sheet-X`), and the ranking
/// (`ranking-X`) or grades (`grades-X`) with their tables and the item-by-item scores
/// (`item-scores-X`). (`county-ranking-X` and `insurer-grades-X`, their names when they
/// were named after 南通's levels, are still accepted: [`crate::outputs::FORMER`].)
pub fn views(views: &mut Views, results: &[RubricResults], titles: &Titles) {
    for res in results {
        let id = &res.rubric.rubric.id;
        views
            .document(
                &format!("rubric-form-{id}"),
                "rubric-form",
                &format!("rubric-form-{id}.pdf"),
                Content::One(form_payload(res.rubric)),
            )
            .unit = Some(res.rubric.rubric.label.clone());
    }
    for res in results {
        let id = &res.rubric.rubric.id;
        let sheets = res
            .outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| UnitDocument {
                unit: o.name(),
                file_name: o.file_name(),
                data: res.sheet_payload(i, titles.year),
            })
            .collect();
        views.document(
            &format!("score-sheet-{id}"),
            "score-sheet",
            &format!("score-sheet/{id}/{{n}}-{{unit}}.pdf"),
            Content::PerUnit(sheets),
        );
        let text = &res.rubric.wording;
        if res.rubric.grades.is_empty() {
            let data = annex_payload(
                &text.ranking_label,
                &titles.fill(&text.ranking_title),
                &res.ranking_table(),
                &titles.fill(&text.ranking_note),
            );
            views.document(
                &format!("ranking-{id}"),
                "ranking",
                // Files keep the names they had: an office's undeclared outputs do not move.
                &format!("county-ranking-{id}.pdf"),
                Content::One(data),
            );
        } else {
            let data = annex_payload(
                &text.grades_label,
                &titles.fill(&text.grades_title),
                &res.grades_table(),
                &grades_note(res.rubric, &titles.fill(&text.grades_note)),
            );
            views.document(&format!("grades-{id}"), "grades", &format!("insurer-grades-{id}.pdf"), Content::One(data));
        }
    }
    for res in results {
        let id = &res.rubric.rubric.id;
        if res.rubric.grades.is_empty() {
            views.table_as(&format!("ranking-{id}"), &format!("county-ranking-{id}"), res.ranking_table());
        } else {
            views.table_as(&format!("grades-{id}"), &format!("insurer-grades-{id}"), res.grades_table());
        }
        views.table(&format!("item-scores-{id}"), res.items_table());
    }
}

/// The grade bands in words, under the grades table.
fn grades_note(rubric: &Rubric, extra: &str) -> String {
    let w = &rubric.wording;
    let mut bands: Vec<&crate::rubric::Grade> = rubric.grades.iter().collect();
    bands.sort_by(|a, b| b.min.total_cmp(&a.min));
    let mut parts = Vec::new();
    for (i, g) in bands.iter().enumerate() {
        let upper = if i == 0 { None } else { Some(bands[i - 1].min) };
        let (min, grade) = (("min", fmt_points(g.min)), ("grade", g.grade.clone()));
        parts.push(match upper {
            None => fill(&w.band_top, &[min, grade]),
            Some(u) if g.min > 0.0 => fill(&w.band_middle, &[min, ("below", fmt_points(u)), grade]),
            Some(u) => fill(&w.band_bottom, &[("below", fmt_points(u)), grade]),
        });
    }
    let twice: Vec<String> = bands.iter().filter_map(|g| g.twice.clone()).collect();
    let mut note = fill(&w.bands_note, &[("bands", parts.join("，"))]);
    if !twice.is_empty() {
        note += &format!("{}。", twice.join("；"));
    }
    if !extra.is_empty() {
        note += extra;
    }
    note
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
                        "base": if it.base > 0.0 { fmt_points(it.base) } else { String::new() },
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
        "unit_line": rubric.rubric.form_line,
        // 负责考核部门 only when some item names one: an empty column is noise.
        "columns": if items.iter().any(|it| !it.department.is_empty()) {
            &rubric.wording.form_columns[..]
        } else {
            &rubric.wording.form_columns[..5]
        },
        "categories": categories,
    })
}
