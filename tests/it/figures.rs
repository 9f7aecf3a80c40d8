//! Reasons that print the real figure (issue 16): a remittance shortfall computed by an
//! `expr` measure and said in 元 (“归集保费少600元”), a zero denominator, an `expr`'s
//! mistakes named at programme.toml; a meeting missed by a fixed date said as
//! “10月31日前未召开”, and one never held (blank date, or no row) as “未召开”. Every score
//! is worked out by hand in the test's comment.

use std::path::Path;
use std::process::Output;

use crate::common::{kaohe, read_csv, text};

/// A four-town programme with one dataset, its measures and one rubric of `items`
/// (category 1, base points adding to `total`), run into `out`.
fn programme(dir: &Path, data: &str, columns: &str, measures: &str, items: &str, total: u32, extra: &str) -> Output {
    let prog = dir.join("input/t");
    std::fs::create_dir_all(prog.join("rubrics")).unwrap();
    std::fs::write(
        prog.join("programme.toml"),
        format!(
            r#"rubrics = ["rubrics/r.toml"]
[programme]
region = "某县"
year = 2016
name = "农村保险工作"
[document]
issuer = "某县办公室"
date = 2017-01-10
[units]
level = "town"
column = "镇"
names = ["A镇", "B镇", "C镇", "D镇"]
[assessment]
as_of = 2016-12-31
[datasets.d]
file = "d.csv"
unit = "镇"
[datasets.d.columns]
"镇" = "text"
{columns}
[measures]
{measures}
{extra}
"#
        ),
    )
    .unwrap();
    std::fs::write(
        prog.join("rubrics/r.toml"),
        format!(
            r#"[rubric]
id = "r"
assesses = "town"
label = "附件"
title = "测试考核表"
unit = "镇"
total = {total}
[[category]]
no = 1
name = "日常工作"
{items}"#
        ),
    )
    .unwrap();
    std::fs::write(prog.join("d.csv"), data).unwrap();
    kaohe(&["run", "--input", "input", "--output", "out"], dir)
}

/// (item, points, reason) of one town, from the item-scores table.
fn items(dir: &Path, town: &str) -> Vec<(String, String, String)> {
    let rows = read_csv(&dir.join("out/t/csv/item-scores-r.csv"));
    rows.iter().filter(|r| r[0] == town).map(|r| (r[1].clone(), r[4].clone(), r[5].clone())).collect()
}

fn item(id: &str, points: &str, reason: &str) -> (String, String, String) {
    (id.to_string(), points.to_string(), reason.to_string())
}

/// The metrics sheet's cells of one town, by header.
fn metric(dir: &Path, town: &str, header: &str) -> String {
    let rows = read_csv(&dir.join("out/t/csv/metrics.csv"));
    let c = rows[0].iter().position(|h| h == header).unwrap_or_else(|| panic!("no column {header}: {:?}", rows[0]));
    rows.iter().find(|r| r[0] == town).unwrap_or_else(|| panic!("no row {town}"))[c].clone()
}

const REMITTED: &str = "镇,参保人数,归集保费（元）\nA镇,530,10000\nB镇,501,10000\nC镇,0,0\nD镇,500,10000\n";
const REMITTED_COLUMNS: &str = "\"参保人数\" = \"integer\"\n\"归集保费（元）\" = \"number\"";
const REMITTED_MEASURES: &str = r#"remitted = { sum = "d", column = "归集保费（元）", label = "归集保费（元）" }
insured = { sum = "d", column = "参保人数", label = "参保人数" }
balance = { expr = "remitted - insured * 20", label = "归集差额（元）" }
per_head = { expr = "remitted / insured", label = "人均归集保费（元）" }"#;
const REMITTED_ITEMS: &str = r#"[[item]]
id = "1.1"
category = 1
indicator = "按每人20元足额归集保费。"
base = 10
method = "每少归集100元扣1分，扣完为止。"
rule = { kind = "shortfall", metrics = [{ metric = "balance", label = "归集保费", reason = "{label}少{gap}{unit}，扣{points}分" }], target = 0, unit = "元", points = 1, step = 100 }
[[item]]
id = "1.2"
category = 1
indicator = "人均归集保费达到20元。"
base = 5
method = "每低1元扣1分。"
rule = { kind = "shortfall", metrics = [{ metric = "per_head", label = "人均归集保费" }], target = 20, unit = "元", points = 1, step = 1 }
"#;

