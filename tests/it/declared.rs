//! Programmes declared entirely in their file: the bundled 岚皋
//! programme scored as a hand count does, its sample rebuilt byte for byte, every measure
//! of the vocabulary on a programme small enough to count, and the messages for what a
//! clerk or an office's IT person gets wrong.

use std::path::Path;

use crate::common::{all_files, bundled, kaohe, read_csv, repo, text};
use kaohe::validate::id_check_char;

const LANGAO: &str = "langao-2016-towns";

fn cell<'a>(rows: &'a [Vec<String>], first: &str, column: &str) -> &'a str {
    let c = rows[0].iter().position(|h| h == column).unwrap_or_else(|| panic!("no column {column}"));
    let r = rows.iter().find(|r| r[0] == first || r[1] == first).unwrap_or_else(|| panic!("no row {first}"));
    &r[c]
}

/// A data file of the bundled sample as rows (UTF-8 with BOM, or GBK as Excel saves it).
fn data_rows(rel: &str) -> Vec<Vec<String>> {
    let bytes = std::fs::read(repo().join("input").join(LANGAO).join(rel)).unwrap();
    let text = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(utf8) => String::from_utf8(utf8.to_vec()).unwrap(),
        None => encoding_rs::GBK.decode(&bytes).0.into_owned(),
    };
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect()
}

/// A date as the two ledgers write it (2016-03-05, or 2016年3月5日).
fn date(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(s, "%Y年%m月%d日"))
        .unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn langao_measures_are_what_the_data_files_say() {
    let metrics = read_csv(&bundled().join(LANGAO).join("csv/metrics.csv"));
    // 参保率 of 滔河镇, summed over its villages by hand.
    let enrolment = data_rows("data/参保汇总.csv");
    let town: Vec<&Vec<String>> = enrolment.iter().filter(|r| r[0] == "滔河镇").collect();
    let eligible: u64 = town.iter().map(|r| r[2].parse::<u64>().unwrap()).sum();
    let insured: u64 = town.iter().map(|r| r[3].parse::<u64>().unwrap()).sum();
    assert_eq!(cell(&metrics, "滔河镇", "应参保人数"), eligible.to_string());
    assert_eq!(cell(&metrics, "滔河镇", "实际参保人数"), insured.to_string());
    let coverage = (insured as f64 / eligible as f64 * 10_000.0).round() / 100.0;
    assert_eq!(cell(&metrics, "滔河镇", "参保率（%）"), format!("{coverage}"));
    assert_eq!(coverage, 92.3);
    // 30日内结案率 over both insurers' ledgers (one of them GBK with 2016年3月5日 dates);
    // an open claim counts its days up to 2016-12-31.
    let as_of = chrono::NaiveDate::from_ymd_opt(2016, 12, 31).unwrap();
    let mut claims = data_rows("data/理赔台账/人保财险.csv");
    claims.extend(data_rows("data/理赔台账/中华联合.csv"));
    let town: Vec<&Vec<String>> = claims.iter().filter(|r| r[0] == "滔河镇").collect();
    let quick = town
        .iter()
        .filter(|r| {
            let end = if r[3].is_empty() { as_of } else { date(&r[3]) };
            (end - date(&r[2])).num_days() <= 30
        })
        .count();
    let open = town.iter().filter(|r| r[3].is_empty()).count();
    let share = (quick as f64 / town.len() as f64 * 10_000.0).round() / 100.0;
    assert_eq!(cell(&metrics, "滔河镇", "理赔案件数"), town.len().to_string());
    assert_eq!(cell(&metrics, "滔河镇", "30日内结案率（%）"), format!("{share}"));
    assert_eq!(cell(&metrics, "滔河镇", "年末未结案件"), open.to_string());
    assert_eq!((town.len(), quick, open), (47, 37, 3));
    // 群众知晓率 typed "86%" is read as 86.
    assert_eq!(cell(&metrics, "滔河镇", "群众知晓率（%）"), "86");
    assert_eq!(cell(&metrics, "民主镇", "按时报送（1是0否）"), "0");
}

