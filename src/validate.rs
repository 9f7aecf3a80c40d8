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

/// A field kaohe reads, with the header spellings it accepts.
pub struct Field {
    /// The name used in messages.
    pub label: &'static str,
    /// Accepted headers (compared after removing spaces, lower-cased, full-width brackets folded).
    pub aliases: &'static [&'static str],
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

fn fold_header(h: &str) -> String {
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
    if problems.is_empty() {
        Ok(found)
    } else {
        Err(problems)
    }
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
pub fn population(table: &RawTable) -> Result<Population, Vec<InputProblem>> {
    let cols = match_headers(table, &POPULATION_FIELDS)?;
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
            IdProblem::ExcelNumber => "身份证号被 Excel 存成了数字，末几位已丢失".into(),
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
    let id = raw.trim();
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

/// Parse the date forms clerks type: 2015-11-03, 2015/11/3, 2015.11.3, 2015年11月3日,
/// 20151103, an Excel serial number, with or without a time after it.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let t = t.split([' ', 'T']).next().unwrap_or(t);
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(t, "%Y%m%d").ok();
    }
    if let Ok(serial) = t.parse::<f64>() {
        return if (20000.0..80000.0).contains(&serial) { crate::ingest::excel_serial_date(serial) } else { None };
    }
    let parts: Vec<&str> = t.split(['-', '/', '.', '年', '月', '日']).filter(|p| !p.is_empty()).collect();
    if parts.len() != 3 {
        return None;
    }
    let (y, m, d) = (parts[0].parse().ok()?, parts[1].parse().ok()?, parts[2].parse().ok()?);
    NaiveDate::from_ymd_opt(y, m, d)
}

/// A roster row set aside, for the data-quality report. Never holds a full ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    pub file: String,
    pub row: usize,
    /// Header of the offending column, as written in the file.
    pub column: String,
    pub problem: String,
    pub masked_id: String,
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
}

impl<'a> RosterLookup<'a> {
    pub fn new(population: &'a Population, deadline: NaiveDate) -> RosterLookup<'a> {
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
        RosterLookup { population, town_names: population.town_names().collect(), villages, deadline }
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
    result: FileResult,
}

/// Check every row of one roster file.
pub fn check_file(table: &RawTable, lookup: &RosterLookup) -> FileCheck {
    let id_col = match_headers(table, &ROSTER_FIELDS).map(|c| table.headers[c[0]].clone()).unwrap_or_default();
    FileCheck {
        file: table.file.clone(),
        format: table.format.clone(),
        records: table.len(),
        blank_rows: table.blank_rows,
        id_col,
        result: check_rows(table, lookup),
    }
}

fn check_rows(table: &RawTable, lookup: &RosterLookup) -> FileResult {
    let RosterLookup { population, town_names, villages, deadline } = lookup;
    let deadline = *deadline;

    let cols = match_headers(table, &ROSTER_FIELDS)?;
    let header = |k: usize| table.headers[cols[k]].clone();
    let mut unknown_towns: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut towns_seen: Vec<u32> = Vec::new();
    let mut id_problems: BTreeMap<String, usize> = BTreeMap::new();
    let mut candidates = Vec::with_capacity(table.len());
    let mut issues = Vec::new();
    for r in 0..table.len() {
        let cell = |k: usize| &table.cells[cols[k]][r];
        let row = table.rows[r];
        let raw_id = cell(0);
        let issue = |k: usize, problem: String| RowIssue {
            file: table.file.clone(),
            row,
            column: header(k),
            problem,
            masked_id: mask_id(raw_id),
        };
        let town = cell(2);
        // A 合计 row typed under the list, or a row with no town: set aside, not fatal.
        if (0..6).any(|k| matches!(cell(k), "合计" | "总计" | "小计")) {
            issues.push(issue(2, "合计行，不计入".into()));
            continue;
        }
        if town.is_empty() {
            issues.push(issue(2, "镇办为空".into()));
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
                *id_problems.entry(message.clone()).or_default() += 1;
                issues.push(issue(0, message));
                continue;
            }
        };
        let date = match parse_date(cell(5)) {
            Some(d) => d,
            None if cell(5).is_empty() => {
                issues.push(issue(5, "缴费日期为空".into()));
                continue;
            }
            None => {
                issues.push(issue(5, format!("缴费日期“{}”无法识别", cell(5))));
                continue;
            }
        };
        match cell(4).parse::<f64>() {
            Ok(p) if p > 0.0 => {}
            Ok(_) => {
                issues.push(issue(4, format!("保费应大于0（为{}）", cell(4))));
                continue;
            }
            Err(_) if cell(4).is_empty() => {
                issues.push(issue(4, "保费为空".into()));
                continue;
            }
            Err(_) => {
                issues.push(issue(4, format!("保费“{}”不是数字", cell(4))));
                continue;
            }
        }
        let village = cell(3);
        let Some(&(ti, vi)) = villages.get(&(town, village)) else {
            let known =
                population.towns.iter().find(|t| t.name == town).map(|t| t.villages.iter().map(|v| v.name.as_str()));
            let hint = known.and_then(|k| nearest(village, k)).map(|n| format!("，是否为“{n}”？")).unwrap_or_default();
            issues.push(issue(3, format!("{town}没有名为“{village}”的村（人口数据中无此村）{hint}")));
            continue;
        };
        candidates.push(Candidate { key, row, person: Insured { town: ti, village: vi, late: date > deadline } });
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
    // Most IDs of a file invalid is not a few typos but a broken column (often Excel
    // having turned IDs into numbers): refuse the file rather than rank its town at 0%.
    let bad_ids: usize = id_problems.values().sum();
    if bad_ids * 2 > table.len() {
        let (worst, n) = id_problems.iter().max_by_key(|(_, n)| **n).map(|(m, n)| (m.clone(), *n)).unwrap_or_default();
        return Err(vec![InputProblem::at(
            &table.file,
            1,
            Some(&header(0)),
            format!("{}行中有{bad_ids}行身份证号无效（{n}行为：{worst}），整列可能已损坏", table.len()),
        )
        .hint("在 Excel 中把身份证号列设为“文本”格式后重新录入或从原始系统重新导出")]);
    }
    Ok((candidates, issues, towns_seen))
}

/// Validate every roster (in parallel, one file per task), then de-duplicate persons in
/// file order: a person counts once, in the first file and row where they appear.
pub fn rosters(
    tables: &[RawTable],
    population: &Population,
    deadline: NaiveDate,
) -> Result<Enrollment, Vec<InputProblem>> {
    let lookup = RosterLookup::new(population, deadline);
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
        for c in candidates {
            if let Some(&(ffile, frow)) = first_seen.get(&c.key) {
                let ffile = ffile as usize;
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
                });
                continue;
            }
            first_seen.insert(c.key, (fi as u32, c.row as u32));
            out.insured.push(c.person);
            accepted += 1;
        }
        issues.sort_by_key(|i| i.row);
        out.files.push(FileSummary {
            file: check.file,
            format: check.format,
            records: check.records,
            blank_rows: check.blank_rows,
            accepted,
            rejected: issues.len(),
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

    #[test]
    fn dates_in_clerk_forms() {
        for t in ["2016-01-30", "2016/1/30", "2016年1月30日", "2016.1.30", "20160130", "2016-01-30 00:00:00", "42399"]
        {
            assert_eq!(parse_date(t), Some(day(2016, 1, 30)), "{t}");
        }
        assert_eq!(parse_date("2016-02-30"), None);
        assert_eq!(parse_date("明天"), None);
    }
}
