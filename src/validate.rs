//! Checking what was read: headers matched to the fields kaohe needs (Chinese as
//! clerks write them, or English aliases), the statistics bureau's population, and
//! every roster row — resident ID (GB 11643 check digit, birth date), payment date,
//! premium, village — and de-duplication of persons across all rosters.
//!
//! A broken population file or an unknown town stops the run ([`InputProblem`]); a bad
//! roster row is data: it is set aside as a [`RowIssue`] for the data-quality report.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::ingest::RawTable;
use crate::problem::{nearest, InputProblem};

pub use crate::programme::Spellings;

/// A field kaohe reads, with the header spellings it accepts.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    /// The name used in messages.
    pub label: &'a str,
    /// Accepted headers (compared after removing spaces, lower-cased, full-width brackets folded).
    pub aliases: &'a [&'a str],
}

/// Population file fields, in [`Population`] order: town, village, total, rural.
pub const POPULATION_FIELDS: [Field; 4] = [
    Field { label: "镇办", aliases: &["镇办", "镇", "乡镇", "镇（办）", "镇办名称", "town"] },
    Field { label: "村", aliases: &["村", "村名", "村（社区）", "村社区", "村（居）", "village"] },
    Field {
        label: "户籍总人口", aliases: &["户籍总人口", "总人口", "户籍人口", "total", "total_population"]
    },
    Field {
        label: "农村户籍人口",
        aliases: &["农村户籍人口", "户籍总人口（农村）", "农村人口", "rural", "rural_population"],
    },
];

/// Roster fields: ID, name, town, village, premium, payment date.
pub const ROSTER_FIELDS: [Field; 6] = [
    Field {
        label: "身份证号",
        aliases: &["身份证号", "公民身份号码", "身份证号码", "身份证", "证件号码", "id_card", "id"],
    },
    Field { label: "姓名", aliases: &["姓名", "参保人姓名", "被保险人姓名", "name"] },
    Field { label: "镇", aliases: &["镇", "镇办", "乡镇", "镇（办）", "town"] },
    Field { label: "村", aliases: &["村", "村名", "村（社区）", "村社区", "社区", "village"] },
    Field {
        label: "保费", aliases: &["保费", "保费（元）", "缴费金额", "缴费金额（元）", "premium"]
    },
    Field { label: "缴费日期", aliases: &["缴费日期", "缴费时间", "缴费日", "pay_date", "date"] },
];

/// Each field's accepted headers with the office's own spellings added.
pub fn spellings<'a>(fields: &[Field<'a>], extra: &'a Spellings) -> Vec<Vec<&'a str>> {
    fields
        .iter()
        .map(|f| {
            f.aliases.iter().copied().chain(extra.get(f.label).into_iter().flatten().map(String::as_str)).collect()
        })
        .collect()
}

/// `fields` accepting the headers of [`spellings`].
pub fn with_spellings<'a>(fields: &[Field<'a>], aliases: &'a [Vec<&'a str>]) -> Vec<Field<'a>> {
    fields.iter().zip(aliases).map(|(f, a)| Field { label: f.label, aliases: a.as_slice() }).collect()
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
        digits >= 15 || (digits >= 6 && crate::cell::parse_date(h).is_ok())
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

/// One village (or 社区) of the statistics bureau's population table.
#[derive(Debug, Clone)]
pub struct Village {
    pub name: String,
    pub total: u64,
    pub rural: u64,
}

/// One town with its villages, in the population file's order.
#[derive(Debug, Clone)]
pub struct Town {
    pub name: String,
    pub villages: Vec<Village>,
}

impl Town {
    /// 户籍总人口
    pub fn total(&self) -> u64 {
        self.villages.iter().map(|v| v.total).sum()
    }
    /// 农村户籍人口
    pub fn rural(&self) -> u64 {
        self.villages.iter().map(|v| v.rural).sum()
    }
}

/// The validated population: towns in file order.
#[derive(Debug, Clone)]
pub struct Population {
    pub towns: Vec<Town>,
}

