//! Rubrics as data: the assessment tables of a programme (南通 2012: 附件1 for county
//! governments, 附件2 for insurers), one TOML file each, that an office edits next year
//! without a programmer. Each item keeps the seed's wording (序号, 考核内容, 考核指标,
//! 基本分, 计分办法, 负责考核部门) and carries a machine rule from a small vocabulary
//! (see [`Rule`]). Loading a rubric checks it: unique ids, base points adding up to the
//! declared total, known rule kinds, every metric available — each problem named with
//! the file and item.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use crate::problem::{nearest, InputProblem};

/// Read the rubric files a programme lists (relative to its folder): each must assess one
/// of `levels` and read only measures `available(level)` provides; its wording is the
/// built-in one under the programme's `[rubric_text]` (`wording`) under its own `[text]`.
/// All problems at once.
pub fn load_listed(
    dir: &Path,
    display: &str,
    names: &[String],
    levels: &[&str],
    available: impl Fn(&str) -> BTreeSet<String>,
    wording: &toml::Table,
) -> Result<Vec<(String, Rubric)>, Vec<InputProblem>> {
    let file = format!("{display}/programme.toml");
    let mut rubrics = Vec::new();
    let mut problems = Vec::new();
    // The programme's wording, checked once (named at programme.toml, not at each rubric).
    let wording = match crate::programme::wording::Wording::layered(&[("[rubric_text]", wording)]) {
        Ok(_) => wording.clone(),
        Err(m) => {
            problems.push(
                InputProblem::file(&file, m).hint("可写的各项及其占位符见 README 的 “The wording of the results”"),
            );
            toml::Table::new()
        }
    };
    for name in names {
        let shown = format!("{display}/{name}");
        let text = match crate::programme::confined(dir, name, "rubrics", &file).and_then(|path| {
            std::fs::read_to_string(path)
                .map_err(|e| InputProblem::file(&shown, format!("无法读取：{}", crate::problem::io_text(&e))))
        }) {
            Ok(t) => t,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        // A file that is not valid TOML: its own line and column, before anything else.
        if let Err(e) = text.parse::<toml::Table>() {
            problems.push(crate::problem::toml_problem(&shown, &text, &e, "评分表", None));
            continue;
        }
        let Some(level) = assesses(&text) else {
            problems.push(
                InputProblem::file(&shown, "[rubric] 没有写 assesses（这张评分表评哪一级单位）")
                    .hint(format!("在 [rubric] 中写 assesses = \"{}\"", levels.first().copied().unwrap_or_default())),
            );
            continue;
        };
        if !levels.contains(&level.as_str()) {
            problems.push(
                InputProblem::file(
                    &shown,
                    format!(
                        "[rubric] assesses = \"{level}\"，但本项目的单位是 [units] level = \"{}\"",
                        levels.join("\"、\"")
                    ),
                )
                .hint(format!("在 [rubric] 中写 assesses = \"{}\"", levels.first().copied().unwrap_or_default())),
            );
            continue;
        }
        match parse_with(&text, &shown, &available(&level), &wording) {
            Ok(r) => rubrics.push((shown, r)),
            Err(p) => problems.extend(p),
        }
    }
    if problems.is_empty() {
        Ok(rubrics)
    } else {
        Err(problems)
    }
}

/// A whole rubric file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    pub rubric: Header,
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
    #[serde(rename = "item")]
    pub items: Vec<Item>,
    /// Grade bands, highest first (附件2); empty when units are ranked instead.
    #[serde(default, rename = "grade")]
    pub grades: Vec<Grade>,
    /// Findings that take a unit out of the assessment (取消评比资格).
    #[serde(default, rename = "disqualify")]
    pub disqualifications: Vec<Condition>,
    /// `[text]`: this rubric's own wording of its results, over the programme's (see [`text`]).
    #[serde(default)]
    pub text: toml::Table,
    /// The wording in force: built in, then the programme's `[rubric_text]`, then `[text]`.
    #[serde(skip)]
    pub wording: crate::programme::wording::Wording,
}

/// The `assesses` of a rubric's text (the unit level it scores), before it is parsed in
/// full; None when it is not written.
pub fn assesses(text: &str) -> Option<String> {
    text.parse::<toml::Table>().ok().and_then(|t| t.get("rubric")?.get("assesses")?.as_str().map(str::to_string))
}

