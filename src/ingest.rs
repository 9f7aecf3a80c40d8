//! Reading the tables offices hand in: Excel workbooks, CSV written by Excel (UTF-8,
//! with or without BOM, or GBK/GB18030), and Parquet — one reader per format, all
//! producing the same [`RawTable`] of text cells with the row numbers a clerk sees.
//!
//! Nothing is interpreted here: headers are matched and cells are checked in
//! `validate`. Blank rows are skipped and counted (Excel leaves them everywhere).

use std::borrow::Cow;
use std::io::Cursor;
use std::ops::Index;
use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};
use chrono::{Duration, NaiveDate};
use polars::prelude::*;

use crate::problem::InputProblem;

/// One column's cells in one buffer (one allocation per column, not per cell: a
/// province's rosters have a hundred million cells).
#[derive(Debug, Clone, Default)]
pub struct TextColumn {
    buf: String,
    ends: Vec<u32>,
}

impl TextColumn {
    fn push(&mut self, cell: &str) {
        self.buf.push_str(cell);
        self.ends.push(self.buf.len() as u32);
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when the column has no cells.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl Index<usize> for TextColumn {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.buf[start..self.ends[i] as usize]
    }
}

/// One table as text cells, column-major.
#[derive(Debug, Clone, Default)]
pub struct RawTable {
    /// File name as shown in messages.
    pub file: String,
    /// Header cells, trimmed.
    pub headers: Vec<String>,
    /// Row number of each record in the file (header = row 1).
    pub rows: Vec<usize>,
    /// `cells[column][record]`, trimmed.
    pub cells: Vec<TextColumn>,
    /// Rows that were entirely blank.
    pub blank_rows: usize,
    /// "CSV（UTF-8）", "CSV（GBK）", "Excel", "Parquet": shown in the data-quality report.
    pub format: String,
}

impl RawTable {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when the table has no records.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn push_row<S: AsRef<str>>(&mut self, row: usize, cells: &[S]) {
        if cells.iter().all(|c| c.as_ref().is_empty()) {
            self.blank_rows += 1;
            return;
        }
        self.rows.push(row);
        for (i, col) in self.cells.iter_mut().enumerate() {
            col.push(cells.get(i).map_or("", |c| c.as_ref()));
        }
    }

    fn with_headers(file: &str, format: &str, headers: Vec<String>) -> RawTable {
        let n = headers.len();
        RawTable {
            file: file.to_string(),
            headers,
            cells: vec![TextColumn::default(); n],
            format: format.to_string(),
            ..Default::default()
        }
    }
}

/// Read any supported table by its extension.
pub fn read_table(path: &Path, display: &str) -> Result<RawTable, InputProblem> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    let table = match ext.as_str() {
        "csv" | "txt" => read_csv(path, display)?,
        "xlsx" | "xlsm" | "xls" => read_excel(path, display)?,
        "parquet" => read_parquet(path, display)?,
        _ => {
            return Err(InputProblem::file(display, format!("不支持的文件类型“.{ext}”"))
                .hint("请提供 .xlsx、.xls、.csv、.txt 或 .parquet 文件（.ods 请另存为 .xlsx）"))
        }
    };
    if table.headers.iter().all(|h| h.is_empty()) {
        return Err(InputProblem::file(display, "文件是空的（没有表头）").hint("第1行应为列名，如“身份证号”"));
    }
    if table.is_empty() {
        return Err(InputProblem::file(display, "文件只有表头，没有数据行"));
    }
    Ok(table)
}

/// Decode CSV bytes: a UTF-8 BOM or valid UTF-8 is UTF-8; otherwise GB18030 (a superset
/// of GBK) if it decodes without error; otherwise the encoding is unknown.
pub fn decode_text(bytes: &[u8], display: &str) -> Result<(String, &'static str), InputProblem> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).map(|s| (s, "CSV（UTF-8）")).map_err(|_| unknown_encoding(display));
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let encoding = if bytes[0] == 0xFF { encoding_rs::UTF_16LE } else { encoding_rs::UTF_16BE };
        let (text, _, bad) = encoding.decode(bytes);
        if !bad {
            return Ok((text.trim_start_matches('\u{feff}').to_string(), "CSV（UTF-16）"));
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), "CSV（UTF-8）"));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(unknown_encoding(display));
    }
    Ok((text.into_owned(), "CSV（GBK）"))
}

fn unknown_encoding(display: &str) -> InputProblem {
    InputProblem::file(display, "无法识别文件编码（既不是 UTF-8，也不是 GBK/GB18030）")
        .hint("在 Excel 中打开后“另存为”CSV UTF-8（逗号分隔）或 Excel 工作簿")
}