/// 滔河镇 by hand, item by item, from its measures (参保率 92.3, 知晓率 86, 30日内结案率
/// 78.72, 2 verified complaints, 6 sessions, archive score 7, reported on time, 3 open claims,
/// no 进村宣讲):
///   1.1 95 − 92.3 = 2.7 points short, 不足1个百分点按1个计 → 3 × 2 = 6 off → 24
///   1.2 (90 − 86) / 2 × 1 = 2 off → 8
///   2.1 (90 − 78.72) / 5 × 2 = 4.512 off → 15.488 (shown 15.49)
///   2.2 2 × 2 = 4 off → 6;  3.1 6 sessions → the 4–7 tier → 5;  4.1 judged 7;  4.2 → 5
///   5.1 penalty 3 × 0.5 = 1.5;  6.1 bonus 0
///   base items 70.488, total 68.988 → 68.99; 11th of 12, so among the last three.
/// The bonus 6.1 (0.5 per 进村宣讲, 最多加2分): 佐龙镇's 5 talks earn 2.5, capped at 2; 大道河镇's
/// 4 earn exactly 2. 石门镇 100 + 2 = 102 is first; 佐龙镇 99 − 0.5 + 2 and 南宫山镇 99.5 + 1
/// tie at 100.5, second.
#[test]
fn langao_scores_and_ranking_are_a_hand_count() {
    let dir = bundled().join(LANGAO);
    let items = read_csv(&dir.join("csv/item-scores.csv"));
    let got: Vec<(&str, &str)> =
        items.iter().filter(|r| r[0] == "滔河镇").map(|r| (r[1].as_str(), r[4].as_str())).collect();
    assert_eq!(
        got,
        [
            ("1.1", "24"),
            ("1.2", "8"),
            ("2.1", "15.49"),
            ("2.2", "6"),
            ("3.1", "5"),
            ("4.1", "7"),
            ("4.2", "5"),
            ("5.1", "-1.5"),
            ("6.1", "0")
        ]
    );
    let reason = |id: &str| items.iter().find(|r| r[0] == "滔河镇" && r[1] == id).unwrap()[5].clone();
    assert_eq!(reason("1.1"), "参保率92.3%，低于95%，扣6分");
    assert_eq!(reason("2.1"), "30日内结案率78.72%，低于90%，扣4.51分");
    assert_eq!(reason("5.1"), "年末未结理赔案件3项，扣1.5分");
    let bonus = |town: &str| {
        let r = items.iter().find(|r| r[0] == town && r[1] == "6.1").unwrap();
        (r[4].clone(), r[5].clone())
    };
    assert_eq!(bonus("佐龙镇"), ("2".to_string(), "进村宣讲5场，加2.5分；最多加2分".to_string()));
    assert_eq!(bonus("大道河镇"), ("2".to_string(), "进村宣讲4场，加2分".to_string()));
    assert_eq!(bonus("孟石岭镇"), ("1.5".to_string(), "进村宣讲3场，加1.5分".to_string()));
    let ranking = read_csv(&dir.join("csv/ranking.csv"));
    assert_eq!(ranking[0], ["名次", "镇（办）", "基本项得分", "加分", "扣分", "总分", "备注"]);
    let row = ranking.iter().find(|r| r[1] == "滔河镇").unwrap();
    assert_eq!(row[..6], ["11", "滔河镇", "70.49", "0", "1.5", "68.99"]);
    // 佐龙镇 and 南宫山镇 tie at 100.5: both second, and nobody third.
    let order: Vec<(&str, &str, &str)> =
        ranking[1..].iter().map(|r| (r[0].as_str(), r[1].as_str(), r[5].as_str())).collect();
    assert_eq!(
        order,
        [
            ("1", "石门镇", "102"),
            ("2", "佐龙镇", "100.5"),
            ("2", "南宫山镇", "100.5"),
            ("4", "城关镇", "100"),
            ("5", "蔺河镇", "99.5"),
            ("6", "大道河镇", "95"),
            ("7", "孟石岭镇", "93.38"),
            ("8", "官元镇", "92.5"),
            ("9", "民主镇", "81.9"),
            ("10", "堰门镇", "76.45"),
            ("11", "滔河镇", "68.99"),
            ("12", "四季镇", "53.44"),
        ]
    );
    assert_eq!(cell(&ranking, "南宫山镇", "备注"), "并列");
    // The last three are put on the bad-record list; the ninth is not.
    for town in ["堰门镇", "滔河镇", "四季镇"] {
        assert_eq!(cell(&ranking, town, "备注"), "纳入不良记录管理", "{town}");
    }
    assert_eq!(cell(&ranking, "民主镇", "备注"), "");
    // One score sheet per town, in unit order, and the form and ranking as declared.
    let pdfs: Vec<String> = all_files(&dir)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().to_string())
        .collect();
    assert_eq!(pdfs.len(), 14);
    assert!(pdfs.contains(&"score-sheet/03-滔河镇.pdf".to_string()), "{pdfs:?}");
    let sheet = crate::common::pdf_text(&dir.join("score-sheet/03-滔河镇.pdf"));
    for needle in [
        "被考核单位：滔河镇（2016年度）",
        "总分68.99分",
        "排名第11名",
        "参保率92.3%，低于95%，扣6分",
        "排名后3位：纳入不良记录管理",
    ] {
        assert!(sheet.contains(needle), "{needle} not in the score sheet: {sheet}");
    }
    // The three open claims behind item 5.1 are listed with file and row; so is 民主镇's late report.
    let evidence = read_csv(&dir.join("csv/evidence.csv"));
    let open: Vec<&Vec<String>> = evidence.iter().filter(|r| r[0] == "滔河镇" && r[1] == "年末未结案件").collect();
    assert_eq!(open.len(), 3, "{evidence:?}");
    assert!(open.iter().all(|r| r[2] == "结案日期：空" && r[3].contains("data/理赔台账/")), "{open:?}");
    assert!(evidence
        .iter()
        .any(|r| r[0] == "民主镇" && r[2] == "按时报送：否" && r[3].ends_with("督查评分.csv 第7行")));
}

#[test]
fn langao_sample_is_rebuilt_byte_for_byte_by_its_script() {
    let dir = tempfile::tempdir().unwrap();
    let script = repo().join("input").join(LANGAO).join("sample.py");
    let out = std::process::Command::new("python3").arg(&script).arg("--out").arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bundled_data = repo().join("input").join(LANGAO).join("data");
    let names = |d: &Path| -> Vec<String> {
        all_files(d).iter().map(|p| p.strip_prefix(d).unwrap().to_string_lossy().to_string()).collect()
    };
    assert_eq!(names(dir.path()), names(&bundled_data));
    for rel in names(dir.path()) {
        let same = std::fs::read(dir.path().join(&rel)).unwrap() == std::fs::read(bundled_data.join(&rel)).unwrap();
        assert!(same, "{rel} differs from the bundled data");
    }
}

/// A valid resident ID for person `n`.
fn id(n: u32) -> String {
    let first17 = format!("61092119800101{n:03}");
    format!("{first17}{}", id_check_char(first17.as_bytes()))
}

/// A programme of three towns small enough to count every measure by hand.
/// `extra`: sections written after `[measures]`.
fn tiny(dir: &Path, rows: &str, inspection: &str, measures: &str, extra: &str) -> std::process::Output {
    let prog = dir.join("input/tiny");
    std::fs::create_dir_all(prog.join("rubrics")).unwrap();
    std::fs::write(
        prog.join("programme.toml"),
        format!(
            r#"rubrics = ["rubrics/r.toml"]
[programme]
region = "某县"
year = 2016
name = "测试"
[document]
issuer = "某县办公室"
date = 2017-01-10
[units]
level = "town"
column = "镇"
names = ["A镇", "B镇", "C镇"]
[assessment]
as_of = 2016-12-31
[datasets.rows]
file = "rows.csv"
unit = "镇"
[datasets.rows.columns]
"镇" = "text"
"身份证号" = "id"
"金额" = {{ type = "number", aliases = ["金额（元）"] }}
"日期" = "date"
"属实" = "yes-no"
[datasets.inspection]
file = "inspection.csv"
unit = "镇"
[datasets.inspection.columns]
"镇" = "text"
"评分" = "number"
[measures]
{measures}
{extra}
"#
        ),
    )
    .unwrap();
    std::fs::write(
        prog.join("rubrics/r.toml"),
        r#"[rubric]
id = "r"
assesses = "town"
label = "附件"
title = "测试考核表"
unit = "镇"
total = 10
[[category]]
no = 1
name = "日常"
[[item]]
id = "1"
category = 1
indicator = "检查评分"
base = 10
method = "现场评分"
rule = { kind = "judged", metric = "score" }
"#,
    )
    .unwrap();
    std::fs::write(prog.join("rows.csv"), rows).unwrap();
    std::fs::write(prog.join("inspection.csv"), inspection).unwrap();
    kaohe(&["run", "--input", "input", "--output", "out"], dir)
}

const MEASURES: &str = r#"n = { count = "rows" }
persons = { distinct = "rows", column = "身份证号" }
total = { sum = "rows", column = "金额" }
avg = { mean = "rows", column = "金额" }
true_share = { share = "rows", where = { column = "属实", is = true }, percent = true }
last = { latest = "rows", column = "日期", after = 2016-12-31 }
big = { count = "rows", where = { column = "金额", at_least = 50 } }
per_row = { ratio = ["total", "n"] }
score = { value = "inspection", column = "评分" }
all_true = { all = "rows", where = { column = "属实", is = true }, evidence = true }"#;

const INSPECTION: &str = "镇,评分\nA镇,8\nB镇,9\nC镇,7\n";