/// The rubric's title and totals.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub id: String,
    /// The unit level it scores, as the programme names its levels (南通: county or
    /// insurer; a district: town). Required: a rubric scoring the wrong level is no default.
    pub assesses: String,
    /// 附件1
    pub label: String,
    pub title: String,
    /// Who is assessed, e.g. 县（市）区 or 承办公司.
    pub unit: String,
    /// The declared total of base points (100).
    pub total: f64,
    /// A line printed above the blank form for the assessed to fill in, as the method
    /// prints it (附件2: “被考核单位：”); none by default.
    #[serde(default)]
    pub form_line: String,
    /// The last N of the ranking get `bottom_remark` in 备注 (3 for “综合排名后三位的镇（办）
    /// 纳入不良记录管理”), every unit tied at the cut with them; 0 (default): none.
    #[serde(default)]
    pub bottom_n: usize,
    #[serde(default)]
    pub bottom_remark: String,
    /// The first N get `top_remark` (先进单位), ties at the cut included.
    #[serde(default)]
    pub top_n: usize,
    #[serde(default)]
    pub top_remark: String,
}

/// A category (考核内容) grouping items.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub no: u32,
    pub name: String,
    /// A bonus category (加分项目) carries no base points.
    #[serde(default)]
    pub bonus: bool,
    /// The most its items add (a bonus category) or deduct (a penalty category) together:
    /// “加分项目合计最多加10分”. Only for a category whose items are all bonus or all penalty.
    #[serde(default)]
    pub cap: Option<f64>,
}

/// One row of the assessment table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Stable id, e.g. "2.3".
    pub id: String,
    pub category: u32,
    /// 考核指标, the seed's wording.
    pub indicator: String,
    /// 基本分; 0 for penalty and bonus items.
    #[serde(default)]
    pub base: f64,
    /// 计分办法, the seed's wording.
    pub method: String,
    /// 负责考核部门
    #[serde(default)]
    pub department: String,
    /// The most the item adds (bonus) or deducts (penalty; a base item's deductions):
    /// “每个先进村加1分，最多加3分”, “每起扣2分，最多扣5分”.
    #[serde(default)]
    pub cap: Option<f64>,
    pub rule: Rule,
}

/// A grade band: total ≥ `min` earns `grade`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    pub min: f64,
    pub grade: String,
    /// Consequence of this grade in two consecutive years (e.g. 取消承办资格).
    #[serde(default)]
    pub twice: Option<String>,
}

/// A metric that, when true (non-zero), costs `points` — or `points` per count with `each`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub metric: String,
    #[serde(default)]
    pub points: f64,
    /// `points` per count (true) or once when it happened (false). A `per-incident`
    /// count must say which: left out, one 0.01 per person would be taken once.
    #[serde(default)]
    pub each: Option<bool>,
    /// What a count is counted in, as printed in reasons (“逾期缴费212人”); default 项.
    #[serde(default)]
    pub unit: Option<String>,
    /// The reason in words, e.g. "未建立资金专户".
    pub reason: String,
}

/// One metric in a shortfall rule (e.g. one crop's coverage).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measured {
    pub metric: String,
    /// As printed in reasons: 水稻承保面.
    pub label: String,
    /// This metric's own reason instead of `below_target` / `above_ceiling`, with their
    /// placeholders ([`SHORTFALL_PLACEHOLDERS`]): `"{label}少{gap}元，扣{points}分"`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The placeholders of a shortfall's reason: `{gap}` is how far the value is below the
/// target (or above the ceiling), in its unit — the 600 of “归集保费少600元”.
pub const SHORTFALL_PLACEHOLDERS: [&str; 6] = ["label", "value", "unit", "target", "gap", "points"];
/// With `ceiling`: `{ceiling}` instead of `{target}`.
pub const CEILING_PLACEHOLDERS: [&str; 6] = ["label", "value", "unit", "ceiling", "gap", "points"];

/// How a partial step counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Fraction {
    /// Pro rata (default): 2.4 points short → 2.4 steps.
    #[default]
    Exact,
    /// 不足一个百分点按一个计.
    Ceil,
    /// Only whole steps count.
    Floor,
}

/// A band of a value and its points: `at_least` (higher is better: 12场次以上得15分) or
/// `at_most` (lower is better: 差错率不超过0.5%的得10分), the bound itself inside.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    #[serde(default)]
    pub at_least: Option<f64>,
    #[serde(default)]
    pub at_most: Option<f64>,
    pub points: f64,
}

