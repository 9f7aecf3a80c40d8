//! Orchestration, no business logic: find the programme folders, prepare each through
//! the steps its programme.toml writes (read, check, compute: [`prepare`]), then publish
//! what it declares ([`crate::pipeline::publish`]) and archive it — all programmes checked before
//! any is written, all written before any is moved into place.

pub mod publish;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use chrono::NaiveDate;

use crate::archive::{ArchiveError, Manifest, Staging};

pub use crate::archive::{record, records, ProgrammeDir};
use crate::error::Error;
use crate::measure::declared;
use crate::problem::InputErrors;
use crate::programme::file as config;
use crate::render::{RenderError, RenderedPdf, Renderer};
use crate::report::Views;
use publish::{PdfSpec, TableSpec};

/// Every folder under `input` holding a programme.toml (or `input` itself), sorted.
pub fn find_programmes(input: &Path) -> Result<Vec<ProgrammeDir>, Error> {
    // Paths in messages: relative to the working folder when inside it, as a clerk typed them.
    let cwd = std::env::current_dir().unwrap_or_default();
    let shown = |p: &Path| p.strip_prefix(&cwd).unwrap_or(p).to_string_lossy().replace('\\', "/");
    if !input.is_dir() {
        return Err(Error::Usage(format!(
            "输入目录 {} 不存在\n  提示：用 --input 指定含 programme.toml 的目录",
            shown(input)
        )));
    }
    if input.join("programme.toml").is_file() {
        return Ok(vec![ProgrammeDir { path: input.to_path_buf(), display: shown(input) }]);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(input)
        .map_err(|e| Error::Usage(format!("无法读取 {}：{}", shown(input), crate::problem::io_text(&e))))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("programme.toml").is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(Error::Usage(format!(
            "{} 下没有找到 programme.toml\n  提示：每个年度项目一个文件夹，内含 programme.toml、人口数据和名册",
            shown(input)
        )));
    }
    Ok(dirs.into_iter().map(|p| ProgrammeDir { display: shown(&p), path: p }).collect())
}

/// A programme read, checked and computed: what it can publish and its record, before
/// any output is written.
pub struct Ready {
    /// The output folder's name (the programme folder's).
    pub id: String,
    /// The date inside every PDF.
    pub date: NaiveDate,
    pub views: Views,
    pub pdf: Vec<PdfSpec>,
    pub table: Vec<TableSpec>,
    /// The record, without its outputs yet.
    pub manifest: Manifest,
    /// What `kaohe run` prints when done; `{documents}` and `{folder}` are filled in.
    pub run_line: String,
    /// What `kaohe check` prints.
    pub check_line: String,
    /// Rows read but not counted, one line each (`kaohe check --strict` lists them).
    pub set_aside: Vec<String>,
    /// Datasets of several files, unit by unit (the clerk's page lists them).
    pub coverage: Vec<declared::Coverage>,
}

/// Whether a folder's programme.toml apportions quotas at a rate (a `[measures]` entry
/// with `apportion` and `rate`): the programmes `kaohe reconcile` can compare with a
/// published quota table.
pub fn has_quotas(dir: &ProgrammeDir) -> bool {
    let Some(t) =
        std::fs::read_to_string(dir.path.join("programme.toml")).ok().and_then(|t| t.parse::<toml::Table>().ok())
    else {
        return false;
    };
    let apportions = t
        .get("measures")
        .and_then(|m| m.as_table())
        .is_some_and(|m| m.values().any(|spec| spec.get("apportion").is_some() && spec.get("rate").is_some()));
    apportions
}

