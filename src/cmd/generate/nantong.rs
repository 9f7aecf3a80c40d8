//! The bundled 南通 2012 datasets, rebuilt deterministically: areas, premiums,
//! greenhouses, subsidies, a claims ledger of tens of thousands of rows (one file per
//! insurer, in four formats), the phone survey, inspection findings and last year's
//! grades for the ten assessed units and four insurers.
//!
//! The figures are synthetic but planted so that the sample exercises every rule: each
//! item loses points somewhere, a fractional shortfall, a floor at zero, a penalty,
//! bonuses, a tie, a disqualified county, an insurer 不合格 two years running. The plan
//! is the tables below; the random part only fills in plausible detail around it.

use std::path::Path;

use chrono::{Duration, NaiveDate};
use polars::prelude::*;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};

use super::Rng;

const CROPS: [&str; 5] = ["水稻", "小麦", "玉米", "油菜", "棉花"];

/// One county's planted figures: coverage per crop in hundredths of a percent (None = not
/// grown), high-efficiency premium share, large-greenhouse coverage (None = none), whether
/// a subsidised greenhouse is not fully insured, a subsidy line below standard, findings
/// that differ from a clean inspection.
struct CountyPlan {
    name: &'static str,
    coverage: [Option<u64>; 5],
    high_share: u64,
    greenhouses: Option<u64>,
    subsidised_uninsured: bool,
    subsidy_short: Option<(&'static str, [u64; 3])>,
    findings: &'static [(&'static str, f64)],
}

const COUNTIES: [CountyPlan; 10] = [
    CountyPlan {
        name: "崇川区",
        coverage: [Some(9200), Some(9100), None, None, None],
        high_share: 3100,
        greenhouses: None,
        subsidised_uninsured: false,
        subsidy_short: None,
        findings: &[("publicity_and_commendations", 1.0)],
    },
    CountyPlan {
        name: "港闸区",
        coverage: [Some(9350), Some(9420), Some(9050), None, None],
        high_share: 2860,
        greenhouses: Some(2740),
        subsidised_uninsured: false,
        subsidy_short: None,
        findings: &[("agreement_signed", 0.0), ("underwriting_publicised", 0.0), ("daily_work_score", 4.5)],
    },
    CountyPlan {
        name: "通州区",
        coverage: [Some(8760), Some(9050), Some(8930), Some(9310), Some(9400)],
        high_share: 2250,
        greenhouses: Some(3120),
        subsidised_uninsured: false,
        subsidy_short: None,
        findings: &[("fishery_group_petition", 1.0), ("new_clauses_registered", 1.0)],
    },
    CountyPlan {
        name: "海安县",
        coverage: [Some(9600), Some(9540), Some(9210), Some(9480), Some(9120)],
        high_share: 2700,
        greenhouses: Some(2160),
        subsidised_uninsured: true,
        subsidy_short: None,
        findings: &[
            ("livestock_uninsured_cases", 3.0),
            ("management_fee_failed_checks", 2.0),
            ("management_fee_no_rules", 1.0),
            ("pilot_kinds", 1.0),
            ("daily_work_score", 4.0),
            ("new_lines_meeting_coverage", 1.0),
            ("new_lines_below_coverage", 1.0),
        ],
    },
    CountyPlan {
        name: "如东县",
        coverage: [Some(9530), Some(9610), Some(9340), Some(9150), Some(9080)],
        high_share: 2950,
        greenhouses: Some(2600),
        subsidised_uninsured: false,
        subsidy_short: None,
        findings: &[
            ("rate_violations", 6.0),
            ("mis_upload_late", 1.0),
            ("catastrophe_reserve_not_remitted", 1.0),
            ("daily_work_score", 4.5),
            ("province_meetings_hosted", 1.0),
        ],
    },
    CountyPlan {
        name: "启东市",
        coverage: [Some(9420), Some(9330), Some(9110), Some(9260), Some(8880)],
        high_share: 2630,
        greenhouses: Some(2810),
        subsidised_uninsured: false,
        subsidy_short: Some(("棉花", [3500, 2500, 500])),
        findings: &[("no_special_audit", 1.0), ("machinery_refusal", 1.0), ("new_line_pilots", 1.0)],
    },
    CountyPlan {
        name: "如皋市",
        coverage: [Some(9580), Some(9490), Some(9300), Some(9220), Some(9050)],
        high_share: 3300,
        greenhouses: Some(2950),
        subsidised_uninsured: false,
        subsidy_short: None,
        findings: &[
            ("falsification", 1.0),
            ("no_special_account", 1.0),
            ("premium_late", 1.0),
            ("audit_issues_unfixed", 1.0),
        ],
    },
    CountyPlan {
        name: "海门市",
        coverage: [Some(9460), Some(9380), Some(9170), Some(8600), Some(9240)],
        high_share: 2500,
        greenhouses: Some(2530),
        subsidised_uninsured: false,
        subsidy_short: None,
        findings: &[
            ("mis_not_fully_used", 1.0),
            ("mis_upload_late", 1.0),
            ("transfer_late", 1.0),
            ("audit_major_problem", 1.0),
            ("pilot_kinds", 0.0),
            ("daily_work_score", 3.0),
        ],
    },
    CountyPlan {
        name: "南通经济技术开发区",
        coverage: [Some(9500), Some(9300), None, None, None],
        high_share: 1840,
        greenhouses: Some(2500),
        subsidised_uninsured: false,
        subsidy_short: None,
        findings: &[("daily_work_score", 4.0), ("city_meetings_hosted", 1.0)],
    },
    CountyPlan {
        name: "南通滨海园区",
        coverage: [Some(9150), Some(9230), None, None, Some(9060)],
        high_share: 2580,
        greenhouses: Some(3400),
        subsidised_uninsured: false,
        subsidy_short: None,
        findings: &[("livestock_uninsured_cases", 1.0), ("catastrophe_reserve_misused", 1.0)],
    },
];

