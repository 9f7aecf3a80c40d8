//! The units of a measured programme and their figures, as the scoring stage reads them.

use std::collections::{BTreeMap, BTreeSet};

use crate::measure::declared::DeclaredProgramme;
use crate::programme::rubric;
use crate::programme::units::key_columns;
use crate::score::Unit;
use crate::validate::dataset;

/// The units and their measures, as the scoring stage reads them.
pub fn assessment_input(p: &DeclaredProgramme) -> crate::score::Input<'_> {
    let key_columns = key_columns(&p.levels);
    let units = p
        .levels
        .iter()
        .map(|level| {
            let metrics = p.metrics.get(&level.name);
            let units = level
                .units
                .iter()
                .map(|keys| {
                    let values = metrics.and_then(|m| m.get(&dataset::unit_key(keys))).cloned().unwrap_or_default();
                    // Padded to the widest level's columns: a county row leaves 承办公司 empty.
                    let mut keys = keys.clone();
                    keys.resize(key_columns.len(), String::new());
                    Unit { keys, values }
                })
                .collect();
            (level.name.clone(), units)
        })
        .collect();
    // Each level's headers: its own columns, then the widest level's beyond them.
    let level_columns = p
        .levels
        .iter()
        .map(|l| {
            let mut columns = l.columns.clone();
            columns.extend(key_columns.iter().skip(l.columns.len()).cloned());
            (l.name.clone(), columns)
        })
        .collect();
    crate::score::Input {
        rubrics: &p.rubrics,
        key_columns: level_columns,
        units,
        last_year: p.last_year.clone(),
        sources: cell_sources(p, &key_columns),
    }
}

/// Where a unit's figure was read (file, row, column), for the measures a clerk fills in
/// one cell per unit — `value` measures, findings columns and a rubric's `sample` (by
/// `sum` or `value`): a figure missing or a sample too small is then named at its cell.
fn cell_sources(
    p: &DeclaredProgramme,
    key_columns: &[String],
) -> BTreeMap<(Vec<String>, String), (String, usize, String)> {
    let samples: BTreeSet<&str> = p
        .rubrics
        .iter()
        .flat_map(|(_, r)| &r.items)
        .filter_map(|item| match &item.rule {
            rubric::Rule::Shortfall { sample: Some(s), .. } => Some(s.as_str()),
            _ => None,
        })
        .collect();
    // (measure, dataset, column)
    let mut read: Vec<(&str, &str, &str)> = Vec::new();
    for (name, spec) in &p.measures {
        let dataset = spec.value.as_deref().or(spec.sum.as_deref().filter(|_| samples.contains(name.as_str())));
        if let (Some(d), Some(c)) = (dataset, spec.column.as_deref()) {
            read.push((name, d, c));
        }
    }
    for (d, data) in &p.datasets {
        read.extend(data.other_columns.iter().map(|c| (c.as_str(), d.as_str(), c.as_str())));
    }
    let mut out = BTreeMap::new();
    for (measure, dataset, column) in read {
        let Some(data) = p.datasets.get(dataset) else { continue };
        let f = &data.frame;
        let (Ok(units), Ok(files), Ok(rows)) =
            (f.column(dataset::UNIT), f.column(dataset::FILE), f.column(dataset::ROW))
        else {
            continue;
        };
        let (Ok(units), Ok(files), Ok(rows)) = (units.str(), files.str(), rows.u32()) else { continue };
        for i in 0..f.height() {
            let mut keys: Vec<String> =
                units.get(i).unwrap_or_default().split(dataset::KEY_SEP).map(str::to_string).collect();
            keys.resize(key_columns.len(), String::new());
            out.entry((keys, measure.to_string())).or_insert_with(|| {
                (files.get(i).unwrap_or_default().to_string(), rows.get(i).unwrap_or(0) as usize, column.to_string())
            });
        }
        // A unit with no row at all: its figure is missing from this file (row 0: no row).
        let Some(level) = p.levels.iter().find(|l| l.name == data.level) else { continue };
        let shown = data.files.first().map(|(_, s)| s.clone()).unwrap_or_else(|| dataset.to_string());
        for keys in &level.units {
            let mut keys = keys.clone();
            keys.resize(key_columns.len(), String::new());
            out.entry((keys, measure.to_string())).or_insert_with(|| (shown.clone(), 0, column.to_string()));
        }
    }
    out
}
