//! Checking what was read: headers matched to the columns a programme declares (as
//! clerks write them, or the aliases declared), resident IDs (GB 11643 check digit,
//! birth date) and masked IDs, and dates written with a two-digit year, said so.

pub mod cell;
pub mod dataset;

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::ingest::RawTable;
use crate::problem::{nearest, InputProblem};

/// A field kaohe reads, with the header spellings it accepts.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    /// The name used in messages.
    pub label: &'a str,
    /// Accepted headers (compared after removing spaces, lower-cased, full-width brackets folded).
    pub aliases: &'a [&'a str],
}

/// A header as compared: no spaces, full-width brackets, lower case.
pub fn fold_header(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '(' => '（',
            ')' => '）',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
}

/// Find each field's column; every missing or doubled field is a problem.
pub fn match_headers(table: &RawTable, fields: &[Field]) -> Result<Vec<usize>, Vec<InputProblem>> {
    let folded: Vec<String> = table.headers.iter().map(|h| fold_header(h)).collect();
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for field in fields {
        let hits: Vec<usize> =
            (0..folded.len()).filter(|&i| field.aliases.iter().any(|a| fold_header(a) == folded[i])).collect();
        match hits.as_slice() {
            [i] => found.push(*i),
            [] => {
                let used: Vec<&str> = table.headers.iter().map(String::as_str).filter(|h| !h.is_empty()).collect();
                let mut p = InputProblem::at(&table.file, 1, None, format!("缺少“{}”列", field.label));
                let near = used
                    .iter()
                    .copied()
                    .filter(|h| !fields.iter().any(|f| f.aliases.iter().any(|a| fold_header(a) == fold_header(h))));
                p = match nearest(field.label, near) {
                    Some(n) => p.column(n).hint(format!(
                        "列名“{n}”是否应为“{}”？可用的列名：{}",
                        field.label,
                        field.aliases.join("、")
                    )),
                    None => {
                        p.hint(format!("可用的列名：{}；文件中的列：{}", field.aliases.join("、"), used.join("、")))
                    }
                };
                problems.push(p);
                found.push(usize::MAX);
            }
            many => {
                let names: Vec<&str> = many.iter().map(|&i| table.headers[i].as_str()).collect();
                problems.push(
                    InputProblem::at(
                        &table.file,
                        1,
                        None,
                        format!("“{}”列出现了{}次：{}", field.label, many.len(), names.join("、")),
                    )
                    .hint("只保留一列"),
                );
                found.push(usize::MAX);
            }
        }
    }
    // One column read as two fields (an alias that is another field's header): both
    // would take the same numbers, and nothing else would look wrong.
    for (k, &col) in found.iter().enumerate().filter(|(_, &c)| c != usize::MAX) {
        if let Some(first) = found[..k].iter().position(|&c| c == col) {
            problems.push(
                InputProblem::at(
                    &table.file,
                    1,
                    Some(&table.headers[col]),
                    format!("这一列同时被当作“{}”和“{}”", fields[first].label, fields[k].label),
                )
                .hint("每一项要各有一列：检查列名的写法（aliases 或 [inputs.columns]）"),
            );
        }
    }
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(header_problem(table, fields, problems))
    }
}

/// When the header row does not match, say why in one message if the cause is one of
/// the usual three: a title above the header, no header at all, or a cover sheet first.
fn header_problem(table: &RawTable, fields: &[Field], problems: Vec<InputProblem>) -> Vec<InputProblem> {
    let matches = |cells: &[String]| {
        fields.iter().all(|f| cells.iter().any(|c| f.aliases.iter().any(|a| fold_header(a) == fold_header(c))))
    };
    let labels: Vec<&str> = fields.iter().map(|f| f.label).collect();
    if let Some(i) = table.head.iter().position(|cells| matches(cells)) {
        let row = table.rows[i];
        return vec![InputProblem::at(
            &table.file,
            row,
            None,
            format!("表头应在第1行，这个文件的列名在第{row}行，上面是标题或说明文字"),
        )
        .hint(format!("删除第{row}行上方的各行后另存，使第一行就是列名（{}）", labels.join("、")))];
    }
    let looks_like_data = table.headers.iter().any(|h| {
        let digits = h.chars().filter(char::is_ascii_digit).count();
        digits >= 15 || (digits >= 6 && crate::validate::cell::parse_date(h).is_ok())
    });
    if looks_like_data {
        return vec![InputProblem::at(&table.file, 1, None, "第1行应为列名，但看起来是数据：文件缺少表头行")
            .hint(format!("在第1行前插入一行列名：{}", labels.join("、")))];
    }
    let missing = problems.iter().filter(|p| p.message.starts_with("缺少")).count();
    if table.sheets.len() > 1 && missing * 2 >= fields.len() {
        return vec![InputProblem::file(
            &table.file,
            format!("第一个工作表“{}”中没有所需的列（{}）", table.sheets[0], labels.join("、")),
        )
        .hint(format!(
            "kaohe 只读第一个工作表；本工作簿的工作表：{}。请把数据所在的工作表移到最前面（或删去封面、说明页）后保存",
            table.sheets.join("、")
        ))];
    }
    problems
}

/// Why a resident ID is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdProblem {
    Empty,
    ExcelNumber,
    Length(usize),
    BadChar,
    BirthDate,
    CheckDigit { expected: char },
}

