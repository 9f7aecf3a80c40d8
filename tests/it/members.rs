//! The bundled 平利 programme: enrolment read from the towns' 新农合 member rosters (one
//! row per household member, a 是/否 column for the micro insurance) with the declared
//! dataset settings `only`, `set_aside`, `keep_first` and a date condition on a named
//! deadline — counted here again from the raw files, by hand, and the settings' own
//! rules (a broken column refused, a duplicate list refused, mistakes named) on small files.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::common::{bundled, bundled_copy, kaohe, pdf_text, read_csv, repo, text};
use kaohe::validate::id_check_char;

const PINGLI: &str = "pingli-2016-members";

/// A roster file of the sample as rows, header first (UTF-8 with BOM, or GBK).
fn roster(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let text = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(utf8) => String::from_utf8(utf8.to_vec()).unwrap(),
        None => encoding_rs::GBK.decode(&bytes).0.into_owned(),
    };
    text.lines().map(|l| l.split(',').map(str::to_string).collect()).collect()
}

fn valid_id(id: &str) -> bool {
    id.len() == 18
        && id[..17].bytes().all(|b| b.is_ascii_digit())
        && id_check_char(id[..17].as_bytes()) == id.chars().nth(17).unwrap()
}

fn pay_date(s: &str) -> Option<chrono::NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"].iter().find_map(|f| chrono::NaiveDate::parse_from_str(s, f).ok())
}

/// Per town (on time, late), and the rows set aside as (file, reason kind), counted from
/// the raw rosters the way the circular reads them.
struct HandCount {
    on_time: BTreeMap<String, u64>,
    late: BTreeMap<String, u64>,
    outside: usize,
    /// 合计 lines: listed, not counted.
    totals: usize,
    bad_id: usize,
    no_date: usize,
    duplicates: usize,
}

fn hand_count() -> HandCount {
    let dir = repo().join("input").join(PINGLI).join("data/新农合参合名册");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let deadline = chrono::NaiveDate::from_ymd_opt(2016, 10, 31).unwrap();
    let mut seen = HashSet::new();
    let mut c = HandCount {
        on_time: BTreeMap::new(),
        late: BTreeMap::new(),
        outside: 0,
        totals: 0,
        bad_id: 0,
        no_date: 0,
        duplicates: 0,
    };
    for f in files {
        for r in roster(&f).into_iter().skip(1) {
            if r[0] == "合计" {
                c.totals += 1;
                continue;
            }
            if r[6] != "是" && r[6] != "√" {
                c.outside += 1;
                continue;
            }
            if !valid_id(&r[4]) {
                c.bad_id += 1;
                continue;
            }
            let Some(day) = pay_date(&r[7]) else {
                c.no_date += 1;
                continue;
            };
            if !seen.insert(r[4].clone()) {
                c.duplicates += 1;
                continue;
            }
            *if day > deadline { &mut c.late } else { &mut c.on_time }.entry(r[0].clone()).or_default() += 1;
        }
    }
    c
}

fn column<'a>(rows: &'a [Vec<String>], name: &str) -> usize {
    rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {:?}", rows[0]))
}

#[test]
fn pingli_counts_are_what_the_member_rosters_say() {
    let hand = hand_count();
    let metrics = read_csv(&bundled().join(PINGLI).join("csv/metrics.csv"));
    let (on_time, late, quota) =
        (column(&metrics, "按期参保人数"), column(&metrics, "逾期缴费人数"), column(&metrics, "参保任务数"));
    assert_eq!(metrics.len(), 12, "eleven towns");
    for r in &metrics[1..] {
        assert_eq!(r[on_time], hand.on_time[&r[0]].to_string(), "{} on time", r[0]);
        assert_eq!(r[late], hand.late.get(&r[0]).copied().unwrap_or(0).to_string(), "{} late", r[0]);
    }
    // Every 农村户籍人口 is even: 50% of it is exact, and the county's task is half its 26,350.
    let quotas: u64 = metrics[1..].iter().map(|r| r[quota].parse::<u64>().unwrap()).sum();
    assert_eq!(quotas, 13_175);
    // The sample's totals, fixed by its seed: a change in any rule shows here.
    let total: u64 = hand.on_time.values().sum();
    let late_total: u64 = hand.late.values().sum();
    assert_eq!((hand.totals, hand.bad_id, hand.no_date, hand.duplicates), (1, 4, 2, 6));
    assert_eq!((total, late_total), (12_414, 444));
    let files = read_csv(&bundled().join(PINGLI).join("csv/roster-files.csv"));
    let sum = |name: &str| -> usize {
        let c = column(&files, name);
        files[1..].iter().map(|r| r[c].parse::<usize>().unwrap()).sum()
    };
    assert_eq!(sum("范围外"), hand.outside);
    assert_eq!(sum("计入") as u64, total + late_total);
    assert_eq!(sum("剔除"), hand.totals + hand.bad_id + hand.no_date + hand.duplicates);
}

