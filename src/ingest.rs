//! Reading the tables offices hand in: Excel workbooks, OpenDocument spreadsheets
//! (.ods, as LibreOffice saves them), CSV written by any spreadsheet program (UTF-8,
//! with or without BOM, or GBK/GB18030), and Parquet — one reader per format, all
//! producing the same [`RawTable`] of text cells with the row numbers a clerk sees.
//!
//! Nothing is interpreted here: headers are matched and cells are checked in
//! `validate`. Blank rows are skipped and counted (Excel leaves them everywhere).

use std::borrow::Cow;
use std::io::Cursor;
use std::ops::Index;
use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader, ReaderRef};
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
    #[inline]
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
    /// "CSV（UTF-8）", "CSV（GBK）", "Excel", "ODS", "Parquet": shown in the data-quality report.
    pub format: String,
    /// What was read on the clerk's behalf (merged cells filled down), for the report.
    pub notes: Vec<String>,
    /// A workbook's sheet names (only the first is read), for messages about a cover sheet.
    pub sheets: Vec<String>,
    /// The first records exactly as read, kept to find a header row typed below a title.
    pub head: Vec<Vec<String>>,
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

    fn push_row<S: AsRef<str>>(&mut self, row: usize, cells: &[S]) -> Result<(), InputProblem> {
        if cells.iter().all(|c| c.as_ref().is_empty()) {
            self.blank_rows += 1;
            return Ok(());
        }
        if let Some(i) = cells.iter().position(|c| c.as_ref().len() > MAX_CELL_BYTES) {
            let column = self.headers.get(i).cloned().unwrap_or_default();
            return Err(InputProblem::at(
                &self.file,
                row,
                Some(&column),
                "单元格内容过长（超过 Excel 单元格的 32767 字的上限），不是名册数据",
            )
            .hint("检查该单元格是否粘贴了整段文字或另一个文件的内容"));
        }
        if self.head.len() < HEAD_ROWS {
            self.head.push(cells.iter().map(|c| c.as_ref().to_string()).collect());
        }
        self.rows.push(row);
        for (i, col) in self.cells.iter_mut().enumerate() {
            col.push(cells.get(i).map_or("", |c| c.as_ref()));
        }
        Ok(())
    }

    /// Room for `more` records like those read so far, in at most `bytes` of text: no
    /// column's buffer grows and copies itself again and again while a roster is read,
    /// and a file whose first cells are long reserves no more than it holds.
    fn reserve_like_so_far(&mut self, more: usize, bytes: usize) {
        let so_far = self.len().max(1);
        self.reserve(more);
        for column in &mut self.cells {
            column.buf.reserve((column.buf.len() / so_far).saturating_mul(more / 8 * 9).min(bytes));
        }
    }

    /// Room for `rows` more records (a workbook says how many rows it has).
    fn reserve(&mut self, rows: usize) {
        self.rows.reserve(rows);
        for column in &mut self.cells {
            column.ends.reserve(rows);
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

/// What to do with a file that holds nothing.
const EMPTY_HINT: &str = "重新保存或重新导出该文件";
/// What to do when the system will not let kaohe read a file.
const IO_HINT: &str = "确认文件没有被其他程序占用、有读取权限后重新运行";

/// The largest cell kaohe reads: Excel's own limit is 32,767 characters (×3 bytes in UTF-8).
pub const MAX_CELL_BYTES: usize = 32_767 * 3;
/// The longest line of a CSV file: a real record is a few hundred bytes; a 200 MB line
/// is not a table, and reading it as one would take gigabytes.
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// Records read before the rest of a CSV file's are made room for, like them.
const RESERVE_AFTER: usize = 64;
/// Records kept as read, to look for a header typed below a title row.
pub const HEAD_ROWS: usize = 10;

/// Read any supported table by its extension.
pub fn read_table(path: &Path, display: &str) -> Result<RawTable, InputProblem> {
    let table = read_table_or_header(path, display)?;
    if table.is_empty() {
        return Err(InputProblem::file(display, "文件只有表头，没有数据行")
            .hint("检查导出或另存时是否漏了数据行，重新导出该文件"));
    }
    Ok(table)
}

/// As [`read_table`], but a file with its header and no rows is a table of no rows (a
/// ledger of a year with no cases), for a caller that declares this may happen.
pub fn read_table_or_header(path: &Path, display: &str) -> Result<RawTable, InputProblem> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    let read = match ext.as_str() {
        "csv" | "txt" => read_csv,
        "xlsx" | "xlsm" | "xls" | "ods" => read_excel,
        "parquet" => read_parquet,
        _ => {
            return Err(InputProblem::file(display, format!("不支持的文件类型“.{ext}”"))
                .hint("请提供 .xlsx、.xls、.ods、.csv、.txt 或 .parquet 文件"))
        }
    };
    let table = contained(display, &ext, || read(path, display))?;
    if table.headers.iter().all(|h| h.is_empty()) {
        return Err(InputProblem::file(display, "文件是空的（没有表头）").hint("第1行应为列名，如“身份证号”"));
    }
    Ok(table)
}

/// Run one file's reader so that a panic inside a third-party decoder (polars on a
/// damaged Parquet page, calamine or zip on a damaged workbook) becomes that file's
/// problem instead of ending kaohe with exit 101 and an English backtrace. The panic
/// hook prints nothing for such a panic (see [`quiet_hook`]); kaohe's own panics are
/// not caught here and still print.
fn contained(
    display: &str,
    ext: &str,
    read: impl FnOnce() -> Result<RawTable, InputProblem>,
) -> Result<RawTable, InputProblem> {
    contain(read).unwrap_or_else(|()| Err(damaged(display, ext)))
}

/// Run third-party code (a reader, a polars query) so that a panic inside it is `Err`,
/// printed by nobody: the caller turns it into the clerk's message.
pub fn contain<T>(work: impl FnOnce() -> T) -> Result<T, ()> {
    quiet_hook();
    READING.with(|n| n.set(n.get() + 1));
    IN_FLIGHT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    IN_FLIGHT.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    READING.with(|n| n.set(n.get() - 1));
    result.map_err(|_| ())
}

/// The message for a file whose reader gave up in the middle (a panic contained).
fn damaged(display: &str, ext: &str) -> InputProblem {
    let hint = match ext {
        "parquet" => "请从原系统重新导出该文件后再放入",
        "csv" | "txt" => "请在表格软件中打开后重新“另存为”CSV，或另存为 .xlsx 后再放入；打不开时请对方重新发送",
        _ => "请在表格软件中打开后重新导出或另存为 .xlsx 后再放入；打不开时请对方重新发送",
    };
    InputProblem::file(display, "文件已损坏，无法读取").hint(hint)
}

thread_local! {
    /// How many contained reads this thread is in.
    static READING: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}
/// Contained reads in progress on any thread: polars decodes a Parquet file on its own
/// worker threads, where [`READING`] is not set.
static IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Install, once, a panic hook that stays silent for a panic inside a third-party reader
/// during a contained read — on the reading thread, or on a polars worker while a read is
/// in progress — and hands every other panic to the previous hook. A panic raised in
/// kaohe's own source (a relative path such as `src/validate.rs`, while the dependencies'
/// sources are absolute paths) always prints, even on a thread in the middle of a read.
pub fn quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !is_contained(info) {
                previous(info);
            }
        }));
    });
}

