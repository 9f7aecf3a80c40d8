//! The one error model: every stage keeps its own error type; [`Error`] gathers them,
//! and [`Error::exit_code`] is the one place that decides what the exit code says
//! (1: the data or the office's files need fixing; 2: the command line does).

use crate::archive::ArchiveError;
use crate::problem::InputErrors;
use crate::render::RenderError;

/// Why a command stopped. Displayed as the clerk's message (file, row, column, hint).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input files, programme files or rubrics that need fixing.
    #[error("{0}")]
    Input(#[from] InputErrors),
    /// A template that does not compile, or a character no font can show.
    #[error("{0}")]
    Render(#[from] RenderError),
    /// The output folder: exists already, cannot be written, or a manifest mismatch.
    #[error("{0}")]
    Archive(#[from] ArchiveError),
    /// The command line: a missing folder, a bad option value.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// 2 for the command line, 1 for everything the data or the office's files decide.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Input(_) | Error::Render(_) | Error::Archive(_) => 1,
        }
    }
}
