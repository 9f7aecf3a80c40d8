//! `[datasets.<name>]`: which file or folder, which columns with which types and
//! spellings, which column names a row's unit, and what a roster's rows may be —
//! declarations only; [`crate::validate::dataset`] reads and checks the files.

use std::collections::BTreeMap;

use serde::Deserialize;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ColumnType {
    /// Any text (names, case numbers).
    Text,
    /// A whole number ≥ 0 (persons, households, cases).
    Integer,
    /// A number ≥ 0 (amounts, areas); “20元”, “1,200”, full-width digits read as written.
    Number,
    /// A percentage: “85%”, “85” or an Excel percent cell all read as 85.
    Percent,
    /// A date, year first (2016-03-05, 2016/3/5, 2016年3月5日, an Excel date).
    Date,
    /// 是/否 (also 有/无, √/×, Y/N, 1/0).
    YesNo,
    /// A resident ID (GB 11643), checked; kept for distinct counts, never printed.
    Id,
    /// An inspection finding: a number, or 是/否 read as 1/0.
    NumberOrYesNo,
}

impl ColumnType {
    pub fn label(self) -> &'static str {
        match self {
            ColumnType::Text => "文字",
            ColumnType::Integer => "整数",
            ColumnType::Number => "数字",
            ColumnType::Percent => "百分比",
            ColumnType::Date => "日期",
            ColumnType::YesNo => "是/否",
            ColumnType::Id => "身份证号",
            ColumnType::NumberOrYesNo => "数字或“是/否”",
        }
    }
}

/// A column: its type alone (`"date"`), or a table with aliases and blank cells allowed.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ColumnSpec {
    Type(ColumnType),
    Full {
        #[serde(rename = "type")]
        kind: ColumnType,
        #[serde(default)]
        aliases: Vec<String>,
        /// Blank cells allowed (a claim not closed yet); they stay empty, not zero.
        #[serde(default)]
        optional: bool,
        /// The only texts allowed (the crops the rubric knows): a typo must not pass as
        /// “not grown”.
        #[serde(default, rename = "in")]
        among: Vec<String>,
        /// No two rows of the dataset (across all its files) may hold the same value (赔案号).
        #[serde(default)]
        unique: bool,
    },
}

impl ColumnSpec {
    pub fn kind(&self) -> ColumnType {
        match self {
            ColumnSpec::Type(k) | ColumnSpec::Full { kind: k, .. } => *k,
        }
    }
    pub fn aliases(&self) -> &[String] {
        match self {
            ColumnSpec::Type(_) => &[],
            ColumnSpec::Full { aliases, .. } => aliases,
        }
    }
    pub fn optional(&self) -> bool {
        matches!(self, ColumnSpec::Full { optional: true, .. })
    }
    pub fn among(&self) -> &[String] {
        match self {
            ColumnSpec::Type(_) => &[],
            ColumnSpec::Full { among, .. } => among,
        }
    }
    pub fn unique(&self) -> bool {
        matches!(self, ColumnSpec::Full { unique: true, .. })
    }
}

/// `every_unit = true`: every unit of the dataset's level has a row; `every_unit =
/// "town"`: every unit of that coarser level has at least one (each town a roster row,
/// though not every village).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum EveryUnit {
    #[default]
    No,
    Own(bool),
    Level(String),
}

/// `unit = "镇"` or `unit = ["县区", "承办公司"]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum UnitColumns {
    One(String),
    Many(Vec<String>),
}

impl UnitColumns {
    pub fn names(&self) -> Vec<String> {
        match self {
            UnitColumns::One(c) => vec![c.clone()],
            UnitColumns::Many(c) => c.clone(),
        }
    }
}

/// `[datasets.<name>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    /// A file, or a folder whose every file is one part of the dataset (relative to the programme folder).
    pub file: String,
    /// The column naming the unit a row belongs to (one of `columns`), or the columns
    /// of a unit with several keys (`["县区", "承办公司"]`: an insurer in a county).
    pub unit: UnitColumns,
    /// The unit level the rows belong to; needed only when the programme has several
    /// levels with the same number of key columns.
    #[serde(default)]
    pub level: Option<String>,
    /// Column name → type, in the order they are listed.
    pub columns: BTreeMap<String, ColumnSpec>,
    /// What the dataset is, for messages and the README (e.g. "理赔台账").
    #[serde(default)]
    pub title: String,
    /// A findings table: every column not in `columns` is read as this type, blank
    /// allowed, and is a measure of the same name (the unit's one value).
    #[serde(default)]
    pub other_columns: Option<ColumnType>,
    /// Every unit of the level must have a row (a survey line missing would otherwise
    /// score as “no data”).
    #[serde(default)]
    pub every_unit: EveryUnit,
    /// Units known to have no rows this year (a town whose roster is not due): named,
    /// they are not refused by `every_unit`.
    #[serde(default)]
    pub may_lack: Vec<String>,
    /// Columns no two rows may share all of (one subsidy line per county and 险种): a
    /// line entered twice would be counted twice.
    #[serde(default)]
    pub one_row_per: Vec<String>,
    /// A file with its header and no rows is a year with no cases (no complaints), not a
    /// mistake; without this it is refused.
    #[serde(default)]
    pub may_be_empty: bool,
    /// The column that names a row for a clerk (赔案号, 大棚编号): evidence and row checks
    /// start with it.
    #[serde(default)]
    pub row_name: Option<String>,
    /// Rules every row must keep, each with the words a clerk reads when one does not
    /// (`{ rule = { column = "支付日期", before = … }, message = "…" }`), checked by
    /// [`crate::measure::broken`].
    #[serde(default)]
    pub check: Vec<RowCheck>,
    /// Only the rows matching this belong to the dataset (a 新农合 roster's members whose
    /// 参加小额保险 is 是): the others are counted per file in the data-quality report,
    /// neither read further nor set aside.
    #[serde(default)]
    pub only: Option<Only>,
    /// A row with a bad cell is set aside — listed with file, row, column, reason and masked
    /// ID in the data-quality report — instead of stopping the run (a roster's typos). A
    /// file where one column fails on `max_set_aside` of its rows is refused all the same:
    /// that is a broken column, not dirt.
    #[serde(default)]
    pub set_aside: bool,
    /// With `set_aside` or `keep_first`: the share of a file's rows one column (or the
    /// duplicates) may take before the file is refused (default 20%).
    #[serde(default)]
    pub max_set_aside: Option<crate::programme::Rate>,
    /// The column naming one record across all files (身份证号): a later row with a value
    /// already seen — files in name order, rows in file order — is set aside as a duplicate.
    #[serde(default)]
    pub keep_first: Option<String>,
}

/// `only = { column = "参加小额保险", is = true }` (or `equals = "…"`, `in = […]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Only {
    pub column: String,
    pub is: Option<bool>,
    pub equals: Option<String>,
    #[serde(rename = "in")]
    pub among: Option<Vec<String>>,
}

/// `[[datasets.<name>.check]]`: a `where` every row must match, and what a row that does
/// not is told.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowCheck {
    /// The rows the rule applies to (default: every row), e.g. the paid claims.
    #[serde(default)]
    pub when: Option<crate::programme::measure::Conditions>,
    pub rule: crate::programme::measure::Conditions,
    pub message: String,
}