fn is_contained(info: &std::panic::PanicHookInfo<'_>) -> bool {
    contained_at(info.location().map(|l| l.file()))
}

/// Whether a panic raised in the source file `file` is a contained reader's.
fn contained_at(file: Option<&str>) -> bool {
    let ours = file.is_some_and(|f| Path::new(f).is_relative());
    if ours {
        return false;
    }
    if READING.with(|n| n.get() > 0) {
        return true;
    }
    let prefix = std::env::var("POLARS_THREAD_NAME").unwrap_or_else(|_| "polars".to_string());
    let polars_worker = std::thread::current().name().is_some_and(|n| {
        n.strip_prefix(prefix.as_str())
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|i| i.parse::<usize>().is_ok())
    });
    polars_worker && IN_FLIGHT.load(std::sync::atomic::Ordering::SeqCst) > 0
}

/// Decode CSV bytes: a UTF-8 BOM or valid UTF-8 is UTF-8; otherwise GB18030 (a superset
/// of GBK) if it decodes without error; otherwise the encoding is unknown.
pub fn decode_text(bytes: &[u8], display: &str) -> Result<(String, &'static str), InputProblem> {
    decode_owned(bytes.to_vec(), display)
}

/// As [`decode_text`], taking the bytes: a UTF-8 file (most are) becomes its text without
/// a copy.
fn decode_owned(mut bytes: Vec<u8>, display: &str) -> Result<(String, &'static str), InputProblem> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
        return String::from_utf8(bytes).map(|s| (s, "CSV（UTF-8）")).map_err(|_| unknown_encoding(display));
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let encoding = if bytes[0] == 0xFF { encoding_rs::UTF_16LE } else { encoding_rs::UTF_16BE };
        let (text, _, bad) = encoding.decode(&bytes);
        if !bad {
            return Ok((text.trim_start_matches('\u{feff}').to_string(), "CSV（UTF-16）"));
        }
    }
    let bytes = match String::from_utf8(bytes) {
        Ok(s) => return Ok((s, "CSV（UTF-8）")),
        Err(e) => e.into_bytes(),
    };
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(&bytes);
    if had_errors {
        return Err(unknown_encoding(display));
    }
    Ok((text.into_owned(), "CSV（GBK）"))
}

