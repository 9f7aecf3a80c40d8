//! The tables kaohe publishes, built once and handed to every writer: as JSON payloads
//! for the Typst templates, as sheets in results.xlsx and as CSV files. Numbers stay
//! numbers until a writer formats them.

use serde_json::{json, Value};

use crate::config::{chinese_date, Base, Programme, RankKey};
use crate::metrics::{Counts, EnrollmentCounts};
use crate::quota::QuotaTable;
use crate::rank::{Ratio, Standing};
use crate::validate::Enrollment;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(u64),
    /// A rate as a fraction (0.9531 = 95.31%).
    Pct(f64),
    /// Points or a measured figure: at most two decimals, no trailing zeros (87.6).
    Points(f64),
}

impl Cell {
    /// As printed in the PDF and CSV.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Pct(p) => format!("{:.2}%", p * 100.0),
            Cell::Points(p) => crate::rubric::fmt_points(*p),
        }
    }
}

fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// A table with a header row, body rows and an optional 合计 row.
#[derive(Debug, Clone)]
pub struct Table {
    /// Sheet and CSV name.
    pub name: String,
    pub columns: Vec<String>,
    /// Relative column widths in the PDF.
    pub widths: Vec<u32>,
    pub rows: Vec<Vec<Cell>>,
    pub total: Option<Vec<Cell>>,
}

impl Table {
    /// An empty table with (header, relative width) columns.
    pub fn new(name: &str, columns: &[(&str, u32)]) -> Table {
        Table {
            name: name.to_string(),
            columns: columns.iter().map(|(c, _)| c.to_string()).collect(),
            widths: columns.iter().map(|(_, w)| *w).collect(),
            rows: Vec::new(),
            total: None,
        }
    }

    /// The payload the templates' `report-table` expects.
    pub fn to_json(&self) -> Value {
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|i| {
                self.rows
                    .first()
                    .or(self.total.as_ref())
                    .is_some_and(|r| matches!(r.get(i), Some(Cell::Int(_) | Cell::Pct(_) | Cell::Points(_))))
            })
            .collect();
        json!({
            "columns": self.columns,
            "widths": self.widths,
            "numeric": numeric,
            "rows": self.rows.iter().map(|r| r.iter().map(Cell::text).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "total": self.total.as_ref().map(|r| r.iter().map(Cell::text).collect::<Vec<_>>()),
        })
    }
}

/// Everything computed for one programme-year.
pub struct Results<'a> {
    pub programme: &'a Programme,
    pub quotas: &'a QuotaTable,
    pub counts: &'a EnrollmentCounts,
    pub standings: &'a [Standing],
    pub enrollment: &'a Enrollment,
}

/// In a PDF cell a long path cannot wrap: show roster files by name (the sheets keep the path).
fn short_files(mut table: Value, column: usize) -> Value {
    if let Some(rows) = table["rows"].as_array_mut() {
        for row in rows {
            if let Some(Value::String(path)) = row.get_mut(column) {
                *path = path.rsplit('/').next().unwrap_or(path).to_string();
            }
        }
    }
    table
}

fn ratio(num: u64, den: u64) -> f64 {
    Ratio { num, den }.value()
}

/// The six figures every unit row shows: base, quota, on time, late, 参保率, 完成率.
fn figures(base: u64, quota: u64, c: Counts) -> [Cell; 6] {
    [
        Cell::Int(base),
        Cell::Int(quota),
        Cell::Int(c.on_time),
        Cell::Int(c.late),
        Cell::Pct(ratio(c.on_time, base)),
        Cell::Pct(ratio(c.on_time, quota)),
    ]
}

/// The ranking key of each town, in population order.
pub fn rank_keys(programme: &Programme, quotas: &QuotaTable, counts: &EnrollmentCounts) -> Vec<Ratio> {
    quotas
        .towns
        .iter()
        .zip(&counts.towns)
        .map(|(q, c)| match programme.config.ranking.key {
            RankKey::Completion => Ratio { num: c.on_time, den: q.quota },
            RankKey::Participation => Ratio { num: c.on_time, den: q.base },
        })
        .collect()
}

