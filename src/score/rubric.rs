//! Scoring one unit against a rubric: every item yields points and, where points were
//! lost or earned as bonus, the reason in Chinese with the figures
//! ("水稻承保面87.6%，低于90%，扣2.4分"). Base items are floored at zero (扣完为止);
//! the total is base items − penalties + bonuses.

use chrono::Datelike;

use crate::programme::rubric::{fmt_points, Condition, Fraction, Grade, Item, Rubric, Rule};
use crate::programme::wording::{fill, Wording};

/// A unit's metrics by name; true/false findings are 1/0; NaN = not applicable (a
/// shortfall rule skips it, any other rule reports it missing).
pub use crate::measure::Metrics;

/// One item's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemScore {
    pub id: String,
    /// Points earned (base items), deducted (penalty, negative) or added (bonus).
    pub points: f64,
    /// 扣分说明 / 加分说明; empty when the full base was earned.
    pub reasons: Vec<String>,
}

/// A unit's result.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitScore {
    pub unit: String,
    pub items: Vec<ItemScore>,
    /// Sum of base items.
    pub base_points: f64,
    /// Sum of penalties (a positive number, subtracted).
    pub penalty: f64,
    /// Sum of bonuses.
    pub bonus: f64,
    pub total: f64,
    /// Why the unit is out of the ranking (取消评比资格), if it is.
    pub disqualified: Option<String>,
}

/// Data that cannot be scored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError {
    #[error("{unit} 第{item}项：缺少指标“{metric}”的数据")]
    Missing { unit: String, item: String, metric: String },
    #[error("{unit} 第{item}项：检查评分{value}分不在0到{base}分之间")]
    Judged { unit: String, item: String, value: String, base: String },
    #[error("{unit} 第{item}项：样本只有{value}个，少于{min}个，不能计分")]
    Sample { unit: String, item: String, value: String, min: String },
    /// A condition read a count (212) without saying whether it costs its points each time.
    #[error("{unit} 第{item}项：指标“{metric}”是{value}，不是“有/无”，但条件没有写 each")]
    Count { unit: String, item: String, metric: String, value: String },
}

/// Round away float noise (2.4000000000000057 → 2.4) before ceil/floor and display.
fn clean(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

struct Ctx<'a> {
    unit: &'a str,
    item: &'a Item,
    metrics: &'a Metrics,
    w: &'a Wording,
}

impl Ctx<'_> {
    /// A metric's value; NaN ("not applicable") only where the rule allows it.
    fn get(&self, metric: &str) -> Result<f64, ScoreError> {
        self.get_or_na(metric).and_then(|v| if v.is_nan() { Err(self.missing(metric)) } else { Ok(v) })
    }

    fn missing(&self, metric: &str) -> ScoreError {
        ScoreError::Missing { unit: self.unit.to_string(), item: self.item.id.clone(), metric: metric.to_string() }
    }

    fn get_or_na(&self, metric: &str) -> Result<f64, ScoreError> {
        self.metrics.get(metric).copied().ok_or_else(|| ScoreError::Missing {
            unit: self.unit.to_string(),
            item: self.item.id.clone(),
            metric: metric.to_string(),
        })
    }

    /// Points a condition costs (or earns), with its reason; None when it did not happen.
    fn condition(&self, c: &Condition, added: bool) -> Result<Option<(f64, String)>, ScoreError> {
        let v = self.get(&c.metric)?;
        if v <= 0.0 {
            return Ok(None);
        }
        // Taken once, a count of 212 late payers would cost what one does: say which.
        if c.each.is_none() && v != 1.0 {
            return Err(ScoreError::Count {
                unit: self.unit.into(),
                item: self.item.id.clone(),
                metric: c.metric.clone(),
                value: fmt_points(v),
            });
        }
        let w = self.w;
        Ok(Some(if c.each == Some(true) {
            let p = clean(c.points * v);
            let unit = c.unit.clone().unwrap_or_else(|| w.count_unit.clone());
            let vars =
                [("reason", c.reason.clone()), ("count", fmt_points(v)), ("unit", unit), ("points", fmt_points(p))];
            (p, fill(if added { &w.added_each } else { &w.deducted_each }, &vars))
        } else {
            let vars = [("reason", c.reason.clone()), ("points", fmt_points(c.points))];
            (c.points, fill(if added { &w.added_once } else { &w.deducted_once }, &vars))
        }))
    }
}

/// Score one item, in the built-in wording.
pub fn score_item(unit: &str, item: &Item, metrics: &Metrics) -> Result<ItemScore, ScoreError> {
    score_item_in(Wording::bundled(), unit, item, metrics)
}