#[test]
fn pingli_rows_set_aside_say_why_with_the_id_masked() {
    let rows = read_csv(&bundled().join(PINGLI).join("csv/set-aside.csv"));
    assert_eq!(rows[0], ["数据", "文件", "行", "列", "问题", "身份证号"]);
    let reasons: Vec<&str> = rows[1..].iter().map(|r| r[4].as_str()).collect();
    assert_eq!(reasons.iter().filter(|r| r.starts_with("身份证号校验码错误")).count(), 3);
    assert_eq!(reasons.iter().filter(|r| **r == "身份证号被表格软件存成了数字，末几位已丢失").count(), 1);
    assert_eq!(reasons.iter().filter(|r| **r == "为空").count(), 2);
    assert_eq!(
        reasons.iter().filter(|r| r.starts_with("重复：与") && r.ends_with("的身份证号相同，不重复计数")).count(),
        6
    );
    for r in &rows[1..] {
        let longest = r.iter().flat_map(|c| c.split(|ch: char| !ch.is_ascii_digit())).map(str::len).max();
        assert!(longest < Some(17), "no full ID in {r:?}");
    }
    // A mover: on 城关镇's roster first, so 兴隆镇's row is the one set aside.
    let mover = rows[1..].iter().find(|r| r[1].ends_with("02-兴隆镇.csv") && r[4].starts_with("重复")).unwrap();
    assert!(mover[4].starts_with("重复：与01-城关镇.csv第"), "{}", mover[4]);
    assert_eq!(mover[3], "身份证号");
}

#[test]
fn pingli_data_quality_report_accounts_for_every_roster_row() {
    let out = bundled().join(PINGLI);
    let pdf = pdf_text(&out.join("data-quality.pdf"));
    for words in [
        "平利县2016年农村小额人身保险",
        "数据校验报告",
        "一、新农合参合名册",
        "范围外",
        "01-城关镇.csv",
        "只有参加小额保险为“是”的行计入",
    ] {
        assert!(pdf.contains(words), "data-quality.pdf lacks {words}");
    }
    assert!(pdf.contains("06-洛河镇.csv（CSV（GBK）"), "the GBK roster is named with its encoding");
    let check = std::process::Command::new("python3")
        .arg(repo().join("tests/gbt9704_check.py"))
        .arg(out.join("data-quality.pdf"))
        .output()
        .expect("python3 runs");
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
}

/// A copy of 平利 whose programme.toml has `from` replaced by `to`.
fn pingli_with(dir: &Path, from: &str, to: &str) -> std::process::Output {
    let (_, toml) = bundled_copy(dir, PINGLI);
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(text.contains(from), "{from}");
    std::fs::write(&toml, text.replacen(from, to, 1)).unwrap();
    kaohe(&["run", "--input", "input", "--output", "out"], dir)
}

#[test]
fn a_column_broken_in_one_roster_refuses_the_file_not_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (prog, _) = bundled_copy(dir.path(), PINGLI);
    // 大贵镇's 缴费日期 re-typed as text a date reader cannot take: every joined row would go.
    let file = prog.join("data/新农合参合名册/04-大贵镇.csv");
    let rows = roster(&file);
    let mut out = String::from("\u{feff}");
    for (i, r) in rows.iter().enumerate() {
        let mut r = r.clone();
        if i > 0 && (r[6] == "是") {
            r[7] = "待补".into();
        }
        out += &(r.join(",") + "\r\n");
    }
    std::fs::write(&file, out).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let said = text(&o);
    assert!(said.contains("04-大贵镇.csv"), "{said}");
    assert!(said.contains("因这一列不合格而要剔除"), "{said}");
    assert!(said.contains("缴费日期"), "{said}");
    assert!(!dir.path().join("out").exists(), "nothing written");
}

#[test]
fn a_roster_sent_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (prog, _) = bundled_copy(dir.path(), PINGLI);
    let rosters = prog.join("data/新农合参合名册");
    std::fs::copy(rosters.join("03-老县镇.csv"), rosters.join("12-老县镇（重发）.csv")).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("不像是一份新的名单"), "{}", text(&o));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn roster_settings_mistakes_are_named_in_the_programme_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = pingli_with(dir.path(), "after = \"缴费截止日\", not", "after = \"缴费截至日\", not");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("[measures] insured 中的日期“缴费截至日”不在 [assessment] dates 中"), "{}", text(&o));
    assert!(text(&o).contains("[assessment] dates 中有：缴费截止日"), "{}", text(&o));
    let dir = tempfile::tempdir().unwrap();
    let o = pingli_with(dir.path(), "keep_first = \"身份证号\"", "keep_first = \"身份证\"");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("[datasets.members] keep_first 中的“身份证”不在它的 columns 中"), "{}", text(&o));
    let dir = tempfile::tempdir().unwrap();
    let o = pingli_with(
        dir.path(),
        "only = { column = \"参加小额保险\", is = true }",
        "only = { column = \"村\", is = true }",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("[datasets.members] only 的 is 只用于“是/否”列，“村”是文字列"), "{}", text(&o));
}

