//! Datasets declared in a programme file: which file (or folder of files), which
//! columns with which types and the header spellings clerks use, and which column names
//! the unit a row belongs to. Every file is read by [`crate::ingest`] (CSV in any
//! encoding, Excel, Parquet) and every cell checked against its declared type by
//! [`crate::validate::cell`]; a bad cell is a problem naming file, row and column — no row is
//! quietly dropped, since a measure over a dataset missing rows would publish a wrong
//! score. The result is one polars frame per dataset.
//!
//! ```toml
//! [datasets.claims]
//! file = "data/理赔台账"                 # a file, or a folder whose every file is read
//! unit = "镇"                            # the column naming the unit of each row
//! [datasets.claims.columns]
//! "镇" = { type = "text", aliases = ["镇办", "乡镇"] }
//! "报案日期" = "date"
//! "结案日期" = { type = "date", optional = true }   # blank: not closed yet
//! "赔款" = "number"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use crate::ingest;
use crate::problem::{nearest, InputProblem};
use crate::validate::cell::{parse_date_near, parse_flag, parse_number, DATE_HINT};
use crate::validate::{fold_header, match_headers, Field};

pub use crate::programme::dataset::{ColumnSpec, ColumnType, DatasetSpec, EveryUnit, Only, RowCheck, UnitColumns};

/// The name of the frame column holding each row's unit, and of its source row.
pub const UNIT: &str = "__unit";
pub const ROW: &str = "__row";
pub const FILE: &str = "__file";

/// The separator of a unit's key cells in the `__unit` column and in measure maps.
pub const KEY_SEP: char = '\u{1f}';

/// A unit's keys as one string (`__unit`).
pub fn unit_key(keys: &[String]) -> String {
    keys.join(&KEY_SEP.to_string())
}

/// A unit key as shown to a clerk: 崇川区 人保财险.
pub fn shown_key(key: &str) -> String {
    key.replace(KEY_SEP, " ")
}

impl Only {
    /// Does the row's raw cell (of a column of `kind`) belong? A yes/no cell that is
    /// neither is an error, not a guess; a blank cell does not belong.
    fn keeps(&self, kind: ColumnType, raw: &str) -> Result<bool, String> {
        if raw.is_empty() {
            return Ok(false);
        }
        if let Some(want) = self.is.filter(|_| kind == ColumnType::YesNo) {
            let flag = parse_flag(raw).ok_or_else(|| format!("应填“是”或“否”，不是“{raw}”"))?;
            return Ok(flag == want);
        }
        if let Some(t) = &self.equals {
            return Ok(raw == t);
        }
        Ok(self.among.iter().flatten().any(|t| t == raw))
    }

    /// What the rule says, for notes: 参加小额保险为“是”.
    fn describe(&self) -> String {
        match (&self.is, &self.equals, &self.among) {
            (Some(b), _, _) => format!("{}为“{}”", self.column, if *b { "是" } else { "否" }),
            (_, Some(t), _) => format!("{}为“{t}”", self.column),
            (_, _, Some(list)) => format!("{}为“{}”之一", self.column, list.join("”“")),
            _ => self.column.clone(),
        }
    }
}

/// A row set aside (a bad cell, or a duplicate of an earlier row), for the data-quality
/// report. Never holds a full ID.
#[derive(Debug, Clone)]
pub struct SetAside {
    pub file: String,
    pub row: usize,
    /// The column at fault, as the programme names it.
    pub column: String,
    pub problem: String,
    /// The row's ID (the dataset's first `id` column), masked; empty when it has none.
    pub masked_id: String,
    /// The row's unit cells as written (a `set_aside` measure counts them per unit).
    pub unit: Vec<String>,
}

/// What one file of a dataset contributed, for the data-quality report.
#[derive(Debug, Clone)]
pub struct FileSummary {
    pub file: String,
    pub format: String,
    /// Records read (blank rows and 合计 lines aside).
    pub records: usize,
    pub blank_rows: usize,
    /// Rows outside `only`.
    pub outside: usize,
    pub kept: usize,
    pub set_aside: usize,
    /// What was read on the clerk's behalf (merged cells filled down).
    pub notes: Vec<String>,
}

/// A dataset's rows accounted for: per file, and every row set aside.
#[derive(Debug, Clone, Default)]
pub struct Quality {
    pub files: Vec<FileSummary>,
    pub rows: Vec<SetAside>,
    /// `only`, in words (参加小额保险为“是”), when the dataset has one.
    pub only: Option<String>,
}

/// A dataset read and checked: one polars frame with the unit, source file and row of
/// every record, and one typed column per declared column (dates as days since 1970-01-01).
pub struct Dataset {
    pub frame: DataFrame,
    /// Each declared column's type, for the measures.
    pub types: BTreeMap<String, ColumnType>,
    /// Every file read: (path, as shown), for the manifest.
    pub files: Vec<(PathBuf, String)>,
    /// The columns read as `other_columns` (each one a measure), in file order.
    pub other_columns: Vec<String>,
    /// The unit level its rows belong to.
    pub level: String,
    /// Its unit columns, in the order of the level's key (镇, 村).
    pub keys: Vec<String>,
    /// The rules every row must keep (checked by [`crate::measure::broken`]).
    pub checks: Vec<RowCheck>,
    /// `row_name`: the column naming a row in evidence.
    pub row_name: Option<String>,
    /// Per file what was read, kept and set aside — for a dataset that filters (`only`),
    /// sets rows aside or keeps the first of each record; `None` otherwise.
    pub quality: Option<Quality>,
}

/// Days since 1970-01-01: how dates sit in a frame (polars' own date epoch).
pub fn day_number(d: NaiveDate) -> i32 {
    // 719,163 days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
    d.num_days_from_ce() - 719_163
}

/// One typed cell.
enum Value {
    Text(Option<String>),
    /// A text cell as the file has it: (table, row, column) in the tables read, copied
    /// once into the frame — no string per cell of a roster in between.
    Cell(u32, u32, u32),
    Num(Option<f64>),
    Day(Option<i32>),
    Flag(Option<bool>),
}

