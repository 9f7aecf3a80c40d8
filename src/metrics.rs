//! Year-end counts with polars: accepted persons grouped per village (on time / late),
//! joined onto the population so that villages nobody joined still appear with zero,
//! and the town totals aggregated from the villages.

use polars::prelude::*;

use crate::validate::{Enrollment, Population};

/// Insured persons in one village or town.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Paid on or before the deadline: these count as insured.
    pub on_time: u64,
    /// Paid after the deadline: reported, not counted.
    pub late: u64,
}

/// Counts per town, and per village within each town, in population order.
#[derive(Debug, Clone, Default)]
pub struct EnrollmentCounts {
    pub towns: Vec<Counts>,
    pub villages: Vec<Vec<Counts>>,
}

/// The polars engine for the aggregations: in-memory by default, or the streaming engine
/// (which processes the persons in batches) with `KAOHE_ENGINE=streaming`. Both give the
/// same numbers (tested on the district sample).
pub fn engine() -> Engine {
    match std::env::var("KAOHE_ENGINE").as_deref() {
        Ok("streaming") => Engine::Streaming,
        _ => Engine::InMemory,
    }
}

/// Aggregate accepted persons per village and town.
pub fn count(enrollment: &Enrollment, population: &Population) -> PolarsResult<EnrollmentCounts> {
    let persons = DataFrame::new_infer_height(vec![
        Column::new("town".into(), enrollment.insured.iter().map(|p| p.town).collect::<Vec<u32>>()),
        Column::new("village".into(), enrollment.insured.iter().map(|p| p.village).collect::<Vec<u32>>()),
        Column::new("late".into(), enrollment.insured.iter().map(|p| p.late as u32).collect::<Vec<u32>>()),
    ])?;
    let (mut towns_col, mut villages_col) = (Vec::new(), Vec::new());
    for (ti, t) in population.towns.iter().enumerate() {
        for vi in 0..t.villages.len() {
            towns_col.push(ti as u32);
            villages_col.push(vi as u32);
        }
    }
    let places = DataFrame::new_infer_height(vec![
        Column::new("town".into(), towns_col),
        Column::new("village".into(), villages_col),
    ])?;

    let per_village = persons
        .lazy()
        .group_by([col("town"), col("village")])
        .agg([len().cast(DataType::UInt64).alias("insured"), col("late").cast(DataType::UInt64).sum().alias("late")])
        .select([col("town"), col("village"), (col("insured") - col("late")).alias("on_time"), col("late")]);
    let joined = places
        .lazy()
        .join(per_village, [col("town"), col("village")], [col("town"), col("village")], JoinArgs::new(JoinType::Left))
        .with_columns([col("on_time").fill_null(lit(0u64)), col("late").fill_null(lit(0u64))])
        .sort(["town", "village"], SortMultipleOptions::default())
        .collect_with_engine(engine())?
        .unwrap_single();

    let town = joined.column("town")?.u32()?.clone();
    let on_time = joined.column("on_time")?.u64()?.clone();
    let late = joined.column("late")?.u64()?.clone();
    let mut out = EnrollmentCounts {
        towns: vec![Counts::default(); population.towns.len()],
        villages: population.towns.iter().map(|t| Vec::with_capacity(t.villages.len())).collect(),
    };
    for i in 0..joined.height() {
        let ti = town.get(i).unwrap_or(0) as usize;
        let c = Counts { on_time: on_time.get(i).unwrap_or(0), late: late.get(i).unwrap_or(0) };
        out.villages[ti].push(c);
        out.towns[ti].on_time += c.on_time;
        out.towns[ti].late += c.late;
    }
    Ok(out)
}