/// County findings: (metric, clean value, written as 是/否).
const COUNTY_FINDINGS: [(&str, f64, bool); 30] = [
    ("agreement_signed", 1.0, true),
    ("rate_violations", 0.0, false),
    ("livestock_uninsured_cases", 0.0, false),
    ("machinery_refusal", 0.0, true),
    ("fishery_group_petition", 0.0, true),
    ("underwriting_publicised", 1.0, true),
    ("mis_upload_late", 0.0, true),
    ("mis_not_fully_used", 0.0, true),
    ("no_special_account", 0.0, true),
    ("premium_late", 0.0, true),
    ("transfer_late", 0.0, true),
    ("management_fee_failed_checks", 0.0, false),
    ("management_fee_no_rules", 0.0, true),
    ("catastrophe_reserve_not_remitted", 0.0, true),
    ("catastrophe_reserve_misused", 0.0, true),
    ("no_special_audit", 0.0, true),
    ("audit_issues_unfixed", 0.0, true),
    ("audit_major_problem", 0.0, true),
    ("pilot_kinds", 2.0, false),
    ("daily_work_score", 5.0, false),
    ("new_lines_meeting_coverage", 0.0, false),
    ("new_lines_below_coverage", 0.0, false),
    ("new_clauses_registered", 0.0, false),
    ("new_line_pilots", 0.0, false),
    ("city_meetings_hosted", 0.0, false),
    ("province_meetings_hosted", 0.0, false),
    ("publicity_and_commendations", 0.0, false),
    ("major_audit_finding", 0.0, true),
    ("major_accident", 0.0, true),
    ("falsification", 0.0, true),
];

/// Insurer findings: (metric, clean value, written as 是/否).
const INSURER_FINDINGS: [(&str, f64, bool); 15] = [
    ("network_incomplete", 0.0, true),
    ("staff_targets_set", 1.0, true),
    ("lines_underwritten_late", 0.0, false),
    ("all_lines_offered", 1.0, true),
    ("data_incomplete", 0.0, true),
    ("data_errors", 0.0, false),
    ("machinery_refusal", 0.0, true),
    ("late_survey_complaints", 0.0, false),
    ("verified_claim_complaints", 0.0, false),
    ("disaster_equipment_adequate", 1.0, true),
    ("posting_hard_to_consult", 0.0, true),
    ("ledgers_complete", 1.0, true),
    ("reports_to_government", 1.0, true),
    ("new_lines_piloted", 0.0, false),
    ("new_clauses_registered", 0.0, false),
];

