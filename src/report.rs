//! The tables kaohe publishes, built once and handed to every writer: as JSON payloads
//! for the Typst templates, as sheets in results.xlsx and as CSV files. Numbers stay
//! numbers until a writer formats them.

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
            Cell::Points(p) => crate::rubric::fmt_points(*p),
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