/// Score one item, its reasons in wording `w` (a rubric's [`Rubric::wording`]).
pub fn score_item_in(w: &Wording, unit: &str, item: &Item, metrics: &Metrics) -> Result<ItemScore, ScoreError> {
    let cx = Ctx { unit, item, metrics, w };
    let base = item.base;
    let mut reasons = Vec::new();
    let mut lost = 0.0;
    // What an item deducts or adds, bounded by its cap (“最多扣5分”), the cap said in the reasons.
    let capped = |taken: f64, added: bool, reasons: &mut Vec<String>| match item.cap {
        Some(cap) if clean(taken) > cap => {
            reasons
                .push(fill(if added { &w.item_cap_added } else { &w.item_cap_deducted }, &[("cap", fmt_points(cap))]));
            cap
        }
        _ => taken,
    };
    let points = match &item.rule {
        Rule::AllOrNothing { metric, reason } => {
            if cx.get(metric)? > 0.0 {
                base
            } else {
                reasons.push(fill(&w.deducted_once, &[("reason", reason.clone()), ("points", fmt_points(base))]));
                0.0
            }
        }
        Rule::PerIncident { counts } => {
            for c in counts {
                if let Some((p, why)) = cx.condition(c, false)? {
                    lost += p;
                    reasons.push(why);
                }
            }
            base - capped(lost, false, &mut reasons)
        }
        Rule::Shortfall {
            metrics: measured,
            target,
            ceiling,
            unit: metric_unit,
            points,
            step,
            fraction,
            conditions,
            sample,
            min_sample,
        } => {
            if let Some(s) = sample {
                let n = cx.get(s)?;
                if n < *min_sample {
                    return Err(ScoreError::Sample {
                        unit: unit.into(),
                        item: item.id.clone(),
                        value: fmt_points(n),
                        min: fmt_points(*min_sample),
                    });
                }
            }
            for m in measured {
                // NaN: not applicable here (a crop the county does not grow).
                let v = cx.get_or_na(&m.metric)?;
                // Below a target, or above a ceiling (checked when the rubric was read: one of them).
                let (gap, limit, wording, side) = match (target, ceiling) {
                    (Some(t), _) => (t - v, *t, &w.below_target, "target"),
                    (None, Some(c)) => (v - c, *c, &w.above_ceiling, "ceiling"),
                    (None, None) => continue,
                };
                if v.is_nan() || gap <= 0.0 {
                    continue;
                }
                let steps = clean(gap / step);
                let steps = match fraction {
                    Fraction::Exact => steps,
                    Fraction::Ceil => steps.ceil(),
                    Fraction::Floor => steps.floor(),
                };
                // The deduction printed is the deduction taken: to the hundredth, so a clerk
                // adding up the reasons gets the score.
                let d = (clean(steps * points) * 100.0).round() / 100.0;
                lost += d;
                let unit = metric_unit.clone().unwrap_or_else(|| w.shortfall_unit.clone());
                let vars = [
                    ("label", m.label.clone()),
                    ("value", fmt_points(v)),
                    ("unit", unit),
                    (side, fmt_points(limit)),
                    ("gap", fmt_points(clean(gap))),
                    ("points", fmt_points(d)),
                ];
                reasons.push(fill(m.reason.as_deref().unwrap_or(wording), &vars));
            }
            for c in conditions {
                if let Some((p, why)) = cx.condition(c, false)? {
                    lost += p;
                    reasons.push(why);
                }
            }
            base - capped(lost, false, &mut reasons)
        }
        Rule::Deductions { conditions, zero_if } => {
            let mut zeroed = false;
            for z in zero_if {
                if cx.get(&z.metric)? > 0.0 {
                    zeroed = true;
                    reasons.push(fill(&w.zeroed, &[("reason", z.reason.clone())]));
                }
            }
            if zeroed {
                0.0
            } else {
                for c in conditions {
                    if let Some((p, why)) = cx.condition(c, false)? {
                        lost += p;
                        reasons.push(why);
                    }
                }
                base - capped(lost, false, &mut reasons)
            }
        }
        Rule::Tiered { metric, label, tiers, unit } => {
            let n = cx.get(metric)?;
            // The best band the value lies in, whichever way the bands run.
            let p = tiers.iter().filter(|t| t.holds(n)).map(|t| t.points).fold(0.0, f64::max);
            if p < base {
                let unit = unit.clone().unwrap_or_else(|| w.tier_unit.clone());
                let vars =
                    [("label", label.clone()), ("value", fmt_points(n)), ("unit", unit), ("points", fmt_points(p))];
                reasons.push(fill(&w.tier_reason, &vars));
            }
            p
        }
        Rule::Deadline { metric, action, date } => {
            // No date at all (no row, or its date blank): never done.
            match metrics.get(metric).copied().filter(|v| !v.is_nan()) {
                Some(days) if days <= 0.0 => base,
                Some(days) => {
                    let (short, full) = match date {
                        Some(d) => (
                            format!("{}月{}日", d.month(), d.day()),
                            format!("{}年{}月{}日", d.year(), d.month(), d.day()),
                        ),
                        None => (String::new(), String::new()),
                    };
                    let vars = [
                        ("date", short),
                        ("full_date", full),
                        ("days", fmt_points(days)),
                        ("action", action.clone()),
                        ("points", fmt_points(base)),
                    ];
                    reasons.push(fill(&w.deadline_missed, &vars));
                    0.0
                }
                None => {
                    let vars = [("action", action.clone()), ("points", fmt_points(base))];
                    reasons.push(fill(&w.deadline_blank, &vars));
                    0.0
                }
            }
        }
        Rule::Judged { metric } => {
            let v = cx.get(metric)?;
            if !(0.0..=base).contains(&v) {
                return Err(ScoreError::Judged {
                    unit: unit.into(),
                    item: item.id.clone(),
                    value: fmt_points(v),
                    base: fmt_points(base),
                });
            }
            if v < base {
                reasons
                    .push(fill(&w.judged_reason, &[("score", fmt_points(v)), ("points", fmt_points(clean(base - v)))]));
            }
            v
        }
        Rule::Penalty { conditions } => {
            for c in conditions {
                if let Some((p, why)) = cx.condition(c, false)? {
                    lost += p;
                    reasons.push(why);
                }
            }
            -capped(lost, false, &mut reasons)
        }
        Rule::Bonus { counts } => {
            let mut gained = 0.0;
            for c in counts {
                if let Some((p, why)) = cx.condition(c, true)? {
                    gained += p;
                    reasons.push(why);
                }
            }
            capped(gained, true, &mut reasons)
        }
    };
    let mut points = clean(points);
    if item.rule.has_base() && points < 0.0 {
        points = 0.0;
        reasons.push(w.floored.clone());
    }
    Ok(ItemScore { id: item.id.clone(), points, reasons })
}

