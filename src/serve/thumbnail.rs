//! The first page of a finished PDF as a small PNG, for the page's list of documents.
//! Drawn from the PDF itself (the file the office sends, not a second rendering) by
//! hayro, the PDF rasteriser typst already builds for PDF images; kept in memory by the
//! file's SHA-256 from the manifest, so a thumbnail can never show an older document.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use image::ImageEncoder;

/// Points to pixels: an A4 page (595 × 842 pt) becomes 179 × 253 px, shown at 96 px
/// wide, so it stays sharp on a screen scaled to 150%.
const SCALE: f32 = 0.3;

/// Thumbnails drawn so far, by the PDF's SHA-256.
#[derive(Default)]
pub struct Thumbnails(Mutex<HashMap<String, Arc<Vec<u8>>>>);

impl Thumbnails {
    /// The PNG of `pdf`'s first page; `sha256` names the bytes (the manifest's digest).
    pub fn first_page(
        &self,
        sha256: &str,
        pdf: impl FnOnce() -> std::io::Result<Vec<u8>>,
    ) -> Result<Arc<Vec<u8>>, String> {
        if let Some(png) = self.0.lock().unwrap_or_else(|e| e.into_inner()).get(sha256) {
            return Ok(png.clone());
        }
        let bytes = pdf().map_err(|e| format!("无法读取：{}", crate::problem::io_text(&e)))?;
        let png = Arc::new(first_page_png(bytes)?);
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(sha256.to_string(), png.clone());
        Ok(png)
    }
}

/// Page 1 of a PDF, on white, as PNG bytes.
pub fn first_page_png(pdf: Vec<u8>) -> Result<Vec<u8>, String> {
    let pdf = Pdf::new(Arc::new(pdf)).map_err(|_| "不是可读的 PDF".to_string())?;
    let page = hayro::render_pdf(&pdf, SCALE, InterpreterSettings::default(), Some(0..=0))
        .and_then(|pages| pages.into_iter().next())
        .ok_or("PDF 没有页面")?;
    // Opaque on white: premultiplied RGBA is plain RGBA.
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            page.data_as_u8_slice(),
            u32::from(page.width()),
            u32::from(page.height()),
            image::ExtendedColorType::Rgba8,
        )
        .map_err(|e| format!("无法生成缩略图：{e}"))?;
    Ok(png)
}
