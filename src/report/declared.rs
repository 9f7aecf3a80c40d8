//! What a measured programme publishes besides its declared views: score sheets, ranking
//! or grades, one metrics sheet per level, the evidence rows and the data-quality report.

use crate::measure::declared::DeclaredProgramme;
use crate::measure::{self};
use crate::problem::{InputErrors, InputProblem};
use crate::programme::file::{Loaded, ProgrammeFile};
use crate::programme::units::key_columns;
use crate::report::assessment;
use crate::report::{Cell, Content, Table, Views};
use crate::score::{self as assess, input::assessment_input};
use crate::validate::dataset;

/// Score every unit and add what is published: the rubrics' forms, score sheets, ranking
/// or grades, one metrics sheet per level and the evidence rows.
pub fn publish(p: &DeclaredProgramme, loaded: &Loaded, views: &mut Views) -> Result<(), InputErrors> {
    let input = assessment_input(p);
    let results = crate::timings::timed("scoring", || assess::assess(&input)).map_err(InputErrors)?;
    let c = &loaded.file;
    let titles = assessment::Titles { year: c.programme.year, region: &c.programme.region, name: &c.programme.name };
    assessment::views(views, &results, &titles);
    // The programme's own wording (checked with its rubrics): what a metrics sheet prints.
    let wording = crate::programme::wording::Wording::layered(&[("[rubric_text]", &c.rubric_text)])
        .map_err(|m| InputErrors(vec![InputProblem::file(&loaded.shown, m)]))?;
    // One metrics sheet per level: "metrics", or "metrics-<level>" when there are several.
    for level in &p.levels {
        let columns = p.sheet.get(&level.name).cloned().unwrap_or_default();
        let headers: Vec<String> =
            columns.iter().map(|name| p.headers.get(name).cloned().unwrap_or_else(|| name.clone())).collect();
        let (view, title) = match p.levels.len() {
            1 => ("metrics".to_string(), "考核指标".to_string()),
            _ => (format!("metrics-{}", level.name), format!("{}考核指标", level.title)),
        };
        let keys = &input.key_columns[&level.name];
        let table = assessment::metrics_table(
            &title,
            keys,
            &input.units[&level.name],
            &columns,
            Some(&headers),
            &wording.not_applicable,
        );
        views.table(&view, table);
    }
    if p.measures.values().any(|m| m.evidence.wanted()) {
        views.table("evidence", evidence_table(&key_columns(&p.levels), &p.evidence));
    }
    // What each dataset that filters, sets rows aside or keeps first records read, kept
    // and set aside: the data-quality report, and its two tables for the clerk's sheets.
    let checked: Vec<(&str, &dataset::Quality)> = p
        .datasets
        .iter()
        .filter_map(|(name, d)| {
            let title = c.datasets.get(name).map(|s| s.title.as_str()).filter(|t| !t.is_empty()).unwrap_or(name);
            d.quality.as_ref().map(|q| (title, q))
        })
        .collect();
    if !checked.is_empty() {
        views.document(
            "dataset-quality",
            "dataset-quality",
            "dataset-quality.pdf",
            Content::One(quality_payload(&checked, c)),
        );
        views.table("dataset-files", quality_files_table(&checked));
        views.table("set-aside", set_aside_table(&checked));
    }
    Ok(())
}

/// Per file of every checked dataset: rows read, blank, outside `only`, kept, set aside.
/// A file's counts as the summary columns list them: read, blank, 范围外, 计入, 剔除.
fn counts(f: &dataset::FileSummary) -> [Cell; 5] {
    [f.records, f.blank_rows, f.outside, f.kept, f.set_aside].map(|n| Cell::Int(n as u64))
}

fn quality_files_table(checked: &[(&str, &dataset::Quality)]) -> Table {
    let mut table = Table::new(
        "数据汇总",
        &[("数据", 4), ("文件", 6), ("格式", 3), ("记录数", 2), ("空行", 2), ("范围外", 2), ("计入", 2), ("剔除", 2)],
    );
    for (title, q) in checked {
        for f in &q.files {
            let mut row = vec![Cell::Text(title.to_string()), Cell::Text(f.file.clone()), Cell::Text(f.format.clone())];
            row.extend(counts(f));
            table.rows.push(row);
        }
    }
    table
}

