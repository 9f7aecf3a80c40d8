//! Orchestration, no business logic: find the programme folders, run each through
//! ingest → validate → metrics → quota → rank → render → archive, in parallel where
//! the units are independent, with a progress bar when a person is watching.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::archive::{sha256_hex, ArchiveError, InputRecord, Manifest, Staging};
use crate::assess;
use crate::config::{self, chinese_date, Programme};
use crate::error::Error;
use crate::ingest;
use crate::metrics::{self, EnrollmentCounts};
use crate::outputs::{self, Content, UnitDocument, Views};
use crate::problem::{nearest, InputErrors, InputProblem};
use crate::quota::{self, QuotaTable};
use crate::rank::{self, Standing};
use crate::render::Renderer;
use crate::report::{self, Results};
use crate::validate::{self, Enrollment, Population};

/// A programme folder found under the input.
#[derive(Debug, Clone)]
pub struct ProgrammeDir {
    pub path: PathBuf,
    /// As shown in messages, e.g. input/hanbin-2015-micro.
    pub display: String,
}

/// Every folder under `input` holding a programme.toml (or `input` itself), sorted.
pub fn find_programmes(input: &Path) -> Result<Vec<ProgrammeDir>, Error> {
    // Paths in messages: relative to the working folder when inside it, as a clerk typed them.
    let cwd = std::env::current_dir().unwrap_or_default();
    let shown = |p: &Path| p.strip_prefix(&cwd).unwrap_or(p).to_string_lossy().replace('\\', "/");
    if !input.is_dir() {
        return Err(Error::Usage(format!(
            "输入目录 {} 不存在\n  hint: 用 --input 指定含 programme.toml 的目录",
            shown(input)
        )));
    }
    if input.join("programme.toml").is_file() {
        return Ok(vec![ProgrammeDir { path: input.to_path_buf(), display: shown(input) }]);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(input)
        .map_err(|e| Error::Usage(format!("无法读取 {}: {e}", shown(input))))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("programme.toml").is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(Error::Usage(format!(
            "{} 下没有找到 programme.toml\n  hint: 每个年度项目一个文件夹，内含 programme.toml、人口数据和名册",
            shown(input)
        )));
    }
    Ok(dirs.into_iter().map(|p| ProgrammeDir { display: shown(&p), path: p }).collect())
}

/// The `programme.kind` a folder declares ("micro-insurance" when it cannot be read:
/// loading the config then reports the real problem).
pub fn kind_of(dir: &ProgrammeDir) -> String {
    std::fs::read_to_string(dir.path.join("programme.toml"))
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| t.get("programme")?.get("kind")?.as_str().map(str::to_string))
        .unwrap_or_else(|| "micro-insurance".into())
}

/// The agri-assessment kind (seed 004).
pub const AGRI: &str = "agri-assessment";

/// Score an agri programme and archive its forms, score sheets, ranking, grades and sheets.
fn run_agri(
    dir: &ProgrammeDir,
    p: &crate::agri::AgriProgramme,
    opts: &RunOptions,
    progress: &ProgressBar,
) -> Result<(Staging, Manifest, usize), Error> {
    let input = crate::agri::assessment_input(p);
    let results = crate::timings::timed("scoring", || assess::assess(&input)).map_err(InputErrors)?;
    let c = &p.config;
    let titles =
        assess::Titles { text: &c.text, year: c.programme.year, region: &c.programme.region, name: &c.programme.name };
    let mut views = Views::default();
    assess::views(&mut views, &results, &titles);
    let keys = &input.key_columns;
    let (county, insurer) = (&input.units["county"], &input.units["insurer"]);
    let m = &p.metrics;
    views.table("metrics-county", assess::metrics_table("县区考核指标", keys, county, &m.county_columns));
    views.table("metrics-insurer", assess::metrics_table("承办公司考核指标", keys, insurer, &m.insurer_columns));
    views.table("evidence", crate::agri::evidence_table(p));
    let toml_file = format!("{}/programme.toml", dir.display);
    let plan = outputs::plan(&views, &p.config.pdf, &p.config.table, &opts.renderer, &toml_file)?;
    let mut staging = Staging::new(&opts.output, &p.id, opts.force)?;
    let documents = outputs::write(&plan, &opts.renderer, &p.id, p.date, &mut staging, progress)?;
    let writing = std::time::Instant::now();

    let mut inputs = vec![record(&dir.path.join("programme.toml"), &format!("{}/programme.toml", dir.display))
        .map_err(|e| InputErrors(vec![e]))?];
    for (name, (shown, _)) in p.config.rubrics.iter().zip(&p.rubrics) {
        inputs.push(record(&dir.path.join(name), shown).map_err(|e| InputErrors(vec![e]))?);
    }
    for (path, shown) in &p.datasets.files {
        inputs.push(record(path, shown).map_err(|e| InputErrors(vec![e]))?);
    }
    let d = &p.config.document;
    let manifest = Manifest {
        tool: "kaohe".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        programme: p.id.clone(),
        document_number: match (&d.code, d.serial) {
            (Some(code), Some(serial)) => format!("{code}〔{}〕{serial}号", p.config.programme.year),
            _ => String::new(),
        },
        document_date: chinese_date(p.date),
        config_sha256: p.digest.clone(),
        inputs,
        outputs: Vec::new(),
    };
    crate::timings::add("writing", writing.elapsed());
    Ok((staging, manifest, documents))
}