/// 八仙镇 by hand from its measures (任务 925, on time 752 → 81.3%; 农村户籍人口 1850 →
/// 参保率 40.65%; 27 late):
///   1.1 100 − 81.3 = 18.7 points short, 不足1个百分点按1个计 → 19 × 2 = 38 off → 22
///   1.2 50 − 40.65 = 9.35 off → 10.65;  2.1 27 × 0.1 = 2.7 off → 17.3;  total 49.95, last of 11.
#[test]
fn pingli_scores_are_a_hand_count() {
    let out = bundled().join(PINGLI);
    let items = read_csv(&out.join("csv/item-scores.csv"));
    let (unit, item, points, reason) =
        (column(&items, "镇"), column(&items, "序号"), column(&items, "得分"), column(&items, "扣分、加分说明"));
    let of = |id: &str| items.iter().find(|r| r[unit] == "八仙镇" && r[item] == id).unwrap();
    assert_eq!((of("1.1")[points].as_str(), of("1.1")[reason].as_str()), ("22", "任务完成率81.3%，低于100%，扣38分"));
    assert_eq!((of("1.2")[points].as_str(), of("1.2")[reason].as_str()), ("10.65", "参保率40.65%，低于50%，扣9.35分"));
    assert_eq!((of("2.1")[points].as_str(), of("2.1")[reason].as_str()), ("17.3", "逾期缴费27人，扣2.7分"));
    let ranking = read_csv(&out.join("csv/ranking.csv"));
    assert_eq!(ranking.last().unwrap()[..7], ["11", "八仙镇", "49.95", "0", "0", "49.95", "纳入不良记录管理"]);
    assert_eq!(ranking[1][..2], ["1", "三阳镇"]);
    // The bottom three (no tie at the cut here) are put on record; the 8th is not.
    let remarks: Vec<(&str, &str)> = ranking[1..].iter().map(|r| (r[1].as_str(), r[6].as_str())).collect();
    let on_record: Vec<&str> = remarks.iter().filter(|(_, m)| *m == "纳入不良记录管理").map(|(t, _)| *t).collect();
    assert_eq!(on_record, ["洛河镇", "兴隆镇", "八仙镇"]);
}

#[test]
fn pingli_sample_is_rebuilt_byte_for_byte_by_its_script() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join(PINGLI);
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(repo().join("input").join(PINGLI).join("sample.py"), copy.join("sample.py")).unwrap();
    let o = std::process::Command::new("python3").arg(copy.join("sample.py")).output().expect("python3 runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ours = crate::common::all_files(&copy.join("data"));
    let bundled = crate::common::all_files(&repo().join("input").join(PINGLI).join("data"));
    assert_eq!(ours.len(), bundled.len());
    assert_eq!(ours.len(), 12, "人口.csv and eleven rosters");
    for (a, b) in ours.iter().zip(&bundled) {
        assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap(), "{}", b.display());
    }
}

#[test]
fn a_roster_resaved_with_two_digit_years_counts_the_same_and_says_so() {
    // 西河镇's roster as a Chinese-locale suite re-saves it: 2016-03-05 → 16年3月5日.
    let dir = tempfile::tempdir().unwrap();
    let (prog, _) = bundled_copy(dir.path(), PINGLI);
    let file = prog.join("data/新农合参合名册/10-西河镇.csv");
    let mut out = String::from("\u{feff}");
    let mut changed = 0;
    for (i, r) in roster(&file).into_iter().enumerate() {
        let mut r = r.clone();
        if let (true, Some(d)) = (i > 0, pay_date(&r[7])) {
            r[7] = format!("{}年{}月{}日", d.format("%y"), d.format("%-m"), d.format("%-d"));
            changed += 1;
        }
        out += &(r.join(",") + "\r\n");
    }
    std::fs::write(&file, out).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let ours = read_csv(&dir.path().join("out").join(PINGLI).join("csv/metrics.csv"));
    let bundled = read_csv(&bundled().join(PINGLI).join("csv/metrics.csv"));
    assert_eq!(ours, bundled, "the same counts");
    let pdf = pdf_text(&dir.path().join("out").join(PINGLI).join("data-quality.pdf"));
    let said = format!("“缴费日期”列有{changed}个日期只写了两位年份");
    assert!(pdf.contains(&said) && pdf.contains("按2016年读取"), "{said} not in {pdf}");
}