fn rows_csv() -> String {
    format!(
        "镇,身份证号,金额（元）,日期,属实\nA镇,{},100,2016-01-10,是\nA镇,{},50,2016-03-05,否\nA镇,{},30,2016-02-01,是\nB镇,{},20元,2016/12/30,否\n",
        id(1),
        id(1),
        id(2),
        id(3)
    )
}

#[test]
fn every_measure_of_the_vocabulary_counts_as_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let o = tiny(dir.path(), &rows_csv(), INSPECTION, MEASURES, "");
    assert!(o.status.success(), "{}", text(&o));
    let m = read_csv(&dir.path().join("out/tiny/csv/metrics.csv"));
    let row = |unit: &str| -> Vec<(String, String)> {
        let r = m.iter().find(|r| r[0] == unit).unwrap();
        m[0].iter().cloned().zip(r.iter().cloned()).skip(1).collect()
    };
    let want = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    };
    // Columns are the measures in the order programme.toml lists them.
    // A镇: 3 rows, 2 persons (one paid twice), 180 in all, 60 each, 2 of 3 true (66.67%),
    // latest 2016-03-05 = 301 days before 2016-12-31, 2 rows of at least 50.
    assert_eq!(
        row("A镇"),
        want(&[
            ("n", "3"),
            ("persons", "2"),
            ("total", "180"),
            ("avg", "60"),
            ("true_share", "66.67"),
            ("last", "-301"),
            ("big", "2"),
            ("per_row", "60"),
            ("score", "8"),
            ("all_true", "0")
        ])
    );
    // B镇: “20元” and 2016/12/30 read as written.
    assert_eq!(
        row("B镇"),
        want(&[
            ("n", "1"),
            ("persons", "1"),
            ("total", "20"),
            ("avg", "20"),
            ("true_share", "0"),
            ("last", "-1"),
            ("big", "0"),
            ("per_row", "20"),
            ("score", "9"),
            ("all_true", "0")
        ])
    );
    // C镇 has no rows: counts and sums 0, means and shares 不适用, `all` holds (1), no latest date at all.
    assert_eq!(
        row("C镇"),
        want(&[
            ("n", "0"),
            ("persons", "0"),
            ("total", "0"),
            ("avg", "不适用"),
            ("true_share", "不适用"),
            ("last", ""),
            ("big", "0"),
            ("per_row", "不适用"),
            ("score", "7"),
            ("all_true", "1")
        ])
    );
    // The rows that cost A镇 and B镇 their `all`: file and row, and the value read.
    let evidence = read_csv(&dir.path().join("out/tiny/csv/evidence.csv"));
    assert_eq!(evidence[0], ["镇", "事项", "明细", "来源"]);
    assert_eq!(
        evidence[1..],
        [
            ["A镇", "all_true", "属实：否", "input/tiny/rows.csv 第3行"],
            ["B镇", "all_true", "属实：否", "input/tiny/rows.csv 第5行"]
        ]
    );
}

#[test]
fn a_ratio_missing_one_side_has_no_value_and_a_zero_denominator_is_not_applicable() {
    // C镇 has no rows: no latest date (missing) and n = 0. Missing on one side wins: the
    // ratio has no value (blank), not 不适用 — a rubric reading it says the figure is missing.
    let dir = tempfile::tempdir().unwrap();
    let extra = "last_per_n = { ratio = [\"last\", \"n\"] }\nn_per_total = { ratio = [\"n\", \"total\"] }";
    let o = tiny(dir.path(), &rows_csv(), INSPECTION, MEASURES, extra);
    assert!(o.status.success(), "{}", text(&o));
    let m = read_csv(&dir.path().join("out/tiny/csv/metrics.csv"));
    let cell = |unit: &str, measure: &str| -> String {
        let at = m[0].iter().position(|h| h == measure).unwrap();
        m.iter().find(|r| r[0] == unit).unwrap()[at].clone()
    };
    // A镇: latest is 301 days before the year's end over 3 rows; B镇: −1 over 1.
    assert_eq!(cell("A镇", "last_per_n"), "-100.33");
    assert_eq!(cell("B镇", "last_per_n"), "-1");
    assert_eq!(cell("C镇", "last_per_n"), "");
    // n ÷ total: C镇's total is 0 — a zero denominator is 不适用.
    assert_eq!(cell("A镇", "n_per_total"), "0.02");
    assert_eq!(cell("C镇", "n_per_total"), "不适用");
}

