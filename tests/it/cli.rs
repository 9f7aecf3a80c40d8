//! End-to-end tests: the kaohe binary on the bundled sample and on small hand-made
//! programmes, checking real values (the seed's totals, hand-computed quotas, ranks,
//! counts), the PDFs (text, fonts, A4, GB/T 9704 geometry), byte-identical reruns, and
//! that every kind of bad input gives its message and writes nothing.

use crate::common::{all_files, copy_dir, kaohe, read_csv, repo, text};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use kaohe::validate::id_check_char;

// ---------------------------------------------------------------- helpers

fn must_succeed(args: &[&str], cwd: &Path) -> String {
    let out = kaohe(args, cwd);
    assert!(out.status.success(), "kaohe {args:?} failed:\n{}", text(&out));
    text(&out)
}

fn must_fail(args: &[&str], cwd: &Path, code: i32) -> String {
    let out = kaohe(args, cwd);
    assert_eq!(out.status.code(), Some(code), "kaohe {args:?} should exit {code}:\n{}", text(&out));
    text(&out)
}

fn row<'a>(rows: &'a [Vec<String>], first: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[0] == first || r.get(1).is_some_and(|c| c == first))
        .unwrap_or_else(|| panic!("no row {first}"))
}

fn tool(name: &str) -> &str {
    let ok = Command::new("which").arg(name).output().is_ok_and(|o| o.status.success());
    assert!(ok, "{name} is needed by the tests: apt-get install poppler-utils (.ci/run does this)");
    name
}

fn pdftotext(pdf: &Path) -> String {
    let out = Command::new(tool("pdftotext")).args(["-layout"]).arg(pdf).arg("-").output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// The bundled sample, run once for all tests that read its output.
fn sample() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| crate::common::bundled().join("hanbin-2015-micro"))
}

/// A valid resident ID for person `n` (GB 11643 check digit computed).
fn id(n: u32) -> String {
    let birth = 19700101 + (n % 28) + 100 * (n / 28 % 12); // valid day/month combinations
    let first17 = format!("610902{birth}{:03}", n % 1000);
    format!("{first17}{}", id_check_char(first17.as_bytes()))
}

/// The mini programme (4 towns) in `dir/input/mini-2015`, with rosters written here so
/// every count below is known by construction.
///
/// Population (fixtures/mini/population.csv), rates 50% of rural, 丙办 20% of total:
///   甲镇 rural 101+60 = 161 → 80.5;  乙镇 75 → 37.5;  丙办 total 50+31 = 81 → 16.2;  丁镇 rural 60 → 30
///   exact total 164.2 → 164; floors 80+37+16+30 = 163; one person left; 甲 and 乙 tie at .5
///   → the larger base (甲, 161) gets it: 甲 81, 乙 37, 丙 16, 丁 30.
/// Rosters: 甲 81 on time (东村 51, 西村 30) + 2 late + 3 bad rows; 乙 30 on time + 1 late (GBK);
///   丙 8 on time (xlsx); 丁 15 on time + a person already in 甲's file.
fn mini(dir: &Path) -> PathBuf {
    let prog = dir.join("input").join("mini-2015");
    copy_dir(&repo().join("tests/fixtures/mini"), &prog);
    let rosters = prog.join("rosters");
    std::fs::create_dir_all(&rosters).unwrap();
    let mut n = 0u32;
    let mut next = || {
        n += 1;
        id(n)
    };
    // 甲镇: UTF-8 with BOM, a blank line, dashes in dates.
    let mut a = String::from("\u{feff}身份证号,姓名,镇,村,保费,缴费日期\r\n");
    let first = next();
    a += &format!("{first},张一,甲镇,东村,20,2015-11-03\r\n");
    for i in 1..51 {
        let date = if i == 50 { "2016-01-30" } else { "2015-12-01" }; // the deadline day itself is on time
        a += &format!("{},张{i},甲镇,东村,20,{date}\r\n", next());
    }
    a += "\r\n";
    let second = next();
    a += &format!("{second},李一,甲镇,西村,20,2015/12/1\r\n");
    for i in 1..30 {
        a += &format!("{},李{i},甲镇,西村,50,2015年12月1日\r\n", next());
    }
    a += &format!("{},王迟,甲镇,东村,20,2016-01-31\r\n", next()); // late by one day
    a += &format!("{},王晚,甲镇,东村,20,2016-03-01\r\n", next());
    a += &format!("{first},张一,甲镇,东村,20,2015-11-03\r\n"); // duplicate within the file
    a += "610902197001010011,坏号,甲镇,东村,20,2015-11-03\r\n"; // wrong check digit
    a += &format!("{},错村,甲镇,东材,20,2015-11-03\r\n", next()); // no such village
    std::fs::write(rosters.join("01-甲镇.csv"), a).unwrap();
    // 乙镇: GBK, other header spellings.
    let mut b = String::from("公民身份号码,参保人姓名,镇办,村名,保费（元）,缴费时间\r\n");
    for i in 0..30 {
        b += &format!("{},赵{i},乙镇,南村,20,2016/1/{}\r\n", next(), 1 + i % 28);
    }
    b += &format!("{},赵迟,乙镇,南村,20,2016/2/2\r\n", next());
    let (gbk, _, bad) = encoding_rs::GBK.encode(&b);
    assert!(!bad);
    std::fs::write(rosters.join("02-乙镇.csv"), gbk).unwrap();
    // 丙办: xlsx with real date cells.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["身份证号码", "姓名", "乡镇", "村（社区）", "保费", "缴费日期"].iter().enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2015, 12, 20).unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for i in 0..8u32 {
        let r = i + 1;
        sheet.write_string(r, 0, next()).unwrap();
        sheet.write_string(r, 1, format!("钱{i}")).unwrap();
        sheet.write_string(r, 2, "丙办").unwrap();
        sheet.write_string(r, 3, if i < 5 { "北社区" } else { "中社区" }).unwrap();
        sheet.write_number(r, 4, 20.0).unwrap();
        sheet.write_datetime_with_format(r, 5, &date, &fmt).unwrap();
    }
    book.save(rosters.join("03-丙办.xlsx")).unwrap();
    // 丁镇: plain UTF-8; one person already insured in 甲镇.
    let mut d = String::from("身份证号,姓名,镇,村,保费,缴费日期\n");
    for i in 0..15 {
        d += &format!("{},孙{i},丁镇,{},20,20151215\n", next(), if i < 10 { "上村" } else { "下村" });
    }
    d += &format!("{second},李一,丁镇,上村,20,20151215\n");
    std::fs::write(rosters.join("04-丁镇.csv"), d).unwrap();
    dir.join("input")
}