/// What a clerk's sum line says in one of its cells.
const TOTALS: [&str; 3] = ["合计", "总计", "小计"];

/// A cell without any whitespace (full-width spaces too): “合　计” is 合计.
fn squeezed(cell: &str) -> String {
    cell.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A cell that says 合计, 总计 or 小计 (spaces aside): the row is a sum line. Asked of
/// every cell, so its last character is looked at first.
fn is_total(cell: &str) -> bool {
    match cell.chars().next_back() {
        Some('计') => {}
        Some(c) if c.is_whitespace() && cell.trim_end().ends_with('计') => {}
        _ => return false,
    }
    TOTALS.contains(&squeezed(cell).as_str())
}

/// Whether a cell has 计 anywhere (人保小计). A byte scan: std's `contains` compares a
/// short cell at every position with memcmp, a tenth of checking a province's rosters.
fn mentions_ji(cell: &str) -> bool {
    cell.as_bytes().windows(3).any(|w| matches!(w, [0xE8, 0xAE, 0xA1]))
}

/// Problems listed per file before the rest are summed up in one line.
const LISTED_PER_FILE: usize = 20;

/// Rows one column may set aside in a file this large before the file is refused, at least.
const MIN_BROKEN_ROWS: usize = 10;

/// `max_set_aside` when none is written: 20% of a file's rows.
const DEFAULT_MAX_SET_ASIDE_PPM: u64 = 200_000;

/// A file's own name, without its folder: rosters of one dataset sit side by side.
fn short_name(shown: &str) -> &str {
    shown.rsplit('/').next().unwrap_or(shown)
}

fn files_of(
    dir: &Path,
    display: &str,
    spec: &DatasetSpec,
    name: &str,
    toml_file: &str,
) -> Result<Vec<(PathBuf, String)>, InputProblem> {
    let path = crate::programme::confined(dir, &spec.file, &format!("datasets.{name}.file"), toml_file)?;
    let shown = format!("{display}/{}", spec.file.trim_end_matches('/'));
    if !path.is_dir() {
        return Ok(vec![(path, shown)]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
        .map_err(|e| InputProblem::file(&shown, format!("文件夹无法读取：{}", crate::problem::io_text(&e))))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            let n = p.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
            !n.starts_with('.') && !n.starts_with("~$") && n != "thumbs.db" && n != "desktop.ini"
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(InputProblem::file(&shown, "文件夹是空的").hint("放入数据文件（.xlsx、.csv 或 .parquet）"));
    }
    let mut out = Vec::new();
    for p in files {
        let n = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let shown_file = format!("{shown}/{n}");
        crate::programme::inside(dir, &p, &shown_file, &shown_file)?;
        out.push((p, shown_file));
    }
    Ok(out)
}

fn check_cell(kind: ColumnType, raw: &str, as_of: NaiveDate, year: i32) -> Result<Value, String> {
    Ok(match kind {
        ColumnType::Text => Value::Text(Some(raw.to_string())),
        ColumnType::Integer => {
            let n = parse_number(raw, false).map_err(|p| p.message(raw))?;
            if n.fract() != 0.0 {
                return Err(format!("应是整数（“{raw}”）"));
            }
            Value::Num(Some(n))
        }
        ColumnType::Number => Value::Num(Some(parse_number(raw, false).map_err(|p| p.message(raw))?)),
        ColumnType::Percent => Value::Num(Some(parse_number(raw, true).map_err(|p| p.message(raw))?)),
        ColumnType::Date => Value::Day(Some(day_number(parse_date_near(raw, year).map_err(|p| p.message(raw))?.date))),
        ColumnType::YesNo => Value::Flag(Some(parse_flag(raw).ok_or_else(|| format!("应填“是”或“否”，不是“{raw}”"))?)),
        ColumnType::Id => {
            let id = crate::validate::check_id(raw, as_of).map_err(|p| p.message())?;
            Value::Text(Some(id))
        }
        ColumnType::NumberOrYesNo => match parse_flag(raw) {
            Some(flag) if parse_number(raw, false).is_err() => Value::Num(Some(flag as u8 as f64)),
            _ => Value::Num(Some(parse_number(raw, false).map_err(|_| format!("应填数字或“是/否”，不是“{raw}”"))?)),
        },
    })
}

fn blank(kind: ColumnType) -> Value {
    match kind {
        ColumnType::Text | ColumnType::Id => Value::Text(None),
        ColumnType::Integer | ColumnType::Number | ColumnType::Percent | ColumnType::NumberOrYesNo => Value::Num(None),
        ColumnType::Date => Value::Day(None),
        ColumnType::YesNo => Value::Flag(None),
    }
}

/// One column as read: declared in `columns`, or one of a findings table's `other_columns`.
struct Col {
    name: String,
    kind: ColumnType,
    optional: bool,
    aliases: Vec<String>,
    among: Vec<String>,
    unique: bool,
}

/// A file's rows that passed every check of their own, waiting for those across rows
/// (`one_row_per`, `keep_first`): column by column, so a roster's 390,000 rows make no
/// allocation each.
#[derive(Default)]
struct Passed {
    /// Each row's index in the file and its row number.
    at: Vec<(u32, u32)>,
    /// Each column's cells, a row's at the row's place in `at`.
    values: Vec<Vec<Value>>,
    /// Each declared column's place in the file.
    found: Vec<usize>,
}

/// One file's rows checked on their own; [`read`] then decides, in file and row order,
/// what depends on the rows before.
#[derive(Default)]
struct FileRows {
    /// The file's place in name order.
    index: usize,
    /// A declared column not found: the file is not read further.
    header_problems: Vec<InputProblem>,
    /// Each column's place in the file.
    found: Vec<usize>,
    /// (row, problem), every one found: sorted and capped with the rest.
    row_problems: Vec<(usize, InputProblem)>,
    /// Sum lines, and rows outside `only`.
    totals: usize,
    outside: usize,
    aside: Vec<SetAside>,
    /// Per column at fault: (row, cell, reason) of each row it set aside.
    failures: BTreeMap<usize, Vec<(usize, String, String)>>,
    /// Dates written with a two-digit year (16年1月30日), per column: read, and said so.
    two_digit: Vec<crate::validate::TwoDigitYears>,
    /// Each percent column's largest value, and its first row: all below 1 means shares
    /// written as decimals (0.4 for 40%).
    percent_max: Vec<Option<(f64, usize, String)>>,
    /// Bare values between 0 and 1 (“0.94”, no %) in a percent column: with other rows at
    /// 1 or more, 94% written as a decimal — or 0.94%? Refused, not guessed.
    bare_small: Vec<Vec<(usize, String)>>,
    passed: Passed,
}

/// The units a dataset's rows may name: its level and each unit's key cells.
pub struct UnitsOf<'a> {
    pub level: &'a str,
    pub keys: &'a [Vec<String>],
    /// The dataset the level's units are drawn from (`[units] from`): every unit it names is one.
    pub defines: bool,
    /// Where the units are listed, as messages say it: "[units]", "数据集 population".
    pub named_in: &'a str,
    /// Every level's units (`every_unit = "town"` reads a coarser level's).
    pub levels: Vec<(&'a str, &'a [Vec<String>])>,
}

/// Read every file of a declared dataset and check every cell. `units` are the units a
/// row may name; `as_of` is the latest birth date an ID may carry; `year` is the programme's
/// (a date written “16年1月30日” is read within a year of it).
pub fn read(
    dir: &Path,
    display: &str,
    name: &str,
    spec: &DatasetSpec,
    units: UnitsOf<'_>,
    as_of: NaiveDate,
    year: i32,
) -> Result<Dataset, Vec<InputProblem>> {
    let toml_file = format!("{display}/programme.toml");
    let unit_columns = spec.unit.names();
    if let Some(c) = unit_columns.iter().find(|c| !spec.columns.contains_key(*c)) {
        return Err(vec![InputProblem::file(
            &toml_file,
            format!("[datasets.{name}] 的 unit 中“{c}”不在它的 columns 中"),
        )
        .hint(format!("columns 中有：{}", spec.columns.keys().cloned().collect::<Vec<_>>().join("、")))]);
    }
    // A unit is named in words (村代码 too: "0101" is not the number 101), and the measures
    // join a dataset's unit columns with the units' names as text.
    if let Some((c, kind)) =
        unit_columns.iter().filter_map(|c| Some((c, spec.columns.get(c)?.kind()))).find(|(_, k)| *k != ColumnType::Text)
    {
        return Err(vec![InputProblem::file(
            &toml_file,
            format!("[datasets.{name}] 的单位列“{c}”写成了{}列，单位列要是文字", kind.label()),
        )
        .hint(format!("在 [datasets.{name}.columns] 中写 \"{c}\" = \"text\"（编码也写成文字，以免 0101 读成 101）"))]);
    }
    // polars' hash maps (a fast hasher, already built): a key per roster row is looked up.
    let known: PlHashSet<String> = units.keys.iter().map(|k| unit_key(k)).collect();
    let shown_units: Vec<String> = units.keys.iter().map(|k| k.join(" ")).collect();
    // With several key columns: each parent's children (a town's villages), by the parent's key.
    let mut children: std::collections::HashMap<String, Vec<String>> = Default::default();
    for k in units.keys.iter().filter(|k| k.len() > 1) {
        children.entry(unit_key(&k[..k.len() - 1])).or_default().push(k[k.len() - 1].clone());
    }
    let files = files_of(dir, display, spec, name, &toml_file).map_err(|p| vec![p])?;
    let mut problems = Vec::new();
    let mut tables = Vec::new();
    // The files are read side by side (a district's 34 rosters), their rows checked in
    // name order below.
    let read: Vec<_> =
        crate::parallel::map(&files, |(path, shown)| (shown.clone(), ingest::read_table_or_header(path, shown)));
    for (shown, table) in read {
        match table {
            // A header and no rows: a year with no cases only when the programme says so.
            Ok(t) if t.is_empty() && !spec.may_be_empty => {
                problems.push(InputProblem::file(shown, "文件只有表头，没有数据行").hint(format!(
                    "如果今年确实没有记录，在 programme.toml 的 [datasets.{name}] 中写 may_be_empty = true"
                )))
            }
            Ok(t) => tables.push((shown.clone(), t)),
            Err(p) => problems.push(p),
        }
    }
    let mut cols: Vec<Col> = spec
        .columns
        .iter()
        .map(|(n, c)| Col {
            name: n.clone(),
            kind: c.kind(),
            optional: c.optional(),
            aliases: c.aliases().to_vec(),
            among: c.among().to_vec(),
            unique: c.unique(),
        })
        .collect();
    // A findings table: every column not declared is read as `other_columns`, blank allowed
    // (a blank finding is missing, and an item that reads it says so).
    if let (Some(kind), Some((shown, first))) = (spec.other_columns, tables.first()) {
        let declared: Vec<String> = cols
            .iter()
            .flat_map(|c| std::iter::once(c.name.clone()).chain(c.aliases.iter().cloned()))
            .map(|h| fold_header(&h))
            .collect();
        let extra: Vec<String> =
            first.headers.iter().filter(|h| !h.is_empty() && !declared.contains(&fold_header(h))).cloned().collect();
        if extra.is_empty() {
            problems.push(
                InputProblem::at(shown, 1, None, "没有 columns 以外的列，other_columns 读不到任何检查结果")
                    .hint("每个检查项目一列，列名就是评分表中 metric 的名字"),
            );
        }
        cols.extend(extra.into_iter().map(|n| Col {
            name: n,
            kind,
            optional: true,
            aliases: Vec::new(),
            among: Vec::new(),
            unique: false,
        }));
    }
    let aliases: Vec<Vec<&str>> = cols
        .iter()
        .map(|c| std::iter::once(c.name.as_str()).chain(c.aliases.iter().map(String::as_str)).collect())
        .collect();
    let fields: Vec<Field> =
        cols.iter().zip(&aliases).map(|(c, a)| Field { label: c.name.as_str(), aliases: a.as_slice() }).collect();
    let unit_index: Vec<usize> =
        unit_columns.iter().map(|u| cols.iter().position(|c| &c.name == u).expect("checked above")).collect();
    let last_unit = *unit_index.last().expect("a unit has a column");
    if let Some(n) = spec.row_name.as_ref().filter(|n| !spec.columns.contains_key(*n)) {
        return Err(vec![InputProblem::file(
            &toml_file,
            format!("[datasets.{name}] row_name = \"{n}\" 不在它的 columns 中"),
        )]);
    }
    let once: Vec<usize> = spec.one_row_per.iter().filter_map(|n| cols.iter().position(|c| &c.name == n)).collect();
    if once.len() != spec.one_row_per.len() {
        return Err(vec![InputProblem::file(
            &toml_file,
            format!("[datasets.{name}] one_row_per 中有不在 columns 中的列"),
        )
        .hint(format!("columns 中有：{}", spec.columns.keys().cloned().collect::<Vec<_>>().join("、")))]);
    }
    let mut lines: PlHashMap<Vec<&str>, (&str, usize)> = Default::default();
    let position = |key: &str, column: &str| {
        cols.iter().position(|c| c.name == column).ok_or_else(|| {
            vec![InputProblem::file(&toml_file, format!("[datasets.{name}] {key} 中的“{column}”不在它的 columns 中"))
                .hint(format!("columns 中有：{}", spec.columns.keys().cloned().collect::<Vec<_>>().join("、")))]
        })
    };
    let only_at = match &spec.only {
        Some(o) => {
            let at = position("only", &o.column)?;
            if [o.is.is_some(), o.equals.is_some(), o.among.is_some()].iter().filter(|b| **b).count() != 1 {
                return Err(vec![InputProblem::file(
                    &toml_file,
                    format!("[datasets.{name}] only 中要写 is、equals 或 in（只写一个）"),
                )]);
            }
            let kind = cols[at].kind;
            if o.is.is_some() != (kind == ColumnType::YesNo) {
                let message = match o.is {
                    Some(_) => format!("only 的 is 只用于“是/否”列，“{}”是{}列", o.column, kind.label()),
                    None => format!("“{}”是“是/否”列，only 中写 is = true 或 is = false", o.column),
                };
                return Err(vec![InputProblem::file(&toml_file, format!("[datasets.{name}] {message}"))]);
            }
            Some(at)
        }
        None => None,
    };
    let first_at = spec.keep_first.as_deref().map(|c| position("keep_first", c)).transpose()?;
    let id_at = cols.iter().position(|c| c.kind == ColumnType::Id);
    let max_ppm = spec.max_set_aside.map_or(DEFAULT_MAX_SET_ASIDE_PPM, |r| r.0);
    let mut quality = (spec.set_aside || spec.keep_first.is_some() || spec.only.is_some())
        .then(|| Quality { only: spec.only.as_ref().map(Only::describe), ..Quality::default() });
    let listing = quality.is_some();
    // Each file's rows are checked on their own, side by side (a district's 34 rosters);
    // what depends on earlier rows of any file — one_row_per and keep_first — is decided
    // after, in one pass in file and row order. A `unique` column is checked as the rows
    // are read, so a dataset with one reads its files in order.
    let check_file = |index: usize, mut seen: Option<&mut Vec<PlHashMap<String, (String, usize)>>>| {
        let (shown, table) = &tables[index];
        let shown = shown.as_str();
        let mut checked = FileRows { index, ..FileRows::default() };
        let found = match match_headers(table, &fields) {
            Ok(f) => f,
            Err(p) => {
                // A column not found may be one the office spells its own way: say where to declare it.
                checked.header_problems.extend(p.into_iter().map(|mut p| {
                    if let Some(field) = p.message.strip_prefix("缺少“").and_then(|m| m.strip_suffix("”列")) {
                        let own = format!(
                            "若本办的列名另有写法，在 programme.toml 的 [datasets.{name}.columns] 中给“{field}”加上 aliases = [\"本办的列名\"]"
                        );
                        p.hint = Some(match p.hint.take() {
                            Some(h) => format!("{h}；{own}"),
                            None => own,
                        });
                    }
                    p
                }));
                return checked;
            }
        };
        let FileRows {
            percent_max, bare_small, row_problems, totals, outside, aside, failures, two_digit, passed, ..
        } = &mut checked;
        // Room for every row: most pass.
        passed.at.reserve(table.len());
        passed.values.resize_with(cols.len(), || Vec::with_capacity(table.len()));
        // Reused row after row: the unit's key, the row's cells as read and as checked.
        let mut key = String::new();
        let mut row_cells: Vec<&str> = Vec::with_capacity(cols.len());
        let mut cells = Vec::with_capacity(cols.len());
        percent_max.resize(cols.len(), None);
        bare_small.resize(cols.len(), Vec::new());
        two_digit.resize_with(cols.len(), Default::default);
        let unit_cells = |r: usize| unit_index.iter().map(|&i| table.cells[found[i]][r].to_string()).collect();
        let masked = |r: usize| id_at.map(|i| crate::validate::mask_id(&table.cells[found[i]][r])).unwrap_or_default();
        for r in 0..table.len() {
            let row = table.rows[r];
            row_cells.clear();
            row_cells.extend(found.iter().map(|&at| &table.cells[at][r]));
            // A 合计/小计 line typed under the data is the clerk's sum, not a record.
            if let Some(c) = row_cells.iter().position(|cell| is_total(cell)) {
                *totals += 1;
                // A roster accounts for every line: the sum line is listed, not counted.
                if listing {
                    aside.push(SetAside {
                        file: shown.to_string(),
                        row,
                        column: cols[c].name.clone(),
                        problem: "合计行，不计入".into(),
                        masked_id: String::new(),
                        unit: Vec::new(),
                    });
                }
                continue;
            }
            // With set_aside, a row's first bad cell sets it aside (the column, the problem).
            let mut fault: Option<(usize, InputProblem)> = None;
            macro_rules! bad_cell {
                ($c:expr, $p:expr) => {
                    if spec.set_aside {
                        fault.get_or_insert(($c, $p));
                    } else {
                        row_problems.push((row, $p));
                    }
                };
            }
            let mut row_ok = true;
            if let (Some(o), Some(at)) = (&spec.only, only_at) {
                match o.keeps(cols[at].kind, row_cells[at]) {
                    Ok(true) => {}
                    Ok(false) => {
                        *outside += 1;
                        continue;
                    }
                    Err(m) => {
                        row_ok = false;
                        let p = InputProblem::at(shown, row, Some(&cols[at].name), m).hint("可填：是/否、有/无、1/0");
                        bad_cell!(at, p);
                    }
                }
            }
            cells.clear();
            for (c, (column, &at)) in cols.iter().zip(&found).enumerate() {
                let col_name = column.name.as_str();
                let raw = row_cells[c];
                if raw.is_empty() {
                    if column.optional {
                        cells.push(blank(column.kind));
                    } else {
                        row_ok = false;
                        let p = InputProblem::at(shown, row, Some(col_name), "为空")
                            .hint(format!("填上{}；这一列不能空着", column.kind.label()));
                        bad_cell!(c, p);
                    }
                    continue;
                }
                // The unit: checked once all its key cells are read (at its last key column).
                if c == last_unit {
                    // The key in one string (no cell copied on the way: a roster has a row per person).
                    key.clear();
                    for (n, &i) in unit_index.iter().enumerate() {
                        if n > 0 {
                            key.push(KEY_SEP);
                        }
                        key.push_str(row_cells[i]);
                    }
                    let filled = unit_index.iter().all(|&i| !row_cells[i].is_empty());
                    if !units.defines && filled && !known.contains(&key) {
                        let keys: Vec<String> = unit_index.iter().map(|&i| row_cells[i].to_string()).collect();
                        row_ok = false;
                        // A roster's village its town does not have (a typo, a hamlet's own
                        // name): that row is set aside; a town nobody knows stops the run.
                        let parent = unit_key(&keys[..keys.len() - 1]);
                        if let Some(siblings) = children.get(&parent).filter(|_| spec.set_aside && keys.len() > 1) {
                            let name = keys.last().expect("a unit has a column");
                            let guess = nearest(name, siblings.iter().map(String::as_str))
                                .map(|n| format!("，是否为“{n}”？"))
                                .unwrap_or_default();
                            let p = InputProblem::at(
                                shown,
                                row,
                                Some(col_name),
                                format!(
                                    "{}没有名为“{name}”的{col_name}，{}中无此{col_name}{guess}",
                                    keys[..keys.len() - 1].join(" "),
                                    units.named_in.trim()
                                ),
                            );
                            bad_cell!(c, p);
                            continue;
                        }
                        let raw = keys.join(" ");
                        let p = InputProblem::at(
                            shown,
                            row,
                            Some(col_name),
                            format!("“{raw}”不是{}中的单位", units.named_in),
                        );
                        let p = match nearest(&raw, shown_units.iter().map(String::as_str)) {
                            Some(n) => p.hint(format!("是否应为“{n}”？")),
                            None if shown_units.len() <= 20 => p.hint(format!("单位有：{}", shown_units.join("、"))),
                            None => p.hint(format!("{} 级的单位见{}", units.level, units.named_in.trim())),
                        };
                        row_problems.push((row, p));
                        continue;
                    }
                }
                // A cell that only looks like a total (人保小计, 合 计) is neither skipped nor counted.
                if column.kind == ColumnType::Text && !column.optional && mentions_ji(raw) {
                    let sq = squeezed(raw);
                    if TOTALS.iter().any(|t| sq.contains(t)) {
                        row_ok = false;
                        let p = InputProblem::at(
                            shown,
                            row,
                            Some(col_name),
                            format!("“{raw}”像是合计或小计，不是一条记录"),
                        )
                        .hint("删去合计、小计行（kaohe 自己汇总），或只在一格中写“合计”");
                        row_problems.push((row, p));
                        continue;
                    }
                }
                if !column.among.is_empty() && !column.among.iter().any(|a| a == raw) {
                    row_ok = false;
                    let p = InputProblem::at(shown, row, Some(col_name), format!("“{raw}”不在规定的{col_name}中"));
                    let p = match nearest(raw, column.among.iter().map(String::as_str)) {
                        Some(n) => p.hint(format!("是否应为“{n}”？")),
                        None => p.hint(format!("可填：{}", column.among.join("、"))),
                    };
                    bad_cell!(c, p);
                    continue;
                }
                if let Some(seen) = seen.as_deref_mut().filter(|_| column.unique) {
                    if let Some((file, at)) = seen[c].get(&raw[..]) {
                        row_ok = false;
                        let p =
                            InputProblem::at(shown, row, Some(col_name), format!("“{raw}”重复，已见于{file}第{at}行"))
                                .hint("两行是同一条记录的，删去一行；是两条不同记录的，改正其中一个编号");
                        bad_cell!(c, p);
                        continue;
                    }
                    seen[c].insert(raw.to_string(), (shown.to_string(), row));
                }
                let read = match column.kind {
                    ColumnType::Text => Ok(Value::Cell(index as u32, r as u32, at as u32)),
                    // An ID already as the register writes it (18 ASCII characters, upper-case
                    // X) stays in the table read: no string made per person.
                    ColumnType::Id => match crate::validate::id_key(raw, as_of) {
                        Ok(_) if raw.len() == 18 && !raw.ends_with('x') => {
                            Ok(Value::Cell(index as u32, r as u32, at as u32))
                        }
                        Ok(key) => Ok(Value::Text(Some(crate::validate::id_text(key)))),
                        Err(p) => Err(p.message()),
                    },
                    kind => check_cell(kind, raw, as_of, year),
                };
                match read {
                    Ok(Value::Num(Some(x))) if column.kind == ColumnType::Percent => {
                        let first = percent_max[c].get_or_insert((x, row, raw.to_string()));
                        first.0 = first.0.max(x);
                        if x > 0.0 && x < 1.0 && !raw.contains('%') && !raw.contains('％') {
                            bare_small[c].push((row, raw.to_string()));
                        }
                        cells.push(Value::Num(Some(x)));
                    }
                    Ok(v) => {
                        // (年 is not ASCII: an ISO date is not searched.)
                        if column.kind == ColumnType::Date && !raw.is_ascii() && raw.contains('年') {
                            if let Ok(read) = parse_date_near(raw, year) {
                                two_digit[c].add(&read, row, raw);
                            }
                        }
                        cells.push(v)
                    }
                    Err(message) => {
                        row_ok = false;
                        let hint = match column.kind {
                            ColumnType::Date => DATE_HINT.to_string(),
                            ColumnType::YesNo | ColumnType::NumberOrYesNo => "可填：是/否、有/无、1/0".to_string(),
                            k => format!("这一列应是{}", k.label()),
                        };
                        bad_cell!(c, InputProblem::at(shown, row, Some(col_name), message).hint(hint));
                    }
                }
            }
            if let Some((c, p)) = fault {
                failures.entry(c).or_default().push((row, row_cells[c].to_string(), p.message.clone()));
                aside.push(SetAside {
                    file: shown.to_string(),
                    row,
                    column: cols[c].name.clone(),
                    problem: p.message,
                    masked_id: masked(r),
                    unit: unit_cells(r),
                });
                continue;
            }
            if row_ok {
                passed.at.push((r as u32, row as u32));
                for (column, v) in passed.values.iter_mut().zip(cells.drain(..)) {
                    column.push(v);
                }
            }
        }
        checked.found = found;
        checked
    };
    let checked: Vec<FileRows> = if cols.iter().any(|c| c.unique) {
        let mut seen = cols.iter().map(|_| Default::default()).collect();
        (0..tables.len()).map(|i| check_file(i, Some(&mut seen))).collect()
    } else {
        crate::parallel::map(&(0..tables.len()).collect::<Vec<_>>(), |&i| check_file(i, None))
    };
    // The rows waiting, apart: the pass below borrows their cells while it takes the rest.
    let (passed, checked): (Vec<Passed>, Vec<FileRows>) = checked
        .into_iter()
        .map(|mut f| (Passed { found: f.found.clone(), ..std::mem::take(&mut f.passed) }, f))
        .unzip();
    // keep_first: each value's first row (file, row), across all files in name order.
    // Sized once for every row waiting: no rehash while a district's 390,000 are read.
    let waiting: usize = passed.iter().map(|p| p.at.len()).sum();
    let mut first_seen: PlHashMap<std::borrow::Cow<str>, (&str, usize)> =
        PlHashMap::with_capacity_and_hasher(if first_at.is_some() { waiting } else { 0 }, Default::default());
    // Which of each file's waiting rows are counted.
    let mut counted: Vec<Vec<bool>> = passed.iter().map(|p| vec![false; p.at.len()]).collect();
    for (file, (waiting, counted)) in checked.into_iter().zip(passed.iter().zip(counted.iter_mut())) {
        let (shown, table) = &tables[file.index];
        let shown = shown.as_str();
        if !file.header_problems.is_empty() {
            problems.extend(file.header_problems);
            continue;
        }
        let FileRows {
            found,
            percent_max,
            bare_small,
            mut row_problems,
            totals,
            outside,
            mut aside,
            failures,
            two_digit,
            ..
        } = file;
        let unit_cells = |r: usize| unit_index.iter().map(|&i| table.cells[found[i]][r].to_string()).collect();
        let masked = |r: usize| id_at.map(|i| crate::validate::mask_id(&table.cells[found[i]][r])).unwrap_or_default();
        // Duplicates (keep_first) per earlier file, and the rows counted.
        let mut dups_of: BTreeMap<&str, usize> = BTreeMap::new();
        let mut kept = 0usize;
        for (i, &(r, row)) in waiting.at.iter().enumerate() {
            let (r, row) = (r as usize, row as usize);
            if !once.is_empty() {
                let line: Vec<&str> = once.iter().map(|&i| &table.cells[found[i]][r][..]).collect();
                if let Some((file, at)) = lines.get(&line) {
                    let p = InputProblem::at(shown, row, None, format!("“{}”已在{file}第{at}行填写", line.join(" ")))
                        .hint("每个“{}”只填一行".replace("{}", &spec.one_row_per.join(" × ")));
                    row_problems.push((row, p));
                    continue;
                }
                lines.insert(line, (shown, row));
            }
            // keep_first: a record already read (the same person in two rosters) is listed, not counted twice.
            if let Some(fc) = first_at {
                use std::borrow::Cow;
                let first = match &waiting.values[fc][i] {
                    Value::Text(Some(t)) => Some(Cow::Borrowed(t.as_str())),
                    Value::Cell(f, r, at) => {
                        Some(Cow::Borrowed(&tables[*f as usize].1.cells[*at as usize][*r as usize]))
                    }
                    Value::Num(Some(x)) => Some(Cow::Owned(x.to_string())),
                    Value::Day(Some(d)) => Some(Cow::Owned(d.to_string())),
                    Value::Flag(Some(b)) => Some(Cow::Owned(b.to_string())),
                    _ => None,
                };
                if let Some(first) = first {
                    if let Some(&(file, at)) = first_seen.get(&first) {
                        *dups_of.entry(file).or_default() += 1;
                        let place = if file == shown { "本文件".to_string() } else { short_name(file).to_string() };
                        aside.push(SetAside {
                            file: shown.to_string(),
                            row,
                            column: cols[fc].name.clone(),
                            problem: format!("重复：与{place}第{at}行的{}相同，不重复计数", cols[fc].name),
                            masked_id: masked(r),
                            unit: unit_cells(r),
                        });
                        continue;
                    }
                    first_seen.insert(first, (shown, row));
                }
            }
            kept += 1;
            counted[i] = true;
        }
        // In row order, as the rows were read (stable: a row's cells before its line).
        aside.sort_by_key(|a| a.row);
        row_problems.sort_by_key(|(row, _)| *row);
        let bad = row_problems.len();
        problems.extend(row_problems.into_iter().take(LISTED_PER_FILE).map(|(_, p)| p));
        for ((column, max), small) in cols.iter().zip(&percent_max).zip(&bare_small) {
            if let Some((max, _, _)) = max.as_ref().filter(|m| m.0 >= 1.0) {
                for (row, raw) in small.iter().take(LISTED_PER_FILE) {
                    problems.push(
                        InputProblem::at(
                            shown,
                            *row,
                            Some(&column.name),
                            format!(
                                "“{raw}”小于1，而这一列其他行是百分数（最大{}），看起来是把百分数写成了小数",
                                crate::programme::rubric::fmt_points(*max)
                            ),
                        )
                        .hint(format!(
                            "写成百分数，如 {}；确实不到1%的，写明百分号，如 {raw}%",
                            crate::programme::rubric::fmt_points(raw.parse::<f64>().unwrap_or(0.0) * 100.0)
                        )),
                    );
                }
            }
            if let Some((max, row, example)) = max {
                if *max > 0.0 && *max < 1.0 {
                    problems.push(
                        InputProblem::at(
                            shown,
                            *row,
                            Some(&column.name),
                            format!("所有行都不到1%（如“{example}”），看起来是把百分数写成了小数（40% 写成了 0.4）"),
                        )
                        .hint("填 40 或 40%"),
                    );
                }
            }
        }
        if bad > LISTED_PER_FILE {
            problems.push(InputProblem::file(
                shown,
                format!("……另有 {} 处问题未列出（共 {bad} 处）", bad - LISTED_PER_FILE),
            ));
        }
        // A large share of a file's rows (or all of them) failing one column is not a few
        // typos but a broken column; a file whose rows mostly repeat another's is the same
        // list sent twice. Either way its unit would be counted on what is left: refused.
        let rows = table.len() - totals - outside;
        let too_many =
            |n: usize| n > 0 && (n == rows || (n >= MIN_BROKEN_ROWS && n as u64 * 1_000_000 >= max_ppm * rows as u64));
        let limit = crate::programme::file::Rate(max_ppm).label();
        for (&c, failed) in &failures {
            if !too_many(failed.len()) {
                continue;
            }
            let examples: Vec<String> =
                failed.iter().take(3).map(|(row, raw, _)| format!("第{row}行“{raw}”")).collect();
            // The reason most rows share says what happened to the column; reasons quote
            // their cell, so they are told apart without it (the first row's is shown).
            let mut reasons: BTreeMap<String, (usize, &str)> = BTreeMap::new();
            for (_, _, reason) in failed {
                let kind: String =
                    reason.split('“').map(|part| part.split_once('”').map_or(part, |(_, rest)| rest)).collect();
                reasons.entry(kind).or_insert((0, reason)).0 += 1;
            }
            let (n, reason) = reasons.values().max_by_key(|(n, _)| *n).copied().unwrap_or_default();
            let what = match cols[c].kind {
                // A unit column blank from the second row on: merged cells, lost when saved as CSV.
                _ if unit_index.contains(&c) && reason == "为空" => {
                    "每行都要写明这一列；若在表格软件中合并了单元格，请取消合并并填到每一行（.xlsx 中的合并单元格 kaohe 会自动填充）"
                }
                ColumnType::Id => {
                    "在表格软件（Excel、WPS 或 LibreOffice）中把这一列设为“文本”格式后重新录入，或从原始系统重新导出"
                }
                ColumnType::Date => "kaohe 不猜测日期：把这一列设为“yyyy-mm-dd”日期格式后另存，或从原始系统重新导出",
                _ => "在表格软件中检查这一列的格式（是否整列错位、被改成了别的格式），改正后重新导出",
            };
            problems.push(
                InputProblem::at(
                    shown,
                    failed[0].0,
                    Some(&cols[c].name),
                    format!(
                        "{rows}行中有{}行因这一列不合格而要剔除（{n}行为：{reason}），如{}，整列可能有格式问题；照常计算就会缺少这些行",
                        failed.len(),
                        examples.join("、")
                    ),
                )
                .hint(format!("{what}；确属个别错误的，可调高 [datasets.{name}] 的 max_set_aside（现为{limit}）")),
            );
        }
        let dups: usize = dups_of.values().sum();
        if too_many(dups) {
            let (&other, _) = dups_of.iter().max_by_key(|(_, n)| **n).expect("some duplicates");
            let other = if other == shown { "本文件前面的行".to_string() } else { other.to_string() };
            problems.push(
                InputProblem::file(shown, format!("{rows}行中有{dups}行已出现在{other}中，不像是一份新的名单"))
                    .column(cols[first_at.expect("duplicates need keep_first")].name.clone())
                    .hint("检查是否把同一份文件放了两次，或放错了单位的文件；换成正确的文件后重新运行"),
            );
        }
        if let Some(q) = quality.as_mut() {
            q.files.push(FileSummary {
                file: shown.to_string(),
                format: table.format.clone(),
                // A sum line is a record listed as set aside (读取 = 计入 + 剔除 + 范围外).
                records: table.len(),
                blank_rows: table.blank_rows,
                outside,
                kept,
                set_aside: aside.len(),
                notes: table
                    .notes
                    .iter()
                    .cloned()
                    .chain(cols.iter().zip(&two_digit).filter_map(|(c, t)| t.note(&c.name)))
                    .collect(),
            });
            q.rows.extend(aside);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    // Every unit has rows: a town without any would be ranked last at 0%, not missing.
    let every: Option<(&str, &[Vec<String>])> = match &spec.every_unit {
        EveryUnit::No | EveryUnit::Own(false) => None,
        EveryUnit::Own(true) => Some((units.level, units.keys)),
        EveryUnit::Level(l) => match units.levels.iter().find(|(n, _)| n == l) {
            Some((n, keys)) => Some((n, keys)),
            None => {
                let names: Vec<&str> = units.levels.iter().map(|(n, _)| *n).collect();
                return Err(vec![InputProblem::file(
                    &toml_file,
                    format!("[datasets.{name}] every_unit = \"{l}\" 不是 [units] 中的层级"),
                )
                .hint(format!("层级有：{}", names.join("、")))]);
            }
        },
    };
    // Each file's counted rows as a frame, side by side; then one after another, in file order.
    let frame_of = |k: usize| {
        let (shown, table) = &tables[k];
        let (waiting, counted) = (&passed[k], &counted[k]);
        let rows = counted.iter().filter(|c| **c).count();
        let kept = || waiting.at.iter().zip(counted).filter(|(_, c)| **c).map(|(at, _)| at);
        // A row's unit as one key, made from the file's cells as it was checked.
        let mut unit = StringChunkedBuilder::new(UNIT.into(), rows);
        let mut key = String::new();
        for &(r, _) in kept() {
            key.clear();
            for (n, &i) in unit_index.iter().enumerate() {
                if n > 0 {
                    key.push(KEY_SEP);
                }
                key.push_str(&table.cells[waiting.found[i]][r as usize]);
            }
            unit.append_value(&key);
        }
        let mut columns = vec![
            unit.finish().into_column(),
            Column::new(ROW.into(), kept().map(|&(_, row)| row).collect::<Vec<u32>>()),
            Column::new(FILE.into(), vec![shown.as_str(); rows]),
        ];
        for (col, vs) in cols.iter().zip(&waiting.values) {
            let n = col.name.as_str();
            let vs = || vs.iter().zip(counted).filter(|(_, c)| **c).map(|(v, _)| v);
            let column = match col.kind {
                ColumnType::Text | ColumnType::Id => Column::new(
                    n.into(),
                    vs().map(|v| match v {
                        Value::Text(t) => t.as_deref(),
                        Value::Cell(f, r, at) => Some(&tables[*f as usize].1.cells[*at as usize][*r as usize]),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
                ),
                ColumnType::Integer | ColumnType::Number | ColumnType::Percent | ColumnType::NumberOrYesNo => {
                    Column::new(
                        n.into(),
                        vs().map(|v| if let Value::Num(x) = v { *x } else { None }).collect::<Vec<_>>(),
                    )
                }
                // Dates as dates (days since 1970 underneath): a query compares them with '2016-01-30'.
                ColumnType::Date => Column::new(
                    n.into(),
                    vs().map(|v| if let Value::Day(x) = v { *x } else { None }).collect::<Vec<_>>(),
                )
                .cast(&DataType::Date)
                .expect("days since 1970 are a date"),
                ColumnType::YesNo => Column::new(
                    n.into(),
                    vs().map(|v| if let Value::Flag(x) = v { *x } else { None }).collect::<Vec<_>>(),
                ),
            };
            columns.push(column);
        }
        DataFrame::new_infer_height(columns)
    };
    let internal = |e: PolarsError| {
        vec![InputProblem::file(display, format!("数据集 {name} 无法建表（{e}）"))
            .hint("这是 kaohe 的内部错误，不是数据的问题：请把这条信息和数据文件发给维护人员")]
    };
    let frames = crate::parallel::map(&(0..tables.len()).collect::<Vec<_>>(), |&k| frame_of(k));
    let mut frame: Option<DataFrame> = None;
    for f in frames {
        let f = f.map_err(internal)?;
        match frame.as_mut() {
            None => frame = Some(f),
            Some(all) => {
                all.vstack_mut_owned(f).map_err(internal)?;
            }
        }
    }
    let mut frame = frame.ok_or_else(|| internal(PolarsError::NoData("没有读到任何文件".into())))?;
    frame.rechunk_mut_par();

    if let Some((level, keys)) = every {
        let depth = keys.first().map_or(0, Vec::len);
        let distinct = frame.column(UNIT).and_then(|c| c.unique()).map_err(internal)?;
        let present: PlHashSet<String> = distinct
            .str()
            .map_err(internal)?
            .iter()
            .flatten()
            .map(|u| u.split(KEY_SEP).take(depth).collect::<Vec<_>>().join(&KEY_SEP.to_string()))
            .collect();
        let what = if spec.title.is_empty() { name.to_string() } else { spec.title.clone() };
        let shown = if files.len() > 1 {
            format!("{display}/{}", spec.file.trim_end_matches('/'))
        } else {
            files.first().map(|(_, s)| s.clone()).unwrap_or_default()
        };
        for keys in keys {
            let unit = keys.join(" ");
            if !present.contains(&unit_key(keys)) && !spec.may_lack.contains(&unit) {
                let p = InputProblem::file(&shown, format!("没有“{unit}”的{what}数据（一行也没有）"));
                problems.push(if level == units.level {
                    p.hint(format!("每个单位都要有一行（every_unit）；今年确实没有的，在 [datasets.{name}] 中写 may_lack = [\"{unit}\"]"))
                } else {
                    p.hint(format!("检查是否漏放了它的文件；今年确实没有的，在 [datasets.{name}] 中写 may_lack = [\"{unit}\"]"))
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
    }
    let types = cols.iter().map(|c| (c.name.clone(), c.kind)).collect();
    let other_columns = cols.iter().skip(spec.columns.len()).map(|c| c.name.clone()).collect();
    Ok(Dataset {
        frame,
        types,
        files,
        other_columns,
        level: units.level.to_string(),
        keys: unit_columns.clone(),
        checks: spec.check.clone(),
        row_name: spec.row_name.clone(),
        quality,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_numbered_from_1970_as_polars_numbers_dates() {
        let day = |y, m, d| day_number(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        assert_eq!((day(1970, 1, 1), day(1969, 12, 31), day(2016, 1, 30)), (0, -1, 16_830));
    }

    #[test]
    fn a_sum_line_is_found_by_its_cell_and_a_total_lookalike_by_its_character() {
        assert_eq!("计".as_bytes(), [0xE8, 0xAE, 0xA1]);
        for total in ["合计", "合　计", " 总 计", "小计　"] {
            assert!(is_total(total), "{total}");
        }
        for not in ["人保小计", "计划", "合计数", "", "合"] {
            assert!(!is_total(not), "{not}");
        }
        for mentions in ["人保小计", "计", "合 计 x"] {
            assert!(mentions_ji(mentions), "{mentions}");
        }
        for not in ["", "认", "讠十", "合", "张三"] {
            assert!(!mentions_ji(not), "{not}");
        }
    }
}