/// Everything computed for one programme-year, before rendering.
pub struct Prepared {
    pub programme: Programme,
    pub population: Population,
    pub enrollment: Enrollment,
    pub quotas: QuotaTable,
    pub counts: EnrollmentCounts,
    pub standings: Vec<Standing>,
    pub inputs: Vec<InputRecord>,
}

impl Prepared {
    /// The report view of the results.
    pub fn results(&self) -> Results<'_> {
        Results {
            programme: &self.programme,
            quotas: &self.quotas,
            counts: &self.counts,
            standings: &self.standings,
            enrollment: &self.enrollment,
        }
    }
}

fn record(path: &Path, display: &str) -> Result<InputRecord, InputProblem> {
    let bytes = std::fs::read(path).map_err(|e| InputProblem::file(display, format!("无法读取：{e}")))?;
    Ok(InputRecord { path: display.to_string(), sha256: sha256_hex(&bytes), bytes: bytes.len() as u64 })
}

/// Config, population and quotas: all that the quota table (and `reconcile`) needs.
pub fn plan(dir: &ProgrammeDir) -> Result<(Programme, Population, QuotaTable, Vec<InputRecord>), InputErrors> {
    let programme = config::load(&dir.path, &dir.display).map_err(InputErrors)?;
    let pop_display = format!("{}/{}", dir.display, programme.config.inputs.population);
    let toml_file = format!("{}/programme.toml", dir.display);
    let pop_path = ingest::confined(&dir.path, &programme.config.inputs.population, "inputs.population", &toml_file)
        .map_err(|p| InputErrors(vec![p]))?;
    let table = ingest::read_table(&pop_path, &pop_display).map_err(|p| InputErrors(vec![p]))?;
    let population = validate::population(&table).map_err(InputErrors)?;
    let mut problems = Vec::new();
    for o in &programme.config.quota.overrides {
        if population.town_index(&o.unit).is_none() {
            let p = InputProblem::file(
                format!("{}/programme.toml", dir.display),
                format!("[[quota.override]] 中的单位“{}”不在人口数据中", o.unit),
            );
            problems.push(match nearest(&o.unit, population.town_names()) {
                Some(n) => p.hint(format!("是否应为“{n}”？")),
                None => p,
            });
        }
    }
    if !problems.is_empty() {
        return Err(InputErrors(problems));
    }
    let quotas = quota::apportion(&programme, &population);
    let inputs = vec![
        record(&dir.path.join("programme.toml"), &format!("{}/programme.toml", dir.display))
            .map_err(|p| InputErrors(vec![p]))?,
        record(&pop_path, &pop_display).map_err(|p| InputErrors(vec![p]))?,
    ];
    Ok((programme, population, quotas, inputs))
}

fn roster_files(dir: &Path, display: &str) -> Result<Vec<(PathBuf, String)>, InputProblem> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| InputProblem::file(display, format!("名册目录无法读取：{e}")))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            // Hidden files, Excel lock files and the Windows/macOS folder clutter are not rosters.
            let junk = ["thumbs.db", "desktop.ini"].contains(&name.to_lowercase().as_str());
            !name.starts_with('.') && !name.starts_with("~$") && !junk
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(
            InputProblem::file(display, "名册目录是空的").hint("每个镇办一个名册文件（.xlsx、.csv 或 .parquet）")
        );
    }
    Ok(files
        .into_iter()
        .map(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (p, format!("{display}/{name}"))
        })
        .collect())
}

