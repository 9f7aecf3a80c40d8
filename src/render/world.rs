//! A small Typst `World`: templates from report-templates/ (or the copies built into the
//! binary), the document's data as a virtual `/data.json`, fonts loaded once and shared,
//! and a fixed date so that output never depends on the clock.

use std::sync::Arc;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, World};

/// What every document of a run shares: the standard library, fonts and templates.
pub struct Shared {
    pub library: LazyHash<Library>,
    pub book: LazyHash<FontBook>,
    pub fonts: Vec<Font>,
    /// Every template file, parsed once: (id, source, bytes).
    pub templates: Vec<(FileId, Source, Bytes)>,
}

impl Shared {
    /// Parse the templates once for every document of the run.
    pub fn templates(files: Vec<(String, String)>) -> Vec<(FileId, Source, Bytes)> {
        files
            .into_iter()
            .map(|(path, text)| {
                let id = file_id(&path);
                let bytes = Bytes::new(text.clone().into_bytes());
                (id, Source::new(id, text), bytes)
            })
            .collect()
    }
}

/// One document being compiled.
pub struct DocWorld<'a> {
    pub shared: &'a Arc<Shared>,
    pub main: FileId,
    pub data: Bytes,
    pub today: Datetime,
}

/// The file id of a path in the project root.
pub fn file_id(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("template paths are valid virtual paths");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

impl World for DocWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        self.shared.templates.iter().find(|(t, _, _)| *t == id).map(|(_, s, _)| s.clone()).ok_or(FileError::NotSource)
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == file_id("/data.json") {
            return Ok(self.data.clone());
        }
        self.shared
            .templates
            .iter()
            .find(|(t, _, _)| *t == id)
            .map(|(_, _, b)| b.clone())
            .ok_or(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}
