//! The participation workflow (seed 000, 汉滨区 2015), the step a programme runs when it
//! writes `[inputs]`, `[quota]`, `[enrollment]`, `[ranking]` and `[text]`: population and
//! rosters read and checked, quotas apportioned, participation counted and ranked, and
//! its views made. Its towns, with their results as measures, are the level `town` that
//! the declared steps ([`crate::declared`]) and rubrics can use.

use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use rayon::prelude::*;

use std::collections::BTreeMap;

use crate::archive::InputRecord;
use crate::archive::{record, ProgrammeDir};
use crate::config::Programme;
use crate::dataset::unit_key;
use crate::declared::{Computed, Level};
use crate::ingest;
use crate::metrics::{self, EnrollmentCounts};
use crate::outputs::{Content, UnitDocument, Views};
use crate::problem::{nearest, InputErrors, InputProblem};
use crate::quota::{self, QuotaTable};
use crate::rank::{self, Standing};
use crate::report::{self, Results};
use crate::validate::{self, Enrollment, Population};

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

/// Population and quotas: all that the quota table (and `reconcile`) needs, and the
/// population file's record.
pub fn plan(dir: &ProgrammeDir, programme: &Programme) -> Result<(Population, QuotaTable, InputRecord), InputErrors> {
    let pop_display = format!("{}/{}", dir.display, programme.config.inputs.population);
    let toml_file = format!("{}/programme.toml", dir.display);
    let pop_path = ingest::confined(&dir.path, &programme.config.inputs.population, "inputs.population", &toml_file)
        .map_err(|p| InputErrors(vec![p]))?;
    let spellings = &programme.config.inputs.columns;
    unknown_fields(spellings, &toml_file)?;
    let aliases = validate::spellings(&validate::POPULATION_FIELDS, spellings);
    let fields = validate::with_spellings(&validate::POPULATION_FIELDS, &aliases);
    let table = ingest::read_table(&pop_path, &pop_display).map_err(|p| InputErrors(vec![p]))?;
    let population = validate::population(&table, &fields).map_err(|p| InputErrors(own_spelling(p)))?;
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
    let quotas = quota::apportion(programme, &population);
    let input = record(&pop_path, &pop_display).map_err(|p| InputErrors(vec![p]))?;
    Ok((population, quotas, input))
}

/// A column not found may be one the office spells its own way: say where to declare it.
fn own_spelling(problems: Vec<InputProblem>) -> Vec<InputProblem> {
    problems
        .into_iter()
        .map(|mut p| {
            if let Some(field) = p.message.strip_prefix("缺少“").and_then(|m| m.strip_suffix("”列")) {
                let own = format!("若本办的列名另有写法，在 programme.toml 的 [inputs.columns] 中写明，如 \"{field}\" = [\"本办的列名\"]");
                p.hint = Some(match p.hint.take() {
                    Some(h) => format!("{h}；{own}"),
                    None => own,
                });
            }
            p
        })
        .collect()
}