#[test]
fn a_condition_polars_cannot_evaluate_is_that_measures_problem_alone() {
    // Every measure of `rows` is one group-by; one of them compares a number column with a
    // text. Only that measure is named, not the nine others computed with it.
    let dir = tempfile::tempdir().unwrap();
    let extra = "bad_eq = { count = \"rows\", where = { column = \"金额\", equals = \"0\" } }";
    let o = tiny(dir.path(), &rows_csv(), INSPECTION, MEASURES, extra);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let said = text(&o);
    assert!(said.contains("input/tiny/programme.toml：[measures] bad_eq：计算失败"), "{said}");
    for other in ["n", "persons", "total", "avg", "big", "all_true"] {
        assert!(!said.contains(&format!("[measures] {other}：")), "{other} blamed too:\n{said}");
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn declared_programme_mistakes_are_named_and_nothing_is_written() {
    let cases: Vec<(&str, String, &str, String, &str, Vec<&str>)> = vec![
        (
            "a bad cell and a town not in [units]",
            rows_csv().replace(",50,", ",abc,").replace("B镇,", "D镇,"),
            INSPECTION,
            MEASURES.to_string(),
            "",
            vec![
                "input/tiny/rows.csv 第3行 “金额”列：不是数字（“abc”）",
                "input/tiny/rows.csv 第5行 “镇”列：“D镇”不是 [units] 中的单位",
            ],
        ),
        (
            "a rubric result's title with a placeholder kaohe does not know",
            rows_csv(),
            INSPECTION,
            MEASURES.to_string(),
            "[rubric_text]\nranking_title = \"{region}考核排名{gap}\"",
            vec!["[rubric_text] ranking_title 中的占位符 {gap} 未知；可用：year、region、name、whole"],
        ),
        (
            "two measures under one header",
            rows_csv(),
            INSPECTION,
            MEASURES.to_string() + "\nscore_again = { value = \"inspection\", column = \"评分\", label = \"score\" }",
            "",
            vec!["在考核指标表中都叫“score”"],
        ),
        (
            "no row for a town whose inspector's score is scored",
            rows_csv(),
            "镇,评分\nA镇,8\nB镇,9\n",
            MEASURES.to_string(),
            "",
            vec![
                "input/tiny/inspection.csv “评分”列：C镇 第1项：缺少指标“score”的数据（该文件中没有这个单位的行）",
                "在 input/tiny/inspection.csv 中为该单位补上一行，填写“评分”",
            ],
        ),
        (
            "two rows where one value is expected",
            rows_csv(),
            "镇,评分\nA镇,8\nB镇,9\nC镇,7\nA镇,6\n",
            MEASURES.to_string(),
            "",
            vec!["input/tiny/inspection.csv：“A镇”有 2 行（第2行、第5行），度量 score 每个单位只能有一行"],
        ),
        (
            "a misspelt column and dataset",
            rows_csv(),
            INSPECTION,
            MEASURES
                .replace("column = \"金额\" }", "column = \"金 额\" }")
                .replace("{ count = \"rows\" }", "{ count = \"row\" }"),
            "",
            vec![
                "[measures] total：数据集 rows 没有“金 额”列（是否应为“金额”？）",
                "[measures] n：没有名为 row 的数据集（是否应为 rows？）",
            ],
        ),
        (
            "a unit column declared as a number",
            rows_csv(),
            INSPECTION,
            MEASURES.to_string(),
            "[datasets.codes]\nfile = \"inspection.csv\"\nunit = \"镇\"\n[datasets.codes.columns]\n\"镇\" = \"integer\"\n\"评分\" = \"number\"",
            vec![
                "input/tiny/programme.toml：[datasets.codes] 的单位列“镇”写成了整数列，单位列要是文字",
                "在 [datasets.codes.columns] 中写 \"镇\" = \"text\"",
            ],
        ),
        (
            "a required column missing",
            rows_csv().replace(",属实\n", "\n").replace(",是\n", "\n").replace(",否\n", "\n"),
            INSPECTION,
            MEASURES.to_string(),
            "",
            vec!["input/tiny/rows.csv 第1行：缺少“属实”列"],
        ),
        (
            "a rubric's wording under [text], as older files wrote it",
            rows_csv(),
            INSPECTION,
            MEASURES.to_string(),
            "[text]\nranking_label = \"附件2\"",
            vec!["[text] 是2015年参保工作流程的写法，现在的 kaohe 不再读取", "评分结果的文字写在 [rubric_text] 中"],
        ),
    ];
    for (what, rows, inspection, measures, extra, needles) in cases {
        let dir = tempfile::tempdir().unwrap();
        let o = tiny(dir.path(), &rows, inspection, &measures, extra);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", text(&o));
        for needle in needles {
            assert!(text(&o).contains(needle), "{what}: missing {needle:?} in\n{}", text(&o));
        }
        assert!(!dir.path().join("out").exists(), "{what}: a refused run wrote output");
    }
}

#[test]
fn langao_pdfs_pass_the_gbt9704_geometry_check() {
    let dir = bundled().join(LANGAO);
    let mut args = vec![repo().join("tests/gbt9704_check.py")];
    args.extend(all_files(&dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "pdf")));
    let out = std::process::Command::new("python3").args(&args).output().expect("python3");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!report.contains("No module named"), "pip install pymupdf (.ci/run does this)");
    let failed: Vec<&str> = report.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert!(out.status.success(), "GB/T 9704 check failed:\n{}", failed.join("\n"));
    assert!(report.contains("PASS"), "{report}");
}

#[test]
fn every_other_column_of_a_findings_table_is_a_measure() {
    let dir = tempfile::tempdir().unwrap();
    let o = tiny(dir.path(), &rows_csv(), INSPECTION, MEASURES, "");
    assert!(o.status.success(), "{}", text(&o));
    // The inspectors add a column per finding; the programme file names none of them.
    let prog = dir.path().join("input/tiny");
    let toml = std::fs::read_to_string(prog.join("programme.toml")).unwrap();
    let toml = toml.replace("[datasets.inspection]\n", "[datasets.inspection]\nother_columns = \"number\"\n");
    std::fs::write(prog.join("programme.toml"), &toml).unwrap();
    std::fs::write(prog.join("inspection.csv"), "镇,评分,档案不全,宣传次数\nA镇,8,1,3\nB镇,9,0,\nC镇,7,2,5\n").unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out2"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let m = read_csv(&dir.path().join("out2/tiny/csv/metrics.csv"));
    let n = m[0].len();
    assert_eq!(m[0][n - 2..], ["档案不全", "宣传次数"]);
    assert_eq!(m[1][n - 2..], ["1", "3"]);
    // A blank finding is missing, not zero: an item that reads it would stop the run.
    assert_eq!(m[2][n - 2..], ["0", ""]);
    // A finding named like a declared measure is refused.
    std::fs::write(prog.join("inspection.csv"), "镇,评分,score\nA镇,8,1\nB镇,9,0\nC镇,7,2\n").unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out3"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("[measures] 中已有“score”，它也是数据集 inspection 的检查结果列"), "{}", text(&o));
}

/// The three-town programme with a second number column, 限额, in its rows, run into out2.
fn tiny_with_limits(dir: &Path, measures: &str) -> std::process::Output {
    let rows = format!(
        "镇,身份证号,金额,限额,日期,属实\nA镇,{},100,80,2016-01-10,是\nA镇,{},50,60,2016-03-05,否\nA镇,{},30,30,2016-02-01,是\nB镇,{},20,10,2016/12/30,否\n",
        id(1),
        id(4),
        id(2),
        id(3)
    );
    tiny(dir, &rows, INSPECTION, measures, "");
    let toml = dir.join("input/tiny/programme.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, text.replace("\"日期\" = \"date\"", "\"日期\" = \"date\"\n\"限额\" = \"number\"")).unwrap();
    kaohe(&["run", "--input", "input", "--output", "out2"], dir)
}

#[test]
fn a_where_can_compare_two_columns_of_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let measures = "score = { value = \"inspection\", column = \"评分\" }\nover = { count = \"rows\", where = { column = \"限额\", below = \"金额\" }, evidence = true }";
    let o = tiny_with_limits(dir.path(), measures);
    assert!(o.status.success(), "{}", text(&o));
    let m = read_csv(&dir.path().join("out2/tiny/csv/metrics.csv"));
    let over: Vec<&str> = m[1..].iter().map(|r| r[2].as_str()).collect();
    assert_eq!((m[0][2].as_str(), over), ("over", vec!["1", "1", "0"]));
    let evidence = read_csv(&dir.path().join("out2/tiny/csv/evidence.csv"));
    assert_eq!(evidence[1][..3], ["A镇", "over", "限额：80，金额：100"]);
    assert_eq!(evidence[2][..3], ["B镇", "over", "限额：10，金额：20"]);
}

