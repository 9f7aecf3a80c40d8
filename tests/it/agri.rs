//! End-to-end tests of the 南通 2012 agricultural-insurance assessment: the bundled
//! datasets scored by the kaohe binary, checked against scores computed by hand (the
//! arithmetic is written next to each figure), the ranking with its tie and its
//! disqualified county, the grades with their boundaries and the two-year rule, the PDFs,
//! and the errors for data that cannot be scored.

use crate::common::{all_files, copy_dir, kaohe, read_csv, repo, text};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn run(input: &Path, out: &Path) -> Output {
    kaohe(&["run", "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap()], &repo())
}

/// The bundled 南通 programme, run once for every test that reads its output.
fn results() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| crate::common::bundled().join("nantong-2012-agri"))
}

/// (points, reason) of one item of one unit, from the item-scores sheet.
fn item(rubric: &str, county: &str, insurer: &str, id: &str) -> (String, String) {
    let rows = read_csv(&results().join(format!("csv/item-scores-{rubric}.csv")));
    let r = rows
        .iter()
        .find(|r| r[0] == county && r[1] == insurer && r[2] == id)
        .unwrap_or_else(|| panic!("no item {id} for {county}{insurer}"));
    (r[5].clone(), r[6].clone())
}

#[test]
fn county_scores_match_the_hand_computation() {
    // 通州区. 1.3 shortfall: premium share 22.5% → (25 − 22.5) × 1 = 2.5 lost → 7.5.
    assert_eq!(
        item("county", "通州区", "", "1.3"),
        ("7.5".into(), "高效农业保险保费占比22.5%，低于25%，扣2.5分".into())
    );
    // 2.1 shortfall summed over crops, pro rata: rice 87.6 → 2.4, maize 89.3 → 0.7; 10 − 3.1 = 6.9.
    assert_eq!(
        item("county", "通州区", "", "2.1"),
        ("6.9".into(), "水稻承保面87.6%，低于90%，扣2.4分；玉米承保面89.3%，低于90%，扣0.7分".into())
    );
    // 3.3 all-or-nothing: one 国寿财险 claim was paid 25 days after 定损 → 0.
    assert_eq!(item("county", "通州区", "", "3.3").0, "0");
    // 2.5 penalty: group petition → −5. 6.2 bonus: one new clause registered → +6.
    assert_eq!(
        item("county", "通州区", "", "2.5"),
        ("-5".into(), "渔船、渔民互助保险工作引发群体上访事件，扣5分".into())
    );
    assert_eq!(item("county", "通州区", "", "6.2").0, "6");
    // Base items: 5+5+7.5 + 6.9+8+15+2 + 2+3+0+3+3 + 10+4+2+4 + 5+5 = 90.4; total 90.4 − 5 + 6 = 91.4.

    // 海安县. 2.2 per-incident: 3 uninsured sows/cows → 8 − 3 = 5.
    assert_eq!(item("county", "海安县", "", "2.2").0, "5");
    // 2.3 shortfall plus condition: 21.6% → 3.4, and a subsidised greenhouse not fully insured → 5; 15 − 8.4 = 6.6.
    assert_eq!(
        item("county", "海安县", "", "2.3"),
        ("6.6".into(), "设施大棚参保面21.6%，低于25%，扣3.4分；有财政专项资金奖补的设施大棚未全部参保，扣5分".into())
    );
    // 3.2 all-or-nothing: 中华联合 left 3 claims unposted → 0.
    assert_eq!(item("county", "海安县", "", "3.2").0, "0");
    // 4.2 deductions: 2 failed checks × 1 + no rules 2 = 4 → 0.
    assert_eq!(item("county", "海安县", "", "4.2").0, "0");
    // 5.1 tiered: one kind of pilot → 2. 5.2 judged: 4.
    assert_eq!(item("county", "海安县", "", "5.1"), ("2".into(), "开展试点的方面1个，得2分".into()));
    assert_eq!(item("county", "海安县", "", "5.2"), ("4".into(), "检查评分4分，扣1分".into()));
    // Base: 5+5+10 + 10+5+6.6+2 + 2+0+4+3+3 + 10+0+2+4 + 2+4 = 77.6; bonus 6.1: 3 + 1 = 4; total 81.6.

    // 如东县. 1.2 per-incident floored at zero: 6 violations × 1 against 5 points → 0, 扣完为止.
    assert_eq!(
        item("county", "如东县", "", "1.2"),
        ("0".into(), "未按规定执行条款费率或承保标准6项，扣6分；扣完为止".into())
    );
    // 3.4: one claim paid in cash → 0. 3.5: uploads late → 3 − 2 = 1. 4.3: reserve not remitted → 0.
    assert_eq!(item("county", "如东县", "", "3.4").0, "0");
    assert_eq!(item("county", "如东县", "", "3.5").0, "1");
    assert_eq!(item("county", "如东县", "", "4.3").0, "0");
    // Base: 5+0+10 + 10+8+15+2 + 2+3+4+0+1 + 10+4+0+4 + 5+4.5 = 87.5; bonus: a provincial meeting 5; total 92.5.

    // Zero-if conditions: 启东市 4.1 (a subsidy share below standard), 海门市 3.5 and 4.4.
    assert_eq!(item("county", "启东市", "", "4.1"), ("0".into(), "财政保费补贴比例未达标准，不得分".into()));
    assert_eq!(item("county", "海门市", "", "3.5").0, "0");
    assert_eq!(item("county", "海门市", "", "4.4").0, "0");
    // A crop a county does not grow costs nothing: 崇川区 grows only rice and wheat.
    assert_eq!(item("county", "崇川区", "", "2.1"), ("10".into(), String::new()));
}