/// Read and check everything, compute counts, quotas and ranks. All input problems at once.
pub fn prepare(dir: &ProgrammeDir, progress: &ProgressBar) -> Result<Prepared, InputErrors> {
    let started = std::time::Instant::now();
    let (programme, population, quotas, mut inputs) = plan(dir)?;
    let rosters_display = format!("{}/{}", dir.display, programme.config.inputs.rosters);
    let toml_file = format!("{}/programme.toml", dir.display);
    let rosters_dir = ingest::confined(&dir.path, &programme.config.inputs.rosters, "inputs.rosters", &toml_file)
        .map_err(|p| InputErrors(vec![p]))?;
    let files = roster_files(&rosters_dir, &rosters_display).map_err(|p| InputErrors(vec![p]))?;
    let outside: Vec<InputProblem> =
        files.iter().filter_map(|(path, shown)| ingest::inside(&dir.path, path, shown, shown).err()).collect();
    if !outside.is_empty() {
        return Err(InputErrors(outside));
    }
    progress.set_message("读取名册");
    progress.set_length(files.len() as u64);
    // Each file is read, checked and dropped in one task: a programme's rosters never sit
    // in memory together, only the accepted persons and the set-aside rows do.
    let lookup =
        validate::RosterLookup::new(&population, programme.deadline, programme.config.enrollment.max_set_aside.0);
    let read: Vec<Result<(validate::FileCheck, InputRecord), InputProblem>> = files
        .par_iter()
        .map(|(path, display)| {
            let table = ingest::read_table(path, display)?;
            let check = validate::check_file(&table, &lookup);
            drop(table);
            progress.inc(1);
            Ok((check, record(path, display)?))
        })
        .collect();
    let mut problems = Vec::new();
    let mut checks = Vec::new();
    for r in read {
        match r {
            Ok((c, rec)) => {
                checks.push(c);
                inputs.push(rec);
            }
            Err(p) => problems.push(p),
        }
    }
    let enrollment = match validate::merge(checks, &population) {
        Ok(e) => e,
        Err(p) => {
            problems.extend(p);
            Enrollment::default()
        }
    };
    // A town with no roster rows at all would be ranked last at 0%: refuse unless the config says so.
    for name in &programme.config.enrollment.no_roster {
        if population.town_index(name).is_none() {
            problems.push(InputProblem::file(&toml_file, format!("[enrollment] no_roster 中的“{name}”不在人口数据中")));
        }
    }
    if problems.is_empty() {
        for (ti, town) in population.towns.iter().enumerate() {
            if !enrollment.towns_with_rows.get(ti).copied().unwrap_or(false)
                && !programme.config.enrollment.no_roster.contains(&town.name)
            {
                problems.push(
                    InputProblem::file(&rosters_display, format!("镇办“{}”没有任何名册行（缺少该镇的名册文件，或文件中“镇”列都不是它）", town.name))
                        .hint(format!("补交该镇名册；如该镇今年确实无人参保，在 programme.toml 的 [enrollment] 中写 no_roster = [\"{}\"]", town.name)),
                );
            }
        }
    }
    if !problems.is_empty() {
        return Err(InputErrors(problems));
    }
    crate::timings::add("ingest+validate", started.elapsed());
    let counts = crate::timings::timed("metrics", || metrics::count(&enrollment, &population))
        .map_err(|e| InputErrors(vec![InputProblem::file(&dir.display, format!("汇总失败：{e}"))]))?;
    let keys = report::rank_keys(&programme, &quotas, &counts);
    let r = &programme.config.ranking;
    let standings = rank::rank(&keys, r.bottom_n, r.top_n);
    Ok(Prepared { programme, population, enrollment, quotas, counts, standings, inputs })
}

fn bad_text(dir: &ProgrammeDir, message: String) -> InputErrors {
    InputErrors(vec![InputProblem::file(format!("{}/programme.toml", dir.display), message)])
}