/// Score every item of one unit, and check its disqualifying findings.
pub fn score_unit(rubric: &Rubric, unit: &str, metrics: &Metrics) -> Result<UnitScore, ScoreError> {
    let mut out = UnitScore {
        unit: unit.to_string(),
        items: Vec::with_capacity(rubric.items.len()),
        base_points: 0.0,
        penalty: 0.0,
        bonus: 0.0,
        total: 0.0,
        disqualified: None,
    };
    for item in &rubric.items {
        out.items.push(score_item_in(&rubric.wording, unit, item, metrics)?);
    }
    // A category's cap (加分项目合计最多加10分): its items count in order until the cap is
    // reached, so the points printed beside them add up to what the total takes.
    for c in rubric.categories.iter() {
        let Some(cap) = c.cap else { continue };
        let mut taken = 0.0;
        for (item, s) in rubric.items.iter().zip(out.items.iter_mut()).filter(|(i, _)| i.category == c.no) {
            let w = &rubric.wording;
            let (wording, sign) = if matches!(item.rule, Rule::Bonus { .. }) {
                (&w.category_cap_added, 1.0)
            } else {
                (&w.category_cap_deducted, -1.0)
            };
            let p = s.points.abs();
            let room = clean((cap - taken).max(0.0));
            if p > room {
                s.points = if room > 0.0 { clean(sign * room) } else { 0.0 };
                s.reasons.push(fill(wording, &[("category", c.name.clone()), ("cap", fmt_points(cap))]));
            }
            taken = clean(taken + s.points.abs());
        }
    }
    for (item, s) in rubric.items.iter().zip(&out.items) {
        match item.rule {
            Rule::Penalty { .. } => out.penalty += -s.points,
            Rule::Bonus { .. } => out.bonus += s.points,
            _ => out.base_points += s.points,
        }
    }
    out.base_points = clean(out.base_points);
    out.penalty = clean(out.penalty);
    out.bonus = clean(out.bonus);
    out.total = clean(out.base_points - out.penalty + out.bonus);
    let reasons: Vec<&str> = rubric
        .disqualifications
        .iter()
        .filter(|d| metrics.get(&d.metric).copied().unwrap_or(0.0) > 0.0)
        .map(|d| d.reason.as_str())
        .collect();
    if !reasons.is_empty() {
        out.disqualified = Some(reasons.join("；"));
    }
    Ok(out)
}

/// The grade band a total falls in (bands are checked highest first).
pub fn grade(rubric: &Rubric, total: f64) -> Option<&Grade> {
    let mut bands: Vec<&Grade> = rubric.grades.iter().collect();
    bands.sort_by(|a, b| b.min.total_cmp(&a.min));
    bands.into_iter().find(|g| total >= g.min)
}

/// The consequence of getting the same grade two years running, if the rubric names one.
pub fn consequence<'a>(rubric: &'a Rubric, this_year: &str, last_year: Option<&str>) -> Option<&'a str> {
    let g = rubric.grades.iter().find(|g| g.grade == this_year)?;
    (last_year == Some(this_year)).then_some(g.twice.as_deref()).flatten()
}
