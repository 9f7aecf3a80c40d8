//! The tables kaohe publishes, built once and handed to every writer: as JSON payloads
//! for the Typst templates, as sheets in results.xlsx and as CSV files. Numbers stay
//! numbers until a writer formats them.

pub mod assessment;
pub mod declared;
pub mod export;
pub mod reconcile;
pub mod views;

use serde_json::{json, Value};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(u64),
    /// A rate as a fraction (0.9531 = 95.31%).
    Pct(f64),
    /// Points or a measured figure: at most two decimals, no trailing zeros (87.6).
    Points(f64),
}

impl Cell {
    /// As printed in the PDF and CSV.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Pct(p) => format!("{:.2}%", p * 100.0),
            Cell::Points(p) => crate::programme::rubric::fmt_points(*p),
        }
    }
}

/// A table with a header row, body rows and an optional 合计 row.
#[derive(Debug, Clone)]
pub struct Table {
    /// Sheet and CSV name.
    pub name: String,
    pub columns: Vec<String>,
    /// Relative column widths in the PDF.
    pub widths: Vec<u32>,
    pub rows: Vec<Vec<Cell>>,
    pub total: Option<Vec<Cell>>,
}

impl Table {
    /// An empty table with (header, relative width) columns.
    pub fn new(name: &str, columns: &[(&str, u32)]) -> Table {
        Table {
            name: name.to_string(),
            columns: columns.iter().map(|(c, _)| c.to_string()).collect(),
            widths: columns.iter().map(|(_, w)| *w).collect(),
            rows: Vec::new(),
            total: None,
        }
    }

    /// The payload the templates' `report-table` expects.
    pub fn to_json(&self) -> Value {
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|i| {
                self.rows
                    .first()
                    .or(self.total.as_ref())
                    .is_some_and(|r| matches!(r.get(i), Some(Cell::Int(_) | Cell::Pct(_) | Cell::Points(_))))
            })
            .collect();
        json!({
            "columns": self.columns,
            "widths": self.widths,
            "numeric": numeric,
            "rows": self.rows.iter().map(|r| r.iter().map(Cell::text).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "total": self.total.as_ref().map(|r| r.iter().map(Cell::text).collect::<Vec<_>>()),
        })
    }
}

/// What one view holds: one document's data, or one per unit.
pub enum Content {
    One(Value),
    /// (unit as shown, unit as written in a file name, data), in unit order.
    PerUnit(Vec<UnitDocument>),
}

/// One unit's document data.
pub struct UnitDocument {
    /// As the manifest names it: 通州区 人保财险.
    pub unit: String,
    /// As `{unit}` fills a file name: 通州区-人保财险.
    pub file_name: String,
    pub data: Value,
}

/// A document the programme can publish.
pub struct View {
    pub name: String,
    /// Template used when the declaration names none.
    pub template: String,
    /// File name pattern used when the declaration names none.
    pub file: String,
    /// What the manifest records as the unit of a single document (附件1 for a rubric's form).
    pub unit: Option<String>,
    pub content: Content,
}

/// Everything a programme computed that can be published, by name, in default order.
#[derive(Default)]
pub struct Views {
    pub documents: Vec<View>,
    pub tables: Vec<(String, Table)>,
    /// A table's file when the programme declares none, where it is not the view's name.
    pub table_files: std::collections::BTreeMap<String, String>,
}

impl Views {
    pub fn document(&mut self, name: &str, template: &str, file: &str, content: Content) -> &mut View {
        let view = View { name: name.into(), template: template.into(), file: file.into(), unit: None, content };
        self.documents.push(view);
        self.documents.last_mut().expect("just pushed")
    }

    pub fn table(&mut self, name: &str, table: Table) {
        self.tables.push((name.into(), table));
    }

    /// A table written to `csv/<file>.csv` when the programme declares no `[[table]]`.
    pub fn table_as(&mut self, name: &str, file: &str, table: Table) {
        self.table_files.insert(name.into(), file.into());
        self.table(name, table);
    }
}
