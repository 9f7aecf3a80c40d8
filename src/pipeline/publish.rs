//! The documents and tables a programme publishes, declared in its `programme.toml`:
//!
//! ```toml
//! [[pdf]]                                   # one PDF, or one per unit
//! view = "village-detail"                   # what it shows (a view the programme computes)
//! template = "village-detail"               # report-templates/village-detail.typ
//! file = "village-detail/{n}-{unit}.pdf"    # {n}: 01, 02 … in unit order; {unit}: the unit's name
//!
//! [[table]]                                 # csv/<file>.csv and a sheet of results.xlsx
//! view = "quota-table"
//! file = "quota-table"
//! ```
//!
//! A programme's stages compute named [`Views`]; this stage matches the declarations to
//! them (a name that does not exist is an error listing those that do, before anything is
//! rendered), renders the PDFs in parallel and writes everything into the staging folder.
//! A programme file that declares nothing publishes every view with its default template
//! and file name — the seed's reading. The names a rubric's ranking and grades had when
//! they were named after 南通's levels (`county-ranking-X`, `insurer-grades-X`, and the
//! templates `county-ranking`, `insurer-grades`) are still accepted ([`FORMER`]).

use indicatif::ProgressBar;
use serde_json::Value;

use crate::archive::{ArchiveError, Staging};
use crate::error::Error;
use crate::problem::{nearest, InputErrors, InputProblem};
use crate::render::{RenderError, RenderedPdf, Renderer};
use crate::report::export;
use crate::report::{Content, Table, Views};

pub use crate::programme::{PdfSpec, TableSpec};

/// Views and templates by the names they had (南通's levels), and their present names
/// (what they are): `county-ranking-X` is `ranking-X`, template `county-ranking` is `ranking`.
pub const FORMER: &[(&str, &str)] = &[("county-ranking", "ranking"), ("insurer-grades", "grades")];

/// The present name of a view or template declared by a former name (else the name itself).
fn present(name: &str) -> String {
    for (old, new) in FORMER {
        if name == *old {
            return new.to_string();
        }
        if let Some(rest) = name.strip_prefix(old).and_then(|r| r.strip_prefix('-')) {
            return format!("{new}-{rest}");
        }
    }
    name.to_string()
}

/// One PDF to render.
pub struct Job<'a> {
    pub rel: String,
    /// The template file rendered (without `.typ`).
    pub template: String,
    /// The template as declared, recorded in the manifest as the document's kind.
    pub kind: String,
    pub unit: Option<String>,
    pub data: &'a Value,
}

/// The declared outputs matched to the views: the PDFs to render and the tables to write.
pub struct Plan<'a> {
    pub jobs: Vec<Job<'a>>,
    pub tables: Vec<(String, &'a Table)>,
}

fn file_safe(name: &str) -> String {
    name.chars().map(|c| if "/\\:*?\"<>|".contains(c) || c.is_control() { '_' } else { c }).collect()
}

