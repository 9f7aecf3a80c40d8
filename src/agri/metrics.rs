//! One metrics table per rubric, with polars: each dataset is aggregated per unit
//! (county, or insurer × county) and left-joined onto the list of units, so a unit with
//! no rows in a dataset still gets its row (and a clear "missing" when an item needs it).
//!
//! Shares are in percent, rounded to two decimals — the figure printed in a reason is
//! the figure the deduction was computed from, so a clerk can redo it by hand.
//! A crop a county does not grow, or a county with no large greenhouses, gets NaN:
//! "not applicable", which a shortfall rule skips.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use polars::prelude::*;

use super::data::Datasets;
use super::Settings;
use crate::rubric::score::Metrics;

/// Metrics computed from the datasets for each county (besides one coverage metric per crop).
pub const COUNTY_COMPUTED: &[&str] = &[
    "high_efficiency_premium_share",
    "greenhouse_coverage",
    "subsidised_greenhouses_uninsured",
    "subsidy_below_standard",
    "claims_all_posted",
    "claims_all_paid_in_time",
    "claims_all_via_card",
];

/// Metrics computed for each insurer × county.
pub const INSURER_COMPUTED: &[&str] =
    &["claims_not_posted", "claims_paid_in_full_on_time", "satisfaction_rate", "survey_households"];

/// One unit's row of a metrics table.
#[derive(Debug, Clone)]
pub struct UnitMetrics {
    pub county: String,
    /// Empty for a county unit.
    pub insurer: String,
    pub values: Metrics,
}

/// A fact behind a lost point, for the 考核依据明细 sheet (which claim was late, which
/// subsidy line fell short).
#[derive(Debug, Clone)]
pub struct Evidence {
    pub county: String,
    pub insurer: String,
    pub what: String,
    pub detail: String,
    pub source: String,
}

/// Both metrics tables, with their column names in order.
#[derive(Debug, Clone)]
pub struct MetricTables {
    pub county: Vec<UnitMetrics>,
    pub county_columns: Vec<String>,
    pub insurer: Vec<UnitMetrics>,
    pub insurer_columns: Vec<String>,
    pub evidence: Vec<Evidence>,
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// Claim timeliness in calendar days: paid within `limit` days of 定损, or still unpaid
/// at `as_of` but not yet past the limit.
fn in_time(assessed: NaiveDate, paid: Option<NaiveDate>, as_of: NaiveDate, limit: i64) -> (bool, i64) {
    let days = (paid.unwrap_or(as_of) - assessed).num_days();
    (days <= limit, days)
}

/// Build both metrics tables.
pub fn compute(d: &Datasets, settings: &Settings, units: &[String]) -> PolarsResult<MetricTables> {
    let mut evidence = Vec::new();
    let limit = settings.pay_within_days as i64;
    let c = &d.claims;

    // Per-claim flags, worked out with chrono; aggregated with polars below.
    let n = c.len();
    let (mut posted, mut card, mut timely, mut full_timely) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let (ok, days) = in_time(c.assessed_on[i], c.paid_on[i], settings.as_of, limit);
        let via_card = c.paid_on[i].is_none() || settings.channels.iter().any(|ch| *ch == c.channel[i]);
        // A claim still pending within the limit is neither late nor short.
        let full = c.paid_on[i].is_none() || c.paid[i] + 0.005 >= c.assessed[i];
        posted.push(c.posted[i] as u32);
        card.push(via_card as u32);
        timely.push(ok as u32);
        // 及时足额: paid, in full, within the limit.
        full_timely.push((ok && full) as u32);
        let src = format!("{} 第{}行", c.source[i].0, c.source[i].1);
        let mut note = |what: &str, detail: String| {
            evidence.push(Evidence {
                county: c.county[i].clone(),
                insurer: c.insurer[i].clone(),
                what: what.into(),
                detail,
                source: src.clone(),
            })
        };
        if !ok {
            let detail = match c.paid_on[i] {
                Some(p) => format!("赔案{}：{}定损，{}支付，相隔{}日", c.no[i], c.assessed_on[i], p, days),
                None => format!("赔案{}：{}定损，至{}未支付（{}日）", c.no[i], c.assessed_on[i], settings.as_of, days),
            };
            note(&format!("定损后超过{limit}日未支付到户"), detail);
        } else if !full {
            note("赔款未足额支付", format!("赔案{}：核定{:.2}元，实付{:.2}元", c.no[i], c.assessed[i], c.paid[i]));
        }
        if !c.posted[i] {
            note("理赔未张榜公布", format!("赔案{}", c.no[i]));
        }
        if !via_card {
            note("未用“一折通”或“一卡通”支付", format!("赔案{}：支付方式“{}”", c.no[i], c.channel[i]));
        }
    }
    let claims = DataFrame::new_infer_height(vec![
        Column::new("county".into(), &c.county),
        Column::new("insurer".into(), &c.insurer),
        Column::new("posted".into(), posted),
        Column::new("card".into(), card),
        Column::new("timely".into(), timely),
        Column::new("full_timely".into(), full_timely),
    ])?;