fn run_mini(dir: &Path) -> PathBuf {
    let input = mini(dir);
    let out = dir.join("out");
    must_succeed(&["run", "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap()], dir);
    out.join("mini-2015")
}

// ---------------------------------------------------------------- the bundled sample

#[test]
fn sample_quota_table_reproduces_the_seed_totals() {
    let rows = read_csv(&sample().join("csv/quota-table.csv"));
    assert_eq!(rows[0], ["镇办及村名", "户籍总人口（农村）", "参保任务数(人)"]);
    assert_eq!(rows.len(), 1 + 34 + 1);
    assert_eq!(rows[35], ["合计", "838794", "407361"]);
    assert_eq!(row(&rows, "老城办"), ["老城办", "40120", "8024"]);
    // Every town's population is the seed's, and its quota the floor or ceiling of the exact value.
    let seed = read_csv(&repo().join("tests/fixtures/seed-annex-2015.csv"));
    for s in &seed[1..35] {
        let ours = row(&rows, &s[0]);
        assert_eq!(ours[1], s[1], "population of {}", s[0]);
        let base: u64 = s[1].parse().unwrap();
        let quota: u64 = ours[2].parse().unwrap();
        let rate_ppm = if s[0] == "老城办" { 200_000 } else { 500_000 };
        let exact = base * rate_ppm;
        assert!(
            quota * 1_000_000 <= exact + 999_999 && quota * 1_000_000 + 999_999 >= exact,
            "{} quota {quota} not floor/ceil",
            s[0]
        );
    }
}

#[test]
fn sample_pdfs_carry_the_rows_embed_fonts_and_are_a4() {
    let dir = sample();
    // Lines wrap in the PDF: compare against the text with all white space removed.
    let quota: String = pdftotext(&dir.join("quota-table.pdf")).split_whitespace().collect();
    for needle in [
        "附件",
        "汉滨区2015年度小额人身保险工作目标任务分解表",
        "镇办及村名",
        "老城办",
        "8024",
        "中原镇",
        "7826",
        "838794",
        "407361",
        "老城办按户籍总人口20%下达",
    ] {
        assert!(quota.contains(needle), "quota-table.pdf lacks {needle}:\n{quota}");
    }
    let ranking = pdftotext(&dir.join("participation-ranking.pdf"));
    assert!(ranking.contains("纳入不良记录管理") && ranking.contains("合计") && ranking.contains("各镇办任务完成率"));
    let detail = pdftotext(&dir.join("village-detail/01-老城办.pdf"));
    assert!(detail.contains("老城办") && detail.contains("社区") && detail.contains("合计"));
    let pdfs: Vec<PathBuf> = all_files(dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "pdf")).collect();
    assert_eq!(pdfs.len(), 3 + 34);
    for pdf in &pdfs {
        let info = Command::new(tool("pdfinfo")).arg(pdf).output().unwrap();
        let info: Vec<String> = String::from_utf8_lossy(&info.stdout)
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let info = info.join("\n");
        assert!(info.contains("Page size: 595.276 x 841.89 pts (A4)"), "{}: {info}", pdf.display());
        // PDF/A-2b, dated from the config's document date (not the clock).
        assert!(info.contains("CreationDate: Tue Sep 15 00:00:00 2015 UTC"), "{}: {info}", pdf.display());
        let bytes = std::fs::read(pdf).unwrap();
        let has = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(has("pdfaid:part>2") && has("pdfaid:conformance>B"), "{} is not PDF/A-2b", pdf.display());
        let fonts = Command::new(tool("pdffonts")).arg(pdf).output().unwrap();
        let fonts = String::from_utf8_lossy(&fonts.stdout);
        let lines: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(!lines.is_empty());
        for l in lines {
            // columns: name type encoding emb sub uni object ID
            let cols: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(cols[cols.len() - 5], "yes", "font not embedded in {}: {l}", pdf.display());
        }
    }
}

#[test]
fn sample_pdfs_pass_the_gbt9704_geometry_check() {
    let dir = sample();
    let mut args = vec![repo().join("tests/gbt9704_check.py")];
    args.extend(all_files(dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "pdf")));
    let out = Command::new("python3").args(&args).output().expect("python3");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!report.contains("No module named"), "pip install pymupdf (.ci/run does this)");
    assert!(
        out.status.success(),
        "GB/T 9704 check failed:\n{}{}",
        report.lines().filter(|l| l.starts_with("FAIL")).collect::<Vec<_>>().join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("attachment label"), "the annex label was measured");
}

#[test]
fn sample_manifest_lists_every_output_and_verify_detects_a_change() {
    let dir = sample();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let outputs = manifest["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), all_files(dir).len() - 1);
    let detail = outputs.iter().find(|o| o["unit"] == "恒口镇").unwrap();
    assert_eq!(detail["kind"], "village-detail");
    assert!(detail["pages"].as_u64().unwrap() >= 1);
    assert!(manifest["inputs"].as_array().unwrap().iter().any(|i| i["path"].as_str().unwrap().ends_with(".xlsx")));
    assert_eq!(manifest["document_number"], "汉政办发〔2015〕105号");
    assert_eq!(manifest["document_date"], "2015年9月15日");
    // A copy, tampered with: verify names the file and exits 1.
    let copy = tempfile::tempdir().unwrap();
    copy_dir(dir, copy.path());
    let ok = must_succeed(&["verify", copy.path().to_str().unwrap()], &repo());
    assert!(ok.contains("0 个有问题"), "{ok}");
    std::fs::write(copy.path().join("csv/quota-table.csv"), "tampered").unwrap();
    std::fs::remove_file(copy.path().join("village-detail/02-新城办.pdf")).unwrap();
    let bad = must_fail(&["verify", copy.path().to_str().unwrap()], &repo(), 1);
    assert!(bad.contains("已改动：csv/quota-table.csv"), "{bad}");
    assert!(bad.contains("已缺失：village-detail/02-新城办.pdf"), "{bad}");
}

#[test]
fn sample_rerun_is_byte_identical() {
    let first = sample();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    must_succeed(&["run", "--input", "input", "--output", out.to_str().unwrap()], &repo());
    let second = out.join("hanbin-2015-micro");
    let a = all_files(first);
    let b = all_files(&second);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(std::fs::read(x).unwrap(), std::fs::read(y).unwrap(), "{} differs between runs", x.display());
    }
}

#[test]
fn no_full_id_in_any_output() {
    // Every valid ID in the sample's rosters is 18 characters starting with an area code;
    // outputs may only carry masked ones (6 digits, 8 stars, 4 characters).
    let dir = sample();
    let full_id = |s: &str| {
        let chars: Vec<char> = s.chars().collect();
        chars.windows(18).any(|w| {
            w[..17].iter().all(|c| c.is_ascii_digit()) && (w[17].is_ascii_digit() || w[17] == 'X' || w[17] == 'x')
        })
    };
    for f in all_files(dir) {
        let content = match f.extension().and_then(|e| e.to_str()) {
            Some("pdf") => pdftotext(&f),
            Some("xlsx") => {
                let mut book = calamine::open_workbook_auto(&f).unwrap();
                use calamine::Reader;
                let mut s = String::new();
                for name in book.sheet_names() {
                    let range = book.worksheet_range(&name).unwrap();
                    for r in range.rows() {
                        for c in r {
                            s.push_str(&c.to_string());
                            s.push(' ');
                        }
                    }
                }
                s
            }
            _ => String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned(),
        };
        assert!(!full_id(&content), "{} contains a full ID", f.display());
    }
    let quality = read_csv(&dir.join("csv/data-quality.csv"));
    assert!(quality.len() > 100, "the sample's dirt is reported");
    // A masked ID keeps at most the first six and last four characters of what was typed.
    for r in &quality[1..] {
        let kept = r[5].chars().filter(|&c| c != '*').count();
        assert!(kept <= 10 && (r[5].contains('*') || r[5].is_empty()), "unmasked ID in data-quality row {r:?}");
    }
}

