//! `kaohe verify`: re-hash an output folder against its manifest.

use std::process::ExitCode;

use kaohe::archive;
use kaohe::cli::VerifyArgs;
use kaohe::error::Error;

pub fn verify(args: VerifyArgs) -> Result<ExitCode, Error> {
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