impl IdProblem {
    /// The message for the data-quality report.
    pub fn message(&self) -> String {
        match self {
            IdProblem::Empty => "身份证号为空".into(),
            IdProblem::ExcelNumber => "身份证号被表格软件存成了数字，末几位已丢失".into(),
            IdProblem::Length(n) => format!("身份证号应为18位，实为{n}位"),
            IdProblem::BadChar => "身份证号含非法字符（只能是数字，末位可为X）".into(),
            IdProblem::BirthDate => "身份证号中的出生日期无效".into(),
            IdProblem::CheckDigit { expected } => format!("身份证号校验码错误（按 GB 11643 应为{expected}）"),
        }
    }
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// The GB 11643 check character for the first 17 digits.
pub fn id_check_char(first17: &[u8]) -> char {
    let sum: u32 = first17.iter().zip(ID_WEIGHTS).map(|(d, w)| (d - b'0') as u32 * w).sum();
    ID_CHECK[(sum % 11) as usize] as char
}

/// Validate an 18-character resident ID; returns it normalised (upper-case X).
/// `latest_birth` bounds the birth date (nobody is insured before being born).
pub fn check_id(raw: &str, latest_birth: NaiveDate) -> Result<String, IdProblem> {
    id_key(raw, latest_birth).map(id_text)
}

/// Validate an ID and pack it into a number (17 digits × 11 + check value, X = 10): the
/// same person has the same key, and 20 million keys take 160 MB instead of gigabytes.
pub fn id_key(raw: &str, latest_birth: NaiveDate) -> Result<u64, IdProblem> {
    let folded = crate::validate::cell::fold_width(raw);
    let id = folded.trim();
    if id.is_empty() {
        return Err(IdProblem::Empty);
    }
    let b = id.as_bytes();
    if b.len() != 18 {
        if id.contains("E+") || id.contains("e+") {
            return Err(IdProblem::ExcelNumber);
        }
        return Err(IdProblem::Length(id.chars().count()));
    }
    if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x') {
        if id.contains("E+") || id.contains("e+") {
            return Err(IdProblem::ExcelNumber);
        }
        return Err(IdProblem::BadChar);
    }
    let num = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, d| n * 10 + (d - b'0') as u32);
    match NaiveDate::from_ymd_opt(num(6..10) as i32, num(10..12), num(12..14)) {
        Some(d) if d.year_ce().1 >= 1900 && d <= latest_birth => {}
        _ => return Err(IdProblem::BirthDate),
    }
    let expected = id_check_char(&b[..17]);
    if (b[17] as char).to_ascii_uppercase() != expected {
        return Err(IdProblem::CheckDigit { expected });
    }
    let digits = b[..17].iter().fold(0u64, |n, d| n * 10 + (d - b'0') as u64);
    let check = if expected == 'X' { 10 } else { (expected as u8 - b'0') as u64 };
    Ok(digits * 11 + check)
}

/// The ID an [`id_key`] was made from.
pub fn id_text(key: u64) -> String {
    let check = key % 11;
    let mut s = format!("{:017}", key / 11);
    s.push(if check == 10 { 'X' } else { (b'0' + check as u8) as char });
    s
}

use chrono::Datelike;

/// Mask an ID for any output: 610902********1234. Short junk is masked entirely.
pub fn mask_id(raw: &str) -> String {
    let chars: Vec<char> = raw.trim().chars().collect();
    if chars.len() >= 10 {
        let head: String = chars[..6].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
    } else {
        "*".repeat(chars.len())
    }
}

/// The dates of one column written with a two-digit year, by the year they were read as.
#[derive(Default)]
pub struct TwoDigitYears {
    /// Year read → (the two digits, how many dates).
    years: BTreeMap<i32, (u32, usize)>,
    /// The first such date: row and cell.
    example: Option<(usize, String)>,
}

impl TwoDigitYears {
    pub fn add(&mut self, read: &crate::validate::cell::DateRead, row: usize, cell: &str) {
        if let Some(yy) = read.two_digit_year {
            self.years.entry(read.date.year()).or_insert((yy, 0)).1 += 1;
            self.example.get_or_insert_with(|| (row, cell.to_string()));
        }
    }

    /// The data-quality note: how many, an example, and as which year(s) they were read.
    pub fn note(&self, column: &str) -> Option<String> {
        let (row, cell) = self.example.as_ref()?;
        let n: usize = self.years.values().map(|(_, n)| n).sum();
        let read_as = match self.years.iter().collect::<Vec<_>>().as_slice() {
            [(year, _)] => format!("按{year}年读取"),
            many => {
                many.iter().map(|(year, (yy, _))| format!("“{yy:02}年”按{year}年")).collect::<Vec<_>>().join("、")
                    + "读取"
            }
        };
        Some(format!("“{column}”列有{n}个日期只写了两位年份（如第{row}行“{cell}”），{read_as}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn gb11643_check_digits() {
        // The standard's own example: 11010519491231002X.
        assert_eq!(check_id("11010519491231002X", day(2016, 1, 30)).unwrap(), "11010519491231002X");
        assert_eq!(check_id("11010519491231002x", day(2016, 1, 30)).unwrap(), "11010519491231002X");
        assert_eq!(check_id("110105194912310021", day(2016, 1, 30)), Err(IdProblem::CheckDigit { expected: 'X' }));
        assert_eq!(check_id("11010519490231002X", day(2016, 1, 30)), Err(IdProblem::BirthDate));
        assert_eq!(check_id("1101051949123100", day(2016, 1, 30)), Err(IdProblem::Length(16)));
        assert_eq!(check_id("6.10902E+17", day(2016, 1, 30)), Err(IdProblem::ExcelNumber));
        assert_eq!(check_id("11010519491231A02X", day(2016, 1, 30)), Err(IdProblem::BadChar));
    }

    #[test]
    fn masks_keep_six_and_four() {
        assert_eq!(mask_id("610902198001011234"), "610902********1234");
        assert_eq!(mask_id("123"), "***");
    }
}