#[test]
fn counties_are_ranked_with_ties_and_the_disqualified_apart() {
    let rows = read_csv(&results().join("csv/county-ranking-county.csv"));
    assert_eq!(rows[0], ["名次", "县（市）区", "基本项得分", "加分", "扣分", "总分", "备注"]);
    let table: Vec<(&str, &str, &str)> =
        rows[1..].iter().map(|r| (r[0].as_str(), r[1].as_str(), r[5].as_str())).collect();
    assert_eq!(
        table,
        [
            ("1", "崇川区", "102"),
            ("2", "南通经济技术开发区", "93.4"),
            ("3", "南通滨海园区", "93"),
            ("4", "港闸区", "92.5"),
            ("4", "如东县", "92.5"),
            ("6", "通州区", "91.4"),
            ("7", "启东市", "84.8"),
            ("8", "海安县", "81.6"),
            ("9", "海门市", "76"),
            ("—", "如皋市", "90"),
        ]
    );
    // 通州区: base 90.4, bonus 6, penalty 5 — the penalty takes the total below the base items.
    assert_eq!(rows[6][2..6], ["90.4", "6", "5", "91.4"]);
    assert_eq!(rows[4][6], "并列");
    // 如皋市 scored 90 but falsified data: listed last, unranked, with the reason.
    assert_eq!(rows[10][6], "取消评比资格：弄虚作假");
}

#[test]
fn insurers_are_graded_with_boundaries_and_the_two_year_rule() {
    let rows = read_csv(&results().join("csv/insurer-grades-insurer.csv"));
    assert_eq!(rows[0], ["县（市）区", "承办公司", "总分", "等级", "上年等级", "备注"]);
    let get = |c: &str, i: &str| rows.iter().find(|r| r[0] == c && r[1] == i).unwrap().clone();
    // Exactly 90 is 好 (港闸区 太保财险: 100 − 5 network − 5 posting hard to consult).
    assert_eq!(get("港闸区", "太保财险")[2..4], ["90", "好"]);
    // Exactly 80 is 合格 (如东县 中华联合: 100 − 10 ledgers − 3×2 late lines − 4×1 complaints);
    // 不合格 last year but not this year: no consequence.
    assert_eq!(get("如东县", "中华联合")[2..], ["80", "合格", "不合格", ""]);
    // 海安县 中华联合: 100 − 5 (1.2) − 10 (3.2) − 10 (3.3, claims not posted) = 75, 不合格 twice.
    assert_eq!(get("海安县", "中华联合")[2..], ["75", "不合格", "不合格", "连续2年考核不合格，取消农业保险承办资格"]);
    // 启东市 国寿财险: 2.1 floored (6 late lines × 2 > 10), 3.1 2 verified complaints × 5, 1.1 −5 → 75;
    // 不合格 for the first time: no consequence.
    assert_eq!(get("启东市", "国寿财险")[2..], ["75", "不合格", "合格", ""]);
    // 通州区 国寿财险, fractional satisfaction shortfall: 34 of 40 = 85% → (90 − 85) / 2 = 2.5;
    // data 3 + 2 errors → 0 of 5; the late claim → 3.4 is 0: 100 − 2.5 − 5 − 5 = 87.5.
    assert_eq!(get("通州区", "国寿财险")[2..4], ["87.5", "合格"]);
    assert_eq!(
        item("insurer", "通州区", "国寿财险", "3.5"),
        ("7.5".into(), "电话调查满意度85%，低于90%，扣2.5分".into())
    );
    // 如东县 人保财险: penalty 10 for machinery refusal; 44/50 = 88% → 1 lost: 100 − 1 − 10 = 89.
    assert_eq!(get("如东县", "人保财险")[2..4], ["89", "合格"]);
    // 如皋市 中华联合: 100 − 3 + 2 new lines × 5 = 107 (bonus).
    assert_eq!(get("如皋市", "中华联合")[2], "107");
}