    // ---- county table ----
    let mut county = DataFrame::new_infer_height(vec![Column::new("county".into(), units)])?.lazy();
    let left = || JoinArgs::new(JoinType::Left);
    let on = |k: &[&str]| k.iter().map(|k| col(*k)).collect::<Vec<_>>();
    let mut county_columns = Vec::new();

    let areas = DataFrame::new_infer_height(vec![
        Column::new("county".into(), d.areas.iter().map(|a| a.county.as_str()).collect::<Vec<_>>()),
        Column::new("crop".into(), d.areas.iter().map(|a| a.crop.as_str()).collect::<Vec<_>>()),
        Column::new("planted".into(), d.areas.iter().map(|a| a.planted).collect::<Vec<_>>()),
        Column::new("insured".into(), d.areas.iter().map(|a| a.insured).collect::<Vec<_>>()),
    ])?;
    for (crop, metric) in &settings.crops {
        let per_county = areas
            .clone()
            .lazy()
            .filter(col("crop").eq(lit(crop.as_str())))
            .group_by([col("county")])
            .agg([col("planted").sum(), col("insured").sum()])
            .select([
                col("county"),
                when(col("planted").gt(lit(0.0)))
                    .then(col("insured") / col("planted") * lit(100.0))
                    .otherwise(lit(f64::NAN))
                    .alias(metric.as_str()),
            ]);
        county = county.join(per_county, on(&["county"]), on(&["county"]), left());
        county = county.with_column(col(metric.as_str()).fill_null(lit(f64::NAN)));
        county_columns.push(metric.clone());
    }

    let premiums = DataFrame::new_infer_height(vec![
        Column::new("county".into(), d.premiums.iter().map(|p| p.county.as_str()).collect::<Vec<_>>()),
        Column::new(
            "high".into(),
            d.premiums.iter().map(|p| if p.high_efficiency { p.amount } else { 0.0 }).collect::<Vec<_>>(),
        ),
        Column::new("amount".into(), d.premiums.iter().map(|p| p.amount).collect::<Vec<_>>()),
    ])?
    .lazy()
    .group_by([col("county")])
    .agg([col("high").sum(), col("amount").sum()])
    .select([
        col("county"),
        when(col("amount").gt(lit(0.0)))
            .then(col("high") / col("amount") * lit(100.0))
            .otherwise(lit(NULL).cast(DataType::Float64))
            .alias("high_efficiency_premium_share"),
    ]);
    county = county.join(premiums, on(&["county"]), on(&["county"]), left());