/// Read, check and compute one programme: its units, datasets and measures, the rubrics
/// scoring them and the views it declares.
pub fn prepare(dir: &ProgrammeDir) -> Result<Ready, InputErrors> {
    let loaded = config::load(&dir.path, &dir.display).map_err(InputErrors)?;
    let declared = declared::load(&dir.path, &dir.display, &loaded).map_err(InputErrors)?;
    let file = &loaded.file;
    let mut views = Views::default();
    let (mut check_lines, mut figures, mut set_aside) = (Vec::new(), String::new(), Vec::new());
    crate::report::declared::publish(&declared, &loaded, &mut views)?;
    crate::report::views::build(&declared, &loaded, &mut views).map_err(InputErrors)?;
    let summary = crate::report::views::summary(&declared, &loaded).map_err(InputErrors)?;
    let mut check_line = declared::check_line(&declared, &dir.display);
    if let (Some(check), Some(line)) = (check_line.as_mut(), &summary) {
        *check += &format!("；{line}");
    }
    check_lines.extend(check_line);
    set_aside.extend(declared::set_aside_lines(&declared));
    if let Some(line) = summary {
        figures += &format!("；{line}");
    }
    figures += &declared::set_aside_figures(&declared);
    let coverage = declared::coverage(&declared, &file.datasets);
    let files = declared::files(&declared, &dir.path, &file.rubrics);
    let record = records(dir, files.iter().map(|(path, shown)| (path.as_path(), *shown)))?;
    Ok(Ready {
        id: loaded.id.clone(),
        date: loaded.date,
        check_line: check_lines.join("\n"),
        run_line: format!("{}: {{documents}} 份 PDF → {{folder}}{figures}", loaded.id),
        set_aside,
        coverage,
        manifest: Manifest::new(
            &loaded.id,
            file.document.number(file.programme.year),
            loaded.date,
            &loaded.digest,
            record,
        ),
        pdf: file.pdf.clone(),
        table: file.table.clone(),
        views,
    })
}

/// Every programme prepared (read, checked, measured), in their order: side by side when
/// there are many (a province's hundred counties, each on one thread), else one after
/// another with each one's files side by side — the rule `run` follows.
pub fn prepare_all(dirs: &[ProgrammeDir]) -> Vec<Result<Ready, InputErrors>> {
    if dirs.len() > crate::parallel::jobs() * 2 {
        crate::parallel::map(dirs, prepare)
    } else {
        dirs.iter().map(prepare).collect()
    }
}

/// Settings of a `run`.
pub struct RunOptions {
    pub input: PathBuf,
    pub output: PathBuf,
    pub force: bool,
    pub renderer: Renderer,
}

/// One finished programme-year.
pub struct RunSummary {
    pub programme: String,
    pub folder: PathBuf,
    /// What to print: the programme, its documents and folder, and its headline figures.
    pub line: String,
}

/// `--jobs` threads (default: one per core) for kaohe's own parallel work
/// ([`crate::parallel`]: a programme's files, then its units, then its documents;
/// programmes one after another) and for typst's, which runs on rayon's global pool.
pub fn init_threads(jobs: Option<usize>) -> Result<(), rayon::ThreadPoolBuildError> {
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(jobs) = jobs {
        crate::parallel::set_jobs(jobs);
        pool = pool.num_threads(jobs.max(1));
    }
    pool.build_global()
}

/// A progress bar on stderr when a person is watching, hidden otherwise.
pub fn progress_bar() -> ProgressBar {
    if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg:8} [{bar:30}] {pos}/{len}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    }
}

/// One programme read, checked and rendered in memory: its plan is made again from
/// `ready` when it is written.
type Rendered = (Ready, Vec<Result<RenderedPdf, RenderError>>);

/// Prepare one programme, match its declarations and render its PDFs in memory.
fn prepare_and_render(dir: &ProgrammeDir, opts: &RunOptions, progress: &ProgressBar) -> Result<Rendered, InputErrors> {
    let ready = prepare(dir)?;
    let toml_file = format!("{}/programme.toml", dir.display);
    let plan = publish::plan(&ready.views, &ready.pdf, &ready.table, &opts.renderer, &toml_file)?;
    let rendered = publish::render(&plan, &opts.renderer, &ready.id, ready.date, progress);
    drop(plan);
    // Typst memoizes layouts across documents; a province run renders thousands of
    // them, so let go of what the next programme will not reuse: keep only what was
    // used since the last programme ended (the fonts, the library, the headers every
    // programme shares). Keeping ten programmes' layouts instead made every eviction
    // walk ten times as many entries (3% of a province's CPU) and held 0.5 GB more.
    comemo::evict(1);
    Ok((ready, rendered))
}

