//! One file per subcommand: each turns its clap arguments into stage settings, runs
//! the library and prints the result. No stage logic lives here.

pub mod bench;
pub mod check;
pub mod generate;
pub mod reconcile;
pub mod run;
pub mod verify;