/// A programme with units at two levels: counties, and insurers within a county (two key
/// cells). Each dataset belongs to one level; each rubric scores the units of its level.
fn two_levels(dir: &Path, claims: &str, last_year: &str) -> std::process::Output {
    let prog = dir.join("input/two");
    std::fs::create_dir_all(prog.join("rubrics")).unwrap();
    std::fs::write(
        prog.join("programme.toml"),
        r#"rubrics = ["rubrics/county.toml", "rubrics/insurer.toml"]
[programme]
region = "某市"
year = 2012
name = "农业保险"
[document]
issuer = "某市办公室"
date = 2013-01-31
[[units]]
level = "county"
column = "县（市）区"
names = ["甲县", "乙县"]
[[units]]
level = "insurer"
columns = ["县（市）区", "承办公司"]
names = [["甲县", "人保"], ["甲县", "太平洋"], ["乙县", "人保"]]
[assessment]
as_of = 2012-12-31
last_year = { dataset = "last_year", column = "等级" }
[datasets.last_year]
file = "last.csv"
unit = ["县", "公司"]
[datasets.last_year.columns]
"县" = "text"
"公司" = "text"
"等级" = "text"
[datasets.areas]
file = "areas.csv"
unit = "县"
[datasets.areas.columns]
"县" = "text"
"评分" = "number"
[datasets.claims]
file = "claims.csv"
unit = ["县", "公司"]
[datasets.claims.columns]
"县" = "text"
"公司" = "text"
"天数" = "integer"
[measures]
area_score = { value = "areas", column = "评分" }
claims = { count = "claims" }
late = { count = "claims", where = { column = "天数", at_least = 21 }, evidence = true }
[[table]]
view = "metrics-county"
[[table]]
view = "metrics-insurer"
[[table]]
view = "evidence"
[[table]]
view = "insurer-grades-insurer"
"#,
    )
    .unwrap();
    let rubric = |id: &str, level: &str, item: &str| {
        format!(
            r#"[rubric]
id = "{id}"
assesses = "{level}"
label = "附件"
title = "测试"
unit = "单位"
total = 10
{item}
[[category]]
no = 1
name = "日常"
"#
        )
    };
    std::fs::write(
        prog.join("rubrics/county.toml"),
        rubric(
            "county",
            "county",
            "",
        ) + "[[item]]\nid = \"1\"\ncategory = 1\nindicator = \"评分\"\nbase = 10\nmethod = \"现场评分\"\nrule = { kind = \"judged\", metric = \"area_score\" }\n",
    )
    .unwrap();
    std::fs::write(
        prog.join("rubrics/insurer.toml"),
        rubric("insurer", "insurer", "[[grade]]\nmin = 9\ngrade = \"好\"\n[[grade]]\nmin = 0\ngrade = \"不合格\"\ntwice = \"连续2年不合格，取消承办资格\"")
            + "[[item]]\nid = \"1\"\ncategory = 1\nindicator = \"理赔时效\"\nbase = 10\nmethod = \"超过20天的每件扣2分\"\nrule = { kind = \"per-incident\", counts = [{ metric = \"late\", points = 2, each = true, reason = \"超时赔案\" }] }\n",
    )
    .unwrap();
    std::fs::write(prog.join("areas.csv"), "县,评分\n甲县,7\n乙县,9.5\n").unwrap();
    std::fs::write(prog.join("claims.csv"), claims).unwrap();
    std::fs::write(prog.join("last.csv"), last_year).unwrap();
    kaohe(&["run", "--input", "input", "--output", "out"], dir)
}

#[test]
fn units_at_two_levels_are_each_scored_by_the_rubric_of_their_level() {
    let dir = tempfile::tempdir().unwrap();
    let claims = "县,公司,天数\n甲县,人保,5\n甲县,人保,30\n甲县,人保,25\n甲县,太平洋,3\n乙县,人保,21\n";
    let last_year = "县,公司,等级\n甲县,人保,不合格\n甲县,太平洋,好\n乙县,人保,无\n";
    let o = two_levels(dir.path(), claims, last_year);
    assert!(o.status.success(), "{}", text(&o));
    let out = dir.path().join("out/two/csv");
    // Each level has its own metrics sheet; the key columns are the widest level's.
    let county = read_csv(&out.join("metrics-county.csv"));
    assert_eq!(county, [["县（市）区", "承办公司", "area_score"], ["甲县", "", "7"], ["乙县", "", "9.5"]]);
    let insurer = read_csv(&out.join("metrics-insurer.csv"));
    assert_eq!(
        insurer,
        [
            ["县（市）区", "承办公司", "claims", "late"],
            ["甲县", "人保", "3", "2"],
            ["甲县", "太平洋", "1", "0"],
            ["乙县", "人保", "1", "1"]
        ]
    );
    // 10 − 2 × late: 6 不合格, 10 好, 8 不合格.
    let grades = read_csv(&out.join("insurer-grades-insurer.csv"));
    assert_eq!(grades[0][..4], ["县（市）区", "承办公司", "总分", "等级"]);
    let got: Vec<&[String]> = grades[1..].iter().map(|r| &r[..4]).collect();
    assert_eq!(got, [["甲县", "人保", "6", "不合格"], ["甲县", "太平洋", "10", "好"], ["乙县", "人保", "8", "不合格"]]);
    // 不合格 last year and this year: the two-year rule's consequence; new last year (无): none.
    let remarks: Vec<(&str, &str)> = grades[1..].iter().map(|r| (r[4].as_str(), r[5].as_str())).collect();
    assert_eq!(remarks, [("不合格", "连续2年不合格，取消承办资格"), ("好", ""), ("无", "")]);
    let evidence = read_csv(&out.join("evidence.csv"));
    assert_eq!(evidence[0][..4], ["县（市）区", "承办公司", "事项", "明细"]);
    assert_eq!(evidence[1][..4], ["甲县", "人保", "late", "天数：30"]);
    assert_eq!(evidence.len(), 4);
    // A pair not among the units is named with both cells.
    let o = two_levels(dir.path(), "县,公司,天数\n甲县,人保,5\n乙县,太平洋,3\n", last_year);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("input/two/claims.csv 第3行 “公司”列：“乙县 太平洋”不是 [units] 中的单位"),
        "{}",
        text(&o)
    );
    // A unit graded under a two-year rule with no grade last year would be spared: refused.
    let o = two_levels(dir.path(), claims, "县,公司,等级\n甲县,人保,不合格\n甲县,太平洋,好\n");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("input/two/last.csv：没有“乙县 人保”的上年等级"), "{}", text(&o));
}