/// `kaohe run`: every programme under the input into the output.
///
/// The programmes are read, checked and rendered in memory — many of them side by side,
/// a few one after another with each stage's work spread over the threads
/// ([`crate::parallel`]: one level either way).
/// Only when every one of them succeeded is anything written: each into its staging
/// folder, and then all moved into place — a failure anywhere leaves no half-done run.
pub fn run(opts: &RunOptions) -> Result<Vec<RunSummary>, Error> {
    run_with_progress(opts, &progress_bar())
}

/// [`run`], reporting to `progress` (stage as its message, documents rendered as its
/// position): `kaohe serve` shows the same progress the command line draws.
pub fn run_with_progress(opts: &RunOptions, progress: &ProgressBar) -> Result<Vec<RunSummary>, Error> {
    let dirs = find_programmes(&opts.input)?;
    // A province's many programmes side by side, each read on one thread; a few (one
    // district beside small ones) one after another, each stage spreading its own work.
    let results: Vec<Result<Rendered, InputErrors>> = if dirs.len() > crate::parallel::jobs() * 2 {
        crate::parallel::map(&dirs, |dir| prepare_and_render(dir, opts, progress))
    } else {
        dirs.iter().map(|dir| prepare_and_render(dir, opts, progress)).collect()
    };
    let mut problems = Vec::new();
    let mut done = Vec::new();
    for (dir, r) in dirs.iter().zip(results) {
        match r {
            Ok(r) => done.push((dir, r)),
            Err(e) => problems.extend(e.0),
        }
    }
    if !problems.is_empty() {
        progress.finish_and_clear();
        return Err(Error::Input(InputErrors(problems)));
    }
    for (_, (r, _)) in &done {
        if !opts.force && opts.output.join(&r.id).exists() {
            return Err(ArchiveError::Exists(opts.output.join(&r.id)).into());
        }
    }
    // Each programme written into its staging folder, side by side (a province's hundred
    // results.xlsx and manifests); the first failure ends the run, and every staging
    // folder is removed as it is dropped.
    let slots: Vec<std::sync::Mutex<Option<(&ProgrammeDir, Rendered)>>> =
        done.into_iter().map(|d| std::sync::Mutex::new(Some(d))).collect();
    let staged: Vec<Result<(Staging, Ready, usize), Error>> = crate::parallel::map(&slots, |slot| {
        let taken = slot.lock().map(|mut s| s.take()).ok().flatten();
        let (dir, (r, rendered)) = taken.expect("each programme is written once");
        let toml_file = format!("{}/programme.toml", dir.display);
        let plan = publish::plan(&r.views, &r.pdf, &r.table, &opts.renderer, &toml_file)?;
        let mut staging = Staging::new(&opts.output, &r.id, opts.force)?;
        let documents = publish::write(&plan, rendered, r.date, &mut staging)?;
        drop(plan);
        Ok((staging, r, documents))
    });
    let staged = staged.into_iter().collect::<Result<Vec<_>, Error>>()?;
    let mut summaries = Vec::new();
    for (staging, r, documents) in staged {
        let folder = crate::timings::timed("writing", || staging.finish(r.manifest.clone()))?;
        let line = r
            .run_line
            .replace("{documents}", &documents.to_string())
            .replace("{folder}", &folder.display().to_string());
        summaries.push(RunSummary { programme: r.id.clone(), folder, line });
    }
    progress.finish_and_clear();
    Ok(summaries)
}