#[test]
fn reconcile_against_the_seeds_own_annex() {
    // 14 towns have an odd population; the seed rounds seven up and seven down. kaohe gives
    // the seven tied .5 remainders to the largest populations, so six rows differ by one.
    // Two bundled programmes apportion quotas (汉滨, 平利): which one is asked.
    let out = must_fail(&["reconcile", "--published", "tests/fixtures/seed-annex-2015.csv"], &repo(), 2);
    assert!(
        out.contains(
            "输入中有2个分解任务的项目（hanbin-2015-micro、pingli-2016-members），请用 --programme 指定其中一个"
        ),
        "{out}"
    );
    let hanbin = ["--programme", "hanbin-2015-micro"];
    let out = must_fail(
        &[&["reconcile", "--published", "tests/fixtures/seed-annex-2015.csv"][..], &hanbin].concat(),
        &repo(),
        1,
    );
    assert!(out.contains("对照 tests/fixtures/seed-annex-2015.csv 与 kaohe（最大余数法（保持全区总数））"), "{out}");
    assert!(out.contains("6 行不同"), "{out}");
    assert!(
        out.contains("关庙镇\t公布 21055\tkaohe 21056\t精确值21055.5，公布值向下取整，kaohe 的规则向上取整（差-1）"),
        "{out}"
    );
    for town in ["瀛湖镇", "张滩镇", "晏坝镇", "茨沟镇", "紫荆镇"] {
        assert!(out.contains(town), "{town} differs:\n{out}");
    }
    assert!(out.contains("公布表合计行 407361") && out.contains("总数一致"), "{out}");
    // A unit typed differently in the published table is named, with the likely match.
    let dir = tempfile::tempdir().unwrap();
    let typed = dir.path().join("typed.csv");
    let seed = std::fs::read_to_string(repo().join("tests/fixtures/seed-annex-2015.csv")).unwrap();
    std::fs::write(&typed, seed.replace("中原镇,", "中原,")).unwrap();
    let out = must_fail(&[&["reconcile", "--published", typed.to_str().unwrap()][..], &hanbin].concat(), &repo(), 1);
    assert!(out.contains("中原\t公布 7826\tkaohe —\t人口数据（区统计局）中没有此单位，是否为“中原镇”？"), "{out}");
    assert!(out.contains("中原镇\t公布 —\tkaohe 7826\t公布表中没有此单位"), "{out}");
}

// ---------------------------------------------------------------- the mini programme

#[test]
fn mini_quotas_counts_ranks_and_ties() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_mini(dir.path());
    let quota = read_csv(&out.join("csv/quota-table.csv"));
    assert_eq!(
        quota[1..].to_vec(),
        vec![
            vec!["甲镇", "161", "81"],
            vec!["乙镇", "75", "37"],
            vec!["丙办", "81", "16"],
            vec!["丁镇", "60", "30"],
            vec!["合计", "377", "164"],
        ]
    );
    // Villages: 甲 81 → 东 81×101/161 = 50.81, 西 30.19 → 51 / 30; 丙 16 → 北 9.88, 中 6.12 → 10 / 6.
    let villages = read_csv(&out.join("csv/village-detail.csv"));
    let v = |t: &str, name: &str| villages.iter().find(|r| r[0] == t && r[1] == name).unwrap().clone();
    assert_eq!(v("甲镇", "东村")[2..6], ["101", "51", "51", "2"]);
    assert_eq!(v("甲镇", "西村")[2..6], ["60", "30", "30", "0"]);
    assert_eq!(v("丙办", "北社区")[2..5], ["50", "10", "5"]);
    assert_eq!(v("丙办", "中社区")[2..5], ["31", "6", "3"]);
    // Ranking by completion: 甲 81/81 = 100%, 乙 30/37 = 81.08%, 丙 8/16 = 丁 15/30 = 50% (tied).
    let rank = read_csv(&out.join("csv/participation-ranking.csv"));
    assert_eq!(rank[1], ["1", "甲镇", "161", "81", "81", "2", "50.31%", "100.00%", "前三位"]);
    assert_eq!(rank[2], ["2", "乙镇", "75", "37", "30", "1", "40.00%", "81.08%", "未完成任务"]);
    // bottom_n = 1, but 丙 and 丁 tie at the cut: both are flagged.
    assert_eq!(rank[3], ["3", "丙办", "81", "16", "8", "0", "9.88%", "50.00%", "后三位：纳入不良记录管理；未完成任务"]);
    assert_eq!(
        rank[4],
        ["3", "丁镇", "60", "30", "15", "0", "25.00%", "50.00%", "后三位：纳入不良记录管理；未完成任务"]
    );
    assert_eq!(rank[5], ["合计", "", "377", "164", "134", "3", "35.54%", "81.71%", "全区目标50%：未达到"]);
    // The four rows set aside, with file, row, column and reason.
    let q = read_csv(&out.join("csv/data-quality.csv"));
    assert_eq!(q.len(), 1 + 4, "{q:?}");
    assert_eq!(
        q[1][..5],
        [
            "参保名册",
            "input/mini-2015/rosters/01-甲镇.csv",
            "86",
            "身份证号",
            "重复：与本文件第2行的身份证号相同，不重复计数"
        ]
    );
    assert_eq!(q[2][2..5], ["87", "身份证号", "身份证号校验码错误（按 GB 11643 应为4）"]);
    assert_eq!(q[2][5], "610902********0011");
    assert_eq!(q[3][2..5], ["88", "村", "甲镇没有名为“东材”的村，人口数据中无此村，是否为“东村”？"]);
    assert_eq!(
        q[4][1..5],
        [
            "input/mini-2015/rosters/04-丁镇.csv",
            "17",
            "身份证号",
            "重复：与01-甲镇.csv第54行的身份证号相同，不重复计数"
        ]
    );
}

/// The quota measure's rounding rule (default largest-remainder).
fn set_rounding(input: &Path, rounding: &str) {
    let p = input.join("mini-2015/programme.toml");
    let t = std::fs::read_to_string(&p).unwrap();
    let t =
        t.replacen("rate = \"50%\", overrides", &format!("rate = \"50%\", rounding = \"{rounding}\", overrides"), 1);
    std::fs::write(p, t).unwrap();
}