/// A镇: 530 insured owe 530 × 20 = 10600 元 and remitted 10000: 600 short, 6 steps of 100 →
/// 10 − 6 = 4, “归集保费少600元，扣6分”; per head 10000 ÷ 530 = 18.8679… → 1.1321 short →
/// 1.13 off → 3.87. B镇: 501 × 20 = 10020, 20 short → 0.2 off → 9.8; per head 19.9601 →
/// 0.04 off → 4.96 (a ratio would have printed 19.96 and never said 20 元). C镇: no one
/// insured, nothing remitted: the balance is 0 (full points) and per head is 0 ÷ 0 —
/// 不适用, which a shortfall skips: 5. D镇: exactly 500 × 20.
#[test]
fn an_expr_difference_prints_the_shortfall_in_yuan() {
    let dir = tempfile::tempdir().unwrap();
    let o = programme(dir.path(), REMITTED, REMITTED_COLUMNS, REMITTED_MEASURES, REMITTED_ITEMS, 15, "");
    assert!(o.status.success(), "{}", text(&o));
    let d = dir.path();
    assert_eq!(
        items(d, "A镇"),
        [item("1.1", "4", "归集保费少600元，扣6分"), item("1.2", "3.87", "人均归集保费18.87元，低于20元，扣1.13分")]
    );
    assert_eq!(
        items(d, "B镇"),
        [item("1.1", "9.8", "归集保费少20元，扣0.2分"), item("1.2", "4.96", "人均归集保费19.96元，低于20元，扣0.04分")]
    );
    assert_eq!(items(d, "C镇"), [item("1.1", "10", ""), item("1.2", "5", "")]);
    assert_eq!(items(d, "D镇"), [item("1.1", "10", ""), item("1.2", "5", "")]);
    // The metrics sheet: the difference itself, and 不适用 over a zero denominator.
    assert_eq!(metric(d, "A镇", "归集差额（元）"), "-600");
    assert_eq!(metric(d, "B镇", "归集差额（元）"), "-20");
    assert_eq!(metric(d, "C镇", "归集差额（元）"), "0");
    assert_eq!(metric(d, "A镇", "人均归集保费（元）"), "18.87");
    assert_eq!(metric(d, "C镇", "人均归集保费（元）"), "不适用");
    let ranking = read_csv(&d.join("out/t/csv/county-ranking-r.csv"));
    let total = |town: &str| ranking.iter().find(|r| r[1] == town).unwrap()[5].clone();
    assert_eq!([total("A镇"), total("B镇"), total("C镇"), total("D镇")], ["7.87", "14.76", "15", "15"]);
}

/// An expr over an expr, in whichever order the file writes them, and a zero inside a
/// larger expression: (remitted − insured × 20) ÷ insured per person short; C镇's 0 ÷ 0 is
/// 不适用, not 0 and not an error; `percent = true` multiplies by 100.
#[test]
fn an_expr_reads_other_exprs_and_a_zero_denominator_is_not_applicable() {
    let dir = tempfile::tempdir().unwrap();
    let measures = format!(
        "short_each = {{ expr = \"-balance / insured\", label = \"人均少缴（元）\" }}\n{REMITTED_MEASURES}\n\
         short_pct = {{ expr = \"(insured * 20 - remitted) / (insured * 20)\", percent = true, label = \"少缴比例（%）\" }}"
    );
    let o = programme(dir.path(), REMITTED, REMITTED_COLUMNS, &measures, REMITTED_ITEMS, 15, "");
    assert!(o.status.success(), "{}", text(&o));
    let d = dir.path();
    // A镇: 600 ÷ 530 = 1.1320… per person; 600 ÷ 10600 = 5.66%.
    assert_eq!(metric(d, "A镇", "人均少缴（元）"), "1.13");
    assert_eq!(metric(d, "A镇", "少缴比例（%）"), "5.66");
    assert_eq!(metric(d, "C镇", "人均少缴（元）"), "不适用");
    assert_eq!(metric(d, "C镇", "少缴比例（%）"), "不适用");
    assert_eq!(metric(d, "D镇", "人均少缴（元）"), "0");
}

