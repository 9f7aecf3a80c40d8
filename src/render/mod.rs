//! Rendering reports as PDF with Typst embedded as a library.
//!
//! Templates are read at run time from report-templates/ so an office can edit them
//! (the copies built into the binary are the fallback). Data reaches Typst only as
//! JSON (`json("/data.json")`), never spliced into markup, so a town named
//! `#panic("x")` prints literally. Fonts are parsed once per run and shared by every
//! document; `--font-dir` adds an office's licensed fonts, which the templates name
//! first. A character that no loaded font can show is an error naming the text — a
//! PDF never carries an empty box. PDFs are PDF/A-2b, dated from the config, and
//! byte-identical across runs.

mod world;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use typst::diag::{SourceDiagnostic, Warned};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::layout::{Frame, FrameItem};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use world::{file_id, DocWorld, Shared};

/// Templates built into the binary: every `.typ` of report-templates/ (listed by build.rs),
/// as (file name, text).
const BUILTIN_TEMPLATES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_templates.rs"));

/// An empty one-page document, for measuring the cost of rendering itself.
pub const FLOOR_TEMPLATE: &str = "bench-empty.typ";

/// The Fandol fonts (GPL with font exception), built in so every machine renders the same bytes.
const BUILTIN_FONTS: &[&[u8]] = &[
    include_bytes!("../../report-templates/fonts/FandolSong-Regular.otf"),
    include_bytes!("../../report-templates/fonts/FandolSong-Bold.otf"),
    include_bytes!("../../report-templates/fonts/FandolHei-Regular.otf"),
    include_bytes!("../../report-templates/fonts/FandolKai-Regular.otf"),
    include_bytes!("../../report-templates/fonts/FandolFang-Regular.otf"),
];

/// What can go wrong while rendering.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("模板 {file} 第{line}行：{message}{hints}")]
    Template { file: String, line: usize, message: String, hints: String },
    #[error("{document}：字符{chars}没有任何已加载的字体能显示，出现在“{text}”\n  提示：用 --font-dir 提供含这些字的字体，或改正数据中的该字")]
    MissingGlyph { document: String, chars: String, text: String },
    #[error("无法读取模板目录 {}：{}", .0.display(), crate::problem::io_text(.1))]
    TemplateDir(PathBuf, std::io::Error),
    #[error("模板目录 {0} 中缺少 {1}")]
    TemplateMissing(PathBuf, String),
    #[error("无法读取字体 {0}（{1}）\n  提示：--font-dir 应是放有 .otf/.ttf/.ttc 字体文件的文件夹")]
    FontFile(PathBuf, String),
    #[error("生成 PDF 失败（{document}）：{message}")]
    Pdf { document: String, message: String },
}

/// A rendered PDF.
#[derive(Debug, Clone)]
pub struct RenderedPdf {
    pub bytes: Vec<u8>,
    pub pages: usize,
}

/// Where templates and extra fonts come from.
#[derive(Debug, Clone, Default)]
pub struct RenderSettings {
    /// A folder with the .typ templates; `None` uses the built-in copies.
    pub templates: Option<PathBuf>,
    /// Folders with an office's own fonts (.ttf, .otf, .ttc, .otc).
    pub font_dirs: Vec<PathBuf>,
}

/// Renders documents; cheap to share across threads.
#[derive(Clone)]
pub struct Renderer {
    shared: Arc<Shared>,
}

