//! The 南通 2012 rubrics as data: the shipped files carry the seed's wording and add up,
//! every rule kind scores as computed by hand, and broken rubrics or data give clear errors.

use std::path::PathBuf;

use std::collections::BTreeSet;

use kaohe::score::rubric::{consequence, grade, score_item, score_unit, Metrics, ScoreError};
/// The metrics the bundled 南通 programme's measures and findings provide (its
/// programme.toml): what the two rubrics may read.
const AGRI_METRICS: &[&str] = &[
    "major_audit_finding",
    "major_accident",
    "falsification",
    "agreement_signed",
    "rate_violations",
    "high_efficiency_premium_share",
    "coverage_rice",
    "coverage_wheat",
    "coverage_maize",
    "coverage_rapeseed",
    "coverage_cotton",
    "livestock_uninsured_cases",
    "greenhouse_coverage",
    "subsidised_greenhouses_uninsured",
    "machinery_refusal",
    "fishery_group_petition",
    "underwriting_publicised",
    "claims_all_posted",
    "claims_all_paid_in_time",
    "claims_all_via_card",
    "mis_upload_late",
    "mis_not_fully_used",
    "subsidy_below_standard",
    "no_special_account",
    "premium_late",
    "transfer_late",
    "management_fee_failed_checks",
    "management_fee_no_rules",
    "catastrophe_reserve_not_remitted",
    "catastrophe_reserve_misused",
    "no_special_audit",
    "audit_issues_unfixed",
    "audit_major_problem",
    "pilot_kinds",
    "daily_work_score",
    "new_lines_meeting_coverage",
    "new_lines_below_coverage",
    "new_clauses_registered",
    "new_line_pilots",
    "city_meetings_hosted",
    "province_meetings_hosted",
    "publicity_and_commendations",
    "network_incomplete",
    "staff_targets_set",
    "lines_underwritten_late",
    "all_lines_offered",
    "data_incomplete",
    "data_errors",
    "late_survey_complaints",
    "verified_claim_complaints",
    "disaster_equipment_adequate",
    "claims_not_posted",
    "posting_hard_to_consult",
    "claims_paid_in_full_on_time",
    "satisfaction_rate",
    "survey_households",
    "ledgers_complete",
    "reports_to_government",
    "new_lines_piloted",
];

/// [`AGRI_METRICS`] as a set, for [`parse`] and [`load`].
fn agri_metrics() -> BTreeSet<String> {
    AGRI_METRICS.iter().map(|m| m.to_string()).collect()
}

use kaohe::programme::rubric::{load, parse, Fraction, Rubric, Rule};

fn rubric(name: &str) -> Rubric {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("input/nantong-2012-agri/rubrics").join(name);
    load(&path, name, &agri_metrics()).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

fn text(name: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("input/nantong-2012-agri/rubrics").join(name),
    )
    .unwrap()
}