fn unknown_encoding(display: &str) -> InputProblem {
    InputProblem::file(display, "无法识别文件编码（既不是 UTF-8，也不是 GBK/GB18030）")
        .hint("在表格软件中打开后“另存为”CSV UTF-8（逗号分隔）或 Excel 工作簿（.xlsx）")
}

fn read_csv(path: &Path, display: &str) -> Result<RawTable, InputProblem> {
    let bytes = std::fs::read(path)
        .map_err(|e| InputProblem::file(display, format!("无法读取：{}", crate::problem::io_text(&e))).hint(IO_HINT))?;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(InputProblem::file(display, "文件是空的").hint(EMPTY_HINT));
    }
    let lines = check_line_lengths(&bytes, display)?;
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(InputProblem::file(display, "扩展名是 .csv，但内容是 Excel 工作簿")
            .hint("把扩展名改为 .xlsx（或 .xls），或在表格软件中“另存为”CSV UTF-8（逗号分隔）"));
    }
    let (text, format) = decode_owned(bytes, display)?;
    // Excel's "Unicode 文本" is tab-separated, and some locales use ';': take the separator
    // the header line uses most.
    let header_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter =
        [b',', b'\t', b';'].into_iter().max_by_key(|d| header_line.bytes().filter(|b| b == d).count()).unwrap_or(b',');
    let mut table: Option<RawTable> = None;
    let text_bytes = text.len();
    let mut take = |line: usize, cells: &[&str]| -> Result<(), InputProblem> {
        match table.as_mut() {
            // Blank lines above the header.
            None if cells.iter().all(|c| c.is_empty()) => {}
            None => {
                table = Some(RawTable::with_headers(display, format, cells.iter().map(|c| c.to_string()).collect()))
            }
            Some(t) => {
                t.push_row(line, cells)?;
                if t.len() == RESERVE_AFTER {
                    t.reserve_like_so_far(lines.saturating_sub(line), text_bytes);
                }
            }
        }
        Ok(())
    };
    if is_plain(text.as_bytes()) {
        read_plain(&text, delimiter, &mut take)?;
    } else {
        read_quoted(&text, delimiter, display, &mut take)?;
    }
    table.ok_or_else(|| InputProblem::file(display, "文件是空的").hint(EMPTY_HINT))
}

/// Whether CSV text has no quote and no '\r' but before '\n': each line is then a record
/// whose cells lie between separators.
fn is_plain(bytes: &[u8]) -> bool {
    memchr::memchr(b'"', bytes).is_none()
        && memchr::memchr_iter(b'\r', bytes).all(|at| bytes.get(at + 1) == Some(&b'\n'))
}

/// Read CSV text that [`is_plain`] line by line: a record is a line, a cell what lies
/// between separators — without the CSV parser, whose byte-by-byte state machine was the
/// largest part of reading a roster (most rosters have no quote).
/// Hands each record's trimmed cells to `take` with its line, as [`read_quoted`] does.
fn read_plain(
    text: &str,
    delimiter: u8,
    take: &mut impl FnMut(usize, &[&str]) -> Result<(), InputProblem>,
) -> Result<(), InputProblem> {
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]);
    let (mut start, mut cells) = (0, Vec::new());
    for (i, end) in ends.enumerate() {
        let line = &text[start..end];
        start = end + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        // The CSV parser skips an empty line too (a line of spaces is a blank row).
        if line.is_empty() {
            continue;
        }
        cells.clear();
        let mut from = 0;
        for at in memchr::memchr_iter(delimiter, line.as_bytes()) {
            cells.push(trim_cell(&line[from..at]));
            from = at + 1;
        }
        cells.push(trim_cell(&line[from..]));
        take(i + 1, &cells)?;
    }
    Ok(())
}

