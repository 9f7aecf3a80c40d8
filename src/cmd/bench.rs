//! Measurements for `bench/run.sh` (the hidden `kaohe bench` command): the cost of
//! rendering itself (an empty page, a one-page annex table) in-process, the same annex
//! exported for `typst compile`, and the ingest floor — polars (and calamine for Excel)
//! reading every roster and counting rows, with no other work.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use polars::prelude::*;
use serde_json::{json, Value};
use std::process::ExitCode;

use kaohe::cli::{BenchArgs, BenchWhat};
use kaohe::error::Error;

use kaohe::render::{RenderSettings, Renderer, FLOOR_TEMPLATE};

/// Measure what `args` names and print it.
pub fn bench(args: BenchArgs) -> Result<ExitCode, Error> {
    let usage = Error::Usage;
    let renderer = || Renderer::new(&RenderSettings { templates: None, font_dirs: Vec::new() });
    match args.what {
        BenchWhat::Render { docs } => {
            for (label, ms, per_second) in render(&renderer()?, docs.max(1)).map_err(usage)? {
                out!("render\t{label}\t{ms:.2} ms/doc (1 core)\t{per_second:.1} docs/s (all cores)");
            }
        }
        BenchWhat::ExportTypst { out } => export_typst(&renderer()?, &out).map_err(usage)?,
        BenchWhat::Scan { input } => {
            let (files, rows, secs) = scan(&input).map_err(usage)?;
            out!("scan\t{files} files\t{rows} rows\t{secs:.3} s");
        }
        BenchWhat::Document { input, view, runs, templates } => {
            let renderer = Renderer::new(&RenderSettings { templates, font_dirs: Vec::new() })?;
            let (pages, median_ms, min_ms) = document(&renderer, &input, &view, runs.max(1))?;
            out!("document\t{view}\t{pages} pages\t{median_ms:.1} ms/doc median, {min_ms:.1} fastest (1 core, {runs} runs)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Render one view of one programme `runs` times on this thread: (pages, median ms,
/// fastest ms — on a shared machine the fastest run is the one least disturbed).
fn document(renderer: &Renderer, input: &Path, view: &str, runs: usize) -> Result<(usize, f64, f64), Error> {
    use kaohe::report::Content;
    let dir = kaohe::pipeline::ProgrammeDir { path: input.to_path_buf(), display: input.display().to_string() };
    let ready = kaohe::pipeline::prepare(&dir)?;
    let found = ready.views.documents.iter().find(|v| v.name == view).ok_or_else(|| {
        let names: Vec<&str> = ready.views.documents.iter().map(|v| v.name.as_str()).collect();
        Error::Usage(format!("没有名为 {view} 的视图；有：{}", names.join("、")))
    })?;
    let data = match &found.content {
        Content::One(data) => data,
        Content::PerUnit(units) => &units.first().ok_or_else(|| Error::Usage(format!("{view} 没有单位")))?.data,
    };
    let template = format!("{}.typ", found.template);
    let mut times = Vec::new();
    let mut pages = 0;
    for i in 0..runs {
        // A different identity each time, so the PDF is written anew; layouts stay memoized
        // within a run as they would across a programme's documents.
        let start = Instant::now();
        let pdf = renderer.render(&template, data, &format!("bench/{view}/{i}"), ready.date)?;
        times.push(start.elapsed().as_secs_f64());
        pages = pdf.pages;
        comemo::evict(0);
    }
    let fastest = times.iter().copied().fold(f64::INFINITY, f64::min);
    Ok((pages, median(times) * 1000.0, fastest * 1000.0))
}

/// The one-page annex of the benchmark: a quota table of 15 towns. `k` varies the
/// figures, so that no document is a copy of another (Typst would reuse the layout).
pub fn annex_payload(k: usize) -> Value {
    let rows: Vec<Vec<String>> = (0..15)
        .map(|i| vec![format!("第{}镇", i + 1), (10_000 + i * 1_237 + k).to_string(), (5_000 + i * 618).to_string()])
        .collect();
    json!({
        "label": "附件",
        "title": "某县2015年度小额人身保险\n工作目标任务分解表",
        "table": {
            "columns": ["镇办及村名", "户籍总人口（农村）", "参保任务数(人)"],
            "widths": [3, 3, 3],
            "numeric": [false, true, true],
            "rows": rows,
            "total": ["合计", "212245", "105984"],
        },
        "note": "注：本年度任务目标按各镇农村户籍人口50%下达。",
    })
}

/// Median of a sample (seconds).
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Milliseconds per document, rendered one after another on one thread (median of `n`),
/// and documents per second rendering `n` in parallel on every core.
pub fn render(renderer: &Renderer, n: usize) -> Result<Vec<(String, f64, f64)>, String> {
    let date = NaiveDate::from_ymd_opt(2015, 9, 15).expect("valid date");
    let mut out = Vec::new();
    type Payload = fn(usize) -> Value;
    let cases: [(&str, &str, Payload); 2] = [
        ("empty page", FLOOR_TEMPLATE, |k| json!({ "k": k })),
        ("annex table (15 rows)", "quota-table.typ", annex_payload),
    ];
    for (label, template, data) in cases {
        // Warm-up: the first document pays for font and library set-up.
        renderer.render(template, &data(usize::MAX / 2), "bench/warmup", date).map_err(|e| e.to_string())?;
        let mut times = Vec::with_capacity(n);
        for i in 0..n {
            let data = data(i);
            let start = Instant::now();
            renderer.render(template, &data, &format!("bench/{i}"), date).map_err(|e| e.to_string())?;
            times.push(start.elapsed().as_secs_f64());
        }
        let start = Instant::now();
        let indexes: Vec<usize> = (0..n).collect();
        kaohe::parallel::map(&indexes, |i| renderer.render(template, &data(n + i), &format!("bench/p{i}"), date))
            .into_iter()
            .try_for_each(|r| r.map(|_| ()))
            .map_err(|e| e.to_string())?;
        let per_second = n as f64 / start.elapsed().as_secs_f64();
        out.push((label.to_string(), median(times) * 1000.0, per_second));
    }
    Ok(out)
}

/// Write the annex table as a standalone Typst project for `typst compile`: main.typ,
/// lib.typ, data.json and the built-in fonts.
pub fn export_typst(renderer: &Renderer, dir: &Path) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    std::fs::create_dir_all(dir.join("fonts")).map_err(io)?;
    for name in ["lib.typ", "quota-table.typ"] {
        let text = renderer.template_text(name).ok_or(format!("no template {name}"))?;
        std::fs::write(dir.join(name), text).map_err(io)?;
    }
    std::fs::write(dir.join("data.json"), serde_json::to_vec(&annex_payload(0)).expect("JSON")).map_err(io)?;
    for (i, font) in Renderer::builtin_fonts().iter().enumerate() {
        std::fs::write(dir.join("fonts").join(format!("font-{i}.otf")), font).map_err(io)?;
    }
    Ok(())
}

/// Every roster file under `input` (each programme's rosters/ folder).
fn roster_files(input: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![input.to_path_buf()];
    while let Some(d) = dirs.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.parent().and_then(|p| p.file_name()).is_some_and(|n| n == "rosters") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// Read every roster and count its rows with the bare readers — polars for CSV (GBK
/// transcoded first, as polars reads UTF-8 only) and Parquet, calamine for Excel — one
/// file per task like kaohe. Returns (files, rows, seconds).
pub fn scan(input: &Path) -> Result<(usize, usize, f64), String> {
    let files = roster_files(input);
    let start = Instant::now();
    let rows: Vec<Result<usize, String>> = {
        kaohe::parallel::map(&files, |path| {
            let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
            let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
            match ext.as_str() {
                "parquet" => {
                    let file = std::fs::File::open(path).map_err(|e| err(&e))?;
                    Ok(ParquetReader::new(file).finish().map_err(|e| err(&e))?.height())
                }
                "xlsx" | "xls" => {
                    use calamine::Reader;
                    let mut book = calamine::open_workbook_auto(path).map_err(|e| err(&e))?;
                    let range = book.worksheet_range_at(0).ok_or("no sheet")?.map_err(|e| err(&e))?;
                    Ok(range.height().saturating_sub(1))
                }
                _ => {
                    let bytes = std::fs::read(path).map_err(|e| err(&e))?;
                    let text = match std::str::from_utf8(&bytes) {
                        Ok(_) => bytes,
                        Err(_) => encoding_rs::GB18030.decode(&bytes).0.into_owned().into_bytes(),
                    };
                    let df = CsvReadOptions::default()
                        .with_has_header(true)
                        .with_infer_schema_length(Some(0))
                        .into_reader_with_file_handle(std::io::Cursor::new(text))
                        .finish()
                        .map_err(|e| err(&e))?;
                    Ok(df.height())
                }
            }
        })
    };
    let secs = start.elapsed().as_secs_f64();
    let mut total = 0;
    for r in rows {
        total += r?;
    }
    Ok((files.len(), total, secs))
}