/// Everything a prepared micro-insurance programme can publish.
fn micro_views(dir: &ProgrammeDir, prepared: &Prepared) -> Result<Views, InputErrors> {
    let results = prepared.results();
    let err = |m: String| bad_text(dir, m);
    let mut views = Views::default();
    views.document(
        "quota-table",
        "quota-table",
        "quota-table.pdf",
        Content::One(results.quota_payload().map_err(err)?),
    );
    views.document(
        "participation-ranking",
        "participation-ranking",
        "participation-ranking.pdf",
        Content::One(results.ranking_payload().map_err(err)?),
    );
    views.document(
        "data-quality",
        "data-quality",
        "data-quality.pdf",
        Content::One(results.quality_payload().map_err(err)?),
    );
    let mut towns = Vec::new();
    for (ti, town) in prepared.quotas.towns.iter().enumerate() {
        let data = results.village_payload(ti).map_err(err)?;
        towns.push(UnitDocument { unit: town.name.clone(), file_name: town.name.clone(), data });
    }
    views.document("village-detail", "village-detail", "village-detail/{n}-{unit}.pdf", Content::PerUnit(towns));
    views.table("quota-table", results.quota_table());
    views.table("participation-ranking", results.ranking_table());
    views.table("village-detail", results.villages_table());
    views.table("data-quality", results.issues_table());
    views.table("roster-files", results.files_table());
    Ok(views)
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
    /// The programme kind ("micro-insurance" or [`AGRI`]).
    pub kind: &'static str,
    pub folder: PathBuf,
    pub documents: usize,
    pub total_base: u64,
    pub total_quota: u64,
    pub insured: u64,
    pub rejected_rows: usize,
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

/// `kaohe run`: every programme under the input into the output.
/// All programmes are checked before anything is written.
pub fn run(opts: &RunOptions) -> Result<Vec<RunSummary>, Error> {
    let dirs = find_programmes(&opts.input)?;
    let progress = progress_bar();
    let mut prepared = Vec::new();
    let mut agri = Vec::new();
    let mut problems = Vec::new();
    for dir in &dirs {
        if kind_of(dir) == AGRI {
            // Scored here too, so that a unit that cannot be scored stops the run before anything is written.
            match crate::agri::load(&dir.path, &dir.display) {
                Ok(p) => match assess::assess(&crate::agri::assessment_input(&p)) {
                    Ok(_) => agri.push((dir, p)),
                    Err(e) => problems.extend(e),
                },
                Err(e) => problems.extend(e),
            }
            continue;
        }
        match prepare(dir, &progress) {
            Ok(p) => prepared.push((dir, p)),
            Err(e) => problems.extend(e.0),
        }
    }
    if !problems.is_empty() {
        progress.finish_and_clear();
        return Err(Error::Input(InputErrors(problems)));
    }
    let ids = prepared.iter().map(|(_, p)| &p.programme.id).chain(agri.iter().map(|(_, p)| &p.id));
    for id in ids {
        if !opts.force && opts.output.join(id).exists() {
            return Err(ArchiveError::Exists(opts.output.join(id)).into());
        }
    }
    // Every programme is rendered and written into its staging folder first; only when all
    // of them succeeded is any moved into place, so a failure in the second programme
    // leaves no half-done run (and nothing the next run would refuse to overwrite).
    let mut staged: Vec<(Staging, Manifest, RunSummary)> = Vec::new();
    for (dir, p) in prepared {
        let views = micro_views(dir, &p)?;
        let toml_file = format!("{}/programme.toml", dir.display);
        let c = &p.programme.config;
        let plan = outputs::plan(&views, &c.pdf, &c.table, &opts.renderer, &toml_file)?;
        let mut staging = Staging::new(&opts.output, &p.programme.id, opts.force)?;
        let documents =
            outputs::write(&plan, &opts.renderer, &p.programme.id, p.programme.date, &mut staging, &progress)?;
        drop(plan);
        let manifest = Manifest {
            tool: "kaohe".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            programme: p.programme.id.clone(),
            document_number: p.programme.document_number(),
            document_date: chinese_date(p.programme.date),
            config_sha256: p.programme.digest.clone(),
            inputs: p.inputs.clone(),
            outputs: Vec::new(),
        };
        // Typst memoizes layouts across documents; a province run renders thousands of
        // them, so let go of what the next programme will not reuse.
        comemo::evict(10);
        let summary = RunSummary {
            programme: p.programme.id.clone(),
            kind: "micro-insurance",
            documents,
            total_base: p.quotas.total_base(),
            total_quota: p.quotas.total_quota(),
            insured: p.counts.towns.iter().map(|c| c.on_time).sum(),
            rejected_rows: p.enrollment.issues.len(),
            folder: opts.output.join(&p.programme.id),
        };
        staged.push((staging, manifest, summary));
    }
    for (dir, p) in &agri {
        let (staging, manifest, documents) = run_agri(dir, p, opts, &progress)?;
        let summary = RunSummary {
            programme: p.id.clone(),
            kind: AGRI,
            folder: opts.output.join(&p.id),
            documents,
            total_base: 0,
            total_quota: 0,
            insured: 0,
            rejected_rows: 0,
        };
        staged.push((staging, manifest, summary));
    }
    let mut summaries = Vec::new();
    for (staging, manifest, mut summary) in staged {
        summary.folder = crate::timings::timed("writing", || staging.finish(manifest))?;
        summaries.push(summary);
    }
    progress.finish_and_clear();
    Ok(summaries)
}