/// Read CSV text record by record with the CSV parser (quoted cells, line breaks inside
/// them, a lone '\r'), handing each record's trimmed cells to `take` with the line it
/// starts on.
fn read_quoted(
    text: &str,
    delimiter: u8,
    display: &str,
    take: &mut impl FnMut(usize, &[&str]) -> Result<(), InputProblem>,
) -> Result<(), InputProblem> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(Cursor::new(text.as_bytes()));
    // The csv crate ends a CRLF record at '\r' and reports the line before it, so count
    // the newlines before each record's first byte ourselves.
    let bytes = text.as_bytes();
    let (mut counted_to, mut newlines) = (0usize, 0usize);
    let mut line_at = |byte: usize| {
        let mut start = byte.min(bytes.len());
        while start < bytes.len() && (bytes[start] == b'\n' || bytes[start] == b'\r') {
            start += 1;
        }
        newlines += memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count();
        counted_to = start;
        newlines + 1
    };
    // One record, reused for every line (a roster has a line per person).
    let mut record = csv::ByteRecord::new();
    let mut cells: Vec<std::ops::Range<usize>> = Vec::new();
    loop {
        let more = reader.read_byte_record(&mut record).map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
            InputProblem::at(display, line, None, "CSV 格式错误，无法读取这一行")
                .hint(format!("在表格软件中打开后重新“另存为”CSV UTF-8（逗号分隔）\n  程序信息：{e}"))
        })?;
        if !more {
            return Ok(());
        }
        let line = record.position().map(|p| line_at(p.byte() as usize)).unwrap_or(0);
        // The text is UTF-8 and the fields are cut at ASCII bytes: each is UTF-8, checked
        // once for the whole record rather than field by field.
        let Ok(whole) = std::str::from_utf8(record.as_slice()) else {
            return Err(InputProblem::at(display, line, None, "CSV 格式错误，无法读取这一行")
                .hint("在表格软件中打开后重新“另存为”CSV UTF-8（逗号分隔）"));
        };
        cells.clear();
        cells.extend((0..record.len()).filter_map(|i| record.range(i)));
        let trimmed: Vec<&str> = cells.iter().map(|r| trim_cell(&whole[r.clone()])).collect();
        take(line, &trimmed)?;
    }
}

/// A cell without the spaces around it (every kind: U+3000 too). Only its first and last
/// characters are looked at when neither is a space — most cells.
fn trim_cell(cell: &str) -> &str {
    let bytes = cell.as_bytes();
    if bytes.first().is_some_and(u8::is_ascii_graphic) && bytes.last().is_some_and(u8::is_ascii_graphic) {
        return cell;
    }
    let mut chars = cell.chars();
    let first = chars.next();
    let last = chars.next_back();
    if first.is_some_and(char::is_whitespace) || last.is_some_and(char::is_whitespace) {
        cell.trim()
    } else {
        cell
    }
}

/// Refuse a file with a line longer than [`MAX_LINE_BYTES`] before decoding it (the
/// content is never echoed: it may be anything).
/// Returns the number of lines.
fn check_line_lengths(bytes: &[u8], display: &str) -> Result<usize, InputProblem> {
    let mut line = 1usize;
    for chunk in bytes.split(|&b| b == b'\n') {
        if chunk.len() > MAX_LINE_BYTES {
            return Err(InputProblem::at(
                display,
                line,
                None,
                format!("这一行有 {} 字节，超过 1 MB 的上限，不是一行表格数据", chunk.len()),
            )
            .hint("文件可能已损坏，或不是表格（如网页、压缩包改了扩展名）；请从原系统重新导出"));
        }
        line += 1;
    }
    Ok(line - 1)
}

/// Why a workbook cannot be opened, in words a clerk can act on; the library's own text
/// follows on the hint line.
fn workbook_problem(path: &Path, display: &str, detail: &str) -> InputProblem {
    let head: Vec<u8> = std::fs::File::open(path)
        .and_then(|mut f| {
            use std::io::Read;
            let mut buf = vec![0u8; 4096];
            let n = f.read(&mut buf)?;
            buf.truncate(n);
            Ok(buf)
        })
        .unwrap_or_default();
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    let (message, hint) = if head.is_empty() {
        ("文件是空的（0 字节）".to_string(), "重新保存或重新导出该文件".to_string())
    } else if head.starts_with(b"\xD0\xCF\x11\xE0") && ext == "xlsx" {
        (
            "这是旧版 .xls 工作簿或设置了打开密码的工作簿，扩展名却是 .xlsx".to_string(),
            "如有密码，请在表格软件中取消密码后保存；否则把扩展名改为 .xls，或在表格软件中另存为 .xlsx".to_string(),
        )
    } else if head.starts_with(b"PK\x03\x04") && ext == "ods" {
        (
            "ODS 表格文件已损坏，或不是 ODS 表格，无法打开".to_string(),
            "在表格软件中打开并“另存为”一个新的 .ods 或 .xlsx 文件；打不开时请对方重新发送".to_string(),
        )
    } else if head.starts_with(b"PK\x03\x04") {
        (
            "Excel 工作簿已损坏，无法打开".to_string(),
            "在表格软件中打开并“另存为”一个新的 .xlsx 文件；打不开时请对方重新发送".to_string(),
        )
    } else if std::str::from_utf8(&head[..head.len().saturating_sub(4)]).is_ok()
        || !encoding_rs::GB18030.decode_without_bom_handling(&head).1
    {
        (
            format!("扩展名是 .{ext}，但文件内容是文本（可能是把 CSV 文件改了扩展名）"),
            "把扩展名改回 .csv；或在表格软件中打开后“另存为”Excel 工作簿（.xlsx）".to_string(),
        )
    } else {
        let what = if ext == "ods" { "ODS 表格" } else { "Excel 工作簿" };
        (format!("不是 {what}，或文件已损坏"), "请确认文件类型，重新导出或另存为 .xlsx".to_string())
    };
    InputProblem::file(display, message).hint(format!("{hint}\n  程序信息：{detail}"))
}