impl Tier {
    /// Whether `value` lies in the band (exactly on the bound counts).
    pub fn holds(&self, value: f64) -> bool {
        match (self.at_least, self.at_most) {
            (Some(min), _) => value >= min,
            (None, Some(max)) => value <= max,
            (None, None) => false,
        }
    }
}

/// The rule vocabulary (domain.md, "Rule vocabulary").
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Rule {
    /// Condition holds → base points, else 0.
    AllOrNothing { metric: String, reason: String },
    /// base − points × count for each counted metric, not below 0 (扣完为止).
    PerIncident { counts: Vec<Condition> },
    /// base − points × (target − value) / step, summed over metrics, not below 0; plus
    /// conditions. With `ceiling` instead of `target`, lower is better: base − points ×
    /// (value − ceiling) / step (差错率每超过0.1个百分点扣1分).
    Shortfall {
        metrics: Vec<Measured>,
        /// In the metrics' unit, e.g. 90 (%): a value below it loses points.
        #[serde(default)]
        target: Option<f64>,
        /// A value above it loses points (e.g. 0.5 (%) for an error rate).
        #[serde(default)]
        ceiling: Option<f64>,
        /// The metrics' unit as printed in reasons (“水稻承保面87.6%，低于90%”); default %,
        /// e.g. “场” for a count of sessions.
        #[serde(default)]
        unit: Option<String>,
        points: f64,
        step: f64,
        #[serde(default)]
        fraction: Fraction,
        #[serde(default)]
        conditions: Vec<Condition>,
        /// A sample-size metric that must reach `min_sample` (e.g. 30 households surveyed).
        #[serde(default)]
        sample: Option<String>,
        #[serde(default)]
        min_sample: f64,
    },
    /// Listed deductions, and conditions that zero the item.
    Deductions {
        #[serde(default)]
        conditions: Vec<Condition>,
        #[serde(default)]
        zero_if: Vec<Condition>,
    },
    /// Count → points by the highest tier reached.
    Tiered {
        metric: String,
        label: String,
        tiers: Vec<Tier>,
        /// The count's unit in the reason (宣传培训场次6个): default `tier_unit` (个); "%" for a rate.
        #[serde(default)]
        unit: Option<String>,
    },
    /// The inspector's score, which must lie in [0, base].
    Judged { metric: String },
    /// Done by a day → base points, else 0: the metric is a `latest` or `earliest` measure
    /// (days after its `after`, the deadline); ≤ 0 is in time, above 0 late (“10月31日前未召开”),
    /// no date at all never (“未召开”).
    Deadline {
        metric: String,
        /// What was to be done, as printed in reasons: 召开.
        action: String,
        /// The deadline: the measure's `after`, set when the programme is read.
        #[serde(skip)]
        date: Option<chrono::NaiveDate>,
    },
    /// No base points; a deduction from the total when the event happened.
    Penalty { conditions: Vec<Condition> },
    /// No base points; points per counted achievement.
    Bonus { counts: Vec<Condition> },
}

impl Rule {
    /// Every metric the rule reads.
    pub fn metrics(&self) -> Vec<&str> {
        fn conds(c: &[Condition]) -> Vec<&str> {
            c.iter().map(|c| c.metric.as_str()).collect()
        }
        match self {
            Rule::AllOrNothing { metric, .. }
            | Rule::Tiered { metric, .. }
            | Rule::Judged { metric }
            | Rule::Deadline { metric, .. } => vec![metric],
            Rule::PerIncident { counts } | Rule::Bonus { counts } => conds(counts),
            Rule::Penalty { conditions } => conds(conditions),
            Rule::Shortfall { metrics, conditions, sample, .. } => {
                let mut m: Vec<&str> = metrics.iter().map(|m| m.metric.as_str()).collect();
                m.extend(conds(conditions));
                m.extend(sample.as_deref());
                m
            }
            Rule::Deductions { conditions, zero_if } => {
                let mut m = conds(conditions);
                m.extend(conds(zero_if));
                m
            }
        }
    }

    /// Whether a cap can bound what the rule adds or deducts (tiered, judged and
    /// all-or-nothing already score at most their base).
    pub fn can_cap(&self) -> bool {
        matches!(
            self,
            Rule::Bonus { .. }
                | Rule::Penalty { .. }
                | Rule::PerIncident { .. }
                | Rule::Deductions { .. }
                | Rule::Shortfall { .. }
        )
    }