#[test]
fn mini_quotas_under_each_rounding_rule() {
    // Exact: 甲 80.5, 乙 37.5, 丙 16.2, 丁 30 — each town rounded on its own, then summed.
    let cases = [
        ("half-up", ["81", "38", "16", "30", "165"]),
        ("floor", ["80", "37", "16", "30", "163"]),
        ("ceil", ["81", "38", "17", "30", "166"]),
    ];
    for (rounding, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        let input = mini(dir.path());
        set_rounding(&input, rounding);
        let out = dir.path().join("out");
        must_succeed(&["run", "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap()], dir.path());
        let rows = read_csv(&out.join("mini-2015/csv/quota-table.csv"));
        let got: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
        assert_eq!(got, want, "{rounding}");
    }
}

#[test]
fn existing_output_is_kept_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_mini(dir.path());
    let before = std::fs::read(out.join("quota-table.pdf")).unwrap();
    let input = dir.path().join("input");
    let msg = must_fail(
        &["run", "--input", input.to_str().unwrap(), "--output", dir.path().join("out").to_str().unwrap()],
        dir.path(),
        1,
    );
    assert!(msg.contains("已有完成的输出") && msg.contains("--force"), "{msg}");
    set_rounding(&input, "ceil");
    must_succeed(
        &["run", "--force", "--input", input.to_str().unwrap(), "--output", dir.path().join("out").to_str().unwrap()],
        dir.path(),
    );
    assert_ne!(before, std::fs::read(out.join("quota-table.pdf")).unwrap());
    let leftovers: Vec<_> =
        std::fs::read_dir(dir.path().join("out")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("mini-2015")], "no staging folders left");
}