impl Population {
    /// Town names in order.
    pub fn town_names(&self) -> impl Iterator<Item = &str> {
        self.towns.iter().map(|t| t.name.as_str())
    }
    /// Index of a town by name.
    pub fn town_index(&self, name: &str) -> Option<usize> {
        self.towns.iter().position(|t| t.name == name)
    }
}

fn parse_count(text: &str) -> Result<u64, String> {
    let t = text.replace([',', '，'], "");
    let t = t.strip_suffix(".0").unwrap_or(&t);
    if t.is_empty() {
        return Err("为空".into());
    }
    if let Some(neg) = t.strip_prefix('-') {
        if neg.parse::<u64>().is_ok() {
            return Err(format!("是负数（{text}）"));
        }
    }
    t.parse::<u64>().map_err(|_| format!("不是整数（“{text}”）"))
}

/// Check the population table: numbers, negatives, duplicates, blanks.
/// `fields`: [`POPULATION_FIELDS`], with an office's own spellings.
pub fn population(table: &RawTable, fields: &[Field]) -> Result<Population, Vec<InputProblem>> {
    let cols = match_headers(table, fields)?;
    let header = |k: usize| table.headers[cols[k]].as_str();
    let mut problems = Vec::new();
    let mut towns: Vec<Town> = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for r in 0..table.len() {
        let row = table.rows[r];
        let cell = |k: usize| &table.cells[cols[k]][r];
        let (town, village) = (cell(0), cell(1));
        if town.is_empty() || village.is_empty() {
            let k = if town.is_empty() { 0 } else { 1 };
            problems.push(InputProblem::at(&table.file, row, Some(header(k)), "为空").hint("每行都要写明镇办和村名"));
            continue;
        }
        let mut nums = [0u64; 2];
        let mut ok = true;
        for (i, k) in [2usize, 3].into_iter().enumerate() {
            match parse_count(cell(k)) {
                Ok(n) => nums[i] = n,
                Err(why) => {
                    ok = false;
                    problems.push(
                        InputProblem::at(&table.file, row, Some(header(k)), format!("人口数{why}"))
                            .hint("人口必须是不小于0的整数"),
                    );
                }
            }
        }
        if !ok {
            continue;
        }
        if nums[1] > nums[0] {
            problems.push(InputProblem::at(
                &table.file,
                row,
                Some(header(3)),
                format!("农村户籍人口 {} 大于户籍总人口 {}", nums[1], nums[0]),
            ));
        }
        if let Some(first) = seen.insert((town.to_string(), village.to_string()), row) {
            problems.push(
                InputProblem::at(
                    &table.file,
                    row,
                    Some(header(1)),
                    format!("{town}/{village} 重复出现（第{first}行已有）"),
                )
                .hint("每个镇办的每个村只能有一行"),
            );
            continue;
        }
        let v = Village { name: village.to_string(), total: nums[0], rural: nums[1] };
        match towns.iter_mut().find(|t| t.name == town) {
            Some(t) => t.villages.push(v),
            None => towns.push(Town { name: town.to_string(), villages: vec![v] }),
        }
    }
    if problems.is_empty() {
        Ok(Population { towns })
    } else {
        Err(problems)
    }
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
    let folded = crate::cell::fold_width(raw);
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

pub use crate::cell::parse_date;

/// A roster row set aside, for the data-quality report. Never holds a full ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    pub file: String,
    pub row: usize,
    /// Header of the offending column, as written in the file.
    pub column: String,
    pub problem: String,
    pub masked_id: String,
    /// The town the row names (population order), when it names one.
    pub town: Option<u32>,
}

/// One accepted, de-duplicated insured person.
#[derive(Debug, Clone)]
pub struct Insured {
    pub town: u32,
    pub village: u32,
    pub late: bool,
}

