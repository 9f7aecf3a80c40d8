//! The tables and documents of scored rubrics: each rubric's form, score sheet, ranking
//! or grades, and the annex payloads their templates read.

use serde_json::{json, Value};

use crate::programme::rubric::{fmt_points, Rubric};
use crate::programme::wording::{fill, Wording};
use crate::report::{Cell, Content, Table, UnitDocument, Views};
use crate::score::{RubricResults, Unit};

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
fn signed(item: &crate::programme::rubric::Item, points: f64) -> String {
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
                ("whole", crate::programme::file::whole(self.region)),
            ],
        )
    }
}

/// Every view a scored programme can publish: per rubric `X` the blank form
/// (`rubric-form-X`), one score sheet per unit (`score-sheet-X`), and the ranking
/// (`ranking-X`) or grades (`grades-X`) with their tables and the item-by-item scores
/// (`item-scores-X`). (`county-ranking-X` and `insurer-grades-X`, their names when they
/// were named after 南通's levels, are still accepted: [`crate::pipeline::publish::FORMER`].)
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
    let mut bands: Vec<&crate::programme::rubric::Grade> = rubric.grades.iter().collect();
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