#[test]
fn every_lost_point_is_traced_to_its_facts() {
    let rows = read_csv(&results().join("csv/evidence.csv"));
    let late: Vec<&Vec<String>> = rows.iter().filter(|r| r[2].starts_with("定损后超过20日")).collect();
    assert_eq!(late.len(), 3, "{late:?}"); // 通州区 国寿 25 days, 海门市 太保 23 days, 滨海园区 unpaid
    assert!(late.iter().any(|r| r[0] == "通州区"
        && r[1] == "国寿财险"
        && r[3] == "赔案号 CLPC201205000831；定损日期2012-07-09，支付日期2012-08-03，相隔25天"));
    assert!(late.iter().any(|r| r[0] == "南通滨海园区" && r[3].contains("支付日期未填（计至2012-12-31），相隔162天")));
    assert!(rows
        .iter()
        .any(|r| r[0] == "启东市" && r[3] == "险种“棉花”：中央财政（%）+省级财政（%）+市县财政（%）合计65，标准70"));
    // The insurer's item 3.x lost its points for the same late claims and one paid short.
    let short: Vec<&Vec<String>> = rows.iter().filter(|r| r[2] == "理赔款未及时足额到位").collect();
    assert_eq!(short.len(), 4, "{short:?}");
    assert!(short.iter().any(|r| r[0] == "海安县" && r[3].contains("实付赔款（元）：921.94，核定赔款（元）：1152.43")));
    assert_eq!(rows.iter().filter(|r| r[2] == "理赔未张榜公布").count(), 5); // 3 in 海安县, 2 in 如皋市
}

#[test]
fn score_sheets_ranking_and_grades_are_official_pdfs() {
    let dir = results();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let outputs = manifest["outputs"].as_array().unwrap();
    let count = |k: &str| outputs.iter().filter(|o| o["kind"] == k).count();
    assert_eq!(
        (count("rubric-form"), count("score-sheet"), count("county-ranking"), count("insurer-grades")),
        (2, 29, 1, 1)
    );
    // Every dataset file is recorded with its digest (12 files incl. four ledger files).
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), 1 + 2 + 12);
    let sheet = dir.join("score-sheet/county/03-通州区.pdf");
    let out = Command::new("pdftotext").arg(&sheet).arg("-").output().unwrap();
    let t = String::from_utf8_lossy(&out.stdout).replace(char::is_whitespace, "");
    for s in ["被考核单位：通州区", "水稻承保面87.6%，低于90%，", "扣2.4分", "总分91.4分", "排名第6名", "合计"]
    {
        assert!(t.contains(s), "score sheet lacks {s}");
    }
    let grades = dir.join("insurer-grades-insurer.pdf");
    let out = Command::new("pdftotext").arg(&grades).arg("-").output().unwrap();
    let t = String::from_utf8_lossy(&out.stdout).replace(char::is_whitespace, "");
    assert!(t.contains("连续2年考核不合格，取消农业保险承办资格") && t.contains("附件4"));
    for pdf in
        [sheet, grades, dir.join("county-ranking-county.pdf"), dir.join("score-sheet/insurer/07-海安县-中华联合.pdf")]
    {
        let check = Command::new("python3").arg(repo().join("tests/gbt9704_check.py")).arg(&pdf).output().unwrap();
        assert!(check.status.success(), "{}: {}", pdf.display(), String::from_utf8_lossy(&check.stdout));
    }
}

