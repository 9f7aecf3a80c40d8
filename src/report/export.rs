//! The numbers for the office's own spreadsheets: results.xlsx (one sheet per table,
//! numbers as numbers, rates as percentages) and the same tables as UTF-8 CSV with a
//! BOM so that Excel opens them with the Chinese intact.

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use crate::redact::{csv_text, mask_ids};
use crate::report::{Cell, Table};

/// results.xlsx as bytes. Dated from the config so reruns give identical files.
pub fn xlsx(tables: &[&Table], date: NaiveDate) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_ymd(date.year() as u16, date.month() as u8, date.day() as u8)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let header = Format::new().set_bold().set_border(rust_xlsxwriter::FormatBorder::Thin);
    let pct = Format::new().set_num_format("0.00%");
    let bold = Format::new().set_bold();
    let mut used: Vec<String> = Vec::new();
    for table in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&table.name, &used))?;
        used.push(sheet_name(&table.name, &used));
        for (c, name) in table.columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, name, &header)?;
            // Wide enough for the header and the longest of the first rows (a CJK character ≈ 2 units).
            let chars = |t: &str| t.chars().map(|ch| if ch.is_ascii() { 1.1 } else { 2.1 }).sum::<f64>();
            let longest = table
                .rows
                .iter()
                .take(200)
                .filter_map(|r| r.get(c))
                .map(|cell| chars(&cell.text()))
                .fold(chars(name), f64::max);
            sheet.set_column_width(c as u16, (longest + 2.0).clamp(8.0, 60.0))?;
        }
        let rows = table.rows.iter().map(|r| (r, false)).chain(table.total.iter().map(|r| (r, true)));
        for (r, (row, is_total)) in rows.enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    // write_string: a cell starting with = stays text, never a formula.
                    Cell::Text(s) if is_total => sheet.write_string_with_format(r, c, mask_ids(s), &bold)?,
                    Cell::Text(s) => sheet.write_string(r, c, mask_ids(s))?,
                    Cell::Int(n) => sheet.write_number(r, c, *n as f64)?,
                    Cell::Pct(p) => sheet.write_number_with_format(r, c, *p, &pct)?,
                    Cell::Points(p) => sheet.write_number(r, c, (p * 100.0).round() / 100.0)?,
                };
            }
        }
        sheet.set_freeze_panes(1, 0)?;
    }
    book.save_to_buffer()
}

/// A sheet name Excel takes: its characters `[]:*?/\\` replaced, at most 31 characters,
/// and unique in the book — a table declared twice (two CSV files of one view) gets
/// 考核指标（2）, rather than a writer error in English.
fn sheet_name(name: &str, used: &[String]) -> String {
    let clean: String = name.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).take(31).collect();
    let clean = if clean.trim().is_empty() { "表".to_string() } else { clean };
    let mut n = 1;
    let mut out = clean.clone();
    while used.iter().any(|u| u.to_lowercase() == out.to_lowercase()) {
        n += 1;
        let suffix = format!("（{n}）");
        out = clean.chars().take(31 - suffix.chars().count()).collect::<String>() + &suffix;
    }
    out
}

/// A table as CSV: UTF-8 with BOM, CRLF, header row first, 合计 last; text cells masked
/// and neutralised ([`csv_text`]).
pub fn csv(table: &Table) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
        w.write_record(&table.columns).expect("writing to memory");
        for row in table.rows.iter().chain(table.total.iter()) {
            w.write_record(row.iter().map(|cell| match cell {
                Cell::Text(s) => csv_text(s).into_owned(),
                other => other.text(),
            }))
            .expect("writing to memory");
        }
        w.flush().expect("writing to memory");
    }
    out
}