fn read_excel(path: &Path, display: &str) -> Result<RawTable, InputProblem> {
    let mut book = open_workbook_auto(path).map_err(|e| workbook_problem(path, display, &e.to_string()))?;
    let sheets = book.sheet_names();
    let Some(first) = sheets.first().cloned() else {
        return Err(InputProblem::file(display, "工作簿中没有工作表").hint("在表格软件中打开检查后，重新保存为 .xlsx"));
    };
    // Cells shown as 40% hold 0.4: read them as the clerk sees them.
    let percent = percent_cells(&mut book, &first);
    let empty_sheet = || {
        InputProblem::file(display, "第一个工作表是空的")
            .hint(format!("kaohe 只读第一个工作表；本工作簿的工作表：{}。请把数据放在第一个工作表", sheets.join("、")))
    };
    // An .xlsx without merged cells (most): its cells borrowed from the workbook's shared
    // strings, with no string made per cell — a roster has a row per person.
    let may_merge = may_have_merges(path);
    if let (calamine::Sheets::Xlsx(xlsx), false) = (&mut book, may_merge) {
        let range = xlsx.worksheet_range_ref(&first).map_err(|e| workbook_problem(path, display, &e.to_string()))?;
        let mut table = excel_rows(&range, &percent, path, display, excel_ref_text, |c| match c {
            calamine::DataRef::Int(i) => Some(*i as f64),
            calamine::DataRef::Float(f) => Some(*f),
            _ => None,
        })?
        .ok_or_else(empty_sheet)?
        .0;
        table.sheets = sheets;
        return Ok(table);
    }
    let mut range = match book.worksheet_range_at(0) {
        Some(Ok(r)) => r,
        Some(Err(e)) => return Err(workbook_problem(path, display, &e.to_string())),
        None => return Err(empty_sheet()),
    };
    // A merged cell holds its value in its first row only; the rows below read blank.
    // Finding merges costs a second pass over the sheet: only when there are blanks.
    let has_blanks = range.rows().skip(1).any(|r| r.iter().any(|c| matches!(c, Data::Empty)));
    let merges = if has_blanks && may_merge { vertical_merges(&mut book, &first) } else { Vec::new() };
    for m in &merges {
        let value = range.get_value(m.start).cloned().unwrap_or(Data::Empty);
        for r in m.start.0..=m.end.0 {
            for c in m.start.1..=m.end.1 {
                if (r, c) != m.start {
                    range.set_value((r, c), value.clone());
                }
            }
        }
    }
    let (mut table, header_row) = excel_rows(&range, &percent, path, display, excel_cell_text, |c| match c {
        Data::Int(i) => Some(*i as f64),
        Data::Float(f) => Some(*f),
        _ => None,
    })?
    .ok_or_else(empty_sheet)?;
    let first_col = range.start().map_or(0, |(_, c)| c);
    for m in merges.iter().filter(|m| m.start.0 > header_row) {
        let c = (m.start.1 - first_col) as usize;
        let column = table.headers.get(c).cloned().unwrap_or_default();
        table.notes.push(format!(
            "“{column}”列第{}–{}行是合并单元格，已按第{}行的内容逐行填充",
            m.start.0 + 1,
            m.end.0 + 1,
            m.start.0 + 1
        ));
    }
    table.sheets = sheets;
    Ok(table)
}