#[test]
fn expr_mistakes_are_named_at_the_programme_file() {
    let cases: Vec<(&str, String, String, Vec<&str>)> = vec![
        (
            "a misspelt measure",
            REMITTED_MEASURES.replace("remitted - insured", "remited - insured"),
            REMITTED_ITEMS.to_string(),
            vec!["input/t/programme.toml：[measures] balance：expr 中的“remited”不是度量\n  提示：是否应为“remitted”？"],
        ),
        (
            "two exprs that read each other",
            format!("{REMITTED_MEASURES}\nloop_a = {{ expr = \"loop_b + 1\" }}\nloop_b = {{ expr = \"loop_a * 2\" }}"),
            REMITTED_ITEMS.to_string(),
            vec!["input/t/programme.toml：[measures] loop_a：expr 循环引用：loop_a → loop_b → loop_a\n  提示：expr 不能直接或经由其他 expr 读到它自己"],
        ),
        (
            "an operator missing",
            REMITTED_MEASURES.replace("remitted - insured * 20", "remitted insured * 20"),
            REMITTED_ITEMS.to_string(),
            vec!["[measures] balance：expr = \"remitted insured * 20\"：第10个字符处多出了内容（两个度量之间少了运算符？）"],
        ),
        (
            "a deadline item on a measure that is not a date",
            REMITTED_MEASURES.to_string(),
            "[[item]]\nid = \"1.1\"\ncategory = 1\nindicator = \"按时归集。\"\nbase = 15\nmethod = \"未按时不得分。\"\nrule = { kind = \"deadline\", metric = \"remitted\", action = \"归集\" }\n"
                .to_string(),
            vec!["input/t/rubrics/r.toml：第1.1项：deadline 读的“remitted”不是写了 after 的 latest 或 earliest 度量"],
        ),
        (
            "a metric's reason with a placeholder a shortfall does not fill",
            REMITTED_MEASURES.to_string(),
            REMITTED_ITEMS.replace("少{gap}", "少{short}"),
            vec!["input/t/rubrics/r.toml：第1.1项：“balance”的 reason 中的占位符 {short} 未知；可用：label、value、unit、target、gap、points"],
        ),
    ];
    for (what, measures, items, needles) in cases {
        let dir = tempfile::tempdir().unwrap();
        let o = programme(dir.path(), REMITTED, REMITTED_COLUMNS, &measures, &items, 15, "");
        assert_eq!(o.status.code(), Some(1), "{what}: {}", text(&o));
        for needle in needles {
            assert!(text(&o).contains(needle), "{what}: missing {needle:?} in\n{}", text(&o));
        }
        assert!(!dir.path().join("out").exists(), "{what}: a refused run wrote output");
    }
}

const MEETINGS: &str = "镇,召开日期\nA镇,2016-12-28\nB镇,2016-10-20\nB镇,2016-12-01\nC镇,\n";
const MEETING_COLUMNS: &str = "\"召开日期\" = { type = \"date\", optional = true }";
const MEETING_MEASURES: &str =
    r#"meeting = { earliest = "d", column = "召开日期", after = 2016-10-31, label = "首次会议晚于10月31日天数" }"#;
const MEETING_ITEMS: &str = r#"[[item]]
id = "1.1"
category = 1
indicator = "10月31日前召开农村保险工作专题会议。"
base = 5
method = "10月31日前未召开的不得分。"
rule = { kind = "deadline", metric = "meeting", action = "召开" }
"#;

/// The deadline is 2016-10-31. A镇 met on 12-28, 58 days late: 0, “10月31日前未召开”.
/// B镇 met on 10-20 and again on 12-01: its first meeting was in time, 5. C镇's date is
/// blank and D镇 has no row: neither met, 0, “未召开”. A programme rewords both.
#[test]
fn a_meeting_after_its_deadline_or_never_held_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let o = programme(dir.path(), MEETINGS, MEETING_COLUMNS, MEETING_MEASURES, MEETING_ITEMS, 5, "");
    assert!(o.status.success(), "{}", text(&o));
    let d = dir.path();
    assert_eq!(items(d, "A镇"), [item("1.1", "0", "10月31日前未召开，扣5分")]);
    assert_eq!(items(d, "B镇"), [item("1.1", "5", "")]);
    assert_eq!(items(d, "C镇"), [item("1.1", "0", "未召开，扣5分")]);
    assert_eq!(items(d, "D镇"), [item("1.1", "0", "未召开，扣5分")]);
    assert_eq!(metric(d, "A镇", "首次会议晚于10月31日天数"), "58");
    assert_eq!(metric(d, "B镇", "首次会议晚于10月31日天数"), "-11");
    assert_eq!(metric(d, "C镇", "首次会议晚于10月31日天数"), "");
    // The wording is the programme's: the days late and the full date are there to use.
    let reworded = "[rubric_text]\ndeadline_missed = \"{full_date}前未{action}（晚{days}天）\"\ndeadline_blank = \"全年未{action}\"";
    let dir = tempfile::tempdir().unwrap();
    let o = programme(dir.path(), MEETINGS, MEETING_COLUMNS, MEETING_MEASURES, MEETING_ITEMS, 5, reworded);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(items(dir.path(), "A镇"), [item("1.1", "0", "2016年10月31日前未召开（晚58天）")]);
    assert_eq!(items(dir.path(), "C镇"), [item("1.1", "0", "全年未召开")]);
}

