//! `kaohe reconcile`: a published quota table against kaohe's.

use std::process::ExitCode;

use kaohe::error::Error;
use std::path::Path;

use kaohe::cli::ReconcileArgs;
use kaohe::ingest;
use kaohe::measure::declared;
use kaohe::pipeline;
use kaohe::problem::{InputErrors, InputProblem};
use kaohe::report::reconcile::{self, Apportioned};

pub fn reconcile(args: ReconcileArgs) -> Result<ExitCode, Error> {
    // Only programmes that apportion quotas can be reconciled with a quota table.
    let dirs: Vec<_> = pipeline::find_programmes(&args.input.input)?.into_iter().filter(pipeline::has_quotas).collect();
    let dir = match &args.programme {
        Some(name) => dirs
            .iter()
            .find(|d| d.path.file_name().is_some_and(|n| n.to_string_lossy() == *name))
            .ok_or_else(|| Error::Usage(format!("没有名为 {name} 的项目文件夹")))?,
        None if dirs.len() == 1 => &dirs[0],
        None => {
            let names: Vec<String> =
                dirs.iter().filter_map(|d| d.path.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
            return Err(Error::Usage(format!(
                "输入中有{}个分解任务的项目（{}），请用 --programme 指定其中一个",
                names.len(),
                names.join("、")
            )));
        }
    };
    let loaded = kaohe::programme::file::load(&dir.path, &dir.display).map_err(InputErrors)?;
    let p = declared::load(&dir.path, &dir.display, &loaded).map_err(InputErrors)?;
    let (quotas, rounding, source) = declared_quotas(&p, &loaded)?;
    let shown = args.published.to_string_lossy().to_string();
    let table = ingest::read_table(Path::new(&args.published), &shown).map_err(|p| InputErrors(vec![p]))?;
    let (diffs, total) = reconcile::compare(&table, &quotas, &source).map_err(InputErrors)?;
    out!("对照 {shown} 与 kaohe（{rounding}）：");
    for d in &diffs {
        let show = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "—".into());
        out!("{}\t公布 {}\tkaohe {}\t{}", d.unit, show(d.published), show(d.kaohe), d.why);
    }
    out!("{} 行不同。{total}", diffs.len());
    Ok(if diffs.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The first `apportion` measure with a rate, in name order: each unit's whole quota and
/// its exact share (base × its rate), the rounding's name, and where the units are listed.
fn declared_quotas(
    p: &declared::DeclaredProgramme,
    loaded: &kaohe::programme::file::Loaded,
) -> Result<(Vec<Apportioned>, String, String), InputErrors> {
    let file = loaded.shown.as_str();
    let Some((name, spec, rate)) =
        p.measures.iter().find_map(|(n, s)| s.apportion.as_ref().and(s.rate).map(|r| (n, s, r)))
    else {
        return Err(InputErrors(vec![InputProblem::file(file, "没有按比例分解的任务（apportion 和 rate）")]));
    };
    let based = format!("{name}{}", kaohe::measure::BASE_SUFFIX);
    let mut out = Vec::new();
    let mut source = String::new();
    for level in &p.levels {
        let Some(metrics) = p.metrics.get(&level.name) else { continue };
        for keys in &level.units {
            let Some(m) = metrics.get(&kaohe::validate::dataset::unit_key(keys)) else { continue };
            let (Some(quota), Some(base)) = (m.get(name), m.get(&based)) else { continue };
            let shown = keys.join(" ");
            let rate = spec.overrides.get(&shown).and_then(|o| o.rate).unwrap_or(rate);
            out.push(Apportioned { name: shown, quota: *quota as u64, exact_ppm: *base as u128 * rate.0 as u128 });
            if source.is_empty() {
                // Where the units are listed, as the clerk knows it: 人口数据（区统计局）.
                source = match level.from.as_ref().and_then(|d| loaded.file.datasets.get(d).map(|s| (d, s))) {
                    Some((_, s)) if !s.title.is_empty() => s.title.clone(),
                    Some((d, _)) => format!("数据集 {d} "),
                    None => "[units] ".into(),
                };
            }
        }
    }
    let rounding = spec.rounding.unwrap_or(kaohe::programme::file::Rounding::LargestRemainder).label();
    Ok((out, rounding, source))
}
