//! Entry point: parse the command line, resolve it into stage settings, run, print
//! the error chain once and map it to an exit code (0 ok, 1 data errors, 2 usage).

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use kaohe::cli::{BenchArgs, BenchWhat, CheckArgs, Cli, Command, GenerateArgs, ReconcileArgs, RunArgs, VerifyArgs};
use kaohe::pipeline::{self, RunError, RunOptions};
use kaohe::render::{default_template_dir, RenderSettings, Renderer};
use kaohe::{archive, ingest, reconcile};

/// Everything kaohe prints goes through these: IDs are masked whatever the message quotes.
macro_rules! out {
    ($($t:tt)*) => { println!("{}", kaohe::redact::mask_ids(&format!($($t)*))) };
}
macro_rules! err {
    ($($t:tt)*) => { eprintln!("{}", kaohe::redact::mask_ids(&format!($($t)*))) };
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Check(args) => check(args),
        Command::Verify(args) => verify(args),
        Command::Reconcile(args) => reconcile_cmd(args),
        Command::Generate(args) => generate(args),
        Command::Bench(args) => bench(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            err!("错误：{e}");
            match e {
                RunError::Usage(_) => ExitCode::from(2),
                _ => ExitCode::from(1),
            }
        }
    }
}

fn run(args: RunArgs) -> Result<ExitCode, RunError> {
    let started = std::time::Instant::now();
    if let Some(jobs) = args.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build_global()
            .map_err(|e| RunError::Usage(format!("--jobs {jobs}: {e}")))?;
    }
    for dir in &args.font_dirs {
        if !dir.is_dir() {
            return Err(RunError::Usage(format!("--font-dir {} 不是目录", dir.display())));
        }
    }
    let settings =
        RenderSettings { templates: default_template_dir(args.templates.as_deref()), font_dirs: args.font_dirs };
    let renderer = Renderer::new(&settings)?;
    kaohe::timings::add("startup", started.elapsed());
    let opts = RunOptions { input: args.input.input, output: args.output, force: args.force, renderer };
    let summaries = pipeline::run(&opts)?;
    if args.timings {
        for (stage, secs) in kaohe::timings::report() {
            err!("timing {stage} {secs:.3}");
        }
        err!("timing total {:.3}", started.elapsed().as_secs_f64());
    }
    for s in summaries {
        if s.kind == pipeline::AGRI {
            out!("{}: {} 份考核表 → {}", s.programme, s.documents, s.folder.display());
            continue;
        }
        out!(
            "{}: {} 份 PDF → {}；基数人口合计 {}，任务数合计 {}，按时参保 {} 人，剔除 {} 行（见 data-quality.pdf）",
            s.programme,
            s.documents,
            s.folder.display(),
            s.total_base,
            s.total_quota,
            s.insured,
            s.rejected_rows
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn check(args: CheckArgs) -> Result<ExitCode, RunError> {
    let progress = pipeline::progress_bar();
    let mut failed = false;
    let mut problems = Vec::new();
    for dir in pipeline::find_programmes(&args.input.input)? {
        if pipeline::kind_of(&dir) == pipeline::AGRI {
            match kaohe::agri::load(&dir.path, &dir.display) {
                Ok(p) => match kaohe::agri::assess::assess(&p) {
                    Ok(_) => {
                        let items: usize = p.rubrics.iter().map(|(_, r)| r.items.len()).sum();
                        out!(
                            "{}: {} 个评分表共 {} 项；{} 个县区、{} 个承办公司×县区；理赔台账 {} 行；均可计分",
                            dir.display,
                            p.rubrics.len(),
                            items,
                            p.metrics.county.len(),
                            p.metrics.insurer.len(),
                            p.datasets.claims.len()
                        );
                    }
                    Err(e) => problems.extend(e),
                },
                Err(e) => problems.extend(e),
            }
            continue;
        }
        match pipeline::prepare(&dir, &progress) {
            Ok(p) => {
                let rows: usize = p.enrollment.files.iter().map(|f| f.records).sum();
                out!(
                    "{}: 人口 {} 个镇办 {} 个村；名册 {} 个文件 {} 行，计入 {} 人，剔除 {} 行；任务数合计 {}",
                    dir.display,
                    p.population.towns.len(),
                    p.population.towns.iter().map(|t| t.villages.len()).sum::<usize>(),
                    p.enrollment.files.len(),
                    rows,
                    p.enrollment.insured.len(),
                    p.enrollment.issues.len(),
                    p.quotas.total_quota()
                );
                if args.strict && !p.enrollment.issues.is_empty() {
                    failed = true;
                    for i in p.enrollment.issues.iter().take(20) {
                        out!("  {} 第{}行 “{}”列：{}（{}）", i.file, i.row, i.column, i.problem, i.masked_id);
                    }
                    let rest = p.enrollment.issues.len().saturating_sub(20);
                    if rest > 0 {
                        out!("  ……另有 {rest} 行未列出；完整清单见 kaohe run 生成的 data-quality.pdf 或 csv/data-quality.csv");
                    }
                    out!("--strict：有 {} 行未计入，退出码为 1", p.enrollment.issues.len());
                }
            }
            Err(e) => problems.extend(e.0),
        }
    }
    progress.finish_and_clear();
    if !problems.is_empty() {
        return Err(RunError::Input(kaohe::problem::InputErrors(problems)));
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn verify(args: VerifyArgs) -> Result<ExitCode, RunError> {
    let v = archive::verify(&args.dir)?;
    for f in &v.changed {
        out!("已改动：{f}");
    }
    for f in &v.missing {
        out!("已缺失：{f}");
    }
    for f in &v.unexpected {
        out!("清单外：{f}");
    }
    let bad = v.changed.len() + v.missing.len() + v.unexpected.len();
    out!("{} 个文件与清单一致，{} 个有问题", v.ok, bad);
    Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn reconcile_cmd(args: ReconcileArgs) -> Result<ExitCode, RunError> {
    // Only programmes with quotas can be reconciled.
    let dirs: Vec<_> = pipeline::find_programmes(&args.input.input)?
        .into_iter()
        .filter(|d| pipeline::kind_of(d) != pipeline::AGRI)
        .collect();
    let dir = match &args.programme {
        Some(name) => dirs
            .iter()
            .find(|d| d.path.file_name().is_some_and(|n| n.to_string_lossy() == *name))
            .ok_or_else(|| RunError::Usage(format!("没有名为 {name} 的项目文件夹")))?,
        None if dirs.len() == 1 => &dirs[0],
        None => return Err(RunError::Usage("输入中有多个项目，请用 --programme 指定".into())),
    };
    let (_, _, quotas, _) = pipeline::plan(dir)?;
    let shown = args.published.to_string_lossy().to_string();
    let table =
        ingest::read_table(Path::new(&args.published), &shown).map_err(|p| kaohe::problem::InputErrors(vec![p]))?;
    let (diffs, total) = reconcile::compare(&table, &quotas).map_err(kaohe::problem::InputErrors)?;
    out!("对照 {shown} 与 kaohe（{}）：", quotas.rounding.label());
    for d in &diffs {
        let show = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "—".into());
        out!("{}\t公布 {}\tkaohe {}\t{}", d.unit, show(d.published), show(d.kaohe), d.why);
    }
    out!("{} 行不同。{total}", diffs.len());
    Ok(if diffs.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn bench(args: BenchArgs) -> Result<ExitCode, RunError> {
    let usage = RunError::Usage;
    let renderer = || Renderer::new(&RenderSettings { templates: None, font_dirs: Vec::new() });
    match args.what {
        BenchWhat::Render { docs } => {
            for (label, ms, per_second) in kaohe::bench::render(&renderer()?, docs.max(1)).map_err(usage)? {
                out!("render\t{label}\t{ms:.2} ms/doc (1 core)\t{per_second:.1} docs/s (all cores)");
            }
        }
        BenchWhat::ExportTypst { out } => kaohe::bench::export_typst(&renderer()?, &out).map_err(usage)?,
        BenchWhat::Scan { input } => {
            let (files, rows, secs) = kaohe::bench::scan(&input).map_err(usage)?;
            out!("scan\t{files} files\t{rows} rows\t{secs:.3} s");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn generate(args: GenerateArgs) -> Result<ExitCode, RunError> {
    use kaohe::cli::Workload;
    if args.workload == Workload::Province {
        let shape = kaohe::workload::Shape {
            counties: args.counties,
            rows_per_county: args.rows_per_county,
            ..kaohe::workload::PROVINCE
        };
        let s = kaohe::workload::generate(&args.out, args.seed, shape)
            .map_err(|e| RunError::Usage(format!("无法生成样例：{e}")))?;
        out!("{}: {} 个县，{} 个名册文件，{} 行，{} 字节", args.out.display(), s.programmes, s.files, s.rows, s.bytes);
        return Ok(ExitCode::SUCCESS);
    }
    if args.workload != Workload::District {
        let per_pair = if args.workload == Workload::City { 9_400 } else { 1_400 };
        let s = kaohe::agri::sample::generate(&args.out, args.seed, per_pair)
            .map_err(|e| RunError::Usage(format!("无法生成样例：{e}")))?;
        out!("{}: {} 个文件，理赔台账 {} 行，{} 字节", args.out.display(), s.files, s.claims, s.bytes);
        return Ok(ExitCode::SUCCESS);
    }
    let s = kaohe::sample::generate_district(&args.out, args.seed)
        .map_err(|e| RunError::Usage(format!("无法生成样例：{e}")))?;
    out!(
        "{}: {} 个村，{} 个名册文件，{} 行，{} 字节；无效身份证 {}，文件内重复 {}，跨文件重复 {}，未知村 {}，空白单元格 {}，逾期 {}",
        args.out.display(),
        s.villages,
        s.files,
        s.roster_rows,
        s.bytes,
        s.invalid_ids,
        s.duplicates_within,
        s.duplicates_across,
        s.unknown_villages,
        s.blank_cells,
        s.late
    );
    Ok(ExitCode::SUCCESS)
}