/// Every field named in `[inputs.columns]` is one the population table or rosters have.
fn unknown_fields(spellings: &validate::Spellings, toml_file: &str) -> Result<(), InputErrors> {
    let known: Vec<&str> =
        validate::POPULATION_FIELDS.iter().chain(&validate::ROSTER_FIELDS).map(|f| f.label).collect();
    let problems: Vec<InputProblem> = spellings
        .keys()
        .filter(|k| !known.contains(&k.as_str()))
        .map(|k| {
            let p = InputProblem::file(toml_file, format!("[inputs.columns] 中的“{k}”不是人口数据或名册的列"));
            let mut listed: Vec<&str> = Vec::new();
            for f in &known {
                if !listed.contains(f) {
                    listed.push(f);
                }
            }
            match nearest(k, known.iter().copied()) {
                Some(n) => p.hint(format!("是否应为“{n}”？可写的列：{}", listed.join("、"))),
                None => p.hint(format!("可写的列：{}", listed.join("、"))),
            }
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InputErrors(problems))
    }
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
            InputProblem::file(display, "名册目录是空的").hint("每个镇办一个名册文件（.xlsx、.ods、.csv 或 .parquet）")
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
pub fn compute(dir: &ProgrammeDir, programme: Programme, progress: &ProgressBar) -> Result<Prepared, InputErrors> {
    let started = std::time::Instant::now();
    let (population, quotas, input) = plan(dir, &programme)?;
    let mut inputs = vec![input];
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
    progress.inc_length(files.len() as u64);
    // Each file is read, checked and dropped in one task: a programme's rosters never sit
    // in memory together, only the accepted persons and the set-aside rows do.
    let aliases = validate::spellings(&validate::ROSTER_FIELDS, &programme.config.inputs.columns);
    let fields = validate::with_spellings(&validate::ROSTER_FIELDS, &aliases);
    let lookup = validate::RosterLookup::new(
        &population,
        programme.deadline,
        programme.config.programme.year,
        programme.config.enrollment.max_set_aside.0,
        fields,
    );
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
        return Err(InputErrors(own_spelling(problems)));
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

/// Everything the participation workflow can publish.
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

/// Each town's results as measures a rubric reads (name, metrics-sheet header): the quota
/// workflow's numbers are measures like any other programme's.
pub const TOWN_MEASURES: &[(&str, &str)] = &[
    ("base", "基数人口"),
    ("quota", "任务数"),
    ("insured", "按时参保人数"),
    ("late", "逾期参保人数"),
    ("participation", "参保率（%）"),
    ("completion", "任务完成率（%）"),
    ("rank", "排名"),
    ("set_aside", "剔除名册行数"),
    ("set_aside_share", "剔除行占比（%）"),
];

/// What the participation workflow adds to a programme: its towns as a level with their
/// results as measures, its views and files, and what `check` and `run` say of it.
pub struct Step {
    pub towns: Computed,
    pub views: Views,
    pub inputs: Vec<InputRecord>,
    pub check_line: String,
    /// The headline figures `run` prints after the documents.
    pub figures: String,
    pub set_aside: Vec<String>,
}

/// The towns with their measures, in population order.
fn towns(p: &Prepared) -> Computed {
    let unit = p.programme.config.text.unit_name.clone();
    // Percent to two decimals, as the ranking publishes it; 不适用 without a base.
    let pct = |n: u64, d: u64| if d == 0 { f64::NAN } else { (n as f64 / d as f64 * 10_000.0).round() / 100.0 };
    // Roster rows set aside per town (a row naming no town, or a 合计 line, is no town's).
    let mut set_aside = vec![0u64; p.quotas.towns.len()];
    for town in p.enrollment.issues.iter().filter_map(|i| i.town) {
        set_aside[town as usize] += 1;
    }
    let mut metrics = BTreeMap::new();
    let mut units = Vec::new();
    for (((q, c), s), &aside) in p.quotas.towns.iter().zip(&p.counts.towns).zip(&p.standings).zip(&set_aside) {
        let values = [
            ("base", q.base as f64),
            ("quota", q.quota as f64),
            ("insured", c.on_time as f64),
            ("late", c.late as f64),
            ("participation", pct(c.on_time, q.base)),
            ("completion", pct(c.on_time, q.quota)),
            ("rank", s.rank as f64),
            ("set_aside", aside as f64),
            // Of the rows naming the town: those counted once, and those set aside.
            ("set_aside_share", pct(aside, c.on_time + c.late + aside)),
        ];
        let keys = vec![q.name.clone()];
        metrics.insert(unit_key(&keys), values.iter().map(|(k, v)| (k.to_string(), *v)).collect());
        units.push(keys);
    }
    let level = Level {
        name: "town".into(),
        named_in: "人口数据".into(),
        from: None,
        title: unit.clone(),
        columns: vec![unit],
        units,
    };
    let measures = TOWN_MEASURES.iter().map(|(n, h)| (n.to_string(), h.to_string())).collect();
    Computed { level, measures, metrics }
}

/// Read, check and compute the participation workflow of a programme.
pub fn step(dir: &ProgrammeDir, programme: Programme, progress: &ProgressBar) -> Result<Step, InputErrors> {
    let p = compute(dir, programme, progress)?;
    let views = micro_views(dir, &p)?;
    let rows: usize = p.enrollment.files.iter().map(|f| f.records).sum();
    let set_aside = p
        .enrollment
        .issues
        .iter()
        .map(|i| format!("{} 第{}行 “{}”列：{}（{}）", i.file, i.row, i.column, i.problem, i.masked_id))
        .collect();
    Ok(Step {
        check_line: format!(
            "{}: 人口 {} 个镇办 {} 个村；名册 {} 个文件 {} 行，计入 {} 人，剔除 {} 行；任务数合计 {}",
            dir.display,
            p.population.towns.len(),
            p.population.towns.iter().map(|t| t.villages.len()).sum::<usize>(),
            p.enrollment.files.len(),
            rows,
            p.enrollment.insured.len(),
            p.enrollment.issues.len(),
            p.quotas.total_quota()
        ),
        figures: format!(
            "；基数人口合计 {}，任务数合计 {}，按时参保 {} 人，剔除 {} 行（见 data-quality.pdf）",
            p.quotas.total_base(),
            p.quotas.total_quota(),
            p.counts.towns.iter().map(|c| c.on_time).sum::<u64>(),
            p.enrollment.issues.len()
        ),
        set_aside,
        towns: towns(&p),
        views,
        inputs: p.inputs,
    })
}
