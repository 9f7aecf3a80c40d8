//! `kaohe serve`: the clerk's page on 127.0.0.1, on the same engine settings as `run`.

use std::process::ExitCode;

use kaohe::cli::ServeArgs;
use kaohe::error::Error;
use kaohe::serve::{self, ServeOptions};

pub fn serve(args: ServeArgs) -> Result<ExitCode, Error> {
    let renderer = super::engine(&args.engine)?;
    if args.max_upload_mb == 0 || args.max_files == 0 {
        return Err(Error::Usage("--max-upload-mb 和 --max-files 应是 1 或更大的整数".into()));
    }
    serve::serve(ServeOptions {
        input: args.input.input,
        output: args.output,
        port: args.port,
        renderer,
        max_upload: args.max_upload_mb << 20,
        max_files: args.max_files,
    })?;
    Ok(ExitCode::SUCCESS)
}