fn metrics(pairs: &[(&str, f64)]) -> Metrics {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// A county that meets every item (all findings clean, all shares at target).
fn perfect_county() -> Metrics {
    let mut m: Metrics = agri_metrics().into_iter().map(|k| (k, 0.0)).collect();
    for k in [
        "agreement_signed",
        "underwriting_publicised",
        "claims_all_posted",
        "claims_all_paid_in_time",
        "claims_all_via_card",
    ] {
        m.insert(k.into(), 1.0);
    }
    for k in ["coverage_rice", "coverage_wheat", "coverage_maize", "coverage_rapeseed", "coverage_cotton"] {
        m.insert(k.into(), 92.0);
    }
    m.insert("high_efficiency_premium_share".into(), 30.0);
    m.insert("greenhouse_coverage".into(), 26.0);
    m.insert("pilot_kinds".into(), 2.0);
    m.insert("daily_work_score".into(), 5.0);
    m
}

/// An insurer that meets every item.
fn perfect_insurer() -> Metrics {
    let mut m: Metrics = agri_metrics().into_iter().map(|k| (k, 0.0)).collect();
    for k in [
        "staff_targets_set",
        "all_lines_offered",
        "disaster_equipment_adequate",
        "claims_paid_in_full_on_time",
        "ledgers_complete",
        "reports_to_government",
    ] {
        m.insert(k.into(), 1.0);
    }
    m.insert("satisfaction_rate".into(), 90.0);
    m.insert("survey_households".into(), 40.0);
    m
}

#[test]
fn shipped_rubrics_carry_the_seeds_wording_and_add_up() {
    let seed: String =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed-004.txt"))
            .unwrap()
            .split_whitespace()
            .collect();
    // 附件1: 19 items in categories 1–5 (18 with base points, 2.5 a penalty) + 4 bonus items.
    for (name, items, base_items) in [("county.toml", 23, 18), ("insurer.toml", 15, 12)] {
        let r = rubric(name);
        assert_eq!(r.items.len(), items, "{name}");
        assert_eq!(r.items.iter().filter(|i| i.base > 0.0).count(), base_items, "{name}");
        assert_eq!(r.items.iter().map(|i| i.base).sum::<f64>(), 100.0, "{name}");
        for item in &r.items {
            for words in [&item.indicator, &item.method] {
                let words: String = words.split_whitespace().collect();
                assert!(seed.contains(&words), "{name} {}: not the seed's wording: {words}", item.id);
            }
        }
    }
    let county = rubric("county.toml");
    assert_eq!(county.categories.iter().filter(|c| c.bonus).count(), 1);
    assert_eq!(county.items.iter().filter(|i| i.category == 6).count(), 4);
    assert_eq!(county.items.iter().filter(|i| i.category <= 5).count(), 19);
}

#[test]
fn a_county_across_every_rule_kind_by_hand() {
    let r = rubric("county.toml");
    let mut m = perfect_county();
    m.extend(metrics(&[
        ("rate_violations", 2.0),                // 1.2 per-incident: 5 − 2×1 = 3
        ("high_efficiency_premium_share", 22.5), // 1.3 shortfall: 10 − 2.5 = 7.5
        ("coverage_rice", 87.6),                 // 2.1: rice 2.4 short
        ("coverage_rapeseed", 85.0),             //      rapeseed 5 short → 10 − 7.4 = 2.6
        ("greenhouse_coverage", 20.0),           // 2.3: 15 − 5 − 5 (subsidised ones uninsured) = 5
        ("subsidised_greenhouses_uninsured", 1.0),
        ("fishery_group_petition", 1.0),  // 2.5 penalty 5
        ("claims_all_paid_in_time", 0.0), // 3.3 all-or-nothing: 0
        ("mis_upload_late", 1.0),         // 3.5 deductions: 3 − 2 = 1
        ("no_special_account", 1.0),      // 4.1: 10 − 1 − 2 = 7
        ("transfer_late", 1.0),
        ("management_fee_failed_checks", 3.0), // 4.2: 4 − 3 − 2 → 0 (扣完为止)
        ("management_fee_no_rules", 1.0),
        ("audit_issues_unfixed", 1.0),       // 4.4: 4 − 2 = 2
        ("pilot_kinds", 1.0),                // 5.1 tiered: 2
        ("daily_work_score", 4.5),           // 5.2 judged: 4.5
        ("new_lines_meeting_coverage", 1.0), // 6.1 bonus 3 + 1
        ("new_lines_below_coverage", 1.0),
        ("new_clauses_registered", 1.0), // 6.2 bonus 6
        ("city_meetings_hosted", 2.0),   // 6.3 bonus 2
    ]));
    let s = score_unit(&r, "通州区", &m).unwrap();
    let points = |id: &str| s.items.iter().find(|i| i.id == id).unwrap().points;
    let reasons = |id: &str| s.items.iter().find(|i| i.id == id).unwrap().reasons.join("；");
    assert_eq!(points("1.2"), 3.0);
    assert_eq!(points("1.3"), 7.5);
    assert_eq!(points("2.1"), 2.6);
    assert_eq!(reasons("2.1"), "水稻承保面87.6%，低于90%，扣2.4分；油菜承保面85%，低于90%，扣5分");
    assert_eq!(points("2.3"), 5.0);
    assert_eq!(points("3.3"), 0.0);
    assert_eq!(reasons("3.3"), "有赔付资金定损后20日内未支付到户，扣4分");
    assert_eq!(points("3.5"), 1.0);
    assert_eq!(points("4.1"), 7.0);
    assert_eq!(points("4.2"), 0.0);
    assert_eq!(reasons("4.2"), "管理费账簿凭证不符合3项，扣3分；无管理办法或未按审批程序审批，扣2分；扣完为止");
    assert_eq!(points("4.4"), 2.0);
    assert_eq!(points("5.1"), 2.0);
    assert_eq!(reasons("5.1"), "开展试点的方面1个，得2分");
    assert_eq!(points("5.2"), 4.5);
    // Base: 5+3+7.5 + 2.6+8+5+2 + 2+3+0+3+1 + 7+0+2+2 + 2+4.5 = 59.6; penalty 5; bonus 3+1+6+2 = 12.
    assert_eq!((s.base_points, s.penalty, s.bonus, s.total), (59.6, 5.0, 12.0, 66.6));
    assert_eq!(s.disqualified, None);
    // A penalty takes the total below the base sum.
    assert!(s.total < s.base_points + s.bonus);
}

#[test]
fn fractional_policies_on_the_same_shortfall() {
    let r = rubric("county.toml");
    let mut item = r.items.iter().find(|i| i.id == "2.1").unwrap().clone();
    let m = metrics(&[
        ("coverage_rice", 87.6),
        ("coverage_wheat", 90.0),
        ("coverage_maize", 95.0),
        ("coverage_rapeseed", 85.0),
        ("coverage_cotton", 91.0),
    ]);
    for (fraction, want) in [(Fraction::Exact, 2.6), (Fraction::Ceil, 2.0), (Fraction::Floor, 3.0)] {
        // rice 2.4 → exact 2.4, ceil 3, floor 2; rapeseed 5 in every case.
        if let Rule::Shortfall { fraction: f, .. } = &mut item.rule {
            *f = fraction;
        }
        assert_eq!(score_item("如东县", &item, &m).unwrap().points, want, "{fraction:?}");
    }
    // Far below target the item floors at zero.
    let low = metrics(&[
        ("coverage_rice", 50.0),
        ("coverage_wheat", 90.0),
        ("coverage_maize", 95.0),
        ("coverage_rapeseed", 85.0),
        ("coverage_cotton", 91.0),
    ]);
    let s = score_item("如东县", &item, &low).unwrap();
    assert_eq!(s.points, 0.0);
    assert!(s.reasons.last().unwrap() == "扣完为止");
}

#[test]
fn an_insurer_by_hand_and_the_two_year_rule() {
    let r = rubric("insurer.toml");
    let mut m = perfect_insurer();
    m.extend(metrics(&[
        ("network_incomplete", 1.0),      // 1.1: 10 − 5 = 5
        ("lines_underwritten_late", 1.0), // 2.1: 10 − 2 = 8
        ("data_errors", 2.0),             // 2.3: 5 − 2 = 3
        ("machinery_refusal", 1.0),       // 2.4 penalty 10
        ("late_survey_complaints", 3.0),  // 3.1: 15 − 3 − 5 = 7
        ("verified_claim_complaints", 1.0),
        ("posting_hard_to_consult", 1.0), // 3.3: 10 − 5 = 5
        ("satisfaction_rate", 85.0),      // 3.5: (90 − 85) / 2 = 2.5 → 7.5
        ("new_lines_piloted", 1.0),       // 5.2 bonus 5
    ]));
    let s = score_unit(&r, "人保财险海安支公司", &m).unwrap();
    let reasons = |id: &str| s.items.iter().find(|i| i.id == id).unwrap().reasons.join("；");
    assert_eq!(reasons("3.5"), "电话调查满意度85%，低于90%，扣2.5分");
    // Base: 5+5 + 8+5+3 + 7+10+5+5+7.5 + 10 + 5 = 75.5; penalty 10; bonus 5 → 70.5.
    assert_eq!((s.base_points, s.penalty, s.bonus, s.total), (75.5, 10.0, 5.0, 70.5));
    let g = grade(&r, s.total).unwrap();
    assert_eq!(g.grade, "不合格");
    assert_eq!(consequence(&r, "不合格", Some("不合格")), Some("连续2年考核不合格，取消农业保险承办资格"));
    assert_eq!(consequence(&r, "不合格", Some("合格")), None);
    assert_eq!(consequence(&r, "合格", Some("合格")), None);
    // A perfect insurer scores 100 → 好.
    assert_eq!(score_unit(&r, "x", &perfect_insurer()).unwrap().total, 100.0);
}

#[test]
fn grade_boundaries_at_exactly_80_and_90() {
    let r = rubric("insurer.toml");
    assert_eq!(grade(&r, 90.0).unwrap().grade, "好");
    assert_eq!(grade(&r, 89.99).unwrap().grade, "合格");
    assert_eq!(grade(&r, 80.0).unwrap().grade, "合格");
    assert_eq!(grade(&r, 79.99).unwrap().grade, "不合格");
}

#[test]
fn disqualified_county_and_bad_data() {
    let r = rubric("county.toml");
    let mut m = perfect_county();
    m.insert("major_audit_finding".into(), 1.0);
    let s = score_unit(&r, "港闸区", &m).unwrap();
    assert_eq!(s.total, 100.0);
    assert_eq!(s.disqualified.as_deref(), Some("审计部门检查发现重大问题"));

    let mut m = perfect_county();
    m.insert("daily_work_score".into(), 6.0);
    assert_eq!(score_unit(&r, "崇川区", &m).unwrap_err().to_string(), "崇川区 第5.2项：检查评分6分不在0到5分之间");
    m.remove("daily_work_score");
    assert_eq!(
        score_unit(&r, "崇川区", &m).unwrap_err(),
        ScoreError::Missing { unit: "崇川区".into(), item: "5.2".into(), metric: "daily_work_score".into() }
    );

    let insurer = rubric("insurer.toml");
    let mut m = perfect_insurer();
    m.insert("survey_households".into(), 29.0);
    assert_eq!(score_unit(&insurer, "y", &m).unwrap_err().to_string(), "y 第3.5项：样本只有29个，少于30个，不能计分");
}

#[test]
fn broken_rubrics_are_named_with_file_and_item() {
    let available = agri_metrics();
    let county = text("county.toml");
    let err = |t: String| {
        parse(&t, "county.toml", &available).unwrap_err().iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
    };
    let e = err(county.replacen(
        "base = 5\nmethod = \"农业保险工作领导小组",
        "base = 6\nmethod = \"农业保险工作领导小组",
        1,
    ));
    assert!(e.contains("county.toml：各项基本分之和为101，与声明的总分100不符"), "{e}");
    let e = err(county.replacen(
        "kind = \"all-or-nothing\", metric = \"agreement_signed\"",
        "kind = \"all-or-none\", metric = \"agreement_signed\"",
        1,
    ));
    assert!(
        e.contains("county.toml 第") && e.contains("unknown variant `all-or-none`") && e.contains("计分规则 kind 可用"),
        "{e}"
    );
    let e = err(county.replacen("metric = \"coverage_rice\"", "metric = \"coverage_ricee\"", 1));
    assert!(
        e.contains("county.toml：第2.1项：指标“coverage_ricee”没有任何数据集提供")
            && e.contains("是否应为“coverage_rice”？"),
        "{e}"
    );
    let e = err(county.replacen("id = \"1.2\"", "id = \"1.1\"", 1));
    assert!(e.contains("第1.1项：序号重复"), "{e}");
}

#[test]
fn the_readme_worked_example() {
    // README, "Rubric files": rice 87.6%, rapeseed 85%, the other crops at target.
    let m = metrics(&[
        ("coverage_rice", 87.6),
        ("coverage_wheat", 95.0),
        ("coverage_maize", 95.0),
        ("coverage_rapeseed", 85.0),
        ("coverage_cotton", 95.0),
    ]);
    let item = |r: &Rubric| r.items.iter().find(|i| i.id == "2.1").unwrap().clone();
    let at_90 = score_item("x", &item(&rubric("county.toml")), &m).unwrap();
    assert_eq!(at_90.points, 2.6);
    assert_eq!(at_90.reasons.join("；"), "水稻承保面87.6%，低于90%，扣2.4分；油菜承保面85%，低于90%，扣5分");
    let edited = text("county.toml").replacen("target = 90", "target = 88", 1);
    let at_88 = score_item("x", &item(&parse(&edited, "county.toml", &agri_metrics()).unwrap()), &m).unwrap();
    assert_eq!(at_88.points, 6.6);
}

#[test]
fn a_tiered_reason_carries_the_unit_of_its_measure() {
    let text = r#"
[rubric]
id = "t"
assesses = "town"
label = "附件1"
title = "测试"
unit = "镇"
total = 15
[[category]]
no = 1
name = "服务"
[[item]]
id = "1"
category = 1
indicator = "群众满意率"
base = 15
method = "90%以上15分，80%以上12分"
rule = { kind = "tiered", metric = "satisfaction", label = "满意率", unit = "%", tiers = [{ at_least = 90, points = 15 }, { at_least = 80, points = 12 }] }
"#;
    let available = ["satisfaction".to_string()].into_iter().collect();
    let r = parse(text, "t.toml", &available).unwrap();
    let m: Metrics = [("satisfaction".to_string(), 85.71)].into_iter().collect();
    let s = score_item("甲镇", &r.items[0], &m).unwrap();
    assert_eq!((s.points, s.reasons.join("；")), (12.0, "满意率85.71%，得12分".to_string()));
}

#[test]
fn a_fractional_deduction_is_taken_as_printed() {
    // A reason and a score a clerk can add up: the deduction is rounded to the hundredth
    // once, and that is what is printed and what is taken.
    let edited = text("county.toml").replacen(
        "target = 90\npoints = 1\nstep = 1\n",
        "target = 90\npoints = 0.75\nstep = 1\n",
        1,
    );
    let r = parse(&edited, "county.toml", &agri_metrics()).unwrap();
    let item = r.items.iter().find(|i| i.id == "2.1").unwrap().clone();
    let m = metrics(&[
        ("coverage_rice", 87.67),
        ("coverage_wheat", 95.0),
        ("coverage_maize", 95.0),
        ("coverage_rapeseed", 95.0),
        ("coverage_cotton", 95.0),
    ]);
    // 2.33 short × 0.75 = 1.7475: printed 扣1.75分, so the item scores 10 − 1.75 = 8.25
    // (not 8.2525, which would print as 8.25 but add up to a different total).
    let s = score_item("x", &item, &m).unwrap();
    assert_eq!(s.reasons, ["水稻承保面87.67%，低于90%，扣1.75分"]);
    assert_eq!(s.points, 8.25);
}

/// A shortfall on a count prints its own unit, not %: 10 sessions against 12, 1 point
/// each: 8 − 2 = 6, “宣传培训10场，低于12场，扣2分”.
#[test]
fn a_shortfall_on_a_count_says_its_unit() {
    let text = r#"[rubric]
id = "towns"
assesses = "town"
label = "附件"
title = "考核表"
unit = "镇"
total = 8
[[category]]
no = 1
name = "宣传"
[[item]]
id = "1"
category = 1
indicator = "全年宣传培训不少于12场"
base = 8
method = "每少1场扣1分"
rule = { kind = "shortfall", metrics = [{ metric = "sessions", label = "宣传培训" }], target = 12, unit = "场", points = 1, step = 1 }
"#;
    let available = ["sessions".to_string()].into_iter().collect();
    let r = kaohe::programme::rubric::parse(text, "towns.toml", &available).unwrap();
    let s = score_item("城关镇", &r.items[0], &metrics(&[("sessions", 10.0)])).unwrap();
    assert_eq!(s.points, 6.0);
    assert_eq!(s.reasons, ["宣传培训10场，低于12场，扣2分"]);
}

/// A count read by a bonus must say `each`; one read by a penalty condition without it
/// is refused when the count is more than one, not taken once.
#[test]
fn counts_must_say_whether_each_one_counts() {
    let head = "[rubric]\nid = \"t\"\nassesses = \"town\"\nlabel = \"附件\"\ntitle = \"表\"\nunit = \"镇\"\ntotal = 0\n[[category]]\nno = 1\nname = \"加分\"\nbonus = true\n[[item]]\nid = \"1\"\ncategory = 1\nindicator = \"先进\"\nbase = 0\nmethod = \"每次加1分\"\n";
    let available: BTreeSet<String> = ["awards".to_string(), "late".to_string()].into_iter().collect();
    let bonus = format!(
        "{head}rule = {{ kind = \"bonus\", counts = [{{ metric = \"awards\", points = 1, reason = \"获奖\" }}] }}\n"
    );
    let e = parse(&bonus, "t.toml", &available).unwrap_err();
    assert!(e[0].message.contains("第1项：计分规则的 counts 中“awards”没有写 each"), "{:?}", e[0]);
    let penalty = head.replace("bonus = true\n", "").replace("每次加1分", "逾期缴费扣0.01分")
        + "rule = { kind = \"penalty\", conditions = [{ metric = \"late\", points = 0.01, reason = \"逾期缴费\" }] }\n";
    let r = parse(&penalty, "t.toml", &available).unwrap();
    let e = score_item("老城办", &r.items[0], &metrics(&[("late", 212.0)])).unwrap_err();
    assert_eq!(e.to_string(), "老城办 第1项：指标“late”是212，不是“有/无”，但条件没有写 each");
    // A yes/no finding (1) is what a condition without each is for.
    assert!(score_item("老城办", &r.items[0], &metrics(&[("late", 1.0)])).is_ok());
}

/// A town rubric with caps: an item's own cap on its deductions (1.1), a capped bonus
/// (2.1, “每个先进村加1分，最多加3分”), a bonus category capped as a whole (2: 最多加5分)
/// and a capped penalty (3.1).
const CAPPED: &str = r#"[rubric]
id = "towns"
assesses = "town"
label = "附件1"
title = "镇（办）综合考核细则"
unit = "镇（办）"
total = 10
[[category]]
no = 1
name = "群众满意"
[[category]]
no = 2
name = "加分项目"
bonus = true
cap = 5
[[category]]
no = 3
name = "扣分项目"
[[item]]
id = "1.1"
category = 1
indicator = "无经查属实的投诉。"
base = 10
method = "每起扣2分，最多扣5分。"
cap = 5
rule = { kind = "per-incident", counts = [{ metric = "complaints", points = 2, each = true, unit = "起", reason = "经查属实的投诉" }] }
[[item]]
id = "2.1"
category = 2
indicator = "创建农村保险先进村。"
method = "每个先进村加1分，最多加3分。"
cap = 3
rule = { kind = "bonus", counts = [{ metric = "advanced_villages", points = 1, each = true, unit = "个", reason = "先进村" }] }
[[item]]
id = "2.2"
category = 2
indicator = "在市级以上会议交流经验。"
method = "每次加2分。"
rule = { kind = "bonus", counts = [{ metric = "talks", points = 2, each = true, unit = "次", reason = "市级以上经验交流" }] }
[[item]]
id = "3.1"
category = 3
indicator = "年末仍有未结理赔案件。"
method = "每件扣0.5分，最多扣2分。"
cap = 2
rule = { kind = "penalty", conditions = [{ metric = "claims_open", points = 0.5, each = true, unit = "件", reason = "年末未结理赔案件" }] }
"#;

fn capped_rubric(text: &str) -> Result<Rubric, Vec<kaohe::problem::InputProblem>> {
    let available = ["complaints", "advanced_villages", "talks", "claims_open"].iter().map(|m| m.to_string()).collect();
    parse(text, "towns.toml", &available)
}

/// Over every cap: 4 complaints cost 8, capped at 5 → 5; 5 先进村 earn 5, capped at 3;
/// 2 talks earn 4, but the category has 5 − 3 = 2 left → 2; 6 open claims cost 3, capped
/// at 2. Total 5 + (3 + 2) − 2 = 8, and each capped reason says its cap.
#[test]
fn a_capped_item_and_category_never_print_more_than_the_cap() {
    let r = capped_rubric(CAPPED).unwrap();
    let m = metrics(&[("complaints", 4.0), ("advanced_villages", 5.0), ("talks", 2.0), ("claims_open", 6.0)]);
    let s = score_unit(&r, "城关镇", &m).unwrap();
    let got: Vec<(f64, String)> = s.items.iter().map(|i| (i.points, i.reasons.join("；"))).collect();
    assert_eq!(
        got,
        [
            (5.0, "经查属实的投诉4起，扣8分；最多扣5分".to_string()),
            (3.0, "先进村5个，加5分；最多加3分".to_string()),
            (2.0, "市级以上经验交流2次，加4分；加分项目合计最多加5分".to_string()),
            (-2.0, "年末未结理赔案件6件，扣3分；最多扣2分".to_string()),
        ]
    );
    assert_eq!((s.base_points, s.bonus, s.penalty, s.total), (5.0, 5.0, 2.0, 8.0));
}

/// Exactly at every cap nothing is cut and no cap is mentioned: 3 先进村 → +3; 1 talk → +2
/// (3 + 2 = the category's 5); 4 open claims → −2; no complaint → 10. Total 10 + 5 − 2 = 13.
#[test]
fn a_cap_reached_exactly_takes_all_of_it() {
    let r = capped_rubric(CAPPED).unwrap();
    let m = metrics(&[("complaints", 0.0), ("advanced_villages", 3.0), ("talks", 1.0), ("claims_open", 4.0)]);
    let s = score_unit(&r, "佐龙镇", &m).unwrap();
    let got: Vec<(f64, String)> = s.items.iter().map(|i| (i.points, i.reasons.join("；"))).collect();
    assert_eq!(
        got,
        [
            (10.0, String::new()),
            (3.0, "先进村3个，加3分".to_string()),
            (2.0, "市级以上经验交流1次，加2分".to_string()),
            (-2.0, "年末未结理赔案件4件，扣2分".to_string()),
        ]
    );
    assert_eq!(s.total, 13.0);
}

#[test]
fn a_cap_where_it_cannot_bound_anything_is_refused() {
    let on_base_category = CAPPED.replacen("name = \"群众满意\"", "name = \"群众满意\"\ncap = 4", 1);
    let e = capped_rubric(&on_base_category).unwrap_err();
    assert_eq!(
        e.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        ["towns.toml：类别1“群众满意”：cap 只用于各项都是 bonus 或都是 penalty 的类别\n  提示：基本分项目的得分本就不超过基本分；给一项设上限，在该 [[item]] 中写 cap"]
    );
}

/// Lower is better, both ways: an error rate scored in bands (不超过0.5%得10分, 不超过1%得6分)
/// and as a shortfall above a ceiling (每超过0.1个百分点扣1分，不足0.1按0.1计).
const LOWER: &str = r#"[rubric]
id = "towns"
assesses = "town"
label = "附件1"
title = "考核细则"
unit = "镇（办）"
total = 20
[[category]]
no = 1
name = "业务质量"
[[item]]
id = "1.1"
category = 1
indicator = "参保信息差错率不超过0.5%。"
base = 10
method = "差错率不超过0.5%的得10分，不超过1%的得6分，超过1%的不得分。"
rule = { kind = "tiered", metric = "error_rate", label = "差错率", unit = "%", tiers = [{ at_most = 0.5, points = 10 }, { at_most = 1, points = 6 }] }
[[item]]
id = "1.2"
category = 1
indicator = "理赔差错率不超过0.5%。"
base = 10
method = "差错率不超过0.5%的得满分，每超过0.1个百分点（不足0.1按0.1计）扣1分。"
rule = { kind = "shortfall", metrics = [{ metric = "claim_errors", label = "理赔差错率" }], ceiling = 0.5, points = 1, step = 0.1, fraction = "ceil" }
"#;

fn lower(pairs: &[(&str, f64)]) -> Vec<(f64, String)> {
    let available = ["error_rate", "claim_errors"].iter().map(|m| m.to_string()).collect();
    let r = parse(LOWER, "towns.toml", &available).unwrap();
    let s = score_unit(&r, "城关镇", &metrics(pairs)).unwrap();
    s.items.iter().map(|i| (i.points, i.reasons.join("；"))).collect()
}

#[test]
fn lower_is_better_tiers_and_a_ceiling_score_by_hand() {
    // Exactly on the bounds: 0.5 is inside the 10-point band; 0.5 is not above the ceiling.
    assert_eq!(lower(&[("error_rate", 0.5), ("claim_errors", 0.5)]), [(10.0, String::new()), (10.0, String::new())]);
    // 1 is the 6-point band's bound; 0.6 is 0.1 over → 1 step → 9.
    assert_eq!(
        lower(&[("error_rate", 1.0), ("claim_errors", 0.6)]),
        [(6.0, "差错率1%，得6分".to_string()), (9.0, "理赔差错率0.6%，超过0.5%，扣1分".to_string())]
    );
    // 1.2 lies in no band → 0; 0.83 is 0.33 over, counted as 0.4 → 4 steps → 6.
    assert_eq!(
        lower(&[("error_rate", 1.2), ("claim_errors", 0.83)]),
        [(0.0, "差错率1.2%，得0分".to_string()), (6.0, "理赔差错率0.83%，超过0.5%，扣4分".to_string())]
    );
    // 2.1 over: 16 steps → 10 − 16 → 0, 扣完为止.
    assert_eq!(
        lower(&[("error_rate", 0.1), ("claim_errors", 2.1)])[1],
        (0.0, "理赔差错率2.1%，超过0.5%，扣16分；扣完为止".to_string())
    );
}

#[test]
fn a_shortfall_with_both_a_target_and_a_ceiling_is_refused() {
    let available = ["error_rate", "claim_errors"].iter().map(|m| m.to_string()).collect();
    let e =
        parse(&LOWER.replace("ceiling = 0.5,", "ceiling = 0.5, target = 1,"), "towns.toml", &available).unwrap_err();
    assert_eq!(
        e.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        ["towns.toml：第1.2项：shortfall 要写 target 或 ceiling 中的一个\n  提示：target = 90：低于90扣分（参保率）；ceiling = 0.5：超过0.5扣分（差错率）"]
    );
}

/// The bottom-N remark of a rubric's ranking, by the one ranking rule: six towns at 95,
/// 90, 80, 80, 70, 70 rank 1, 2, 3, 3, 5, 5; the third-lowest total is 80, so the bottom
/// three are the four towns at 80 and 70 (both 80s tied at the cut); top 1 is 甲镇 alone.
#[test]
fn the_bottom_n_remark_takes_every_town_tied_at_the_cut() {
    let text = r#"[rubric]
id = "towns"
assesses = "town"
label = "附件1"
title = "考核细则"
unit = "镇（办）"
total = 100
bottom_n = 3
bottom_remark = "纳入不良记录管理"
top_n = 1
top_remark = "评为先进单位"
[[category]]
no = 1
name = "综合"
[[item]]
id = "1"
category = 1
indicator = "综合评分"
base = 100
method = "督查组评分"
rule = { kind = "judged", metric = "score" }
"#;
    let available = ["score".to_string()].into_iter().collect();
    let rubrics = vec![("towns.toml".to_string(), parse(text, "towns.toml", &available).unwrap())];
    let towns = [("甲镇", 95.0), ("乙镇", 90.0), ("丙镇", 80.0), ("丁镇", 80.0), ("戊镇", 70.0), ("己镇", 70.0)];
    let units = towns
        .iter()
        .map(|(name, score)| kaohe::score::Unit { keys: vec![name.to_string()], values: metrics(&[("score", *score)]) })
        .collect();
    let input = kaohe::score::Input {
        rubrics: &rubrics,
        key_columns: [("town".to_string(), vec!["镇（办）".to_string()])].into_iter().collect(),
        units: [("town".to_string(), units)].into_iter().collect(),
        last_year: Default::default(),
        sources: Default::default(),
    };
    let results = kaohe::score::assess(&input).unwrap();
    let table = results[0].ranking_table();
    let rows: Vec<(String, String, String)> =
        table.rows.iter().map(|r| (r[0].text(), r[1].text(), r[6].text())).collect();
    let want = [
        ("1", "甲镇", "评为先进单位"),
        ("2", "乙镇", ""),
        ("3", "丙镇", "并列；纳入不良记录管理"),
        ("3", "丁镇", "并列；纳入不良记录管理"),
        ("5", "戊镇", "并列；纳入不良记录管理"),
        ("5", "己镇", "并列；纳入不良记录管理"),
    ];
    assert_eq!(rows, want.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())));
    // The score sheet says it too.
    let sheet = results[0].sheet_payload(2, 2016);
    assert_eq!(sheet["remarks"], serde_json::json!(["排名后3位：纳入不良记录管理"]));
    assert_eq!(sheet["summary"], "基本项得分80分，加分0分，扣分0分，总分80分，排名第3名（并列）");
}