/// What the claims ledger plants for an insurer in a county.
#[derive(Clone, Copy, PartialEq)]
enum Planted {
    None,
    /// One claim paid this many days after 定损.
    Late(i64),
    /// One claim still unpaid at the cut-off, long past the limit.
    Unpaid,
    /// One claim paid in cash.
    Cash,
    /// This many claims not posted publicly.
    NotPosted(usize),
    /// One claim paid short of the assessed amount.
    Partial,
}

/// An insurer in a county: survey (households, satisfied), findings that differ from a
/// clean inspection, what the ledger plants, last year's grade.
struct PairPlan {
    county: &'static str,
    insurer: &'static str,
    survey: (u64, u64),
    findings: &'static [(&'static str, f64)],
    planted: Planted,
    last_year: &'static str,
}

const PAIRS: [PairPlan; 19] = [
    PairPlan {
        county: "崇川区",
        insurer: "人保财险",
        survey: (45, 42),
        findings: &[("new_lines_piloted", 1.0)],
        planted: Planted::None,
        last_year: "好",
    },
    PairPlan {
        county: "港闸区",
        insurer: "人保财险",
        survey: (50, 43),
        findings: &[("lines_underwritten_late", 1.0)],
        planted: Planted::None,
        last_year: "好",
    },
    PairPlan {
        county: "港闸区",
        insurer: "太保财险",
        survey: (36, 34),
        findings: &[("network_incomplete", 1.0), ("posting_hard_to_consult", 1.0)],
        planted: Planted::None,
        last_year: "合格",
    },
    PairPlan {
        county: "通州区",
        insurer: "人保财险",
        survey: (60, 57),
        findings: &[("late_survey_complaints", 3.0), ("verified_claim_complaints", 1.0)],
        planted: Planted::None,
        last_year: "好",
    },
    PairPlan {
        county: "通州区",
        insurer: "国寿财险",
        survey: (40, 34),
        findings: &[("data_incomplete", 1.0), ("data_errors", 2.0)],
        planted: Planted::Late(25),
        last_year: "合格",
    },
    PairPlan {
        county: "海安县",
        insurer: "人保财险",
        survey: (52, 49),
        findings: &[],
        planted: Planted::Partial,
        last_year: "好",
    },
    PairPlan {
        county: "海安县",
        insurer: "中华联合",
        survey: (33, 30),
        findings: &[("staff_targets_set", 0.0), ("disaster_equipment_adequate", 0.0)],
        planted: Planted::NotPosted(3),
        last_year: "不合格",
    },
    PairPlan {
        county: "如东县",
        insurer: "人保财险",
        survey: (50, 44),
        findings: &[("machinery_refusal", 1.0)],
        planted: Planted::Cash,
        last_year: "好",
    },
    PairPlan {
        county: "如东县",
        insurer: "太保财险",
        survey: (50, 40),
        findings: &[("all_lines_offered", 0.0), ("reports_to_government", 0.0), ("new_clauses_registered", 1.0)],
        planted: Planted::None,
        last_year: "合格",
    },
    PairPlan {
        county: "如东县",
        insurer: "中华联合",
        survey: (31, 29),
        findings: &[("ledgers_complete", 0.0), ("lines_underwritten_late", 3.0), ("late_survey_complaints", 4.0)],
        planted: Planted::None,
        last_year: "不合格",
    },
    PairPlan {
        county: "启东市",
        insurer: "人保财险",
        survey: (100, 91),
        findings: &[],
        planted: Planted::None,
        last_year: "好",
    },
    PairPlan {
        county: "启东市",
        insurer: "国寿财险",
        survey: (42, 39),
        findings: &[("lines_underwritten_late", 6.0), ("verified_claim_complaints", 2.0), ("network_incomplete", 1.0)],
        planted: Planted::None,
        last_year: "合格",
    },
    PairPlan {
        county: "如皋市",
        insurer: "人保财险",
        survey: (100, 79),
        findings: &[],
        planted: Planted::NotPosted(2),
        last_year: "好",
    },
    PairPlan {
        county: "如皋市",
        insurer: "中华联合",
        survey: (38, 36),
        findings: &[("data_incomplete", 1.0), ("new_lines_piloted", 2.0)],
        planted: Planted::None,
        last_year: "合格",
    },
    PairPlan {
        county: "海门市",
        insurer: "人保财险",
        survey: (48, 45),
        findings: &[("posting_hard_to_consult", 1.0)],
        planted: Planted::None,
        last_year: "好",
    },
    PairPlan {
        county: "海门市",
        insurer: "太保财险",
        survey: (40, 35),
        findings: &[],
        planted: Planted::Late(23),
        last_year: "好",
    },
    PairPlan {
        county: "南通经济技术开发区",
        insurer: "太保财险",
        survey: (30, 29),
        findings: &[],
        planted: Planted::None,
        last_year: "好",
    },
    PairPlan {
        county: "南通滨海园区",
        insurer: "人保财险",
        survey: (35, 32),
        findings: &[("staff_targets_set", 0.0), ("ledgers_complete", 0.0), ("disaster_equipment_adequate", 0.0)],
        planted: Planted::Unpaid,
        last_year: "合格",
    },
    PairPlan {
        county: "南通滨海园区",
        insurer: "太保财险",
        survey: (30, 28),
        findings: &[],
        planted: Planted::None,
        last_year: "合格",
    },
];