/// Match `[[pdf]]` and `[[table]]` to the views (all of them when none is declared).
/// Every problem is reported at once, naming programme.toml.
pub fn plan<'a>(
    views: &'a Views,
    pdfs: &[PdfSpec],
    tables: &[TableSpec],
    renderer: &Renderer,
    toml_file: &str,
) -> Result<Plan<'a>, InputErrors> {
    let pdfs: Vec<PdfSpec> = if pdfs.is_empty() {
        views.documents.iter().map(|v| PdfSpec { view: v.name.clone(), template: None, file: None }).collect()
    } else {
        pdfs.to_vec()
    };
    let tables: Vec<TableSpec> = if tables.is_empty() {
        views
            .tables
            .iter()
            .map(|(n, _)| TableSpec { view: n.clone(), file: views.table_files.get(n).cloned() })
            .collect()
    } else {
        tables.to_vec()
    };
    let mut problems = Vec::new();
    let unknown = |what: &str, name: &str, known: Vec<&str>| {
        let p = InputProblem::file(toml_file, format!("[[{what}]] 的 view = \"{name}\" 不是本项目计算出的内容"));
        match nearest(name, known.iter().copied()) {
            Some(n) => p.hint(format!("是否应为“{n}”？可用的有：{}", known.join("、"))),
            None => p.hint(format!("可用的有：{}", known.join("、"))),
        }
    };
    let mut jobs = Vec::new();
    for spec in &pdfs {
        let found = |name: &str| views.documents.iter().find(|v| v.name == name);
        let Some(view) = found(&spec.view).or_else(|| found(&present(&spec.view))) else {
            problems.push(unknown("pdf", &spec.view, views.documents.iter().map(|v| v.name.as_str()).collect()));
            continue;
        };
        let kind = spec.template.clone().unwrap_or_else(|| view.template.clone());
        // A former template name renders the present template, unless the folder has its own.
        let template = if renderer.has_template(&format!("{kind}.typ")) { kind.clone() } else { present(&kind) };
        if !renderer.has_template(&format!("{template}.typ")) {
            problems.push(
                InputProblem::file(toml_file, format!("[[pdf]] 的 template = \"{kind}\"：模板目录中没有 {kind}.typ"))
                    .hint(format!("可用的模板有：{}", renderer.template_names().join("、"))),
            );
            continue;
        }
        let pattern = spec.file.clone().unwrap_or_else(|| view.file.clone());
        match &view.content {
            Content::One(data) => {
                if pattern.contains("{unit}") || pattern.contains("{n}") {
                    problems.push(InputProblem::file(
                        toml_file,
                        format!("[[pdf]] view = \"{}\" 只有一份，file 中不能用 {{unit}} 或 {{n}}", spec.view),
                    ));
                    continue;
                }
                jobs.push(Job { rel: pattern, template, kind, unit: view.unit.clone(), data });
            }
            Content::PerUnit(units) => {
                if !pattern.contains("{unit}") && !pattern.contains("{n}") {
                    problems.push(
                        InputProblem::file(
                            toml_file,
                            format!("[[pdf]] view = \"{}\" 每个单位一份，file 须含 {{unit}} 或 {{n}}", spec.view),
                        )
                        .hint("例如 file = \"score-sheet/{n}-{unit}.pdf\""),
                    );
                    continue;
                }
                for (i, u) in units.iter().enumerate() {
                    let rel =
                        pattern.replace("{n}", &format!("{:02}", i + 1)).replace("{unit}", &file_safe(&u.file_name));
                    jobs.push(Job {
                        rel,
                        template: template.clone(),
                        kind: kind.clone(),
                        unit: Some(u.unit.clone()),
                        data: &u.data,
                    });
                }
            }
        }
    }
    let mut chosen = Vec::new();
    for spec in &tables {
        let found = |name: &str| views.tables.iter().find(|(n, _)| n == name);
        // Without `file`, the table is written under the name it was declared by.
        match found(&spec.view).or_else(|| found(&present(&spec.view))) {
            Some((_, t)) => chosen.push((spec.file.clone().unwrap_or_else(|| spec.view.clone()), t)),
            None => problems.push(unknown("table", &spec.view, views.tables.iter().map(|(n, _)| n.as_str()).collect())),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for rel in jobs.iter().map(|j| j.rel.clone()).chain(chosen.iter().map(|(f, _)| format!("csv/{f}.csv"))) {
        if !rel.ends_with(".pdf") && !rel.starts_with("csv/") {
            problems.push(InputProblem::file(toml_file, format!("[[pdf]] 的 file = \"{rel}\" 应以 .pdf 结尾")));
        }
        // Outputs stay inside the programme's output folder, and beside the manifest.
        let path = std::path::Path::new(&rel);
        let escapes = path.is_absolute()
            || path.components().any(|c| !matches!(c, std::path::Component::Normal(_)))
            || rel == "manifest.json"
            || rel.contains('\\');
        if escapes {
            problems.push(InputProblem::file(
                toml_file,
                format!("输出文件 {rel} 须是输出文件夹内的相对路径（不能含 ..、开头的 / 或 \\）"),
            ));
        }
        if !seen.insert(rel.clone()) {
            problems.push(InputProblem::file(toml_file, format!("两个输出都写到 {rel}，后一个会覆盖前一个")));
        }
    }
    if problems.is_empty() {
        Ok(Plan { jobs, tables: chosen })
    } else {
        Err(InputErrors(problems))
    }
}

/// Render every PDF of the plan in parallel, in memory (nothing is written yet).
pub fn render(
    plan: &Plan,
    renderer: &Renderer,
    programme_id: &str,
    date: chrono::NaiveDate,
    progress: &ProgressBar,
) -> Vec<Result<RenderedPdf, RenderError>> {
    progress.set_message("生成 PDF");
    progress.inc_length(plan.jobs.len() as u64);
    crate::timings::timed("rendering", || {
        crate::parallel::map(&plan.jobs, |job| {
            let r = renderer.render(
                &format!("{}.typ", job.template),
                job.data,
                &format!("{programme_id}/{}", job.rel),
                date,
            );
            progress.inc(1);
            r
        })
    })
}

/// Write the rendered PDFs, results.xlsx and the CSVs of the plan into `staging`.
/// Returns the number of PDFs.
pub fn write(
    plan: &Plan,
    rendered: Vec<Result<RenderedPdf, RenderError>>,
    date: chrono::NaiveDate,
    staging: &mut Staging,
) -> Result<usize, Error> {
    let writing = std::time::Instant::now();
    for (job, pdf) in plan.jobs.iter().zip(rendered) {
        let pdf = pdf?;
        staging.write(&job.rel, &job.kind, job.unit.as_deref(), Some(pdf.pages), &pdf.bytes)?;
    }
    if !plan.tables.is_empty() {
        let tables: Vec<&Table> = plan.tables.iter().map(|(_, t)| *t).collect();
        let xlsx = export::xlsx(&tables, date).map_err(|e| ArchiveError::Xlsx(e.to_string()))?;
        staging.write("results.xlsx", "results-xlsx", None, None, &xlsx)?;
        for (file, table) in &plan.tables {
            staging.write(&format!("csv/{file}.csv"), "table-csv", None, None, &export::csv(table))?;
        }
    }
    crate::timings::add("writing", writing.elapsed());
    Ok(plan.jobs.len())
}
