//! One file per subcommand: each turns its clap arguments into stage settings, runs
//! the library and prints the result. No stage logic lives here.

pub mod bench;
pub mod check;
pub mod generate;
pub mod reconcile;
pub mod run;
pub mod serve;
pub mod verify;

use kaohe::cli::EngineArgs;
use kaohe::error::Error;
use kaohe::render::{default_template_dir, RenderSettings, Renderer};

/// The engine settings `run` and `check` share, resolved once and checked up front: the
/// worker threads, the font folders (each must exist), the templates and fonts loaded.
pub fn engine(args: &EngineArgs) -> Result<Renderer, Error> {
    if args.jobs == Some(0) {
        return Err(Error::Usage("--jobs 应是 1 或更大的整数".into()));
    }
    kaohe::pipeline::init_threads(args.jobs).map_err(|e| Error::Usage(format!("--jobs：线程无法启动（{e}）")))?;
    for dir in &args.font_dirs {
        if !dir.is_dir() {
            return Err(Error::Usage(format!("--font-dir {} 不是目录", dir.display())));
        }
    }
    let settings = RenderSettings {
        templates: default_template_dir(args.templates.as_deref()),
        font_dirs: args.font_dirs.clone(),
    };
    Ok(Renderer::new(&settings)?)
}