/// Claim-number prefixes and the file each insurer's ledger is written as.
const INSURERS: [(&str, &str, &str); 4] = [
    ("人保财险", "PICC", "理赔台账/人保财险.xlsx"),
    ("太保财险", "CPIC", "理赔台账/太保财险.csv"),
    ("国寿财险", "CLPC", "理赔台账/国寿财险.parquet"),
    ("中华联合", "CUIC", "理赔台账/中华联合.gbk.csv"),
];

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct AgriSummary {
    pub files: usize,
    pub claims: usize,
    pub bytes: u64,
}

/// A cell to write.
enum V {
    T(String),
    N(f64),
}

fn t(s: impl Into<String>) -> V {
    V::T(s.into())
}

fn cents(c: u64) -> V {
    V::N(c as f64 / 100.0)
}

/// Write the datasets into `out` (the programme folder's data/). `claims_per_pair` sets
/// the ledger's size (about 1,600 for the bundled sample, 10,000 for the city workload).
/// Same seed and size → same bytes.
pub fn generate(out: &Path, seed: u64, claims_per_pair: usize) -> Result<AgriSummary, String> {
    let mut rng = Rng(seed);
    let mut summary = AgriSummary::default();
    std::fs::create_dir_all(out.join("理赔台账")).map_err(|e| e.to_string())?;

    // 种植面积: planted in hundreds of 亩, insured so that coverage is exactly the plan's.
    let mut rows = Vec::new();
    for c in &COUNTIES {
        for (crop, cov) in CROPS.iter().zip(c.coverage) {
            let Some(cov) = cov else { continue };
            let k = rng.range(150, 1500); // 15,000 – 150,000 亩
            rows.push(vec![t(c.name), t(*crop), V::N((k * 100) as f64), cents(k * cov)]);
        }
    }
    rows.push(vec![t("合计"), t(""), t(""), t("")]);
    write(out, "种植面积.xlsx", &["县（市）区", "作物", "种植面积（亩）", "承保面积（亩）"], &rows, &mut summary)?;

    // 保费收入: per county a total in whole hundreds of yuan; the high-efficiency part is
    // exactly the planned share; both split over the insurers and lines.
    let general_lines = ["水稻", "小麦", "玉米", "油菜", "棉花", "能繁母猪", "奶牛", "育肥猪"];
    let high_lines = ["设施大棚", "设施蔬菜", "食用菌", "水产养殖"];
    let mut rows = Vec::new();
    for c in &COUNTIES {
        let insurers: Vec<&str> = PAIRS.iter().filter(|p| p.county == c.name).map(|p| p.insurer).collect();
        let total = rng.range(800, 6000) * 10_000 * 100; // cents: 8–60 million yuan... in 100-yuan steps
        let high = total * c.high_share / 10_000;
        for (amount, lines, flag) in [(high, &high_lines[..], "是"), (total - high, &general_lines[..], "否")] {
            let parts = split_cents(&mut rng, amount, insurers.len() * lines.len());
            for (k, part) in parts.into_iter().enumerate() {
                let insurer = insurers[k % insurers.len()];
                let line = lines[k / insurers.len()];
                rows.push(vec![t(c.name), t(insurer), t(line), t(flag), cents(part)]);
            }
        }
    }
    rows.push(vec![t("合计"), t(""), t(""), t(""), t("")]);
    write(out, "保费收入.gbk.csv", &["县（市）区", "承办公司", "险种", "高效农业", "保费（元）"], &rows, &mut summary)?;

    // 设施大棚: small sites (< 50 亩, not counted) and large ones whose insured total gives
    // the planned coverage; subsidised sites fully insured except where planted otherwise.
    let mut rows = Vec::new();
    for c in &COUNTIES {
        let mut no = 0;
        let mut site = |rows: &mut Vec<Vec<V>>, area: u64, insured_cents: u64, subsidised: bool| {
            no += 1;
            rows.push(vec![
                t(c.name),
                t(format!("{}-{:03}", c.name, no)),
                V::N(area as f64),
                cents(insured_cents),
                t(if subsidised { "是" } else { "否" }),
            ]);
        };
        for _ in 0..rng.range(2, 5) {
            let area = rng.range(8, 45);
            site(&mut rows, area, if rng.chance(500) { area * 100 } else { 0 }, false);
        }
        let Some(cov) = c.greenhouses else { continue };
        // Two small subsidised sites, then larger ones; the insured total is the plan's coverage.
        let n = rng.range(8, 14) as usize;
        let areas: Vec<u64> = (0..n).map(|i| if i < 2 { rng.range(50, 70) } else { rng.range(100, 400) }).collect();
        let total: u64 = areas.iter().sum();
        let mut left = total * cov / 100; // hundredths of a 亩
        let mut insured = vec![0u64; n];
        for i in 0..2 {
            let full = areas[i] * 100;
            insured[i] = if c.subsidised_uninsured && i == 0 { full / 2 } else { full };
            left -= insured[i];
        }
        for i in 2..n {
            let take = (areas[i] * 100 * rng.range(20, 60) / 100).min(left);
            insured[i] = take;
            left -= take;
        }
        for i in 2..n {
            let take = (areas[i] * 100 - insured[i]).min(left);
            insured[i] += take;
            left -= take;
        }
        if left > 0 {
            return Err(format!("{}: 设施大棚参保面积分配不完", c.name));
        }
        for i in 0..n {
            site(&mut rows, areas[i], insured[i], i < 2);
        }
    }
    write(
        out,
        "设施大棚.csv",
        &["县（市）区", "大棚编号", "连片面积（亩）", "参保面积（亩）", "财政奖补"],
        &rows,
        &mut summary,
    )?;

    // 财政补贴: central / provincial / city-county shares per line.
    let lines: [(&str, [u64; 3]); 9] = [
        ("水稻", [4000, 2500, 1000]),
        ("小麦", [4000, 2500, 1000]),
        ("玉米", [4000, 2500, 1000]),
        ("油菜", [4000, 2500, 1000]),
        ("棉花", [4000, 2500, 1000]),
        ("能繁母猪", [5000, 2000, 1000]),
        ("奶牛", [5000, 2000, 1000]),
        ("育肥猪", [0, 3000, 3000]),
        ("设施大棚", [0, 3000, 3500]),
    ];
    let mut rows = Vec::new();
    for c in &COUNTIES {
        for (line, shares) in lines {
            let shares = match c.subsidy_short {
                Some((l, s)) if l == line => s,
                _ => shares,
            };
            rows.push(vec![t(c.name), t(line), cents(shares[0]), cents(shares[1]), cents(shares[2])]);
        }
    }
    write(
        out,
        "财政补贴.xlsx",
        &["县（市）区", "险种", "中央财政（%）", "省级财政（%）", "市县财政（%）"],
        &rows,
        &mut summary,
    )?;

    // 理赔台账: one file per insurer.
    let year_start = NaiveDate::from_ymd_opt(2012, 1, 10).unwrap();
    let as_of = NaiveDate::from_ymd_opt(2012, 12, 31).unwrap();
    let claim_lines = ["水稻", "小麦", "玉米", "油菜", "棉花", "能繁母猪", "奶牛", "设施大棚"];
    for (insurer, prefix, file) in INSURERS {
        let mut rows = Vec::new();
        let mut serial = 0;
        for (pi, p) in PAIRS.iter().enumerate().filter(|(_, p)| p.insurer == insurer) {
            let n = claims_per_pair + rng.below(claims_per_pair as u64 / 4 + 1) as usize;
            let plant_at = n / 2;
            for k in 0..n {
                serial += 1;
                let mut assessed_on = year_start + Duration::days(rng.range(0, 340) as i64);
                if k == plant_at {
                    assessed_on = NaiveDate::from_ymd_opt(2012, 7, 5).unwrap() + Duration::days(pi as i64);
                }
                let mut paid_on = Some(assessed_on + Duration::days(rng.range(2, 18) as i64));
                let assessed = rng.range(200, 400_000); // cents
                let mut paid = assessed;
                let mut channel = if rng.chance(700) { "一卡通" } else { "一折通" };
                let mut posted = "是";
                match p.planted {
                    Planted::Late(days) if k == plant_at => paid_on = Some(assessed_on + Duration::days(days)),
                    Planted::Unpaid if k == plant_at => paid_on = None,
                    Planted::Cash if k == plant_at => channel = "现金",
                    Planted::NotPosted(m) if k >= plant_at && k < plant_at + m => posted = "否",
                    Planted::Partial if k == plant_at => paid = assessed * 4 / 5,
                    _ => {}
                }
                // Claims assessed in the last days of the year may still be pending, within the limit.
                let assessed_on = if k == n - 1 { as_of - Duration::days(5) } else { assessed_on };
                if k == n - 1 {
                    paid_on = None;
                }
                if paid_on.is_some_and(|d| d > as_of) {
                    paid_on = Some(as_of);
                }
                let no = format!("{prefix}2012{:02}{:06}", pi + 1, serial);
                let (paid_text, channel_text) = match paid_on {
                    Some(d) => (d.format("%Y-%m-%d").to_string(), channel),
                    None => (String::new(), ""),
                };
                rows.push(vec![
                    t(no),
                    t(p.county),
                    t(insurer),
                    t(rng.pick(&claim_lines)),
                    t(assessed_on.format("%Y-%m-%d").to_string()),
                    t(paid_text),
                    cents(assessed),
                    if paid_on.is_some() { cents(paid) } else { t("") },
                    t(channel_text),
                    t(posted),
                ]);
            }
        }
        summary.claims += rows.len();
        let headers = [
            "赔案号",
            "县（市）区",
            "承办公司",
            "险种",
            "定损日期",
            "支付日期",
            "核定赔款（元）",
            "实付赔款（元）",
            "支付方式",
            "张榜公布",
        ];
        write(out, file, &headers, &rows, &mut summary)?;
    }

    // 满意度电话回访.
    let rows: Vec<Vec<V>> = PAIRS
        .iter()
        .map(|p| vec![t(p.county), t(p.insurer), V::N(p.survey.0 as f64), V::N(p.survey.1 as f64)])
        .collect();
    write(out, "满意度回访.csv", &["县（市）区", "承办公司", "回访户数", "满意户数"], &rows, &mut summary)?;

    // 检查结果: one row per county, one per insurer × county; a 备注 column for the inspector.
    let flag = |v: f64| t(if v > 0.0 { "是" } else { "否" });
    let mut headers: Vec<&str> = vec!["县（市）区"];
    headers.extend(COUNTY_FINDINGS.iter().map(|f| f.0));
    headers.push("备注");
    let rows: Vec<Vec<V>> = COUNTIES
        .iter()
        .map(|c| {
            let mut row = vec![t(c.name)];
            for (m, clean, is_flag) in COUNTY_FINDINGS {
                let v = c.findings.iter().find(|f| f.0 == m).map_or(clean, |f| f.1);
                row.push(if is_flag { flag(v) } else { V::N(v) });
            }
            row.push(t(if c.findings.is_empty() { "" } else { "见检查记录" }));
            row
        })
        .collect();
    write(out, "县区检查结果.csv", &headers, &rows, &mut summary)?;
    let mut headers: Vec<&str> = vec!["县（市）区", "承办公司"];
    headers.extend(INSURER_FINDINGS.iter().map(|f| f.0));
    headers.push("备注");
    let rows: Vec<Vec<V>> = PAIRS
        .iter()
        .map(|p| {
            let mut row = vec![t(p.county), t(p.insurer)];
            for (m, clean, is_flag) in INSURER_FINDINGS {
                let v = p.findings.iter().find(|f| f.0 == m).map_or(clean, |f| f.1);
                row.push(if is_flag { flag(v) } else { V::N(v) });
            }
            row.push(t(""));
            row
        })
        .collect();
    write(out, "承办公司检查结果.csv", &headers, &rows, &mut summary)?;

    let rows: Vec<Vec<V>> = PAIRS.iter().map(|p| vec![t(p.county), t(p.insurer), t(p.last_year)]).collect();
    write(out, "2011年考核等级.csv", &["县（市）区", "承办公司", "等级"], &rows, &mut summary)?;
    Ok(summary)
}