/// Copy the bundled programme, apply `edit`, and expect `run` to fail with every `expected` text.
fn bad(edit: impl Fn(&Path), expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("nantong-2012-agri");
    copy_dir(&repo().join("input/nantong-2012-agri"), &input);
    edit(&input);
    let out = dir.path().join("out");
    let result = run(&input, &out);
    let msg = text(&result);
    assert_eq!(result.status.code(), Some(1), "{msg}");
    for e in expected {
        assert!(msg.contains(e), "expected “{e}” in:\n{msg}");
    }
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(), "nothing written");
}

fn edit_file(path: &Path, from: &str, to: &str) {
    let t = std::fs::read_to_string(path).unwrap();
    assert!(t.contains(from), "{from} in {}", path.display());
    std::fs::write(path, t.replacen(from, to, 1)).unwrap();
}

#[test]
fn a_survey_of_fewer_than_30_households_cannot_be_scored() {
    bad(
        |p| {
            edit_file(
                &p.join("data/满意度回访.csv"),
                "南通经济技术开发区,太保财险,30,29",
                "南通经济技术开发区,太保财险,29,28",
            )
        },
        &["南通经济技术开发区太保财险 第3.5项：样本只有29个，少于30个，不能计分", "补足电话回访户数"],
    );
}

#[test]
fn a_metric_no_dataset_provides_is_named_with_its_item() {
    // The findings file lost its column for item 5.2's judged score.
    bad(
        |p| edit_file(&p.join("data/县区检查结果.csv"), "daily_work_score", "daily_work"),
        &["rubrics/county.toml：第5.2项：指标“daily_work_score”没有任何数据集提供", "是否应为“daily_work”？"],
    );
    // A findings column that a dataset computes.
    bad(
        |p| edit_file(&p.join("data/县区检查结果.csv"), "rate_violations", "claims_all_posted"),
        &["[measures] 中已有“claims_all_posted”，它也是数据集 county_findings 的检查结果列"],
    );
}

#[test]
fn bad_cells_name_the_file_row_and_column() {
    bad(
        |p| {
            let f = p.join("data/理赔台账/太保财险.csv");
            let t = std::fs::read_to_string(&f).unwrap();
            let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
            let cells: Vec<&str> = lines[4].split(',').collect();
            let mut cells: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
            cells[4] = "2012-13-01".into();
            lines[4] = cells.join(",");
            std::fs::write(&f, lines.join("\r\n") + "\r\n").unwrap();
        },
        &["data/理赔台账/太保财险.csv 第5行 “定损日期”列：日期“2012-13-01”无法识别"],
    );
    // Areas as a CSV instead of the bundled workbook; a crop typo must not pass as "not grown".
    bad(
        |p| {
            let mut csv = String::from("县（市）区,作物,种植面积（亩）,承保面积（亩）\n");
            for u in [
                "崇川区",
                "港闸区",
                "通州区",
                "海安县",
                "如东县",
                "启东市",
                "如皋市",
                "海门市",
                "南通经济技术开发区",
                "南通滨海园区",
            ] {
                csv += &format!("{u},水稻,1000,950\n");
            }
            csv += "通州区,小麦,1000,800\n通州区,棉化,500,400\n";
            std::fs::write(p.join("data/种植面积.csv"), csv).unwrap();
            edit_file(&p.join("programme.toml"), "data/种植面积.xlsx", "data/种植面积.csv");
        },
        &["data/种植面积.csv 第13行 “作物”列：“棉化”不在规定的作物中", "是否应为“棉花”？"],
    );
    bad(
        |p| edit_file(&p.join("data/设施大棚.csv"), ",否\r\n", ",不详\r\n"),
        &["data/设施大棚.csv 第2行 “财政奖补”列：应填“是”或“否”，不是“不详”"],
    );
    bad(
        |p| edit_file(&p.join("data/满意度回访.csv"), "海门市,太保财险", "海门市,太平洋财险"),
        &[
            "data/满意度回访.csv 第17行 “承办公司”列：“海门市 太平洋财险”不是 [units] 中的单位",
            "是否应为“海门市 太保财险”？",
        ],
    );
    bad(
        |p| edit_file(&p.join("data/县区检查结果.csv"), "\r\n通州区,", "\r\n通洲区,"),
        &["data/县区检查结果.csv 第4行 “县（市）区”列：“通洲区”不是 [units] 中的单位", "是否应为“通州区”？"],
    );
    bad(
        |p| {
            edit_file(
                &p.join("data/承办公司检查结果.csv"),
                "\r\n崇川区,人保财险,否,是,",
                "\r\n崇川区,人保财险,否,也许,",
            )
        },
        &["“staff_targets_set”列：应填数字或“是/否”，不是“也许”"],
    );
}

