//! `kaohe check`: read and check the input, write nothing.

use std::process::ExitCode;

use kaohe::cli::CheckArgs;
use kaohe::error::Error;
use kaohe::pipeline;

pub fn check(args: CheckArgs) -> Result<ExitCode, Error> {
    let progress = pipeline::progress_bar();
    let mut failed = false;
    let mut problems = Vec::new();
    for dir in pipeline::find_programmes(&args.input.input)? {
        if pipeline::kind_of(&dir) == pipeline::AGRI {
            match kaohe::agri::load(&dir.path, &dir.display) {
                Ok(p) => match kaohe::assess::assess(&kaohe::agri::assessment_input(&p)) {
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
        return Err(Error::Input(kaohe::problem::InputErrors(problems)));
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