/// A sheet's cells as a table: the first row with any text is the header; a number in a
/// percent-formatted cell reads as the percentage shown. None for a sheet without cells;
/// else the table and its header's row (0-based, as the sheet counts).
fn excel_rows<T: calamine::CellType>(
    range: &calamine::Range<T>,
    percent: &std::collections::HashSet<(u32, u32)>,
    path: &Path,
    display: &str,
    text: impl for<'c> Fn(&'c T) -> Cow<'c, str>,
    number: impl Fn(&T) -> Option<f64>,
) -> Result<Option<(RawTable, u32)>, InputProblem> {
    let Some((first_row, first_col)) = range.start() else { return Ok(None) };
    let mut table: Option<RawTable> = None;
    let mut header_row = 0u32;
    for (i, row) in range.rows().enumerate() {
        let line = first_row as usize + i + 1;
        let cells: Vec<Cow<str>> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                let pos = (first_row + i as u32, first_col + c as u32);
                match number(cell) {
                    Some(v) if percent.contains(&pos) => Cow::Owned(percent_text(v)),
                    _ => text(cell),
                }
            })
            .collect();
        match table.as_mut() {
            None => {
                if cells.iter().all(|c| c.is_empty()) {
                    continue;
                }
                header_row = first_row + i as u32;
                let headers = cells.iter().map(|c| c.to_string()).collect();
                let mut t = RawTable::with_headers(display, workbook_format(path), headers);
                t.reserve(range.height().saturating_sub(i + 1));
                table = Some(t);
            }
            Some(t) => t.push_row(line, &cells)?,
        }
    }
    // Cells, but none with anything in them: the file holds nothing.
    let table = table.ok_or_else(|| InputProblem::file(display, "文件是空的").hint(EMPTY_HINT))?;
    Ok(Some((table, header_row)))
}

/// The name a workbook format has in the data-quality report.
fn workbook_format(path: &Path) -> &'static str {
    match path.extension().map(|e| e.to_string_lossy().to_lowercase()).as_deref() {
        Some("ods") => "ODS",
        _ => "Excel",
    }
}

/// Cells of the sheet whose number format is a percentage (xlsx only: the other
/// readers do not expose formats; the datasets' range checks catch what is left).
fn percent_cells(
    book: &mut calamine::Sheets<std::io::BufReader<std::fs::File>>,
    sheet: &str,
) -> std::collections::HashSet<(u32, u32)> {
    let mut out = std::collections::HashSet::new();
    let calamine::Sheets::Xlsx(xlsx) = book else { return out };
    let is_pct = |st: &calamine::Style| st.number_format.as_ref().is_some_and(|f| f.format_code.contains('%'));
    // Most workbooks have no percent style at all: then skip the second pass over the sheet.
    let any = xlsx.worksheet_cells_reader(sheet).map(|r| r.styles().iter().any(is_pct)).unwrap_or(false);
    if !any {
        return out;
    }
    if let Ok(styles) = xlsx.worksheet_style(sheet) {
        for (r, c, st) in styles.cells() {
            if is_pct(st) {
                out.insert((r, c));
            }
        }
    }
    out
}

/// A percent cell's value as Excel shows it: 0.4 → "40%".
fn percent_text(v: f64) -> String {
    let pct = (v * 100.0 * 1e9).round() / 1e9;
    format!("{pct}%")
}

/// Whether the workbook may hold merged cells. For .xlsx: inflate each worksheet and
/// look for the `mergeCell` tag, without parsing the XML (several times cheaper than
/// calamine's pass that reads the merges); true whenever the file cannot be looked into
/// this way, so that the full pass decides.
fn may_have_merges(path: &Path) -> bool {
    use std::io::Read;
    let is_xlsx = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let Some(mut zip) = is_xlsx
        .then(|| std::fs::File::open(path).ok())
        .flatten()
        .and_then(|f| ::zip::ZipArchive::new(std::io::BufReader::new(f)).ok())
    else {
        return true;
    };
    let finder = memchr::memmem::Finder::new(b"mergeCell");
    let keep = b"mergeCell".len() - 1;
    let mut buf = vec![0u8; 256 * 1024];
    for i in 0..zip.len() {
        let Ok(mut entry) = zip.by_index(i) else { return true };
        let Ok(name) = entry.name() else { return true };
        if !name.starts_with("xl/worksheets/") || !name.ends_with(".xml") {
            continue;
        }
        // The tag can straddle two reads: keep the tail of each read in front of the next.
        let mut filled = 0;
        loop {
            let n = match entry.read(&mut buf[filled..]) {
                Ok(n) => n,
                Err(_) => return true,
            };
            if n == 0 {
                break;
            }
            let end = filled + n;
            if finder.find(&buf[..end]).is_some() {
                return true;
            }
            let tail = end.min(keep);
            buf.copy_within(end - tail..end, 0);
            filled = tail;
        }
    }
    false
}

/// Merged regions spanning more than one row.
fn vertical_merges(
    book: &mut calamine::Sheets<std::io::BufReader<std::fs::File>>,
    sheet: &str,
) -> Vec<calamine::Dimensions> {
    let regions = match book {
        calamine::Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(sheet).unwrap_or_default(),
        calamine::Sheets::Xls(x) => x.merge_cells_by_sheet_name(sheet).unwrap_or_default(),
        _ => Vec::new(),
    };
    regions.into_iter().filter(|d| d.end.0 > d.start.0).collect()
}