#[test]
fn a_rubric_that_does_not_add_up_or_has_an_unknown_rule_stops_the_run() {
    bad(
        |p| {
            edit_file(
                &p.join("rubrics/insurer.toml"),
                "base = 10\nmethod = \"符合考核要求得基本分",
                "base = 12\nmethod = \"符合考核要求得基本分",
            )
        },
        &["rubrics/insurer.toml：各项基本分之和为102，与声明的总分100不符"],
    );
    bad(
        |p| edit_file(&p.join("rubrics/county.toml"), "kind = \"tiered\"", "kind = \"stepped\""),
        &["unknown variant `stepped`", "计分规则 kind 可用"],
    );
}

#[test]
fn the_fraction_policy_is_a_setting_of_the_rubric() {
    // 通州区 2.1 with 不足一个百分点按一个计 (ceil): rice 2.4 → 3, maize 0.7 → 1; 10 − 4 = 6.
    // With floor: 2 + 0; 10 − 2 = 8. (Exact, the default, gives 6.9 — see above.)
    // README's worked example: target 88 instead of 90 → rice 0.4 short, maize fine → 9.6.
    for (setting, points) in [
        ("target = 90\npoints = 1\nstep = 1\nfraction = \"ceil\"\n", "6"),
        ("target = 90\npoints = 1\nstep = 1\nfraction = \"floor\"\n", "8"),
        ("target = 88\npoints = 1\nstep = 1\n", "9.6"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("nantong-2012-agri");
        copy_dir(&repo().join("input/nantong-2012-agri"), &input);
        edit_file(&input.join("rubrics/county.toml"), "target = 90\npoints = 1\nstep = 1\n", setting);
        let out = run(&input, &dir.path().join("out"));
        assert!(out.status.success(), "{}", text(&out));
        let rows = read_csv(&dir.path().join("out/nantong-2012-agri/csv/item-scores-county.csv"));
        let r = rows.iter().find(|r| r[0] == "通州区" && r[2] == "2.1").unwrap();
        assert_eq!(r[5], points, "{setting}");
    }
}

#[test]
fn generator_rebuilds_the_bundled_datasets_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    let said = text(&kaohe(&["generate", "--workload", "nantong", "--out", out.to_str().unwrap()], dir.path()));
    assert!(said.contains("理赔台账 29872 行"), "{said}");
    let ours = all_files(&out);
    let bundled = all_files(&repo().join("input/nantong-2012-agri/data"));
    assert_eq!(ours.len(), bundled.len());
    for (a, b) in ours.iter().zip(&bundled) {
        assert_eq!(a.file_name(), b.file_name());
        assert!(std::fs::read(a).unwrap() == std::fs::read(b).unwrap(), "{} differs from the generator's", b.display());
    }
}

#[test]
fn rows_breaking_the_programmes_checks_are_named_with_their_values() {
    // [[datasets.claims.check]]: a payment before its loss assessment.
    bad(
        |p| edit_file(&p.join("data/理赔台账/太保财险.csv"), "2012-06-13,2012-06-27", "2012-06-13,2012-06-01"),
        &["data/理赔台账/太保财险.csv 第2行：支付日期早于定损日期（赔案号 CPIC201203000001；定损日期2012-06-13，支付日期2012-06-01，相隔-12天）"],
    );
    // 赔案号 is `unique = true` across the four ledger files.
    bad(
        |p| edit_file(&p.join("data/理赔台账/太保财险.csv"), "CPIC201203000002,", "CPIC201203000001,"),
        &["太保财险.csv 第3行 “赔案号”列：“CPIC201203000001”重复，已见于", "太保财险.csv第2行"],
    );
    // [[datasets.survey.check]]: more satisfied households than were surveyed.
    bad(
        |p| edit_file(&p.join("data/满意度回访.csv"), "港闸区,人保财险,50,43", "港闸区,人保财险,50,53"),
        &["data/满意度回访.csv 第3行：满意户数大于回访户数（回访户数：50，满意户数：53）"],
    );
}