/// The result of validating all rosters.
#[derive(Debug, Clone, Default)]
pub struct Enrollment {
    /// Persons counted (first valid occurrence of each ID).
    pub insured: Vec<Insured>,
    /// Rows set aside, in file and row order.
    pub issues: Vec<RowIssue>,
    /// Per file: (file, format, records, blank rows, accepted).
    pub files: Vec<FileSummary>,
    /// Per town (population order): whether any roster row names it.
    pub towns_with_rows: Vec<bool>,
}

/// What one roster file contributed.
#[derive(Debug, Clone)]
pub struct FileSummary {
    pub file: String,
    pub format: String,
    pub records: usize,
    pub blank_rows: usize,
    pub accepted: usize,
    pub rejected: usize,
    /// What was read on the clerk's behalf (merged cells filled down).
    pub notes: Vec<String>,
}

/// A row that passed the per-row checks, before de-duplication.
struct Candidate {
    /// [`id_key`]; the masked ID is made from it only for a duplicate.
    key: u64,
    row: usize,
    person: Insured,
}

/// What the per-row checks need from the population, built once per programme.
pub struct RosterLookup<'a> {
    population: &'a Population,
    town_names: Vec<&'a str>,
    villages: HashMap<(&'a str, &'a str), (u32, u32)>,
    /// A birth after the premium deadline cannot be real.
    deadline: NaiveDate,
    /// The programme's year: a date written “16年1月30日” is read within a year of it.
    year: i32,
    /// Share (ppm) of a file's rows failing one column's check that makes it a broken
    /// column rather than a few bad rows.
    max_set_aside_ppm: u64,
    /// [`ROSTER_FIELDS`], with an office's own spellings.
    fields: Vec<Field<'a>>,
}

impl<'a> RosterLookup<'a> {
    pub fn new(
        population: &'a Population,
        deadline: NaiveDate,
        year: i32,
        max_set_aside_ppm: u64,
        fields: Vec<Field<'a>>,
    ) -> RosterLookup<'a> {
        let villages = population
            .towns
            .iter()
            .enumerate()
            .flat_map(|(ti, t)| {
                t.villages
                    .iter()
                    .enumerate()
                    .map(move |(vi, v)| ((t.name.as_str(), v.name.as_str()), (ti as u32, vi as u32)))
            })
            .collect();
        RosterLookup {
            population,
            town_names: population.town_names().collect(),
            villages,
            deadline,
            year,
            max_set_aside_ppm,
            fields,
        }
    }
}

type FileResult = Result<(Vec<Candidate>, Vec<RowIssue>, Vec<u32>), Vec<InputProblem>>;

/// One roster file checked row by row; the file's cells can be dropped afterwards (only
/// the accepted persons, 24 bytes each, and the set-aside rows are kept).
pub struct FileCheck {
    file: String,
    format: String,
    records: usize,
    blank_rows: usize,
    id_col: String,
    notes: Vec<String>,
    max_set_aside_ppm: u64,
    result: FileResult,
}