    let big: Vec<_> = d.greenhouses.iter().filter(|g| g.area >= settings.greenhouse_min_mu).collect();
    let greenhouses = DataFrame::new_infer_height(vec![
        Column::new("county".into(), big.iter().map(|g| g.county.as_str()).collect::<Vec<_>>()),
        Column::new("area".into(), big.iter().map(|g| g.area).collect::<Vec<_>>()),
        Column::new("insured".into(), big.iter().map(|g| g.insured).collect::<Vec<_>>()),
        Column::new(
            "subsidised_uninsured".into(),
            big.iter().map(|g| (g.subsidised && g.insured < g.area) as u32).collect::<Vec<_>>(),
        ),
    ])?
    .lazy()
    .group_by([col("county")])
    .agg([col("area").sum(), col("insured").sum(), col("subsidised_uninsured").max()])
    .select([
        col("county"),
        (col("insured") / col("area") * lit(100.0)).alias("greenhouse_coverage"),
        col("subsidised_uninsured").cast(DataType::Float64).alias("subsidised_greenhouses_uninsured"),
    ]);
    county = county.join(greenhouses, on(&["county"]), on(&["county"]), left()).with_columns([
        col("greenhouse_coverage").fill_null(lit(f64::NAN)),
        col("subsidised_greenhouses_uninsured").fill_null(lit(0.0)),
    ]);
    for g in big.iter().filter(|g| g.subsidised && g.insured < g.area) {
        evidence.push(Evidence {
            county: g.county.clone(),
            insurer: String::new(),
            what: "有财政奖补的设施大棚未全部参保".into(),
            detail: format!(
                "连片{}亩，参保{}亩",
                crate::rubric::fmt_points(g.area),
                crate::rubric::fmt_points(g.insured)
            ),
            source: "设施大棚".into(),
        });
    }

    let mut below = Vec::with_capacity(d.subsidies.len());
    for s in &d.subsidies {
        let minimum = settings.subsidy_minimum(&s.line);
        let is_below = s.share + 1e-9 < minimum;
        if is_below {
            evidence.push(Evidence {
                county: s.county.clone(),
                insurer: String::new(),
                what: "财政保费补贴比例未达标准".into(),
                detail: format!(
                    "{}：各级财政补贴合计{}%，标准不低于{}%",
                    s.line,
                    crate::rubric::fmt_points(s.share),
                    crate::rubric::fmt_points(minimum)
                ),
                source: "财政补贴".into(),
            });
        }
        below.push(is_below as u32);
    }
    let subsidies = DataFrame::new_infer_height(vec![
        Column::new("county".into(), d.subsidies.iter().map(|s| s.county.as_str()).collect::<Vec<_>>()),
        Column::new("below".into(), below),
    ])?
    .lazy()
    .group_by([col("county")])
    .agg([col("below").max().cast(DataType::Float64).alias("subsidy_below_standard")]);
    county = county.join(subsidies, on(&["county"]), on(&["county"]), left());

    // A county with no claims has paid every claim on time: all three hold.
    let per_county_claims = claims.clone().lazy().group_by([col("county")]).agg([
        col("posted").min().cast(DataType::Float64).alias("claims_all_posted"),
        col("timely").min().cast(DataType::Float64).alias("claims_all_paid_in_time"),
        col("card").min().cast(DataType::Float64).alias("claims_all_via_card"),
    ]);
    county = county.join(per_county_claims, on(&["county"]), on(&["county"]), left()).with_columns([
        col("claims_all_posted").fill_null(lit(1.0)),
        col("claims_all_paid_in_time").fill_null(lit(1.0)),
        col("claims_all_via_card").fill_null(lit(1.0)),
    ]);
    county_columns.extend(s(COUNTY_COMPUTED));

    county = join_findings(county, &d.county_findings, false)?;
    county_columns.extend(d.county_findings.metrics.iter().cloned());
    let county_df = county.collect_with_engine(crate::metrics::engine())?.unwrap_single();