impl Renderer {
    /// Load templates and fonts once for the whole run.
    pub fn new(settings: &RenderSettings) -> Result<Renderer, RenderError> {
        // Templates are found by name: every .typ of the folder (or every built-in copy).
        let mut templates: Vec<(String, String)> = match &settings.templates {
            Some(dir) => {
                let mut found = Vec::new();
                let entries = std::fs::read_dir(dir).map_err(|e| RenderError::TemplateDir(dir.clone(), e))?;
                for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
                    if path.extension().is_some_and(|e| e == "typ") && path.is_file() {
                        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                        let text = std::fs::read_to_string(&path).map_err(|e| RenderError::TemplateDir(path, e))?;
                        found.push((format!("/{name}"), text));
                    }
                }
                if !found.iter().any(|(n, _)| n == "/lib.typ") {
                    return Err(RenderError::TemplateMissing(dir.clone(), "lib.typ".into()));
                }
                found
            }
            None => BUILTIN_TEMPLATES.iter().map(|(n, t)| (format!("/{n}"), t.to_string())).collect(),
        };
        templates.sort();
        // The benchmark's render floor: an empty A4 page (not an office template).
        templates.push((
            format!("/{FLOOR_TEMPLATE}"),
            "#set page(paper: \"a4\")\n#let data = json(\"/data.json\")\n#box()\n".into(),
        ));
        let templates = Shared::templates(templates);
        let mut fonts = Vec::new();
        // Office fonts first, so that a family present twice resolves to the office's copy.
        for dir in &settings.font_dirs {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| RenderError::FontFile(dir.clone(), e.to_string()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    matches!(
                        p.extension().and_then(|e| e.to_str()).map(str::to_lowercase).as_deref(),
                        Some("ttf" | "otf" | "ttc" | "otc")
                    )
                })
                .collect();
            entries.sort();
            for path in entries {
                let data = std::fs::read(&path).map_err(|e| RenderError::FontFile(path.clone(), e.to_string()))?;
                let before = fonts.len();
                fonts.extend(Font::iter(Bytes::new(data)));
                if fonts.len() == before {
                    return Err(RenderError::FontFile(path, "不是可用的字体文件".into()));
                }
            }
        }
        for data in BUILTIN_FONTS {
            fonts.extend(Font::iter(Bytes::new(*data)));
        }
        let book = FontBook::from_fonts(&fonts);
        let library = Library::builder().build();
        Ok(Renderer {
            shared: Arc::new(Shared { library: LazyHash::new(library), book: LazyHash::new(book), fonts, templates }),
        })
    }

    /// A template's text as loaded (for exporting a document to another Typst).
    pub fn template_text(&self, name: &str) -> Option<String> {
        let id = world::file_id(&format!("/{name}"));
        self.shared.templates.iter().find(|(t, _, _)| *t == id).map(|(_, s, _)| s.text().to_string())
    }

    /// Whether a template of this file name (e.g. "score-sheet.typ") was loaded.
    pub fn has_template(&self, name: &str) -> bool {
        let id = world::file_id(&format!("/{name}"));
        self.shared.templates.iter().any(|(t, _, _)| *t == id)
    }

    /// The documents' templates loaded, by name without `.typ` (lib.typ, which they all import, left out).
    pub fn template_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .shared
            .templates
            .iter()
            .map(|(id, _, _)| id.vpath().get_without_slash().trim_end_matches(".typ").to_string())
            .filter(|n| n != "lib" && format!("{n}.typ") != FLOOR_TEMPLATE)
            .collect();
        names.sort();
        names
    }

    /// The fonts built into the binary.
    pub fn builtin_fonts() -> &'static [&'static [u8]] {
        BUILTIN_FONTS
    }

    /// Family names of every loaded font (for messages and tests).
    pub fn families(&self) -> Vec<String> {
        let mut f: Vec<String> = self.shared.fonts.iter().map(|f| f.info().family.clone()).collect();
        f.dedup();
        f
    }

    /// Compile `template` (e.g. "quota-table.typ") with `data` as `/data.json`.
    /// `ident` names the document stably (the PDF identifier derives from it).
    /// Typeset one document. Every string of `data` has its IDs masked first, whatever
    /// field it sits in: a PDF is printed and archived, and cannot be unsent.
    pub fn render(
        &self,
        template: &str,
        data: &serde_json::Value,
        ident: &str,
        date: NaiveDate,
    ) -> Result<RenderedPdf, RenderError> {
        let today = Datetime::from_ymd(date.year(), date.month() as u8, date.day() as u8).expect("valid date");
        let world = DocWorld {
            shared: &self.shared,
            main: file_id(&format!("/{template}")),
            data: Bytes::new(serde_json::to_vec(&masked_payload(data)).expect("JSON values serialize")),
            today,
        };
        let Warned { output, warnings: _ } = typst::compile::<PagedDocument>(&world);
        let document = output.map_err(|errors| self.template_error(&world, &errors))?;
        check_glyphs(&document, ident)?;
        let options = PdfOptions {
            ident: Smart::Custom(ident.to_string()),
            timestamp: Some(Timestamp::new_utc(today)),
            standards: PdfStandards::new(&[PdfStandard::A_2b]).expect("PDF/A-2b is a valid standard"),
            tagged: true,
            ..PdfOptions::default()
        };
        let bytes = typst_pdf::pdf(&document, &options).map_err(|errors| RenderError::Pdf {
            document: ident.to_string(),
            message: errors.iter().map(|e| e.message.to_string()).collect::<Vec<_>>().join("；"),
        })?;
        Ok(RenderedPdf { bytes, pages: document.pages().len() })
    }

    fn template_error(&self, world: &DocWorld, errors: &[SourceDiagnostic]) -> RenderError {
        let first = &errors[0];
        let id = first.span.id();
        let (file, line) = match (id, world.range(first.span)) {
            (Some(id), Some(range)) => {
                let source = world.source(id).ok();
                let line = source.and_then(|s| s.lines().byte_to_line(range.start)).map(|l| l + 1).unwrap_or(0);
                (id.vpath().get_without_slash().to_string(), line)
            }
            _ => ("?".to_string(), 0),
        };
        let hints: String = first.hints.iter().map(|h| format!("\n  提示：{}", h.v)).collect();
        RenderError::Template { file, line, message: first.message.to_string(), hints }
    }
}