/// Every row set aside, with its masked ID.
fn set_aside_table(checked: &[(&str, &dataset::Quality)]) -> Table {
    let mut table =
        Table::new("剔除的行", &[("数据", 4), ("文件", 5), ("行", 2), ("列", 3), ("问题", 8), ("身份证号", 7)]);
    for (title, q) in checked {
        for r in &q.rows {
            table.rows.push(vec![
                Cell::Text(title.to_string()),
                Cell::Text(r.file.clone()),
                Cell::Int(r.row as u64),
                Cell::Text(r.column.clone()),
                Cell::Text(r.problem.clone()),
                Cell::Text(r.masked_id.clone()),
            ]);
        }
    }
    table
}

/// The data-quality report's data: per dataset its files (with 合计) and its rows set
/// aside, one table per file. The words around them are the template's.
fn quality_payload(checked: &[(&str, &dataset::Quality)], c: &ProgrammeFile) -> serde_json::Value {
    let short = |f: &str| f.rsplit('/').next().unwrap_or(f).to_string();
    let datasets: Vec<serde_json::Value> = checked
        .iter()
        .map(|(title, q)| {
            let mut files = Table::new(
                "数据汇总",
                &[("文件", 5), ("格式", 4), ("记录数", 2), ("空行", 2), ("范围外", 2), ("计入", 2), ("剔除", 2)],
            );
            for f in &q.files {
                let mut row = vec![Cell::Text(short(&f.file)), Cell::Text(f.format.clone())];
                row.extend(counts(f));
                files.rows.push(row);
            }
            let sum = |n: fn(&dataset::FileSummary) -> usize| Cell::Int(q.files.iter().map(n).sum::<usize>() as u64);
            files.total = Some(vec![
                Cell::Text("合计".into()),
                Cell::Text(String::new()),
                sum(|f| f.records),
                sum(|f| f.blank_rows),
                sum(|f| f.outside),
                sum(|f| f.kept),
                sum(|f| f.set_aside),
            ]);
            let notes: Vec<String> =
                q.files.iter().flat_map(|f| f.notes.iter().map(move |n| format!("{}：{n}。", short(&f.file)))).collect();
            let groups: Vec<serde_json::Value> = q
                .files
                .iter()
                .filter(|f| f.set_aside > 0)
                .map(|f| {
                    let mut rows = Table::new("剔除的行", &[("行", 2), ("列", 5), ("问题", 12), ("身份证号", 7)]);
                    for r in q.rows.iter().filter(|r| r.file == f.file) {
                        rows.rows.push(vec![
                            Cell::Int(r.row as u64),
                            Cell::Text(r.column.clone()),
                            Cell::Text(r.problem.clone()),
                            Cell::Text(r.masked_id.clone()),
                        ]);
                    }
                    let mut json = rows.to_json();
                    // The file rides in the header row: every continuation page says whose rows these are.
                    json["caption"] = serde_json::json!(format!(
                        "{}（{}，{}行，剔除{}行）",
                        short(&f.file),
                        f.format,
                        f.records,
                        f.set_aside
                    ));
                    json
                })
                .collect();
            serde_json::json!({ "title": title, "only": q.only, "files": files.to_json(), "notes": notes, "groups": groups })
        })
        .collect();
    serde_json::json!({
        "region": c.programme.region,
        "year": c.programme.year,
        "name": c.programme.name,
        "datasets": datasets,
    })
}

/// The rows behind the measures that asked for evidence: unit, measure, values, file and row.
fn evidence_table(key_columns: &[String], evidence: &[measure::Evidence]) -> crate::report::Table {
    let mut columns: Vec<(&str, u32)> = key_columns.iter().map(|c| (c.as_str(), 3)).collect();
    columns.extend([("事项", 4), ("明细", 8), ("来源", 6)]);
    let mut table = Table::new("考核依据明细", &columns);
    let t = |s: &str| Cell::Text(s.to_string());
    for e in evidence {
        let mut row: Vec<Cell> = e.unit.split(dataset::KEY_SEP).map(t).collect();
        row.resize(key_columns.len(), t(""));
        row.extend([t(&e.measure), t(&e.detail), t(&e.source)]);
        table.rows.push(row);
    }
    table
}