    // ---- insurer × county table ----
    let order = &d.insurer_findings.order;
    let mut insurer = DataFrame::new_infer_height(vec![
        Column::new("county".into(), order.iter().map(|k| k.0.as_str()).collect::<Vec<_>>()),
        Column::new("insurer".into(), order.iter().map(|k| k.1.as_str()).collect::<Vec<_>>()),
    ])?
    .lazy();
    let per_pair_claims = claims.lazy().group_by([col("county"), col("insurer")]).agg([
        (lit(1.0) - col("posted").min().cast(DataType::Float64)).alias("claims_not_posted"),
        col("full_timely").min().cast(DataType::Float64).alias("claims_paid_in_full_on_time"),
    ]);
    insurer =
        insurer.join(per_pair_claims, on(&["county", "insurer"]), on(&["county", "insurer"]), left()).with_columns([
            col("claims_not_posted").fill_null(lit(0.0)),
            col("claims_paid_in_full_on_time").fill_null(lit(1.0)),
        ]);
    let survey = DataFrame::new_infer_height(vec![
        Column::new("county".into(), d.survey.iter().map(|s| s.county.as_str()).collect::<Vec<_>>()),
        Column::new("insurer".into(), d.survey.iter().map(|s| s.insurer.as_str()).collect::<Vec<_>>()),
        Column::new("households".into(), d.survey.iter().map(|s| s.households).collect::<Vec<_>>()),
        Column::new("satisfied".into(), d.survey.iter().map(|s| s.satisfied).collect::<Vec<_>>()),
    ])?
    .lazy()
    .select([
        col("county"),
        col("insurer"),
        when(col("households").gt(lit(0.0)))
            .then(col("satisfied") / col("households") * lit(100.0))
            .otherwise(lit(NULL).cast(DataType::Float64))
            .alias("satisfaction_rate"),
        col("households").alias("survey_households"),
    ]);
    insurer = insurer.join(survey, on(&["county", "insurer"]), on(&["county", "insurer"]), left());
    insurer = join_findings(insurer, &d.insurer_findings, true)?;
    let mut insurer_columns = s(INSURER_COMPUTED);
    insurer_columns.extend(d.insurer_findings.metrics.iter().cloned());
    let insurer_df = insurer.collect_with_engine(crate::metrics::engine())?.unwrap_single();

    Ok(MetricTables {
        county: rows(&county_df, &county_columns, false)?,
        county_columns,
        insurer: rows(&insurer_df, &insurer_columns, true)?,
        insurer_columns,
        evidence,
    })
}

/// Join a findings file's metric columns onto the units.
fn join_findings(frame: LazyFrame, f: &super::data::Findings, per_insurer: bool) -> PolarsResult<LazyFrame> {
    let keys: Vec<&(String, String)> = f.order.iter().collect();
    let mut columns = vec![Column::new("county".into(), keys.iter().map(|k| k.0.as_str()).collect::<Vec<_>>())];
    if per_insurer {
        columns.push(Column::new("insurer".into(), keys.iter().map(|k| k.1.as_str()).collect::<Vec<_>>()));
    }
    for m in &f.metrics {
        let values: Vec<Option<f64>> = keys.iter().map(|k| f.rows[*k].get(m).copied()).collect();
        columns.push(Column::new(m.as_str().into(), values));
    }
    let findings = DataFrame::new_infer_height(columns)?.lazy();
    let on: Vec<Expr> = if per_insurer { vec![col("county"), col("insurer")] } else { vec![col("county")] };
    Ok(frame.join(findings, on.clone(), on, JoinArgs::new(JoinType::Left)))
}

/// The collected frame as one metrics map per unit. Null → absent (a missing figure);
/// NaN → not applicable. Shares are rounded to two decimals.
fn rows(df: &DataFrame, columns: &[String], per_insurer: bool) -> PolarsResult<Vec<UnitMetrics>> {
    let county = df.column("county")?.str()?.clone();
    let insurer = if per_insurer { Some(df.column("insurer")?.str()?.clone()) } else { None };
    let mut out: Vec<UnitMetrics> = (0..df.height())
        .map(|i| UnitMetrics {
            county: county.get(i).unwrap_or_default().to_string(),
            insurer: insurer.as_ref().and_then(|s| s.get(i)).unwrap_or_default().to_string(),
            values: BTreeMap::new(),
        })
        .collect();
    for name in columns {
        let values = df.column(name)?.cast(&DataType::Float64)?;
        let values = values.f64()?;
        for (i, row) in out.iter_mut().enumerate() {
            if let Some(v) = values.get(i) {
                let v = if v.is_nan() { v } else { (v * 100.0).round() / 100.0 };
                row.values.insert(name.clone(), v);
            }
        }
    }
    Ok(out)
}
