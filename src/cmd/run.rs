//! `kaohe run`: every programme under the input into the output folder.

use std::process::ExitCode;

use kaohe::cli::RunArgs;
use kaohe::error::Error;
use kaohe::pipeline::{self, RunOptions};

pub fn run(args: RunArgs) -> Result<ExitCode, Error> {
    let started = std::time::Instant::now();
    let renderer = super::engine(&args.engine)?;
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