/// Split `total` cents into `k` positive parts that add up exactly.
fn split_cents(rng: &mut Rng, total: u64, k: usize) -> Vec<u64> {
    let weights: Vec<u64> = (0..k).map(|_| rng.range(20, 180)).collect();
    let wsum: u64 = weights.iter().sum();
    let mut parts: Vec<u64> = weights.iter().map(|w| total / wsum * w).collect();
    let rest = total - parts.iter().sum::<u64>();
    parts[0] += rest;
    parts
}

/// Write a table by extension: .xlsx, .parquet, .gbk.csv (GBK, as Excel saves on a
/// Chinese Windows), .csv (UTF-8 with BOM, CRLF).
fn write(dir: &Path, name: &str, headers: &[&str], rows: &[Vec<V>], summary: &mut AgriSummary) -> Result<(), String> {
    let path = dir.join(name.replace(".gbk.csv", ".csv"));
    let text = |v: &V| match v {
        V::T(s) => s.clone(),
        V::N(n) => kaohe::programme::rubric::fmt_points(*n),
    };
    let bytes: Vec<u8> = if name.ends_with(".xlsx") {
        let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
        let mut book = Workbook::new();
        let created = ExcelDateTime::from_ymd(2013, 1, 15).map_err(err)?;
        book.set_properties(&DocProperties::new().set_creation_datetime(&created));
        let sheet = book.add_worksheet();
        for (c, h) in headers.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).map_err(err)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                match v {
                    V::T(s) if s.is_empty() => {}
                    V::T(s) => {
                        sheet.write_string(r as u32 + 1, c as u16, s).map_err(err)?;
                    }
                    V::N(n) => {
                        sheet.write_number(r as u32 + 1, c as u16, *n).map_err(err)?;
                    }
                }
            }
        }
        book.save_to_buffer().map_err(err)?
    } else if name.ends_with(".parquet") {
        let columns: Vec<Column> = headers
            .iter()
            .enumerate()
            .map(|(k, h)| Column::new((*h).into(), rows.iter().map(|r| text(&r[k])).collect::<Vec<String>>()))
            .collect();
        let mut df = DataFrame::new_infer_height(columns).map_err(|e| e.to_string())?;
        let mut buf = Vec::new();
        ParquetWriter::new(&mut buf).finish(&mut df).map_err(|e| e.to_string())?;
        buf
    } else {
        let mut s = headers.join(",") + "\r\n";
        for (i, row) in rows.iter().enumerate() {
            if i > 0 && i % 5000 == 0 {
                s += &",".repeat(headers.len() - 1); // a blank row, as Excel leaves them
                s += "\r\n";
            }
            s += &row.iter().map(text).collect::<Vec<_>>().join(",");
            s += "\r\n";
        }
        if name.ends_with(".gbk.csv") {
            let (gbk, _, bad) = encoding_rs::GBK.encode(&s);
            if bad {
                return Err(format!("{name}: 无法用 GBK 编码"));
            }
            gbk.into_owned()
        } else {
            let mut b = b"\xEF\xBB\xBF".to_vec();
            b.extend_from_slice(s.as_bytes());
            b
        }
    };
    std::fs::write(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    summary.files += 1;
    summary.bytes += bytes.len() as u64;
    Ok(())
}