/// A cell as the text a clerk would read in Excel. Dates become YYYY-MM-DD; a huge number
/// (an ID Excel turned into a number) keeps Excel's E+ look so validation can say so.
/// A borrowed cell's text: a shared string as it stands in the workbook, the rest as
/// [`excel_cell_text`] says them.
fn excel_ref_text<'c>(cell: &'c calamine::DataRef<'_>) -> Cow<'c, str> {
    match cell {
        calamine::DataRef::SharedString(s) => Cow::Borrowed(s.trim()),
        calamine::DataRef::String(s) => Cow::Borrowed(s.trim()),
        calamine::DataRef::DateTimeIso(s) | calamine::DataRef::DurationIso(s) => Cow::Borrowed(s.as_str()),
        calamine::DataRef::Empty => Cow::Borrowed(""),
        other => Cow::Owned(excel_cell_text(&Data::from(other.clone())).into_owned()),
    }
}

fn excel_cell_text(cell: &Data) -> Cow<'_, str> {
    match cell {
        Data::Empty => Cow::Borrowed(""),
        Data::String(s) => Cow::Borrowed(s.trim()),
        Data::Int(i) => i.to_string().into(),
        Data::Float(f) if f.abs() >= 1e15 => format!("{:.5E}", f).replace('E', "E+").into(),
        // A whole number (a premium of 20 元) as an integer: the same text as `{:.0}`,
        // without its exact-decimal search (-0 keeps its sign there).
        Data::Float(f) if f.fract() == 0.0 && *f != 0.0 => (*f as i64).to_string().into(),
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
        .map_err(|e| InputProblem::file(display, format!("无法读取：{}", crate::problem::io_text(&e))).hint(IO_HINT))?;
    let df = ParquetReader::new(file).finish().map_err(|e| {
        InputProblem::file(display, "Parquet 文件已损坏或不完整，无法读取")
            .hint(format!("请从原系统重新导出该文件\n  程序信息：{e}"))
    })?;
    let headers: Vec<String> = df.get_column_names().iter().map(|s| s.trim().to_string()).collect();
    let mut table = RawTable::with_headers(display, "Parquet", headers);
    let mut columns = Vec::with_capacity(df.width());
    for col in df.columns() {
        let s = col.cast(&DataType::String).map_err(|e| {
            InputProblem::file(display, format!("列“{}”无法转为文本", col.name()))
                .hint(format!("请从原系统重新导出该文件\n  程序信息：{e}"))
        })?;
        columns.push(s);
    }
    let cols: Vec<&StringChunked> = columns.iter().map(|c| c.str().expect("cast to String")).collect();
    let mut cells: Vec<&str> = Vec::with_capacity(cols.len());
    for i in 0..df.height() {
        cells.clear();
        cells.extend(cols.iter().map(|c| c.get(i).unwrap_or("").trim()));
        table.push_row(i + 2, &cells)?;
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each record's line and cells, and the blank rows, as `read_csv` reads `text`.
    fn read_text(text: &str) -> (Vec<usize>, Vec<Vec<String>>, usize) {
        let dir = std::env::temp_dir().join(format!("kaohe-ingest-{}-{}", std::process::id(), text.len()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("名册.csv");
        std::fs::write(&path, text).unwrap();
        let t = read_csv(&path, "名册.csv").unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let cells = (0..t.len()).map(|r| t.cells.iter().map(|c| c[r].to_string()).collect()).collect();
        (t.rows, cells, t.blank_rows)
    }

    #[test]
    fn a_file_without_quotes_reads_line_by_line_as_the_csv_parser_reads_it() {
        // The same rows, plain and with a quoted cell (which takes the CSV parser): blank
        // lines above the header, CRLF, an empty line, a line of separators, a line of
        // spaces, a short row, a long row and no newline at the end.
        let plain = "\r\n\r\n身份证号,姓名,镇\r\n1, 张三 ,东城镇\r\n\r\n,,\r\n   \r\n2,李四\r\n3,王五,西城镇,多余\r\n4,赵六,南山镇";
        let quoted = plain.replace("赵六", "\"赵六\"");
        assert!(is_plain(plain.as_bytes()) && !is_plain(quoted.as_bytes()));
        let expected = (
            vec![4, 8, 9, 10],
            vec![
                vec!["1".to_string(), "张三".into(), "东城镇".into()],
                vec!["2".into(), "李四".into(), "".into()],
                vec!["3".into(), "王五".into(), "西城镇".into()],
                vec!["4".into(), "赵六".into(), "南山镇".into()],
            ],
            2,
        );
        assert_eq!(read_text(plain), expected);
        assert_eq!(read_text(&quoted), expected);
        // A lone '\r' (an old Mac file) ends a record: the CSV parser reads it.
        assert!(!is_plain(b"a,b\rc,d\n"));
    }

    #[test]
    fn the_plain_reading_and_the_csv_parser_agree_on_any_text_without_quotes() {
        // Seeded random texts of cells, separators, spaces (U+3000 too), line breaks and
        // empty lines: every one without a quote or a lone CR is read both ways.
        let atoms = ["a", "1", "字", ",", "\t", ";", " ", "\r\n", "\n", "\u{3000}", "\u{a0}", ",,", "\n\n", "#", "\\"];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as usize
        };
        let read = |text: &str, delimiter: u8, plain: bool| {
            let mut records: Vec<(usize, Vec<String>)> = Vec::new();
            let mut take = |line: usize, cells: &[&str]| {
                records.push((line, cells.iter().map(|c| c.to_string()).collect()));
                Ok(())
            };
            match plain {
                true => read_plain(text, delimiter, &mut take),
                false => read_quoted(text, delimiter, "t.csv", &mut take),
            }
            .unwrap();
            records
        };
        for _ in 0..20_000 {
            let text: String = (0..next() % 40).map(|_| atoms[next() % atoms.len()]).collect();
            assert!(is_plain(text.as_bytes()));
            for delimiter in [b',', b'\t', b';'] {
                assert_eq!(read(&text, delimiter, true), read(&text, delimiter, false), "{text:?}");
            }
        }
    }

    #[test]
    fn long_first_cells_do_not_make_room_for_more_than_the_file_holds() {
        // 64 records of 90,000-byte cells, then 2,000,000 short ones: room made like the
        // first records would be 200 GB, more than any office machine has.
        let long = "字".repeat(30_000);
        let mut text = String::from("编号,备注\n");
        for i in 0..64 {
            text += &format!("{i},{long}\n");
        }
        for i in 0..2_000_000 {
            text += &format!("{i},a\n");
        }
        let (rows, cells, _) = read_text(&text);
        assert_eq!(rows.len(), 2_000_064);
        assert_eq!((rows[64], &cells[64][1][..]), (66, "a"));
    }

    #[test]
    fn a_cell_is_trimmed_of_every_kind_of_space_and_only_then() {
        for (cell, trimmed) in [
            ("张三", "张三"),
            ("610902198001011234", "610902198001011234"),
            (" 20 ", "20"),
            ("\u{3000}张三\u{3000}", "张三"),
            ("东城镇\u{a0}", "东城镇"),
            ("\t合 计", "合 计"),
            (" ", ""),
            ("\u{3000}", ""),
            ("镇", "镇"),
            ("", ""),
        ] {
            assert_eq!(trim_cell(cell), trimmed, "{cell:?}");
        }
    }

    #[test]
    fn a_whole_number_cell_reads_as_excel_shows_it() {
        for (f, shown) in [(20.0, "20"), (-3.0, "-3"), (0.0, "0"), (-0.0, "-0"), (610902.0, "610902"), (2.5, "2.5")] {
            assert_eq!(excel_cell_text(&Data::Float(f)), shown, "{f}");
        }
        assert_eq!(excel_cell_text(&Data::Float(123456789012345.0)), "123456789012345");
    }

    #[test]
    fn a_panic_inside_contained_work_is_an_error_not_a_crash() {
        assert_eq!(contain(|| 7), Ok(7));
        // A polars query that panics (here: a slice out of range inside std) comes back as Err.
        let out_of_range = contain(|| {
            let v: Vec<u8> = Vec::new();
            let i = std::hint::black_box(3);
            v[i]
        });
        assert_eq!(out_of_range, Err(()));
    }

    #[test]
    fn only_a_dependencys_panic_during_a_read_is_silent() {
        let polars = "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/polars-parquet-0.55.2/src/lib.rs";
        let std = "/rustc/0123456789abcdef/library/alloc/src/raw_vec/mod.rs";
        // No read in progress: every panic is shown.
        assert!(!contained_at(Some(polars)));
        let inside = contained("x.parquet", "parquet", || {
            // During a read: a dependency's or the standard library's panic is the file's problem ...
            let silent = contained_at(Some(polars)) && contained_at(Some(std));
            // ... kaohe's own is a bug, and shown.
            let shown = !contained_at(Some("src/validate.rs"));
            Err(InputProblem::file("x.parquet", format!("{silent} {shown}")))
        });
        assert_eq!(inside.unwrap_err().message, "true true");
        assert!(!contained_at(Some(polars)));
        // A panic inside the read becomes the file's message.
        let p = contained("x.parquet", "parquet", || {
            Vec::<u64>::with_capacity(usize::MAX)
                .pop()
                .map(|_| RawTable::default())
                .ok_or_else(|| InputProblem::file("x", "y"))
        })
        .unwrap_err();
        assert_eq!(p.to_string(), "x.parquet：文件已损坏，无法读取\n  提示：请从原系统重新导出该文件后再放入");
    }
}