#[test]
fn conditions_combine_sum_columns_and_look_up_a_standard_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let measures = r#"score = { value = "inspection", column = "评分" }
true_and_big = { count = "rows", where = [{ column = "属实", is = true }, { column = "金额", at_least = 50 }] }
any_small = { any = "rows", where = { column = "金额", less_than = 40 } }
true_all_big = { all = "rows", rows = { column = "属实", is = true }, where = { column = "金额", at_least = 50 } }
among = { count = "rows", where = { column = "镇", in = ["A镇", "C镇"] } }
short = { count = "rows", where = { sum_of = ["金额", "限额"], less_than = { by = "镇", values = { "A镇" = 150 }, other = 40 } }, evidence = true }"#;
    let o = tiny_with_limits(dir.path(), measures);
    let prog = dir.path().join("input/tiny");
    let toml = std::fs::read_to_string(prog.join("programme.toml")).unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let m = read_csv(&dir.path().join("out2/tiny/csv/metrics.csv"));
    let column = |name: &str| -> Vec<&str> {
        let c = m[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} in {:?}", m[0]));
        m[1..].iter().map(|r| r[c].as_str()).collect()
    };
    // A镇 rows: (100, 80, 是) (50, 60, 否) (30, 30, 是); B镇: (20, 10, 否); C镇: none.
    assert_eq!(column("true_and_big"), ["1", "0", "0"]);
    assert_eq!(column("any_small"), ["1", "1", "0"]);
    // Of A镇's true rows, 30 is below 50; B镇 and C镇 have no true rows: all of none holds.
    assert_eq!(column("true_all_big"), ["0", "1", "1"]);
    assert_eq!(column("among"), ["3", "0", "0"]);
    // A镇's standard is 150: 180 no, 110 and 60 short; B镇 takes the other standard, 40: 30 short.
    assert_eq!(column("short"), ["2", "1", "0"]);
    let evidence = read_csv(&dir.path().join("out2/tiny/csv/evidence.csv"));
    assert_eq!(evidence[1][..3], ["A镇", "short", "镇“A镇”：金额+限额合计110，标准150"]);
    assert_eq!(evidence[3][..3], ["B镇", "short", "镇“B镇”：金额+限额合计30，标准40"]);
    // Without `other`, a row whose standard is not listed is named, never passed.
    let toml = toml.replace(", other = 40 }", " }");
    std::fs::write(prog.join("programme.toml"), &toml).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out3"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("input/tiny/rows.csv 第5行 “镇”列：“B镇”没有规定的标准"), "{}", text(&o));
}

#[test]
fn a_ledger_with_only_its_header_is_a_year_with_no_cases_when_declared() {
    let dir = tempfile::tempdir().unwrap();
    let header_only = "镇,身份证号,金额,日期,属实\n";
    let o = tiny(
        dir.path(),
        header_only,
        INSPECTION,
        "n = { count = \"rows\" }\nscore = { value = \"inspection\", column = \"评分\" }",
        "",
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("input/tiny/rows.csv：文件只有表头，没有数据行"), "{}", text(&o));
    assert!(text(&o).contains("[datasets.rows] 中写 may_be_empty = true"), "{}", text(&o));
    let toml = dir.path().join("input/tiny/programme.toml");
    let t = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, t.replace("[datasets.rows]\n", "[datasets.rows]\nmay_be_empty = true\n")).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out2"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let m = read_csv(&dir.path().join("out2/tiny/csv/metrics.csv"));
    assert_eq!(m[1..].iter().map(|r| r[1].as_str()).collect::<Vec<_>>(), ["0", "0", "0"]);
}

/// Quota apportionment is a measure, and units may be drawn from a dataset: the 汉滨
/// population table declared as a dataset, its 34 towns the units,
/// 50% of 农村户籍人口 (老城办 20% of 户籍总人口), largest remainder — the circular's annex
/// to the person, as the micro-insurance kind computes it (tests/golden).
/// A programme `name` over 汉滨's population table (one row per village), its rubric
/// scoring that towns have a quota: `units` is its units section, `unit` the dataset's
/// unit column(s) as TOML, `rest` its measures and tables.
fn hanbin_population(dir: &Path, name: &str, units: &str, unit: &str, rest: &str) {
    let prog = dir.join("input").join(name);
    std::fs::create_dir_all(prog.join("rubrics")).unwrap();
    std::fs::copy(repo().join("input/hanbin-2015-micro/population.csv"), prog.join("population.csv")).unwrap();
    let unit = if unit.starts_with('[') { unit.to_string() } else { format!("\"{unit}\"") };
    std::fs::write(
        prog.join("programme.toml"),
        format!(
            r#"rubrics = ["rubrics/r.toml"]
[programme]
region = "汉滨区"
year = 2015
name = "小额人身保险"
[document]
issuer = "汉滨区人民政府办公室"
date = 2015-09-15
{units}
[assessment]
as_of = 2015-12-31
[datasets.population]
file = "population.csv"
unit = {unit}
one_row_per = ["镇办", "村"]
[datasets.population.columns]
"镇办" = "text"
"村" = "text"
"户籍总人口" = "integer"
"农村户籍人口" = "integer"
{rest}
"#
        ),
    )
    .unwrap();
    std::fs::write(
        prog.join("rubrics/r.toml"),
        "[rubric]\nid = \"r\"\nassesses = \"town\"\nlabel = \"附件\"\ntitle = \"任务\"\nunit = \"镇办\"\ntotal = 10\n[[category]]\nno = 1\nname = \"任务\"\n[[item]]\nid = \"1\"\ncategory = 1\nindicator = \"有任务\"\nbase = 10\nmethod = \"有任务得基本分\"\nrule = { kind = \"all-or-nothing\", metric = \"quota\", reason = \"无任务\" }\n",
    )
    .unwrap();
}

#[test]
fn apportionment_is_a_measure_and_reproduces_the_seed_quota_table() {
    let dir = tempfile::tempdir().unwrap();
    hanbin_population(
        dir.path(),
        "quota",
        r#"[units]
level = "town"
column = "镇办"
from = "population"          # the towns are those of the population table, in its order"#,
        "镇办",
        r#"[measures]
rural = { sum = "population", column = "农村户籍人口" }
total = { sum = "population", column = "户籍总人口" }
quota = { apportion = "rural", rate = "50%", rounding = "largest-remainder", overrides = { "老城办" = { rate = "20%", base = "total" } } }
share = { ratio = ["quota", "total"], percent = true }
place = { rank = "share", ascending = true }
[[table]]
view = "metrics""#,
    );
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let m = read_csv(&dir.path().join("out/quota/csv/metrics.csv"));
    assert_eq!(m[0], ["镇办", "rural", "total", "quota", "share", "place"]);
    let quota: Vec<(String, u64)> = m[1..].iter().map(|r| (r[0].clone(), r[3].parse().unwrap())).collect();
    assert_eq!(quota.iter().map(|q| q.1).sum::<u64>(), 407361);
    // Town by town, the quota the micro-insurance kind publishes.
    let golden = read_csv(&repo().join("tests/golden/hanbin-2015-micro/quota-table.csv"));
    for (town, q) in &quota {
        let row = golden.iter().find(|r| &r[0] == town).unwrap_or_else(|| panic!("{town} not in the annex"));
        assert_eq!(row[2], q.to_string(), "{town}");
    }
    assert_eq!(quota[0], ("老城办".to_string(), 8024));
    assert_eq!(quota.len(), 34);
    // A ratio of a quota, and places by it (lowest first; equal shares share a place).
    let share: Vec<f64> = m[1..].iter().map(|r| r[4].parse().unwrap()).collect();
    assert_eq!(m[1][4], "20"); // 老城办: 8024 of 40120
    for (r, s) in m[1..].iter().zip(&share) {
        let place = 1 + share.iter().filter(|x| *x < s).count();
        assert_eq!(r[5], place.to_string(), "{}", r[0]);
    }
    assert_eq!(m[1][5], "1"); // 老城办's 20% is the lowest share
                              // Fifteen towns are below 43.58%, which two towns share: both 16th; the next is 18th.
    let tied: Vec<&str> = m[1..].iter().filter(|r| r[4] == "43.58").map(|r| r[5].as_str()).collect();
    assert_eq!(tied, ["16", "16"]);
    assert!(m[1..].iter().any(|r| r[5] == "18") && !m[1..].iter().any(|r| r[5] == "17"));
}

