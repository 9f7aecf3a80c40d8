//! `kaohe reconcile`: a published quota table against kaohe's.

use std::process::ExitCode;

use kaohe::error::Error;
use std::path::Path;

use kaohe::cli::ReconcileArgs;
use kaohe::pipeline;
use kaohe::{ingest, reconcile};

pub fn reconcile(args: ReconcileArgs) -> Result<ExitCode, Error> {
    // Only programmes that apportion quotas can be reconciled with a quota table.
    let dirs: Vec<_> = pipeline::find_programmes(&args.input.input)?.into_iter().filter(pipeline::has_quotas).collect();
    let dir = match &args.programme {
        Some(name) => dirs
            .iter()
            .find(|d| d.path.file_name().is_some_and(|n| n.to_string_lossy() == *name))
            .ok_or_else(|| Error::Usage(format!("没有名为 {name} 的项目文件夹")))?,
        None if dirs.len() == 1 => &dirs[0],
        None => return Err(Error::Usage("输入中有多个项目，请用 --programme 指定".into())),
    };
    let loaded = kaohe::config::load(&dir.path, &dir.display).map_err(kaohe::problem::InputErrors)?;
    let Some(programme) = loaded.participation().map_err(kaohe::problem::InputErrors)? else {
        return Err(Error::Usage(format!("{} 没有任务分解（[quota]）", dir.display)));
    };
    let (_, quotas, _) = kaohe::micro::plan(dir, &programme)?;
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