impl Results<'_> {
    fn fill(&self, key: &str, template: &str) -> Result<String, String> {
        self.programme.fill(key, template, &[("overrides", self.override_notes()?)])
    }

    fn override_notes(&self) -> Result<String, String> {
        let c = &self.programme.config;
        let mut notes = Vec::new();
        for o in &c.quota.overrides {
            let base = o.base.unwrap_or(c.quota.default_base);
            let rate = o.rate.unwrap_or(c.quota.default_rate);
            notes.push(self.programme.fill(
                "override_note",
                &c.text.override_note,
                &[("unit", o.unit.clone()), ("base", base.label().to_string()), ("rate", rate.label())],
            )?);
        }
        Ok(notes.join("，"))
    }

    /// 附件: the quota table, towns in the population file's order.
    pub fn quota_table(&self) -> Table {
        let c = &self.programme.config;
        // Three names, checked when the programme was read.
        let [unit, base, quota] = match c.text.quota_columns.as_deref() {
            Some([unit, base, quota]) => [unit.clone(), base.clone(), quota.clone()],
            _ => {
                // The base column says which population the default rate is applied to.
                let base = match c.quota.default_base {
                    Base::Rural => "户籍总人口（农村）",
                    Base::Total => "户籍总人口",
                };
                [format!("{}及村名", c.text.unit_name), base.into(), "参保任务数(人)".into()]
            }
        };
        let mut table = Table::new("任务分解表", &[(unit.as_str(), 3), (base.as_str(), 3), (quota.as_str(), 3)]);
        for town in &self.quotas.towns {
            table.rows.push(vec![t(&town.name), Cell::Int(town.base), Cell::Int(town.quota)]);
        }
        table.total = Some(vec![t("合计"), Cell::Int(self.quotas.total_base()), Cell::Int(self.quotas.total_quota())]);
        table
    }

    /// The quota table's payload.
    pub fn quota_payload(&self) -> Result<Value, String> {
        let text = &self.programme.config.text;
        let note = self.fill("quota_note", &text.quota_note)?;
        Ok(json!({
            "label": text.annex_label,
            "title": self.fill("quota_title", &text.quota_title)?,
            "table": self.quota_table().to_json(),
            "note": note,
        }))
    }

    /// Towns in ranking order: (population index, standing).
    fn ranked(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.standings.len()).collect();
        order.sort_by_key(|&i| (self.standings[i].rank, i));
        order
    }

    fn remark(&self, i: usize) -> String {
        let r = &self.programme.config.ranking;
        let s = &self.standings[i];
        let mut parts = Vec::new();
        if s.bottom {
            parts.push(r.bottom_remark.clone());
        }
        if self.counts.towns[i].on_time < self.quotas.towns[i].quota {
            parts.push(r.unfinished_remark.clone());
        }
        if s.top && !s.bottom {
            parts.push(r.top_remark.clone());
        }
        parts.join("；")
    }

    /// Year-end ranking table.
    pub fn ranking_table(&self) -> Table {
        let mut table = Table::new(
            "参保排名",
            &[
                ("排名", 4),
                (self.programme.config.text.unit_name.as_str(), 8),
                ("基数人口", 7),
                ("任务数", 6),
                ("按时参保", 7),
                ("逾期缴费", 4),
                ("参保率", 6),
                ("完成率", 6),
                ("备注", 8),
            ],
        );
        for i in self.ranked() {
            let (q, c) = (&self.quotas.towns[i], self.counts.towns[i]);
            let mut row = vec![Cell::Int(self.standings[i].rank as u64), t(&q.name)];
            row.extend(figures(q.base, q.quota, c));
            row.push(t(self.remark(i)));
            table.rows.push(row);
        }
        let base = self.quotas.total_base();
        let quota = self.quotas.total_quota();
        let on_time: u64 = self.counts.towns.iter().map(|c| c.on_time).sum();
        let late: u64 = self.counts.towns.iter().map(|c| c.late).sum();
        let goal = self.programme.config.enrollment.goal;
        let reached = (on_time as u128) * (crate::config::Rate::WHOLE as u128) >= (base as u128) * (goal.0 as u128);
        let reached = if reached { "已达到" } else { "未达到" };
        let verdict = self
            .programme
            .fill("goal_line", &self.programme.config.text.goal_line, &[("reached", reached.to_string())])
            .unwrap_or_else(|e| e); // not reached: check_text filled goal_line when the programme was read
        let mut total = vec![t("合计"), t("")];
        total.extend(figures(base, quota, Counts { on_time, late }));
        total.push(t(verdict));
        table.total = Some(total);
        table
    }

    /// The ranking's payload, with the completion chart.
    pub fn ranking_payload(&self) -> Result<Value, String> {
        let c = &self.programme.config;
        let key = match c.ranking.key {
            RankKey::Completion => "任务完成率",
            RankKey::Participation => "参保率",
        };
        let items: Vec<Value> = self
            .ranked()
            .into_iter()
            .map(|i| {
                // The chart shows what the towns are ranked by.
                let of = match c.ranking.key {
                    RankKey::Completion => self.quotas.towns[i].quota,
                    RankKey::Participation => self.quotas.towns[i].base,
                };
                let v = ratio(self.counts.towns[i].on_time, of);
                json!({"name": self.quotas.towns[i].name, "value": v, "text": Cell::Pct(v).text(), "flag": self.standings[i].bottom})
            })
            .collect();
        let max = items.iter().filter_map(|i| i["value"].as_f64()).fold(1.0f64, f64::max);
        Ok(json!({
            "label": c.text.annex_label,
            "title": self.fill("ranking_title", &c.text.ranking_title)?,
            "subtitle": format!("按{key}排名；缴费截止日期{}", chinese_date(self.programme.deadline)),
            "table": self.ranking_table().to_json(),
            "note": self.fill("ranking_note", &c.text.ranking_note)?,
            "chart": {
                "title": format!("各{}{key}", c.text.unit_name),
                "scale": (max * 10.0).ceil() / 10.0,
                "items": items,
                "legend": match c.ranking.key {
                    RankKey::Completion => format!("竖线为100%（完成任务）；红色为{}。", c.ranking.bottom_remark),
                    RankKey::Participation => format!("竖线为100%；红色为{}。", c.ranking.bottom_remark),
                },
            },
        }))
    }

    /// Villages of every town in one table (for the sheet and CSV).
    pub fn villages_table(&self) -> Table {
        let unit = &self.programme.config.text.unit_name;
        let mut table = Table::new("村级明细", &[(unit.as_str(), 3), ("村（社区）", 3)]);
        let detail = Self::village_columns();
        table.columns.extend(detail.columns.iter().skip(1).cloned());
        table.widths.extend(detail.widths.iter().skip(1));
        for ti in 0..self.quotas.towns.len() {
            for row in self.town_villages(ti).rows {
                let mut r = vec![t(&self.quotas.towns[ti].name)];
                r.extend(row);
                table.rows.push(r);
            }
        }
        table
    }

    fn village_columns() -> Table {
        Table::new(
            "村级明细",
            &[
                ("村（社区）", 4),
                ("基数人口", 3),
                ("任务数", 3),
                ("按时参保", 3),
                ("逾期缴费", 3),
                ("参保率", 3),
                ("完成率", 3),
            ],
        )
    }

    /// One town's villages.
    pub fn town_villages(&self, ti: usize) -> Table {
        let mut table = Self::village_columns();
        let q = &self.quotas.towns[ti];
        for (v, c) in q.villages.iter().zip(&self.counts.villages[ti]) {
            let mut row = vec![t(&v.name)];
            row.extend(figures(v.base, v.quota, *c));
            table.rows.push(row);
        }
        let mut total = vec![t("合计")];
        total.extend(figures(q.base, q.quota, self.counts.towns[ti]));
        table.total = Some(total);
        table
    }

    /// One town's village-detail payload.
    pub fn village_payload(&self, ti: usize) -> Result<Value, String> {
        let c = &self.programme.config;
        let q = &self.quotas.towns[ti];
        let base = match q.base_kind {
            Base::Rural => "农村户籍人口",
            Base::Total => "户籍总人口",
        };
        Ok(json!({
            "title": self.programme.fill("detail_title", &c.text.detail_title, &[("unit", q.name.clone())])?,
            "subtitle": format!("{}：{}{}，任务数{}人；排名第{}", q.name, base, q.rate.label(), q.quota, self.standings[ti].rank),
            "table": self.town_villages(ti).to_json(),
            "note": self.programme.fill(
                "detail_note",
                &c.text.detail_note,
                &[("base", base.to_string()), ("village_rule", self.village_rule())],
            )?,
        }))
    }

    /// How village quotas were made, in words for the note.
    fn village_rule(&self) -> String {
        let q = &self.programme.config.quota;
        let unit = &self.programme.config.text.unit_name;
        if q.rounding == crate::config::Rounding::LargestRemainder || q.level == crate::config::Level::Town {
            format!("{unit}任务数按各村基数人口比例以最大余数法分解到村（各村之和等于{unit}任务数）")
        } else {
            format!("各村任务数按{}取整，{unit}任务数为各村之和", q.rounding.plain_label())
        }
    }

    /// Per-file summary of the rosters.
    pub fn files_table(&self) -> Table {
        let mut table =
            Table::new("名册汇总", &[("文件", 6), ("格式", 3), ("记录数", 2), ("空行", 2), ("计入", 2), ("未计入", 2)]);
        for f in &self.enrollment.files {
            table.rows.push(vec![
                t(&f.file),
                t(&f.format),
                Cell::Int(f.records as u64),
                Cell::Int(f.blank_rows as u64),
                Cell::Int(f.accepted as u64),
                Cell::Int(f.rejected as u64),
            ]);
        }
        let sum = |f: fn(&crate::validate::FileSummary) -> usize| {
            Cell::Int(self.enrollment.files.iter().map(f).sum::<usize>() as u64)
        };
        table.total = Some(vec![
            t("合计"),
            t(""),
            sum(|f| f.records),
            sum(|f| f.blank_rows),
            sum(|f| f.accepted),
            sum(|f| f.rejected),
        ]);
        table
    }

    /// Every row set aside.
    pub fn issues_table(&self) -> Table {
        let mut table =
            Table::new("数据校验", &[("序号", 2), ("文件", 5), ("行", 2), ("列", 3), ("问题", 8), ("身份证号", 7)]);
        for (i, issue) in self.enrollment.issues.iter().enumerate() {
            table.rows.push(vec![
                Cell::Int(i as u64 + 1),
                t(&issue.file),
                Cell::Int(issue.row as u64),
                t(&issue.column),
                t(&issue.problem),
                t(&issue.masked_id),
            ]);
        }
        table
    }

    /// The note under the per-file summary, with what kaohe read on the clerk's behalf.
    fn summary_note(&self) -> String {
        let mut note = "注：“计入”为有效且首次出现的人数（含逾期缴费）；“未计入”为下列各行；空行不计。".to_string();
        for f in &self.enrollment.files {
            let name = f.file.rsplit('/').next().unwrap_or(&f.file);
            for n in &f.notes {
                note += &format!("\n{name}：{n}。");
            }
        }
        note
    }

    /// 数据校验报告 payload: the per-file summary, then the rows set aside, one table per file.
    pub fn quality_payload(&self) -> Result<Value, String> {
        let c = &self.programme.config;
        let mut groups = Vec::new();
        for f in self.enrollment.files.iter().filter(|f| f.rejected > 0) {
            let mut table = Table::new("数据校验", &[("行", 2), ("列", 5), ("问题", 12), ("身份证号", 7)]);
            for issue in self.enrollment.issues.iter().filter(|i| i.file == f.file) {
                table.rows.push(vec![
                    Cell::Int(issue.row as u64),
                    t(&issue.column),
                    t(&issue.problem),
                    t(&issue.masked_id),
                ]);
            }
            let name = f.file.rsplit('/').next().unwrap_or(&f.file);
            // The file's name rides in the header row, so every continuation page says whose rows these are.
            let mut json = table.to_json();
            json["caption"] = json!(format!("{name}（{}，{}行，未计入{}行）", f.format, f.records, f.rejected));
            groups.push(json!({ "table": json }));
        }
        let rows_note = if groups.is_empty() {
            "没有需要剔除的行。".to_string()
        } else {
            "按名册文件列出；行号与 Excel 中看到的行号一致（第1行为表头）。".to_string()
        };
        Ok(json!({
            "title": self.fill("quality_title", &c.text.quality_title)?,
            "subtitle": format!("缴费截止日期{}\n身份证号只显示前六位和末四位", chinese_date(self.programme.deadline)),
            "summary_heading": format!("一、各{}名册", c.text.unit_name),
            "summary": short_files(self.files_table().to_json(), 0),
            "summary_note": self.summary_note(),
            "rows_heading": "二、未计入的行",
            "rows_note": rows_note,
            "groups": groups,
        }))
    }
}
