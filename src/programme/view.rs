//! `[views.<name>]`: a table of units and their measures, declared — which level's units
//! are its rows and in what order, which columns (a key cell, a measure, remarks), a 合计
//! row, the title and notes around it, and a bar chart — published as a PDF by a template
//! and as a sheet. The quota annex, a ranking with its remarks and one village sheet per
//! town are three of them; [`crate::report::views`] builds them.
//!
//! ```toml
//! [views.quota-table]
//! level = "town"
//! sheet = "任务分解表"
//! label = "附件"
//! title = "{region}{year}年度{name}\n工作目标任务分解表"
//! note = "注：……"
//! total = "合计"
//! columns = [
//!   { header = "镇办及村名", key = "镇办" },
//!   { header = "户籍总人口（农村）", measure = "rural" },
//!   { header = "参保任务数(人)", measure = "quota" },
//! ]
//! ```

use serde::Deserialize;

/// `[views.<name>]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewSpec {
    /// The level whose units are the rows.
    pub level: String,
    /// One document per unit of this coarser level, each with its own units of `level`
    /// (a town's villages); the sheet lists them all, the coarser key columns first.
    #[serde(default)]
    pub per: Option<String>,
    /// Rows by this measure, lowest first (a `rank` measure: 1 first); ties and units
    /// without a value keep the order units are listed in, those without a value last.
    /// Also the ranking that `bottom` and `top` remarks read.
    #[serde(default)]
    pub order: Option<String>,
    /// The sheet's name in results.xlsx (default: the view's name).
    #[serde(default)]
    pub sheet: Option<String>,
    /// 附件 (default: none).
    #[serde(default)]
    pub label: String,
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    #[serde(default)]
    pub note: String,
    /// The label of a 合计 row, written in the first column; none without it.
    #[serde(default)]
    pub total: Option<String>,
    pub columns: Vec<ViewColumn>,
    #[serde(default)]
    pub chart: Option<ChartSpec>,
}

/// One column: exactly one of `key`, `measure`, `remarks`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewColumn {
    pub header: String,
    /// Relative width in the PDF (default 3).
    #[serde(default)]
    pub width: Option<u32>,
    /// A key column of the level (镇办, 村): the unit's cell in it.
    #[serde(default)]
    pub key: Option<String>,
    /// A measure of the level: a ratio with `percent` prints as 95.31%, a count as 838794,
    /// other figures with at most two decimals.
    #[serde(default)]
    pub measure: Option<String>,
    /// Remarks, joined with “；” in the order written.
    #[serde(default)]
    pub remarks: Vec<Remark>,
    /// What this column says in the 合计 row (a text, or a goal the total is held to).
    #[serde(default)]
    pub total: Option<TotalCell>,
}

/// One remark: said of the bottom N or top N of the view's `order` (every unit tied at the
/// cut included; the top remark is not said of a unit also at the bottom), or of a unit
/// whose measure is below a value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remark {
    pub text: String,
    #[serde(default)]
    pub bottom: Option<usize>,
    #[serde(default)]
    pub top: Option<usize>,
    #[serde(default)]
    pub measure: Option<String>,
    #[serde(default)]
    pub below: Option<f64>,
}

/// The 合计 row's cell of a column: a text, or whether the total reaches a goal
/// (`{ measure = "participation", at_least = 50, reached = "…已达到", missed = "…未达到" }`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TotalCell {
    Text(String),
    Goal(Goal),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Goal {
    pub measure: String,
    pub at_least: f64,
    pub reached: String,
    pub missed: String,
}

/// A bar per row of a measure (a ratio: 100% is where a bar reaches the line); the
/// units the `bottom` remark names are drawn in red.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartSpec {
    pub measure: String,
    pub title: String,
    #[serde(default)]
    pub legend: String,
}
