//! `kaohe run`: every programme under the input into the output folder.

use std::process::ExitCode;

use kaohe::cli::RunArgs;
use kaohe::error::Error;
use kaohe::pipeline::{self, RunOptions};
use kaohe::render::{default_template_dir, RenderSettings, Renderer};

pub fn run(args: RunArgs) -> Result<ExitCode, Error> {
    let started = std::time::Instant::now();
    pipeline::init_threads(args.jobs).map_err(|e| Error::Usage(format!("--jobs: {e}")))?;
    for dir in &args.font_dirs {
        if !dir.is_dir() {
            return Err(Error::Usage(format!("--font-dir {} 不是目录", dir.display())));
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
        out!("{}", s.line);
    }
    Ok(ExitCode::SUCCESS)
}