/// A district's year-end 综合考核 mixing the participation workflow's results with its own
/// inspection ledger: the workflow's towns are the level `town`, a declared dataset
/// belongs to it, and one rubric scores both — 汉滨's programme file plus a few lines.
#[test]
fn roster_results_and_a_declared_ledger_score_the_same_towns() {
    let dir = tempfile::tempdir().unwrap();
    let (prog, toml) = crate::common::bundled_copy(dir.path(), "hanbin-2015-micro");
    std::fs::create_dir_all(prog.join("rubrics")).unwrap();
    std::fs::write(
        prog.join("督查.csv"),
        "镇办,登记日期,事由,是否属实\n老城办,2015-10-08,宣传不到位,是\n老城办,2015-11-02,代缴保费,是\n老城办,2015-11-20,未发保单,否\n早阳镇,2015-12-01,服务态度,否\n",
    )
    .unwrap();
    std::fs::write(
        prog.join("rubrics/towns.toml"),
        crate::common::town_rubric(
            "2015年度小额人身保险工作综合考核评分表",
            90,
            "indicator = \"无属实投诉\"\nbase = 10\nmethod = \"每件属实投诉扣2分\"\nrule = { kind = \"per-incident\", counts = [{ metric = \"complaints\", points = 2, each = true, unit = \"件\", reason = \"属实投诉\" }] }",
        ),
    )
    .unwrap();
    let text_before = std::fs::read_to_string(&toml).unwrap();
    // The ledger is one more dataset of the level `town`; two more measures of it.
    let ledger = r#"
[datasets.inspection]
file = "督查.csv"
unit = "镇办"
level = "town"
may_be_empty = true
[datasets.inspection.columns]
"镇办" = "text"
"登记日期" = "date"
"事由" = "text"
"是否属实" = "yes-no"
"#;
    let measures = "\ncomplaints = { count = \"inspection\", where = { column = \"是否属实\", is = true }, label = \"属实投诉\", evidence = true }\nagain = { rank = \"completion\", label = \"按完成率名次\" }\n";
    let text_before = text_before.replacen("\n[measures]\n", &format!("{ledger}\n[measures]\n"), 1);
    let last = "set_aside = { set_aside = \"rosters\", level = \"town\", label = \"剔除名册行数\" }";
    let text_before = text_before.replacen(last, &format!("{last}{measures}"), 1);
    let added = "rubrics = [\"rubrics/towns.toml\"]\n";
    let tables =
        "\n[[table]]\nview = \"metrics-town\"\n[[table]]\nview = \"county-ranking-towns\"\n[[table]]\nview = \"evidence\"\n[[table]]\nview = \"item-scores-towns\"\n[[pdf]]\nview = \"rubric-form-towns\"\ntemplate = \"rubric-form\"\nfile = \"form.pdf\"\n";
    std::fs::write(&toml, format!("{added}{text_before}{tables}")).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let out = dir.path().join("out/hanbin-2015-micro");
    // The quota annex is what it was.
    let quota = read_csv(&out.join("csv/quota-table.csv"));
    assert_eq!(quota.last().unwrap()[0..1], ["合计"]);
    assert!(quota.last().unwrap().contains(&"407361".to_string()), "{quota:?}");
    let metrics = read_csv(&out.join("csv/metrics-town.csv"));
    assert_eq!(metrics[0][metrics[0].len() - 2..], ["属实投诉", "按完成率名次"]);
    // Two rank measures of one ratio: places by completion are the ranking's own.
    for row in &metrics[1..] {
        assert_eq!(cell(&metrics, &row[0], "按完成率名次"), cell(&metrics, &row[0], "排名"), "{}", row[0]);
    }
    assert_eq!(cell(&metrics, "老城办", "属实投诉"), "2");
    assert_eq!(cell(&metrics, "早阳镇", "属实投诉"), "0");
    assert_eq!(cell(&metrics, "老城办", "任务完成率"), "94.69");
    // 老城办: 90 − 2 × (100 − 94.69) = 79.38, and 10 − 2 × 2 = 6: 85.38.
    // 早阳镇: completion 107.5% loses nothing, its complaint was not upheld: 100.
    let ranking = read_csv(&out.join("csv/county-ranking-towns.csv"));
    let total = |name: &str| {
        let c = ranking[0].iter().position(|h| h == "总分").unwrap();
        ranking.iter().find(|r| r.contains(&name.to_string())).unwrap()[c].clone()
    };
    assert_eq!((total("老城办"), total("早阳镇")), ("85.38".to_string(), "100".to_string()));
    let evidence = read_csv(&out.join("csv/evidence.csv"));
    assert_eq!(evidence.len(), 3, "{evidence:?}");
    assert!(evidence[1].join(" ").contains("督查.csv 第2行"), "{evidence:?}");
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("input/hanbin-2015-micro/督查.csv"), "{manifest}");
    // No item names a 负责考核部门: the blank form has no such column.
    let form = crate::common::pdf_text(&out.join("form.pdf"));
    assert!(form.contains("计分办法") && !form.contains("负责考核部门"), "{form}");
    // The reason counts in the rubric's unit.
    let items = std::fs::read_to_string(out.join("csv/item-scores-towns.csv")).unwrap();
    assert!(items.contains("属实投诉2件，扣4分"), "{items}");

    // A per-incident count must say whether it costs its points each time.
    let rubric = prog.join("rubrics/towns.toml");
    let r = std::fs::read_to_string(&rubric).unwrap();
    std::fs::write(&rubric, r.replace("points = 2, each = true,", "points = 2,")).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out2"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("第2项：计分规则的 counts 中“complaints”没有写 each"), "{}", text(&o));
    assert!(text(&o).contains("each = true：每件（每人、每次）计2分；each = false：有就计一次"), "{}", text(&o));
    std::fs::write(&rubric, r).unwrap();
    // A town misspelt in the ledger is named against the population's towns.
    let ledger = prog.join("督查.csv");
    let l = std::fs::read_to_string(&ledger).unwrap();
    std::fs::write(&ledger, l.replacen("老城办", "老城辨", 1)).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out2"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("督查.csv 第2行 “镇办”列：“老城辨”不是人口数据（区统计局）中的单位"), "{}", text(&o));
    assert!(text(&o).contains("是否应为“老城办”？"), "{}", text(&o));
    std::fs::write(&ledger, l).unwrap();
    // A measure of the ledger with the same name as one of the file's is refused.
    let t = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, t.replace("\ncomplaints = {", "\nlate = {")).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out2"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("programme.toml") && text(&o).contains("late"), "{}", text(&o));
    std::fs::write(&toml, t).unwrap();
}