/// The results' wording is data: the built-in file, under a programme's [rubric_text],
/// under the rubric's own [text]. Over its cap, 先进村 reads as the rubric words it; 扣完为止
/// as the programme does; the ranking's headers are the programme's.
#[test]
fn wording_is_data_per_programme_and_per_rubric() {
    let programme: toml::Table = r#"
floored = "扣至0分为止"
item_cap_added = "已达上限{cap}分"
ranking_columns = ["位次", "{unit}", "基本分", "加分", "扣分", "总分", "说明"]
"#
    .parse()
    .unwrap();
    let own = format!("{CAPPED}[text]\nitem_cap_added = \"超过上限，按{{cap}}分计\"\n");
    let available: BTreeSet<String> =
        ["complaints", "advanced_villages", "talks", "claims_open"].iter().map(|m| m.to_string()).collect();
    let r = kaohe::programme::rubric::parse_with(&own, "towns.toml", &available, &programme).unwrap();
    let m = metrics(&[("complaints", 6.0), ("advanced_villages", 5.0), ("talks", 0.0), ("claims_open", 0.0)]);
    let s = score_unit(&r, "城关镇", &m).unwrap();
    // 1.1: 6 complaints cost 12, capped at 5 → 5 (the built-in cap wording: nobody reworded it).
    assert_eq!(s.items[0].reasons, ["经查属实的投诉6起，扣12分", "最多扣5分"]);
    assert_eq!(s.items[1].reasons, ["先进村5个，加5分", "超过上限，按3分计"]);
    // Without its own [text], the programme's wording.
    let plain = kaohe::programme::rubric::parse_with(CAPPED, "towns.toml", &available, &programme).unwrap();
    assert_eq!(score_unit(&plain, "城关镇", &m).unwrap().items[1].reasons, ["先进村5个，加5分", "已达上限3分"]);
    let rubrics = vec![("towns.toml".to_string(), r)];
    let input = kaohe::score::Input {
        rubrics: &rubrics,
        key_columns: [("town".to_string(), vec!["镇（办）".to_string()])].into_iter().collect(),
        units: [("town".to_string(), vec![kaohe::score::Unit { keys: vec!["城关镇".into()], values: m }])]
            .into_iter()
            .collect(),
        last_year: Default::default(),
        sources: Default::default(),
    };
    let results = kaohe::score::assess(&input).unwrap();
    assert_eq!(results[0].ranking_table().columns, ["位次", "镇（办）", "基本分", "加分", "扣分", "总分", "说明"]);
    // A key kaohe does not know, and a placeholder the key does not take, are refused.
    let e = |text: &str| {
        let t: toml::Table = text.parse().unwrap();
        kaohe::programme::rubric::parse_with(CAPPED, "towns.toml", &available, &t)
            .unwrap_err()
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        e("florred = \"扣完\""),
        ["towns.toml：[rubric_text] 中未知的配置项“florred”；是否应为“floored”？\n  提示：可写的各项及其占位符见 README 的 “The wording of the results”"]
    );
    assert_eq!(
        e("zeroed = \"{reason}，得{points}分\""),
        ["towns.toml：[rubric_text] zeroed 中的占位符 {points} 未知；可用：reason\n  提示：可写的各项及其占位符见 README 的 “The wording of the results”"]
    );
}