    /// Penalty and bonus items carry no base points.
    pub fn has_base(&self) -> bool {
        !matches!(self, Rule::Penalty { .. } | Rule::Bonus { .. })
    }
}

/// Parse a rubric from text and check it against the metrics the datasets provide; its
/// wording is the built-in one under its own `[text]`.
pub fn parse(text: &str, file: &str, available: &BTreeSet<String>) -> Result<Rubric, Vec<InputProblem>> {
    parse_with(text, file, available, &toml::Table::new())
}

/// [`parse`], with a programme's `[rubric_text]` between the built-in wording and the rubric's own.
pub fn parse_with(
    text: &str,
    file: &str,
    available: &BTreeSet<String>,
    programme_text: &toml::Table,
) -> Result<Rubric, Vec<InputProblem>> {
    let mut rubric: Rubric = toml::from_str(text).map_err(|e| {
        let kinds = e.message().starts_with("unknown variant").then_some(
            "计分规则 kind 可用：all-or-nothing、per-incident、shortfall、deductions、tiered、judged、deadline、penalty、bonus",
        );
        vec![crate::problem::toml_problem(file, text, &e, "评分表", kinds)]
    })?;
    let mut problems = Vec::new();
    match crate::programme::wording::Wording::layered(&[("[rubric_text]", programme_text), ("[text]", &rubric.text)]) {
        Ok(w) => rubric.wording = w,
        Err(m) => problems
            .push(InputProblem::file(file, m).hint("可写的各项及其占位符见 README 的 “The wording of the results”")),
    }
    let mut ids = BTreeSet::new();
    let mut base_sum = 0.0;
    for item in &rubric.items {
        let at = |msg: String| InputProblem::file(file, format!("第{}项：{msg}", item.id));
        if !ids.insert(item.id.as_str()) {
            problems.push(at("序号重复".into()));
        }
        let Some(category) = rubric.categories.iter().find(|c| c.no == item.category) else {
            problems.push(at(format!("类别 {} 未定义", item.category)));
            continue;
        };
        if item.rule.has_base() != (item.base > 0.0) && !matches!(item.rule, Rule::Judged { .. }) {
            problems.push(at(if item.rule.has_base() {
                "基本分为0，但计分规则需要基本分".into()
            } else {
                "扣分项、加分项不设基本分".into()
            }));
        }
        if category.bonus && item.base > 0.0 {
            problems.push(at("加分项目不设基本分".into()));
        }
        if !category.bonus {
            base_sum += item.base;
        }
        match &item.rule {
            Rule::Shortfall { target, ceiling, .. } if target.is_some() == ceiling.is_some() => problems.push(
                at("shortfall 要写 target 或 ceiling 中的一个".into())
                    .hint("target = 90：低于90扣分（参保率）；ceiling = 0.5：超过0.5扣分（差错率）"),
            ),
            Rule::Tiered { tiers, .. } if tiers.iter().any(|t| t.at_least.is_some() == t.at_most.is_some()) => problems
                .push(
                    at("tiered 的每一档要写 at_least 或 at_most 中的一个".into()).hint(
                        "at_least = 12：达到12得该档分（越多越好）；at_most = 0.5：不超过0.5得该档分（越少越好）",
                    ),
                ),
            _ => {}
        }
        match item.cap {
            Some(_) if !item.rule.can_cap() => problems.push(
                at("cap（最多加、扣的分数）只用于 bonus、penalty、per-incident、deductions、shortfall".into())
                    .hint("tiered、judged、all-or-nothing 的得分本就不超过基本分，删去 cap"),
            ),
            Some(cap) if cap.is_nan() || cap <= 0.0 => problems
                .push(at(format!("cap = {} 应大于0", fmt_points(cap))).hint("写这一项最多加（扣）的分数，如 cap = 3")),
            _ => {}
        }
        if let Rule::Shortfall { metrics, ceiling, .. } = &item.rule {
            let names = if ceiling.is_some() { CEILING_PLACEHOLDERS } else { SHORTFALL_PLACEHOLDERS };
            let vars: Vec<(&str, String)> = names.iter().map(|p| (*p, String::new())).collect();
            for m in metrics {
                if let Some(Err(e)) = m.reason.as_ref().map(|r| crate::programme::fill_template("", "", r, &vars)) {
                    // The engine's message names a section and key; here the item and metric are named.
                    problems.push(at(format!("“{}”的 reason {}", m.metric, e.trim_start())));
                }
            }
        }
        if let Rule::PerIncident { counts } | Rule::Bonus { counts } = &item.rule {
            for c in counts.iter().filter(|c| c.each.is_none()) {
                problems.push(at(format!("计分规则的 counts 中“{}”没有写 each", c.metric)).hint(format!(
                    "each = true：每件（每人、每次）计{}分；each = false：有就计一次",
                    fmt_points(c.points)
                )));
            }
        }
        for metric in item.rule.metrics() {
            if !available.contains(metric) {
                let mut p = at(format!("指标“{metric}”没有任何数据集提供"));
                if let Some(n) = nearest(metric, available.iter().map(String::as_str)) {
                    p = p.hint(format!("是否应为“{n}”？"));
                }
                problems.push(p);
            }
        }
    }
    for c in rubric.categories.iter().filter(|c| c.cap.is_some()) {
        let rules: Vec<&Rule> = rubric.items.iter().filter(|i| i.category == c.no).map(|i| &i.rule).collect();
        let all_bonus = rules.iter().all(|r| matches!(r, Rule::Bonus { .. }));
        let all_penalty = rules.iter().all(|r| matches!(r, Rule::Penalty { .. }));
        if rules.is_empty() || !(all_bonus || all_penalty) {
            problems.push(
                InputProblem::file(
                    file,
                    format!("类别{}“{}”：cap 只用于各项都是 bonus 或都是 penalty 的类别", c.no, c.name),
                )
                .hint("基本分项目的得分本就不超过基本分；给一项设上限，在该 [[item]] 中写 cap"),
            );
        } else if let Some(cap) = c.cap.filter(|cap| cap.is_nan() || *cap <= 0.0) {
            problems
                .push(InputProblem::file(file, format!("类别{}“{}”：cap = {} 应大于0", c.no, c.name, fmt_points(cap))));
        }
    }
    for d in &rubric.disqualifications {
        if !available.contains(&d.metric) {
            problems.push(InputProblem::file(file, format!("取消评比资格条件：指标“{}”没有任何数据集提供", d.metric)));
        }
    }
    if rubric.rubric.form_line.contains('{') {
        problems.push(
            InputProblem::file(file, format!("[rubric] form_line = \"{}\" 中不能有占位符", rubric.rubric.form_line))
                .hint("照原样印在空白表上方的一行字，如“被考核单位：”"),
        );
    }
    let h = &rubric.rubric;
    for (n, remark, key, example) in
        [(h.bottom_n, &h.bottom_remark, "bottom", "纳入不良记录管理"), (h.top_n, &h.top_remark, "top", "评为先进单位")]
    {
        if n > 0 && remark.trim().is_empty() {
            problems.push(
                InputProblem::file(file, format!("[rubric] {key}_n = {n}，但没有写 {key}_remark（这{n}个单位的备注）"))
                    .hint(format!("在 [rubric] 中写 {key}_remark = \"{example}\"")),
            );
        }
        if n > 0 && !rubric.grades.is_empty() {
            problems.push(
                InputProblem::file(file, format!("[rubric] {key}_n = {n}：这张评分表评等级（[[grade]]），不排名"))
                    .hint(format!("删去 {key}_n 和 {key}_remark，或删去 [[grade]] 改为排名")),
            );
        }
    }
    if (base_sum - rubric.rubric.total).abs() > 1e-9 {
        problems.push(
            InputProblem::file(
                file,
                format!(
                    "各项基本分之和为{}，与声明的总分{}不符",
                    fmt_points(base_sum),
                    fmt_points(rubric.rubric.total)
                ),
            )
            .hint("检查各项 base，或修改 [rubric] total"),
        );
    }
    if problems.is_empty() {
        Ok(rubric)
    } else {
        Err(problems)
    }
}

/// Read and check a rubric file.
pub fn load(path: &Path, file: &str, available: &BTreeSet<String>) -> Result<Rubric, Vec<InputProblem>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![InputProblem::file(file, format!("无法读取：{}", crate::problem::io_text(&e)))])?;
    parse(&text, file, available)
}

/// Points as printed: 2.4, 5, 0.25 (at most two decimals, no trailing zeros).
pub fn fmt_points(p: f64) -> String {
    let s = format!("{:.2}", (p * 100.0).round() / 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}
