//! Entry point: parse the command line and dispatch to `cmd::<subcommand>`; an error is
//! printed once, as the clerk reads it, with the exit code of its kind (0 ok, 1 data, 2 usage).

use std::process::ExitCode;

use clap::Parser;

use kaohe::cli::{Cli, Command};

/// Everything kaohe prints goes through these: IDs are masked whatever the message quotes.
macro_rules! out {
    ($($t:tt)*) => { println!("{}", kaohe::redact::mask_ids(&format!($($t)*))) };
}
macro_rules! err {
    ($($t:tt)*) => { eprintln!("{}", kaohe::redact::mask_ids(&format!($($t)*))) };
}

mod cmd;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Run(args) => cmd::run::run(args),
        Command::Check(args) => cmd::check::check(args),
        Command::Verify(args) => cmd::verify::verify(args),
        Command::Serve(args) => cmd::serve::serve(args),
        Command::Reconcile(args) => cmd::reconcile::reconcile(args),
        Command::Generate(args) => cmd::generate::generate(args),
        Command::Bench(args) => cmd::bench::bench(args),
    };
    result.unwrap_or_else(|e| {
        err!("错误：{e}");
        ExitCode::from(e.exit_code())
    })
}