#[test]
fn markup_in_names_prints_literally() {
    let dir = tempfile::tempdir().unwrap();
    let input = mini(dir.path());
    for f in ["population.csv", "rosters/04-丁镇.csv"] {
        let p = input.join("mini-2015").join(f);
        let t = std::fs::read_to_string(&p).unwrap().replace("上村", "#panic(\"x\")").replace("下村", "*粗体*");
        std::fs::write(p, t).unwrap();
    }
    let out = dir.path().join("out");
    must_succeed(&["run", "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap()], dir.path());
    let pdf = pdftotext(&out.join("mini-2015/village-detail/04-丁镇.pdf"));
    assert!(pdf.contains("#panic(\"x\")") && pdf.contains("*粗体*"), "{pdf}");
}

#[test]
fn a_character_no_font_has_is_an_error_naming_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let input = mini(dir.path());
    for f in ["population.csv", "rosters/04-丁镇.csv"] {
        let p = input.join("mini-2015").join(f);
        let t = std::fs::read_to_string(&p).unwrap().replace("上村", "𠀋上村"); // CJK Extension B: not in Fandol
        std::fs::write(p, t).unwrap();
    }
    let out = dir.path().join("out");
    let msg = must_fail(&["run", "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap()], dir.path(), 1);
    assert!(msg.contains("U+2000B") && msg.contains("𠀋上村"), "{msg}");
    assert!(!out.join("mini-2015").exists(), "nothing written");
}

// ---------------------------------------------------------------- bad input

/// Apply `edit` to a fresh mini programme; the run must fail with `expected` and write nothing.
fn bad_input(edit: impl Fn(&Path), expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let input = mini(dir.path());
    edit(&input.join("mini-2015"));
    let out = dir.path().join("out");
    let msg = must_fail(&["run", "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap()], dir.path(), 1);
    for e in expected {
        assert!(msg.contains(e), "expected “{e}” in:\n{msg}");
    }
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(), "nothing written for bad input");
    let check = must_fail(&["check", "--input", input.to_str().unwrap()], dir.path(), 1);
    assert!(check.contains(expected[0]), "check reports it too:\n{check}");
}

fn edit_file(path: &Path, from: &str, to: &str) {
    let t = std::fs::read_to_string(path).unwrap();
    assert!(t.contains(from), "{from} in {}", path.display());
    std::fs::write(path, t.replacen(from, to, 1)).unwrap();
}

#[test]
fn bad_missing_and_misspelt_columns() {
    bad_input(
        |p| edit_file(&p.join("rosters/04-丁镇.csv"), "身份证号,", "身分证号,"),
        &[
            "input/mini-2015/rosters/04-丁镇.csv 第1行 “身分证号”列：缺少“身份证号”列",
            "列名“身分证号”是否应为“身份证号”",
        ],
    );
    bad_input(
        |p| edit_file(&p.join("population.csv"), ",农村户籍人口", ",备注"),
        &["input/mini-2015/population.csv 第1行", "缺少“农村户籍人口”列"],
    );
}

#[test]
fn bad_encoding_and_empty_files() {
    bad_input(
        |p| std::fs::write(p.join("rosters/04-丁镇.csv"), b"\x80\x80\x80,\xff\r\n").unwrap(),
        &["04-丁镇.csv：无法识别文件编码", "CSV UTF-8"],
    );
    bad_input(|p| std::fs::write(p.join("rosters/04-丁镇.csv"), b"").unwrap(), &["04-丁镇.csv：文件是空的"]);
    bad_input(
        |p| std::fs::write(p.join("rosters/04-丁镇.csv"), "身份证号,姓名,镇,村,保费,缴费日期\n").unwrap(),
        &["04-丁镇.csv：文件只有表头"],
    );
}

#[test]
fn bad_population_numbers_and_duplicates() {
    bad_input(
        |p| {
            edit_file(&p.join("population.csv"), "乙镇,南村,90,75", "乙镇,南村,九十,-75");
            edit_file(&p.join("population.csv"), "丁镇,下村,25,20", "丁镇,下村,25,20\n丁镇,下村,25,20");
        },
        &[
            "population.csv 第4行 “户籍总人口”列：不是数字（“九十”）",
            "population.csv 第4行 “农村户籍人口”列：不能是负数（-75）",
            "population.csv 第9行：“丁镇 下村”已在input/mini-2015/population.csv第8行填写",
        ],
    );
}

#[test]
fn bad_unknown_towns_suggest_the_nearest() {
    bad_input(
        |p| edit_file(&p.join("rosters/04-丁镇.csv"), "孙0,丁镇,上村", "孙0,丁填,上村"),
        &["04-丁镇.csv 第2行 “村”列：“丁填 上村”不是人口数据中的单位", "是否应为“丁镇 上村”？"],
    );
    bad_input(
        |p| edit_file(&p.join("programme.toml"), "overrides = { \"丙办\" = { rate", "overrides = { \"丙镇\" = { rate"),
        &["[measures] quota：overrides 中的“丙镇”不是 town 级的单位"],
    );
}

#[test]
fn bad_config_rate_and_unknown_key() {
    bad_input(
        |p| edit_file(&p.join("programme.toml"), "rate = \"50%\", overrides", "rate = \"150%\", overrides"),
        &["programme.toml 第", "比例“150%”超出0–100%"],
    );
    // A misspelt key is named at its line, with the keys that section takes.
    bad_input(
        |p| edit_file(&p.join("programme.toml"), "keep_first = ", "keep_frist = "),
        &["programme.toml 第54行：未知的配置项“keep_frist”（这里可写：file、unit、level", "keep_first"],
    );
}

#[test]
fn check_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let input = mini(dir.path());
    let ok = must_succeed(&["check", "--input", input.to_str().unwrap()], dir.path());
    assert!(
        ok.contains("input/mini-2015: 11 个单位；2 个数据集共 144 行（另剔除 4 行），16 个度量；基数人口合计 377，任务数合计 164，按时参保 134 人"),
        "{ok}"
    );
    let strict = must_fail(&["check", "--strict", "--input", input.to_str().unwrap()], dir.path(), 1);
    assert!(strict.contains("610902********0011"), "{strict}");
    must_fail(&["check", "--input", "no/such/folder"], dir.path(), 2);
    must_fail(&["run", "--no-such-flag"], dir.path(), 2);
}

#[test]
fn font_dir_must_hold_real_fonts() {
    let dir = tempfile::tempdir().unwrap();
    let input = mini(dir.path());
    let fonts = dir.path().join("fonts");
    std::fs::create_dir_all(&fonts).unwrap();
    std::fs::write(fonts.join("仿宋_GB2312.ttf"), b"not a font").unwrap();
    let out = dir.path().join("out");
    let msg = must_fail(
        &[
            "run",
            "--font-dir",
            fonts.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ],
        dir.path(),
        1,
    );
    assert!(msg.contains("仿宋_GB2312.ttf") && msg.contains("不是可用的字体文件"), "{msg}");
    assert!(!out.exists());
    // check judges the fonts and threads as run uses them: the same refusal, and --jobs.
    let said =
        must_fail(&["check", "--font-dir", fonts.to_str().unwrap(), "--input", input.to_str().unwrap()], dir.path(), 1);
    assert!(said.contains("仿宋_GB2312.ttf") && said.contains("不是可用的字体文件"), "{said}");
    let said = must_fail(&["check", "--font-dir", "no-such-folder", "--input", input.to_str().unwrap()], dir.path(), 2);
    assert!(said.contains("--font-dir no-such-folder 不是目录"), "{said}");
    let said = must_fail(&["check", "--jobs", "0", "--input", input.to_str().unwrap()], dir.path(), 2);
    assert!(said.contains("--jobs 应是 1 或更大的整数"), "{said}");
    // A real font folder is accepted (here: a copy of a bundled font).
    std::fs::remove_file(fonts.join("仿宋_GB2312.ttf")).unwrap();
    std::fs::copy(repo().join("report-templates/fonts/FandolKai-Regular.otf"), fonts.join("kai.otf")).unwrap();
    must_succeed(
        &[
            "run",
            "--font-dir",
            fonts.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
}

#[test]
fn generator_rebuilds_the_bundled_sample_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sample");
    let said = must_succeed(&["generate", "--out", out.to_str().unwrap()], dir.path());
    assert!(said.contains("34 个名册文件") && said.contains("507 个村"), "{said}");
    let ours = all_files(&out);
    let bundled: Vec<PathBuf> = all_files(&repo().join("input/hanbin-2015-micro"))
        .into_iter()
        .filter(|p| !p.ends_with("programme.toml"))
        .collect();
    assert_eq!(ours.len(), bundled.len());
    for (a, b) in ours.iter().zip(&bundled) {
        assert_eq!(a.file_name(), b.file_name());
        assert!(std::fs::read(a).unwrap() == std::fs::read(b).unwrap(), "{} differs from the generator's", b.display());
    }
    // Formats the issue asks for: GBK CSV, UTF-8 CSV, xlsx and Parquet.
    let names: Vec<String> = ours.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert!(names.iter().any(|n| n.ends_with(".xlsx")) && names.iter().any(|n| n.ends_with(".parquet")));
    let gbk = std::fs::read(out.join("rosters/19-田坝镇.csv")).unwrap();
    assert!(std::str::from_utf8(&gbk).is_err(), "19-田坝镇.csv is GBK, not UTF-8");
}

#[test]
fn results_xlsx_holds_numbers_as_numbers() {
    use calamine::{Data, Reader};
    let mut book = calamine::open_workbook_auto(sample().join("results.xlsx")).unwrap();
    assert_eq!(book.sheet_names(), ["任务分解表", "参保排名", "村级明细", "剔除的行", "数据汇总"]);
    let quota = book.worksheet_range("任务分解表").unwrap();
    assert_eq!(quota.get_value((1, 0)), Some(&Data::String("老城办".into())));
    assert_eq!(quota.get_value((1, 2)), Some(&Data::Float(8024.0)));
    assert_eq!(quota.get_value((35, 1)), Some(&Data::Float(838794.0)));
    assert_eq!(quota.get_value((35, 2)), Some(&Data::Float(407361.0)));
    let rank = book.worksheet_range("参保排名").unwrap();
    assert!(matches!(rank.get_value((1, 7)), Some(Data::Float(f)) if *f > 1.0), "完成率 is a fraction with a % format");
}

#[test]
fn a_town_without_any_roster_is_an_error_unless_the_config_says_so() {
    // Without the check, 丁镇 would be ranked last at 0% and put on the bad-record list.
    bad_input(
        |p| std::fs::remove_file(p.join("rosters/04-丁镇.csv")).unwrap(),
        &["input/mini-2015/rosters：没有“丁镇”的参保名册数据（一行也没有）", "may_lack = [\"丁镇\"]"],
    );
    let dir = tempfile::tempdir().unwrap();
    let input = mini(dir.path());
    std::fs::remove_file(input.join("mini-2015/rosters/04-丁镇.csv")).unwrap();
    edit_file(
        &input.join("mini-2015/programme.toml"),
        "every_unit = \"town\"",
        "every_unit = \"town\"\nmay_lack = [\"丁镇\"]",
    );
    let out = dir.path().join("out");
    must_succeed(&["run", "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap()], dir.path());
    let rank = read_csv(&out.join("mini-2015/csv/participation-ranking.csv"));
    assert_eq!(row(&rank, "丁镇")[4], "0");
}

#[test]
fn an_id_column_excel_turned_into_numbers_refuses_the_file() {
    bad_input(
        |p| {
            let path = p.join("rosters/04-丁镇.csv");
            let t = std::fs::read_to_string(&path).unwrap();
            let t: String = t.lines().enumerate().map(|(i, l)| if i == 0 { format!("{l}\n") } else { format!("6.10902E+17{}\n", &l[18..]) }).collect();
            std::fs::write(path, t).unwrap();
        },
        &["04-丁镇.csv 第2行 “身份证号”列：16行中有16行因这一列不合格而要剔除（16行为：身份证号被表格软件存成了数字，末几位已丢失），如第2行“6.10902E+17”", "设为“文本”格式"],
    );
}

#[test]
fn total_rows_and_blank_towns_are_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let input = mini(dir.path());
    let path = input.join("mini-2015/rosters/04-丁镇.csv");
    let mut t = std::fs::read_to_string(&path).unwrap();
    t += &format!("{},无镇,,上村,20,20151215\n合计,,,,340,\n", id(999));
    std::fs::write(&path, t).unwrap();
    let out = dir.path().join("out");
    must_succeed(&["run", "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap()], dir.path());
    let q = read_csv(&out.join("mini-2015/csv/data-quality.csv"));
    let tail: Vec<&[String]> = q.iter().filter(|r| r[1].ends_with("04-丁镇.csv")).map(|r| &r[2..5]).collect();
    assert_eq!(tail[1], ["18", "镇", "为空"]);
    assert_eq!(tail[2], ["19", "身份证号", "合计行，不计入"]);
}

#[test]
fn excel_unicode_text_export_is_read() {
    // Excel's "Unicode 文本": UTF-16 LE with BOM, tab-separated.
    let dir = tempfile::tempdir().unwrap();
    let input = mini(dir.path());
    let csv = input.join("mini-2015/rosters/04-丁镇.csv");
    let text = std::fs::read_to_string(&csv).unwrap().replace(',', "\t");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    std::fs::remove_file(&csv).unwrap();
    std::fs::write(input.join("mini-2015/rosters/04-丁镇.txt"), bytes).unwrap();
    let out = dir.path().join("out");
    must_succeed(&["run", "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap()], dir.path());
    let rank = read_csv(&out.join("mini-2015/csv/participation-ranking.csv"));
    assert_eq!(row(&rank, "丁镇")[4], "15");
}

#[test]
fn an_output_path_that_is_a_file_is_named_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let input = mini(dir.path());
    let file = dir.path().join("afile");
    std::fs::write(&file, "x").unwrap();
    let msg =
        must_fail(&["run", "--input", input.to_str().unwrap(), "--output", file.to_str().unwrap()], dir.path(), 1);
    assert!(msg.contains("afile：路径中有一项是文件而不是目录") && !msg.contains("os error"), "{msg}");
    // Every bundled programme, written side by side: the first failure is said once, and
    // nothing is left beside the file.
    let all = repo().join("input");
    let msg = must_fail(&["run", "--input", all.to_str().unwrap(), "--output", file.to_str().unwrap()], dir.path(), 1);
    assert_eq!(msg.matches("路径中有一项是文件而不是目录").count(), 1, "{msg}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().contains("partial")), "{left:?}");
}

#[test]
fn rubric_forms_carry_every_item_of_both_annexes() {
    let dir = sample().parent().unwrap().join("nantong-2012-agri");
    for (file, label, items) in [("rubric-form-county.pdf", "附件1", 23), ("rubric-form-insurer.pdf", "附件2", 15)]
    {
        let pdf = dir.join(file);
        let text = pdftotext(&pdf);
        assert!(text.contains(label) && text.contains("负责考核部门"), "{file}");
        // 附件2 prints the line the insurer fills in (its rubric's form_line); 附件1 has none.
        assert_eq!(text.contains("被考核单位："), label == "附件2", "{file}");
        // Each item's indicator begins a cell line; its first six characters stand intact.
        let rubric = std::fs::read_to_string(repo().join("input/nantong-2012-agri/rubrics").join(if items == 23 {
            "county.toml"
        } else {
            "insurer.toml"
        }))
        .unwrap();
        let starts: Vec<String> = rubric
            .lines()
            .filter_map(|l| l.strip_prefix("indicator = \""))
            .map(|l| l.chars().take(6).collect())
            .collect();
        assert_eq!(starts.len(), items);
        for s in &starts {
            assert!(text.contains(s.as_str()), "{file} lacks the item starting “{s}”");
        }
        let info = Command::new(tool("pdfinfo")).arg(&pdf).output().unwrap();
        assert!(String::from_utf8_lossy(&info.stdout).contains("841.89 x 595.276 pts (A4)"), "{file} is landscape A4");
        let check = Command::new("python3").arg(repo().join("tests/gbt9704_check.py")).arg(&pdf).output().unwrap();
        assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let forms = manifest["outputs"].as_array().unwrap().iter().filter(|o| o["kind"] == "rubric-form").count();
    assert_eq!(forms, 2);
}

#[test]
fn sample_ranking_flags_the_bottom_three_and_adds_up() {
    let rank = read_csv(&sample().join("csv/participation-ranking.csv"));
    let body = &rank[1..rank.len() - 1];
    assert_eq!(body.len(), 34);
    let flagged: Vec<&str> = body.iter().filter(|r| r[8].contains("纳入不良记录管理")).map(|r| r[1].as_str()).collect();
    // The generator makes 共进镇, 流水镇 and 双溪镇 clearly low (55–70% of quota).
    let mut sorted = flagged.clone();
    sorted.sort();
    assert_eq!(sorted, ["共进镇", "双溪镇", "流水镇"], "{flagged:?}");
    assert!(body[31..].iter().all(|r| r[8].contains("纳入不良记录管理")), "the last three rows are the flagged ones");
    // The 合计 row is the sum of the rows.
    let total = rank.last().unwrap();
    for col in [2, 3, 4, 5] {
        let sum: u64 = body.iter().map(|r| r[col].parse::<u64>().unwrap()).sum();
        assert_eq!(total[col], sum.to_string(), "column {}", rank[0][col]);
    }
    assert_eq!(total[2], "838794");
    assert_eq!(total[3], "407361");
}

#[test]
fn province_workload_is_deterministic_and_runs() {
    // A small province (3 counties × 15 towns × 10 villages, 3,000 rows each): same seed,
    // same bytes; every county a programme folder kaohe runs as it is.
    let dir = tempfile::tempdir().unwrap();
    let gen = |name: &str, seed: &str| {
        let out = dir.path().join(name);
        let said = must_succeed(
            &[
                "generate",
                "--workload",
                "province",
                "--counties",
                "3",
                "--rows-per-county",
                "3000",
                "--seed",
                seed,
                "--out",
                out.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert!(said.contains("3 个县，45 个名册文件"), "{said}");
        out
    };
    let (a, b, c) = (gen("a", "7"), gen("b", "7"), gen("c", "8"));
    let (fa, fb) = (all_files(&a), all_files(&b));
    assert_eq!(fa.len(), 3 * (2 + 15));
    for (x, y) in fa.iter().zip(&fb) {
        assert!(std::fs::read(x).unwrap() == std::fs::read(y).unwrap(), "{} differs between runs", x.display());
    }
    let pop = |d: &Path| std::fs::read(d.join("county-001/population.csv")).unwrap();
    assert_ne!(pop(&a), pop(&c), "another seed gives other data");
    // GBK, UTF-8 and Parquet rosters, by county.
    assert!(std::str::from_utf8(&std::fs::read(a.join("county-001/rosters/01-东城镇.csv")).unwrap()).is_err());
    assert!(a.join("county-002/rosters/01-东城镇.parquet").is_file());
    let out = dir.path().join("out");
    let said = must_succeed(
        &["run", "--timings", "--input", a.to_str().unwrap(), "--output", out.to_str().unwrap()],
        dir.path(),
    );
    for stage in ["timing ingest+validate", "timing rendering", "timing total"] {
        assert!(said.contains(stage), "{said}");
    }
    // 18 PDFs per county: quota table, ranking, data quality and one detail per town.
    let pdfs = all_files(&out).iter().filter(|p| p.extension().is_some_and(|e| e == "pdf")).count();
    assert_eq!(pdfs, 3 * 18);
    // The dirt is reported: each town has at least one short ID and one unknown village.
    let dq = read_csv(&out.join("county-001/csv/data-quality.csv"));
    assert!(dq.iter().filter(|r| r.iter().any(|c| c.contains("外来村"))).count() >= 15);
}

#[test]
fn streaming_engine_gives_the_same_numbers_as_in_memory() {
    // The district sample aggregated by polars' streaming engine (KAOHE_ENGINE=streaming)
    // and by the in-memory engine: every table and every PDF byte for byte the same.
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, engine: &str| {
        let out = dir.path().join(name);
        let o = Command::new(env!("CARGO_BIN_EXE_kaohe"))
            .args(["run", "--input", "input/hanbin-2015-micro", "--output", out.to_str().unwrap()])
            .env("KAOHE_ENGINE", engine)
            .current_dir(repo())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        assert!(text(&o).contains("按时参保 384632 人"), "{}", text(&o));
        out.join("hanbin-2015-micro")
    };
    let (a, b) = (run("in-memory", "in-memory"), run("streaming", "streaming"));
    let (fa, fb) = (all_files(&a), all_files(&b));
    assert_eq!(fa.len(), fb.len());
    for (x, y) in fa.iter().zip(&fb) {
        assert!(std::fs::read(x).unwrap() == std::fs::read(y).unwrap(), "{} differs", x.display());
    }
}

/// The quota workflow's results are measures: a rubric scores the towns on their task
/// completion and late premiums, and its ranking and score sheets are published like any
/// assessment's.
#[test]
fn a_rubric_scores_the_towns_on_their_quota_results() {
    let dir = tempfile::tempdir().unwrap();
    let (prog, toml) = crate::common::bundled_copy(dir.path(), "hanbin-2015-micro");
    std::fs::create_dir_all(prog.join("rubrics")).unwrap();
    std::fs::write(
        prog.join("rubrics/towns.toml"),
        crate::common::town_rubric(
            "2015年度小额人身保险工作考核评分表",
            80,
            "indicator = \"按时归集保费\"\nbase = 20\nmethod = \"逾期缴费每人扣0.01分\"\nrule = { kind = \"per-incident\", counts = [{ metric = \"late\", points = 0.01, each = true, reason = \"逾期缴费\" }] }",
        ),
    )
    .unwrap();
    let text_before = std::fs::read_to_string(&toml).unwrap();
    let declared = format!(
        "rubrics = [\"rubrics/towns.toml\"]\n{}\n[[table]]\nview = \"metrics-town\"\n[[table]]\nview = \"county-ranking-towns\"\n[[pdf]]\nview = \"score-sheet-towns\"\ntemplate = \"score-sheet\"\nfile = \"score-sheet/{{n}}-{{unit}}.pdf\"\n",
        text_before
    );
    std::fs::write(&toml, declared).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let out = dir.path().join("out/hanbin-2015-micro");
    let metrics = read_csv(&out.join("csv/metrics-town.csv"));
    // The towns' sheet: every town-level measure of programme.toml, in its order (the
    // village column, empty, as every level's sheet has the widest level's key columns).
    assert_eq!(
        metrics[0],
        [
            "镇办",
            "村",
            "农村户籍人口",
            "户籍总人口",
            "任务数",
            "按时参保",
            "逾期缴费",
            "参保率",
            "任务完成率",
            "排名",
            "剔除名册行数"
        ]
    );
    let row = |name: &str| metrics.iter().find(|r| r[0] == name).unwrap().clone();
    // As the published ranking says (tests/golden): 老城办 40120 / 8024 / 7598 / 212, 17th.
    // Set aside: the 22 rows of 01-老城办.xlsx that roster-files.csv lists as 剔除
    // (7832 read, 7810 counted).
    assert_eq!(row("老城办")[3..], ["40120", "8024", "7598", "212", "18.94", "94.69", "17", "22"]);
    // 老城办: 80 − 2 × (100 − 94.69) = 69.38; 20 − 212 × 0.01 = 17.88; 87.26.
    // 早阳镇: completion 107.5% loses nothing; 20 − 268 × 0.01 = 17.32; 97.32.
    let ranking = read_csv(&out.join("csv/county-ranking-towns.csv"));
    let total = |name: &str| {
        let c = ranking[0].iter().position(|h| h == "总分").unwrap();
        ranking.iter().find(|r| r.contains(&name.to_string())).unwrap()[c].clone()
    };
    assert_eq!((total("老城办"), total("早阳镇")), ("87.26".to_string(), "97.32".to_string()));
    assert_eq!(all_files(&out.join("score-sheet")).len(), 34);
    // The rubric's file is in the manifest.
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("input/hanbin-2015-micro/rubrics/towns.toml"), "{manifest}");
    // A rubric reading a result that is not a measure is named with the measures there are.
    let rubric = std::fs::read_to_string(prog.join("rubrics/towns.toml")).unwrap();
    std::fs::write(prog.join("rubrics/towns.toml"), rubric.replace("metric = \"late\"", "metric = \"lateness\""))
        .unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out2"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("“lateness”"), "{}", text(&o));
}

/// A header spelling kaohe does not know is refused, and the office declares it in
/// programme.toml — the column's `aliases` — instead of waiting for a new version.
#[test]
fn an_offices_own_header_spellings_are_declared_in_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let prog = mini(dir.path()).join("mini-2015");
    edit_file(&prog.join("rosters/04-丁镇.csv"), "身份证号,", "证件号,");
    edit_file(&prog.join("population.csv"), ",农村户籍人口", ",乡村人口");
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("population.csv 第1行 “乡村人口”列：缺少“农村户籍人口”列"), "{}", text(&o));
    assert!(
        text(&o).contains(
            "在 programme.toml 的 [datasets.population.columns] 中给“农村户籍人口”加上 aliases = [\"本办的列名\"]"
        ),
        "{}",
        text(&o)
    );
    let toml = prog.join("programme.toml");
    let t = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, t.replacen("\"户籍总人口（农村）\",", "\"户籍总人口（农村）\", \"乡村人口\",", 1)).unwrap();
    // The population is read now; the roster's ID column is still unknown.
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("04-丁镇.csv 第1行：缺少“身份证号”列"), "{}", text(&o));
    assert!(text(&o).contains("文件中的列：证件号、姓名"), "{}", text(&o));
    assert!(text(&o).contains("[datasets.rosters.columns] 中给“身份证号”加上 aliases"), "{}", text(&o));
    let t = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, t.replacen("\"证件号码\",", "\"证件号码\", \"证件号\",", 1)).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    // The numbers are the mini programme's: 丁 60 rural → 30, 15 insured on time.
    let rank = read_csv(&dir.path().join("out/mini-2015/csv/participation-ranking.csv"));
    assert_eq!(
        rank[4],
        ["3", "丁镇", "60", "30", "15", "0", "25.00%", "50.00%", "后三位：纳入不良记录管理；未完成任务"]
    );
}

/// The workflow's wording follows the programme, not 汉滨: its units are called 乡镇, a
/// county's 合计 says 全县, a quota based on 户籍总人口 is headed so, a ranking by 参保率
/// charts 参保率, and the village sheets' 注 is the office's own.
/// Every word of the annexes is in the programme file: a county office renames the
/// columns, ranks by participation instead of completion, and rewrites a note with the
/// placeholders of a town's own figures.
#[test]
fn a_views_wording_and_ranking_follow_the_programme() {
    let dir = tempfile::tempdir().unwrap();
    let input = mini(dir.path());
    let toml = input.join("mini-2015/programme.toml");
    let t = std::fs::read_to_string(&toml).unwrap();
    let t = t
        .replace("region = \"示例区\"", "region = \"示例县\"")
        .replace("{ header = \"镇办及村名\", key = \"镇办\" }", "{ header = \"乡镇及村名\", key = \"镇办\" }")
        .replace(
            "place = { rank = \"completion\", label = \"排名\" }",
            "place = { rank = \"participation\", label = \"排名\" }",
        )
        .replace("{ header = \"镇办\", key = \"镇办\", width = 8 }", "{ header = \"乡镇\", key = \"镇办\", width = 8 }")
        .replace("missed = \"全区目标50%：未达到\"", "missed = \"全县目标50%：未达到\"")
        .replace(
            "note = \"注：基数人口为{quota.base_label}；",
            "note = \"注：{quota.base_label}为基数，{unit}任务{quota}人、第{place}名；本表仅供核对。",
        );
    std::fs::write(&toml, t).unwrap();
    let out = dir.path().join("out");
    must_succeed(&["run", "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap()], dir.path());
    let out = out.join("mini-2015");
    let quota = read_csv(&out.join("csv/quota-table.csv"));
    assert_eq!(quota[0], ["乡镇及村名", "户籍总人口（农村）", "参保任务数(人)"]);
    // By participation: 甲 81/161 = 50.31%, 乙 30/75 = 40%, 丁 15/60 = 25%, 丙 8/81 = 9.88%.
    let rank = read_csv(&out.join("csv/participation-ranking.csv"));
    assert_eq!(rank[0][1], "乡镇");
    let order: Vec<&str> = rank[1..5].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(order, ["甲镇", "乙镇", "丁镇", "丙办"]);
    // The bottom one by participation is 丙办 alone now; 丁镇 is unfinished, not on record.
    assert_eq!(rank[4][8], "后三位：纳入不良记录管理；未完成任务");
    assert_eq!(rank[3][8], "未完成任务");
    assert_eq!(rank.last().unwrap().last().unwrap(), "全县目标50%：未达到");
    // The text as read back, without the line breaks layout put in.
    let read = |pdf: &str| pdftotext(&out.join(pdf)).split_whitespace().collect::<String>();
    assert!(read("quota-table.pdf").contains("示例县2015年度小额人身保险"), "{}", read("quota-table.pdf"));
    let village = read("village-detail/03-丙办.pdf");
    assert!(village.contains("注：户籍总人口为基数，丙办任务16人、第4名；本表仅供核对。"), "{village}");
}

/// Wording a clerk writes wrong is refused when the programme is read, never printed in
/// a table; a header that would be read as two fields is refused too.
#[test]
fn wording_and_spellings_that_would_print_wrong_are_refused() {
    let title = "title = \"{region}{year}年度{name}\\n工作目标任务分解表\"";
    bad_input(
        |p| edit_file(&p.join("programme.toml"), title, "title = \"{region}{year}年度{name}任务{gap}\""),
        &["[views.quota-table] title 中的占位符 {gap} 未知", "可用：region"],
    );
    bad_input(
        |p| edit_file(&p.join("programme.toml"), title, "title = \"{region}年度}\""),
        &["[views.quota-table] title 中的“}”没有配对的“{”"],
    );
    // A column that reads a measure nobody computes is named, with the nearest one.
    bad_input(
        |p| edit_file(&p.join("programme.toml"), "measure = \"late\", width = 4", "measure = \"lat\", width = 4"),
        &["[views.participation-ranking] 列“逾期缴费”的 measure “lat”不是 town 级的度量", "是否应为“late”？"],
    );
    // A TOML value of the wrong shape is said in words, kaohe's own message as it is.
    bad_input(
        |p| edit_file(&p.join("programme.toml"), "rate = \"50%\", overrides", "rate = \"150%\", overrides"),
        &["比例“150%”超出0–100%"],
    );
    bad_input(
        |p| edit_file(&p.join("programme.toml"), "aliases = [\"参保人姓名\"", "aliases = \"参保人姓名\", x = [\""),
        &["programme.toml 第"],
    );
    // Two declared columns one header could fill: which one is it?
    bad_input(
        |p| {
            edit_file(&p.join("population.csv"), "村,户籍总人口,", "村,备用,");
            edit_file(&p.join("programme.toml"), "aliases = [\"总人口\",", "aliases = [\"农村户籍人口\", \"总人口\",");
        },
        &["population.csv 第1行 “农村户籍人口”列"],
    );
}

/// An office's 2015 file, written for the participation workflow that is now declared
/// data, is not silently misread: `kaohe check` names each retired section at its line
/// and says what it becomes in the one model.
#[test]
fn a_2015_workflow_file_is_told_what_each_section_becomes() {
    let dir = tempfile::tempdir().unwrap();
    let input = mini(dir.path());
    let old = std::fs::read_to_string(repo().join("tests/fixtures/hanbin-2015-workflow/programme.toml")).unwrap();
    std::fs::write(input.join("mini-2015/programme.toml"), old).unwrap();
    let out = must_fail(&["check", "--input", input.to_str().unwrap()], dir.path(), 1);
    for (line, section) in [(23, "inputs"), (27, "quota"), (40, "enrollment"), (44, "ranking"), (52, "text")] {
        let said = format!("programme.toml 第{line}行：[{section}] 是2015年参保工作流程的写法，现在的 kaohe 不再读取");
        assert!(out.contains(&said), "{said}\n{out}");
    }
    assert!(out.contains("quota = { apportion = \"rural\", rate = \"50%\""), "{out}");
    assert!(out.contains("[assessment] dates = { \"缴费截止日\" = 2016-01-30 }"), "{out}");
    assert!(out.contains("完整的例子：input/hanbin-2015-micro/programme.toml"), "{out}");
    // Nothing else is said about the file until those sections are rewritten.
    assert_eq!(out.matches("programme.toml 第").count(), 5, "{out}");
}