fn read_csv(path: &Path, display: &str) -> Result<RawTable, InputProblem> {
    let bytes = std::fs::read(path)
        .map_err(|e| InputProblem::file(display, format!("无法读取：{}", crate::problem::io_text(&e))))?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(InputProblem::file(display, "文件是空的"));
    }
    let (text, format) = decode_text(&bytes, display)?;
    // Excel's "Unicode 文本" is tab-separated, and some locales use ';': take the separator
    // the header line uses most.
    let header_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter =
        [b',', b'\t', b';'].into_iter().max_by_key(|d| header_line.bytes().filter(|b| b == d).count()).unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(Cursor::new(text.as_bytes()));
    let mut table: Option<RawTable> = None;
    // The csv crate ends a CRLF record at '\r' and reports the line before it, so count
    // the newlines before each record's first byte ourselves.
    let bytes = text.as_bytes();
    let (mut counted_to, mut newlines) = (0usize, 0usize);
    let mut line_at = |byte: usize| {
        let mut start = byte.min(bytes.len());
        while start < bytes.len() && (bytes[start] == b'\n' || bytes[start] == b'\r') {
            start += 1;
        }
        newlines += bytes[counted_to..start].iter().filter(|&&b| b == b'\n').count();
        counted_to = start;
        newlines + 1
    };
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
            InputProblem::at(display, line, None, format!("CSV 格式错误：{e}"))
        })?;
        let line = record.position().map(|p| line_at(p.byte() as usize)).unwrap_or(0);
        let cells: Vec<&str> = record.iter().map(str::trim).collect();
        match table.as_mut() {
            None => {
                if cells.iter().all(|c| c.is_empty()) {
                    continue; // blank lines above the header
                }
                table = Some(RawTable::with_headers(display, format, cells.iter().map(|c| c.to_string()).collect()));
            }
            Some(t) => t.push_row(line, &cells),
        }
    }
    table.ok_or_else(|| InputProblem::file(display, "文件是空的"))
}

fn read_excel(path: &Path, display: &str) -> Result<RawTable, InputProblem> {
    let mut book =
        open_workbook_auto(path).map_err(|e| InputProblem::file(display, format!("无法打开 Excel 文件：{e}")))?;
    let range = match book.worksheet_range_at(0) {
        Some(Ok(r)) => r,
        Some(Err(e)) => return Err(InputProblem::file(display, format!("无法读取第一个工作表：{e}"))),
        None => return Err(InputProblem::file(display, "工作簿中没有工作表")),
    };
    let Some((first_row, _)) = range.start() else {
        return Err(InputProblem::file(display, "文件是空的"));
    };
    let mut table: Option<RawTable> = None;
    for (i, row) in range.rows().enumerate() {
        let line = first_row as usize + i + 1;
        let cells: Vec<Cow<str>> = row.iter().map(excel_cell_text).collect();
        match table.as_mut() {
            None => {
                if cells.iter().all(|c| c.is_empty()) {
                    continue;
                }
                table = Some(RawTable::with_headers(display, "Excel", cells.iter().map(|c| c.to_string()).collect()));
            }
            Some(t) => t.push_row(line, &cells),
        }
    }
    table.ok_or_else(|| InputProblem::file(display, "文件是空的"))
}

/// A cell as the text a clerk would read in Excel. Dates become YYYY-MM-DD; a huge number
/// (an ID Excel turned into a number) keeps Excel's E+ look so validation can say so.
fn excel_cell_text(cell: &Data) -> Cow<'_, str> {
    match cell {
        Data::Empty => Cow::Borrowed(""),
        Data::String(s) => Cow::Borrowed(s.trim()),
        Data::Int(i) => i.to_string().into(),
        Data::Float(f) if f.abs() >= 1e15 => format!("{:.5E}", f).replace('E', "E+").into(),
        Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}").into(),
        Data::Float(f) => f.to_string().into(),
        Data::Bool(b) => b.to_string().into(),
        Data::DateTime(d) => {
            excel_serial_date(d.as_f64()).map(|d| d.to_string()).unwrap_or_else(|| d.as_f64().to_string()).into()
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cow::Borrowed(s.as_str()),
        Data::Error(e) => format!("#{e:?}").into(),
    }
}

/// Excel's serial day number (1900 system) as a date.
pub fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_signed(Duration::days(serial.floor() as i64))
}

fn read_parquet(path: &Path, display: &str) -> Result<RawTable, InputProblem> {
    let file = std::fs::File::open(path)
        .map_err(|e| InputProblem::file(display, format!("无法读取：{}", crate::problem::io_text(&e))))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| InputProblem::file(display, format!("无法读取 Parquet 文件：{e}")))?;
    let headers: Vec<String> = df.get_column_names().iter().map(|s| s.trim().to_string()).collect();
    let mut table = RawTable::with_headers(display, "Parquet", headers);
    let mut columns = Vec::with_capacity(df.width());
    for col in df.columns() {
        let s = col
            .cast(&DataType::String)
            .map_err(|e| InputProblem::file(display, format!("列“{}”无法转为文本：{e}", col.name())))?;
        columns.push(s);
    }
    let cols: Vec<&StringChunked> = columns.iter().map(|c| c.str().expect("cast to String")).collect();
    let mut cells: Vec<&str> = Vec::with_capacity(cols.len());
    for i in 0..df.height() {
        cells.clear();
        cells.extend(cols.iter().map(|c| c.get(i).unwrap_or("").trim()));
        table.push_row(i + 2, &cells);
    }
    Ok(table)
}