/// Check every row of one roster file.
pub fn check_file(table: &RawTable, lookup: &RosterLookup) -> FileCheck {
    let id_col = match_headers(table, &lookup.fields).map(|c| table.headers[c[0]].clone()).unwrap_or_default();
    let mut notes = table.notes.clone();
    let result = check_rows(table, lookup, &mut notes);
    FileCheck {
        file: table.file.clone(),
        format: table.format.clone(),
        records: table.len(),
        blank_rows: table.blank_rows,
        id_col,
        notes,
        max_set_aside_ppm: lookup.max_set_aside_ppm,
        result,
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
    pub fn add(&mut self, read: &crate::cell::DateRead, row: usize, cell: &str) {
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

/// The rows of one file that failed one column's check.
#[derive(Default)]
struct ColumnFailures {
    rows: usize,
    /// What failed, most common first when reported.
    reasons: BTreeMap<String, usize>,
    /// A few (row, cell) pairs to show.
    examples: Vec<(usize, String)>,
}

impl ColumnFailures {
    fn add(&mut self, reason: &str, row: usize, cell: &str) {
        self.rows += 1;
        *self.reasons.entry(reason.to_string()).or_default() += 1;
        if self.examples.len() < 3 {
            self.examples.push((row, cell.chars().take(40).collect()));
        }
    }

    fn examples(&self) -> String {
        self.examples
            .iter()
            .map(|(row, cell)| if cell.is_empty() { format!("第{row}行（空）") } else { format!("第{row}行“{cell}”") })
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// What to do when a whole column of a roster fails, by field (ROSTER_FIELDS order).
const COLUMN_HINTS: [&str; 6] = [
    "在表格软件（Excel、WPS 或 LibreOffice）中把身份证号列设为“文本”格式后重新录入，或从原始系统重新导出",
    "每行都要有姓名",
    "每行都要写明镇办。若在表格软件中合并了单元格，请取消合并并把镇名填到每一行（.xlsx 中的合并单元格 kaohe 会自动填充）",
    "村名须与人口数据一致；检查该列是否整体错位（向左或向右移了一格）",
    "保费写金额数字，如 20 或 20.00（可带“元”）；不要把身份证号等其他内容放在这一列",
    crate::cell::DATE_HINT,
];

/// Rows failing one column in at least this many rows (or in every row) can make a
/// whole file's worth of rows disappear: that is a broken column, not data dirt.
const MIN_BROKEN_ROWS: usize = 10;

/// `notes`: what was read on the clerk's behalf (two-digit years) is added for the report.
fn check_rows(table: &RawTable, lookup: &RosterLookup, notes: &mut Vec<String>) -> FileResult {
    let RosterLookup { population, town_names, villages, deadline, year, max_set_aside_ppm, fields } = lookup;
    let deadline = *deadline;

    let cols = match_headers(table, fields)?;
    let header = |k: usize| table.headers[cols[k]].clone();
    let mut unknown_towns: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut towns_seen: Vec<u32> = Vec::new();
    let mut failures: BTreeMap<usize, ColumnFailures> = BTreeMap::new();
    let mut ambiguous = ColumnFailures::default();
    let mut two_digit = TwoDigitYears::default();
    let mut totals = 0usize;
    let mut candidates = Vec::with_capacity(table.len());
    let mut issues = Vec::new();
    for r in 0..table.len() {
        let cell = |k: usize| &table.cells[cols[k]][r];
        let row = table.rows[r];
        let raw_id = cell(0);
        // A 合计 row typed under the list: set aside, not fatal, and not a failure.
        if (0..6).any(|k| matches!(cell(k), "合计" | "总计" | "小计")) {
            totals += 1;
            issues.push(RowIssue {
                file: table.file.clone(),
                row,
                column: header(2),
                problem: "合计行，不计入".into(),
                masked_id: mask_id(raw_id),
                town: None,
            });
            continue;
        }
        let mut set_aside = |town: Option<usize>, k: usize, reason: &str, problem: String| {
            failures.entry(k).or_default().add(reason, row, cell(k));
            issues.push(RowIssue {
                file: table.file.clone(),
                row,
                column: header(k),
                problem,
                masked_id: mask_id(raw_id),
                town: town.map(|t| t as u32),
            });
        };
        let town = cell(2);
        if town.is_empty() {
            set_aside(None, 2, "镇办为空", "镇办为空".into());
            continue;
        }
        let Some(ti) = town_names.iter().position(|t| *t == town) else {
            let e = unknown_towns.entry(town).or_insert((row, 0));
            e.1 += 1;
            continue;
        };
        if !towns_seen.contains(&(ti as u32)) {
            towns_seen.push(ti as u32);
        }
        let key = match id_key(raw_id, deadline) {
            Ok(key) => key,
            Err(p) => {
                let message = p.message();
                set_aside(Some(ti), 0, &message, message.clone());
                continue;
            }
        };
        let date = match crate::cell::parse_date_near(cell(5), *year) {
            Ok(d) => {
                two_digit.add(&d, row, cell(5));
                d.date
            }
            Err(p) => {
                if p == crate::cell::DateProblem::Ambiguous {
                    ambiguous.add("月日顺序不明", row, cell(5));
                }
                let reason = match p {
                    crate::cell::DateProblem::Empty => "缴费日期为空",
                    crate::cell::DateProblem::Ambiguous => "月日顺序不明",
                    crate::cell::DateProblem::Unreadable => "缴费日期无法识别",
                    crate::cell::DateProblem::FarYear { .. } => "两位年份不在本项目的年份内",
                };
                set_aside(Some(ti), 5, reason, format!("缴费{}", p.message(cell(5))));
                continue;
            }
        };
        match crate::cell::parse_number(cell(4), false) {
            Ok(p) if p > 0.0 => {}
            Ok(_) => {
                set_aside(Some(ti), 4, "保费为0", format!("保费应大于0（为{}）", cell(4)));
                continue;
            }
            Err(p) => {
                let reason = match p {
                    crate::cell::NumberProblem::Empty => "保费为空",
                    crate::cell::NumberProblem::IdShaped => "保费列中是身份证号等长数字",
                    _ => "保费不是金额",
                };
                set_aside(Some(ti), 4, reason, format!("保费{}", p.message(cell(4))));
                continue;
            }
        }
        let village = cell(3);
        let Some(&(town_index, vi)) = villages.get(&(town, village)) else {
            let known =
                population.towns.iter().find(|t| t.name == town).map(|t| t.villages.iter().map(|v| v.name.as_str()));
            let hint = known.and_then(|k| nearest(village, k)).map(|n| format!("，是否为“{n}”？")).unwrap_or_default();
            set_aside(
                Some(ti),
                3,
                "村名不在人口数据中",
                format!("{town}没有名为“{village}”的村（人口数据中无此村）{hint}"),
            );
            continue;
        };
        candidates.push(Candidate {
            key,
            row,
            person: Insured { town: town_index, village: vi, late: date > deadline },
        });
    }
    if !unknown_towns.is_empty() {
        let col = header(2);
        return Err(unknown_towns
            .into_iter()
            .map(|(name, (row, n))| {
                let more = if n > 1 { format!("（共{n}行）") } else { String::new() };
                let p = InputProblem::at(&table.file, row, Some(&col), format!("镇办“{name}”不在人口数据中{more}"));
                match nearest(name, town_names.iter().copied()) {
                    Some(n) if !name.is_empty() => p.hint(format!("是否应为“{n}”？")),
                    _ => p.hint("镇办名称须与人口数据一致"),
                }
            })
            .collect());
    }
    let mut problems = Vec::new();
    // Day and month that could be either way round are never guessed: one such date
    // means the clerk must say which, for the whole column.
    if ambiguous.rows > 0 {
        problems.push(
            InputProblem::at(
                &table.file,
                ambiguous.examples[0].0,
                Some(&header(5)),
                format!(
                    "有{}个缴费日期分不清月和日（如 11/5/2015 是11月5日还是5月11日），例如{}",
                    ambiguous.rows,
                    ambiguous.examples()
                ),
            )
            .hint(format!(
                "kaohe 不猜测日期。在表格软件中把该列设为“yyyy-mm-dd”日期格式后另存；{}",
                crate::cell::DATE_HINT
            )),
        );
    }
    // A large share of a file's rows (or all of them) failing one column's check is not a
    // few typos but a broken column: refuse the file rather than rank its town on what is left.
    let rows = table.len() - totals;
    for (&k, f) in &failures {
        let broken = f.rows == rows
            || (f.rows >= MIN_BROKEN_ROWS && f.rows as u64 * 1_000_000 >= max_set_aside_ppm * rows as u64);
        if !broken || (k == 5 && ambiguous.rows > 0) {
            continue;
        }
        let (worst, n) = f.reasons.iter().max_by_key(|(_, n)| **n).map(|(m, n)| (m.clone(), *n)).unwrap_or_default();
        problems.push(
            InputProblem::at(
                &table.file,
                f.examples[0].0,
                Some(&header(k)),
                format!(
                    "{rows}行中有{}行因这一列未能读取（{n}行为：{worst}），整列可能有格式问题，例如{}；如照常计算，该镇将按缺少这些行排名",
                    f.rows,
                    f.examples()
                ),
            )
            .hint(COLUMN_HINTS[k]),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    notes.extend(two_digit.note(&header(5)));
    Ok((candidates, issues, towns_seen))
}

/// Validate every roster (in parallel, one file per task), then de-duplicate persons in
/// file order: a person counts once, in the first file and row where they appear.
pub fn rosters(
    tables: &[RawTable],
    population: &Population,
    deadline: NaiveDate,
    year: i32,
) -> Result<Enrollment, Vec<InputProblem>> {
    let lookup = RosterLookup::new(population, deadline, year, 200_000, ROSTER_FIELDS.to_vec());
    merge(tables.par_iter().map(|t| check_file(t, &lookup)).collect(), population)
}

/// De-duplicate persons across the checked files, in file order.
pub fn merge(checks: Vec<FileCheck>, population: &Population) -> Result<Enrollment, Vec<InputProblem>> {
    let mut problems = Vec::new();
    let mut out = Enrollment { towns_with_rows: vec![false; population.towns.len()], ..Enrollment::default() };
    // Each person's first (file, row).
    let total: usize = checks.iter().map(|c| c.records).sum();
    let mut first_seen: HashMap<u64, (u32, u32)> = HashMap::with_capacity(total);
    let files: Vec<String> = checks.iter().map(|c| c.file.clone()).collect();
    for (fi, check) in checks.into_iter().enumerate() {
        let (candidates, mut issues, towns_seen) = match check.result {
            Ok(x) => x,
            Err(p) => {
                problems.extend(p);
                continue;
            }
        };
        for ti in towns_seen {
            out.towns_with_rows[ti as usize] = true;
        }
        let id_col = check.id_col;
        let mut accepted = 0;
        let rows = candidates.len();
        let mut dup_files: BTreeMap<usize, usize> = BTreeMap::new();
        for c in candidates {
            if let Some(&(ffile, frow)) = first_seen.get(&c.key) {
                let ffile = ffile as usize;
                *dup_files.entry(ffile).or_default() += 1;
                // Rosters sit in one folder: the other file's name is enough.
                let other = &files[ffile];
                let place =
                    if ffile == fi { String::new() } else { other.rsplit('/').next().unwrap_or(other).to_string() };
                issues.push(RowIssue {
                    file: check.file.clone(),
                    row: c.row,
                    column: id_col.clone(),
                    problem: format!("重复参保：与{place}第{frow}行为同一人，不重复计数"),
                    masked_id: mask_id(&id_text(c.key)),
                    town: Some(c.person.town),
                });
                continue;
            }
            first_seen.insert(c.key, (fi as u32, c.row as u32));
            out.insured.push(c.person);
            accepted += 1;
        }
        // A file whose people are mostly already in another file is the same roster sent
        // twice (or under the wrong town's name): its town would rank at 0%.
        let dups: usize = dup_files.values().sum();
        if dups > 0
            && (dups == rows
                || (dups >= MIN_BROKEN_ROWS && dups as u64 * 1_000_000 >= check.max_set_aside_ppm * rows as u64))
        {
            let (&other, _) = dup_files.iter().max_by_key(|(_, n)| **n).expect("some duplicates");
            let other = if other == fi { "本文件前面的行".to_string() } else { files[other].clone() };
            problems.push(
                InputProblem::file(&check.file, format!("{rows}行中有{dups}行的人已出现在{other}中，不像是一份新名册"))
                    .column(id_col.clone())
                    .hint("检查是否把同一份名册提交了两次，或文件放错了镇；换成该镇自己的名册后重新运行"),
            );
            continue;
        }
        issues.sort_by_key(|i| i.row);
        out.files.push(FileSummary {
            file: check.file,
            format: check.format,
            records: check.records,
            blank_rows: check.blank_rows,
            accepted,
            rejected: issues.len(),
            notes: check.notes,
        });
        out.issues.extend(issues);
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
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