const PAID: &str = "镇,姓名,保费,缴费日期\nA镇,甲,100,2016-03-01\nA镇,乙,300,2016-05-01\nA镇,己,200,2016-08-01\n\
                    B镇,丙,250,2016-12-30\nB镇,丁,50,2017-01-05\nC镇,戊,500,2016-06-01\n";
const PAID_COLUMNS: &str = "\"姓名\" = \"text\"\n\"保费\" = \"number\"\n\"缴费日期\" = \"date\"";
const PAID_ITEMS: &str = r#"[[item]]
id = "1.1"
category = 1
indicator = "200元以上保单按时缴费不少于2笔。"
base = 10
method = "每少1笔扣1分。"
rule = { kind = "shortfall", metrics = [{ metric = "big", label = "大额按时笔数" }], target = 2, unit = "笔", points = 1, step = 1 }
"#;

/// Where the vocabulary ends, a measure is one polars SQL query over the dataset (a table
/// named d, its dates as dates): per town, the premiums of 200 元 or more paid by
/// 2016-12-31. A镇: 乙 300 and 己 200 → 2 (甲's 100 is too small); B镇: 丙 250 on 12-30 → 1
/// (丁's 50 on 2017-01-05 is both); C镇: 戊 → 1; D镇 has no rows: `absent = 0` → 0. The
/// rubric: 2 or more full 10 points, each one short 1 point: A 10, B 9, C 9, D 8. A second
/// query without `absent`: the spread of a town's premiums, none for D镇 (a blank cell).
#[test]
fn a_sql_measure_counts_per_unit_and_a_rubric_scores_it() {
    let dir = tempfile::tempdir().unwrap();
    let measures = r#"big = { sql = "SELECT 镇, COUNT(*) AS n FROM d WHERE 保费 >= 200 AND 缴费日期 <= '2016-12-31' GROUP BY 镇", absent = 0, label = "大额按时笔数" }
spread = { sql = "SELECT 镇, MAX(保费) - MIN(保费) FROM d GROUP BY 镇", label = "保费极差（元）" }"#;
    let o = programme(dir.path(), PAID, PAID_COLUMNS, measures, PAID_ITEMS, 10, "");
    assert!(o.status.success(), "{}", text(&o));
    let d = dir.path();
    let big: Vec<String> = ["A镇", "B镇", "C镇", "D镇"].iter().map(|t| metric(d, t, "大额按时笔数")).collect();
    assert_eq!(big, ["2", "1", "1", "0"]);
    let spread: Vec<String> = ["A镇", "B镇", "C镇", "D镇"].iter().map(|t| metric(d, t, "保费极差（元）")).collect();
    // D镇 has no row: no value, a blank cell (a rubric reading it would name D镇 as missing).
    assert_eq!(spread, ["200", "200", "0", ""]);
    let points: Vec<String> = ["A镇", "B镇", "C镇", "D镇"].iter().map(|t| items(d, t)[0].1.clone()).collect();
    assert_eq!(points, ["10", "9", "9", "8"]);
}

#[test]
fn sql_mistakes_are_named_at_the_programme_file() {
    let cases = [
        (
            "SELECT 镇 FROM d GROUP BY 镇",
            "[measures] big：sql 的结果有 1 列（镇），层级 town 要 2 列：1 个单位列和 1 个数",
        ),
        ("SELECT 'X镇' AS 镇, 1 AS n FROM d LIMIT 1", "[measures] big：sql 结果第1行的“X镇”不是层级 town 的单位"),
        ("SELECT 镇, COUNT(*) OVER () FROM d", "[measures] big：sql 结果中“A镇”有不止一行（少了 GROUP BY？）"),
        ("SELECT 镇, SUM(金额) FROM d GROUP BY 镇", "[measures] big：sql 无法执行："),
        ("SELECT 镇, COUNT(*) FROM claims GROUP BY 镇", "[measures] big：sql 无法执行："),
    ];
    for (query, said) in cases {
        let dir = tempfile::tempdir().unwrap();
        let measures = format!("big = {{ sql = \"{query}\", label = \"大额按时笔数\" }}");
        let o = programme(dir.path(), PAID, PAID_COLUMNS, &measures, PAID_ITEMS, 10, "");
        let out = text(&o);
        assert_eq!(o.status.code(), Some(1), "{query}: {out}");
        assert!(out.contains(&format!("input/t/programme.toml：{said}")), "{query}: {out}");
        assert!(out.contains("提示：每个数据集是一张同名的表"), "{query}: {out}");
        assert!(!dir.path().join("out").exists(), "{query}: nothing written");
    }
}
