//! `kaohe check`: read and check the input, write nothing.

use std::process::ExitCode;

use kaohe::cli::CheckArgs;
use kaohe::error::Error;
use kaohe::pipeline;

pub fn check(args: CheckArgs) -> Result<ExitCode, Error> {
    // The declared documents are checked too, with the templates and fonts run would use.
    let renderer = super::engine(&args.engine)?;
    let mut failed = false;
    let mut problems = Vec::new();
    let dirs = pipeline::find_programmes(&args.input.input)?;
    for (dir, prepared) in dirs.iter().zip(pipeline::prepare_all(&dirs)) {
        let ready = match prepared {
            Ok(r) => r,
            Err(e) => {
                problems.extend(e.0);
                continue;
            }
        };
        let toml_file = format!("{}/programme.toml", dir.display);
        if let Err(e) = kaohe::pipeline::publish::plan(&ready.views, &ready.pdf, &ready.table, &renderer, &toml_file) {
            problems.extend(e.0);
            continue;
        }
        out!("{}", ready.check_line);
        if args.strict && !ready.set_aside.is_empty() {
            failed = true;
            for line in ready.set_aside.iter().take(20) {
                out!("  {line}");
            }
            let rest = ready.set_aside.len().saturating_sub(20);
            if rest > 0 {
                out!("  ……另有 {rest} 行未列出；完整清单见 kaohe run 生成的 data-quality.pdf 或 csv/data-quality.csv");
            }
            out!("--strict：有 {} 行未计入，退出码为 1", ready.set_aside.len());
        }
    }
    if !problems.is_empty() {
        return Err(Error::Input(kaohe::problem::InputErrors(problems)));
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