/// 汉滨's towns and villages and one more level with one key column (the villages an
/// inspection checked): each level's sheet is headed by its own columns.
#[test]
fn two_levels_of_one_column_each_keep_their_own_headers() {
    let dir = tempfile::tempdir().unwrap();
    let (prog, toml) = crate::common::bundled_copy(dir.path(), "hanbin-2015-micro");
    std::fs::write(prog.join("村级检查.csv"), "行政村,得分\n江滨社区,5\n东城社区,6\n").unwrap();
    let t = std::fs::read_to_string(&toml).unwrap();
    let dataset = r#"
[datasets.village_findings]
file = "村级检查.csv"
unit = "行政村"
level = "spot"
[datasets.village_findings.columns]
"行政村" = "text"
"得分" = "number"
"#;
    let t = t.replacen("\n[measures]\n", &format!("{dataset}\n[measures]\nvscore = {{ value = \"village_findings\", column = \"得分\", label = \"村级得分\" }}\n"), 1);
    let added = "[[units]]\nlevel = \"spot\"\ncolumn = \"行政村\"\nnames = [\"江滨社区\", \"东城社区\"]\n";
    let tables = "\n[[table]]\nview = \"metrics-town\"\n[[table]]\nview = \"metrics-spot\"\n";
    std::fs::write(&toml, format!("{t}{tables}\n{added}")).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let out = dir.path().join("out/hanbin-2015-micro/csv");
    let towns = read_csv(&out.join("metrics-town.csv"));
    assert_eq!(towns[0][0], "镇办");
    assert_eq!(cell(&towns, "老城办", "任务数"), "8024");
    let villages = read_csv(&out.join("metrics-spot.csv"));
    // Padded to the widest level's key columns (镇办, 村), as every metrics sheet is.
    assert_eq!(villages[0], ["行政村", "村", "村级得分"]);
    assert_eq!(cell(&villages, "东城社区", "村级得分"), "6");
    // A rubric file that is not valid TOML is named at its line, not taken for another level.
    std::fs::create_dir_all(prog.join("rubrics")).unwrap();
    std::fs::write(prog.join("rubrics/v.toml"), "[rubric]\nid = \"v\"\nlabel = \"附件\n").unwrap();
    let t = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("rubrics = [\"rubrics/v.toml\"]\n{t}")).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out2"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("rubrics/v.toml 第3行"), "{}", text(&o));
    assert!(!text(&o).contains("assesses"), "{}", text(&o));
    // One that does not say which level it scores is asked to, not given 南通's county.
    std::fs::write(
        prog.join("rubrics/v.toml"),
        "[rubric]\nid = \"v\"\nlabel = \"附件\"\ntitle = \"表\"\nunit = \"村\"\ntotal = 0\n",
    )
    .unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out2"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("rubrics/v.toml：[rubric] 没有写 assesses（这张评分表评哪一级单位）"), "{}", text(&o));
}

#[test]
fn two_levels_from_one_table_split_each_towns_quota_over_its_villages() {
    // 汉滨's population table, one row per village, gives both levels: the villages, and
    // the towns as their first column. Each town's quota is split over its villages by
    // their base (老城办's on 户籍总人口, as its quota is): the circular's village sheets.
    let dir = tempfile::tempdir().unwrap();
    hanbin_population(
        dir.path(),
        "villages",
        r#"[[units]]
level = "town"
column = "镇办"
from = "population"
[[units]]
level = "village"
columns = ["镇办", "村"]
from = "population""#,
        "[\"镇办\", \"村\"]",
        r#"[measures]
rural_v = { value = "population", column = "农村户籍人口" }
total_v = { value = "population", column = "户籍总人口" }
rural = { sum = "population", column = "农村户籍人口", level = "town" }
total = { sum = "population", column = "户籍总人口", level = "town" }
quota = { apportion = "rural", rate = "50%", overrides = { "老城办" = { rate = "20%", base = "total" } } }
village_quota = { apportion = "rural_v", within = "quota", overrides = { "老城办" = { base = "total_v" } } }
[[table]]
view = "metrics-town"
[[table]]
view = "metrics-village""#,
    );
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let towns = read_csv(&dir.path().join("out/villages/csv/metrics-town.csv"));
    assert_eq!(towns.len(), 35, "34 towns");
    // A town row leaves the village column empty: 镇办, 村, rural, total, quota.
    assert_eq!(towns[1][..5], ["老城办", "", "12628", "40120", "8024"]);
    assert_eq!(towns[1..].iter().map(|r| r[4].parse::<u64>().unwrap()).sum::<u64>(), 407361);
    let villages = read_csv(&dir.path().join("out/villages/csv/metrics-village.csv"));
    assert_eq!(villages[0], ["镇办", "村", "rural_v", "total_v", "village_quota"]);
    // Village by village, the quota the participation workflow publishes.
    let golden = read_csv(&repo().join("tests/golden/hanbin-2015-micro/village-detail.csv"));
    assert_eq!(villages.len(), golden.len(), "every village");
    for g in &golden[1..] {
        let v = villages.iter().find(|v| v[0] == g[0] && v[1] == g[1]).unwrap_or_else(|| panic!("{} {}", g[0], g[1]));
        assert_eq!(v[4], g[3], "{} {}", g[0], g[1]);
    }
    // 老城办's first village by hand: 8024 × 2222 / 40120 = 444.4 → 444.
    assert_eq!(villages[1][..5], ["老城办", "江滨社区", "799", "2222", "444"]);
    let sum: u64 = villages[1..].iter().map(|r| r[4].parse::<u64>().unwrap()).sum();
    assert_eq!(sum, 407361);
}

#[test]
fn a_unit_name_with_a_stray_space_is_named_at_its_line_not_at_every_data_row() {
    let dir = tempfile::tempdir().unwrap();
    let (_, toml) = crate::common::bundled_copy(dir.path(), LANGAO);
    let changed = std::fs::read_to_string(&toml).unwrap().replacen("\"滔河镇\"", "\"滔河镇 \"", 1);
    let line = changed.lines().position(|l| l.contains("\"滔河镇 \"")).unwrap() + 1;
    std::fs::write(&toml, changed).unwrap();
    let o = kaohe(&["check", "--input", "input"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let said = text(&o);
    assert!(
        said.contains(&format!(
            "input/{LANGAO}/programme.toml 第{line}行：[units] town 的单位名“滔河镇 ”前后有空格（或是空的）\n  提示：写成“滔河镇”"
        )),
        "{said}"
    );
    assert!(!said.contains(".csv"), "no problem is blamed on a data file:\n{said}");
}