/// Walk the laid-out pages for glyph 0 (.notdef): a character no loaded font covers.
fn check_glyphs(document: &PagedDocument, ident: &str) -> Result<(), RenderError> {
    fn walk(frame: &Frame, found: &mut Option<(String, String)>) {
        for (_, item) in frame.items() {
            if found.is_some() {
                return;
            }
            match item {
                FrameItem::Group(g) => walk(&g.frame, found),
                FrameItem::Text(t) => {
                    let missing: String = t
                        .glyphs
                        .iter()
                        .filter(|g| g.id == 0)
                        .filter_map(|g| t.text.get(g.range()))
                        .flat_map(str::chars)
                        .filter(|c| !c.is_whitespace())
                        .map(|c| format!("“{c}”(U+{:04X})", c as u32))
                        .collect();
                    if !missing.is_empty() {
                        *found = Some((missing, t.text.to_string()));
                    }
                }
                _ => {}
            }
        }
    }
    let mut found = None;
    for page in document.pages() {
        walk(&page.frame, &mut found);
    }
    match found {
        Some((chars, text)) => Err(RenderError::MissingGlyph { document: ident.to_string(), chars, text }),
        None => Ok(()),
    }
}

/// The template folder to use: an explicit one, else ./report-templates if present, else built-in.
pub fn default_template_dir(explicit: Option<&Path>) -> Option<PathBuf> {
    match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => {
            let p = PathBuf::from("report-templates");
            p.join("lib.typ").is_file().then_some(p)
        }
    }
}

/// The payload as typeset: IDs masked in every string (the common case has none, and
/// then nothing is copied).
fn masked_payload(data: &serde_json::Value) -> std::borrow::Cow<'_, serde_json::Value> {
    let mut copy = data.clone();
    crate::redact::mask_json(&mut copy);
    if &copy == data {
        std::borrow::Cow::Borrowed(data)
    } else {
        std::borrow::Cow::Owned(copy)
    }
}
