//! Documents and tables are declared in programme.toml (`[[pdf]]`, `[[table]]`): an annex
//! is a template file plus a few lines of TOML; every declaration is checked before
//! anything is rendered; leaving them out publishes every view under its default name.

use std::path::Path;

use crate::common::{all_files, bundled, bundled_copy, copy_dir, kaohe, pdf_text, repo, text};

fn run(input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "--input", input.to_str().unwrap(), "--output", out.to_str().unwrap()];
    args.extend(extra);
    kaohe(&args, &repo())
}

fn append(file: &Path, text: &str) {
    let mut s = std::fs::read_to_string(file).unwrap();
    s.push_str(text);
    std::fs::write(file, s).unwrap();
}

/// README, "Documents": the worked example, word for word.
const RANKING_NOTICE_TOML: &str = r#"
[[pdf]]
view = "participation-ranking"
template = "ranking-notice"
file = "附件3-排名公示.pdf"
"#;

const RANKING_NOTICE_TYP: &str = r#"// 排名公示: the ranking table alone, under its own heading.
#import "lib.typ": *
#let data = json("/data.json")
#show: official.with(title: "排名公示")
#attachment-head("附件3", "{0}年度各镇办参保工作排名公示")
#report-table(data.table, body-size: size.wu)
#table-note(data.note)
"#;

#[test]
fn an_annex_is_a_template_file_and_a_few_lines_of_toml() {
    let dir = tempfile::tempdir().unwrap();
    let (_, toml) = bundled_copy(dir.path(), "hanbin-2015-micro");
    append(&toml, RANKING_NOTICE_TOML);
    let templates = dir.path().join("templates");
    copy_dir(&repo().join("report-templates"), &templates);
    std::fs::write(templates.join("ranking-notice.typ"), RANKING_NOTICE_TYP.replace("{0}", "2015")).unwrap();
    let out = dir.path().join("out");
    let o = run(&dir.path().join("input"), &out, &["--templates", templates.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("38 份 PDF"), "{}", text(&o));
    let pdf = out.join("hanbin-2015-micro/附件3-排名公示.pdf");
    let body = pdf_text(&pdf);
    for needle in ["附件3", "2015年度各镇办参保工作排名公示", "早阳镇", "107.50%", "纳入不良记录管理"]
    {
        assert!(body.contains(needle), "{needle} missing from the new annex: {body}");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("hanbin-2015-micro/manifest.json")).unwrap()).unwrap();
    let entry = manifest["outputs"].as_array().unwrap().iter().find(|o| o["path"] == "附件3-排名公示.pdf").unwrap();
    assert_eq!(entry["kind"], "ranking-notice");
}

#[test]
fn declarations_are_checked_before_anything_is_rendered() {
    let dir = tempfile::tempdir().unwrap();
    let (_, toml) = bundled_copy(dir.path(), "hanbin-2015-micro");
    append(
        &toml,
        r#"
[[pdf]]
view = "participation-rankng"

[[pdf]]
view = "quota-table"
template = "quota-tabel"
file = "quota-2.pdf"

[[pdf]]
view = "village-detail"
file = "all-villages.pdf"

[[pdf]]
view = "quota-table"
file = "../../quota.pdf"

[[table]]
view = "quota-table"
file = "quota-table"
"#,
    );
    let out = dir.path().join("out");
    let o = run(&dir.path().join("input"), &out, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let msg = text(&o);
    for needle in [
        "programme.toml：[[pdf]] 的 view = \"participation-rankng\" 不是本项目计算出的内容",
        "是否应为“participation-ranking”？",
        "[[pdf]] 的 template = \"quota-tabel\"：模板目录中没有 quota-tabel.typ",
        "[[pdf]] view = \"village-detail\" 每个单位一份，file 须含 {unit} 或 {n}",
        "输出文件 ../../quota.pdf 须是输出文件夹内的相对路径",
        "两个输出都写到 csv/quota-table.csv",
    ] {
        assert!(msg.contains(needle), "missing {needle:?} in:\n{msg}");
    }
    assert!(!out.exists() || all_files(&out).is_empty(), "a refused run wrote files");
    // `kaohe check` refuses the same declarations.
    let o = kaohe(&["check", "--input", dir.path().join("input").to_str().unwrap()], &repo());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("模板目录中没有 quota-tabel.typ"), "{}", text(&o));
}

#[test]
fn without_declarations_every_view_is_published_under_its_default_name() {
    let dir = tempfile::tempdir().unwrap();
    let (_, toml) = bundled_copy(dir.path(), "nantong-2012-agri");
    let declared = std::fs::read_to_string(&toml).unwrap();
    let cut = declared.find("# What this programme publishes").expect("the bundled file declares its outputs");
    std::fs::write(&toml, &declared[..cut]).unwrap();
    // Run from the copy's folder, so that paths quoted in tables read input/… as in the bundled run.
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let ours = dir.path().join("out/nantong-2012-agri");
    let bundled_out = bundled().join("nantong-2012-agri");
    let names = |d: &Path| -> Vec<String> {
        all_files(d).iter().map(|p| p.strip_prefix(d).unwrap().to_string_lossy().to_string()).collect()
    };
    assert_eq!(names(&ours), names(&bundled_out));
    for rel in names(&ours).iter().filter(|n| *n != "manifest.json") {
        let same = std::fs::read(ours.join(rel)).unwrap() == std::fs::read(bundled_out.join(rel)).unwrap();
        assert!(same, "{rel} differs from the bundled run's");
    }
}

/// Views and templates are named for what they are (`ranking-towns`, template `ranking`);
/// the names they had after 南通's levels (`county-ranking-towns`, `county-ranking`) still
/// work and publish the same bytes, and a table declared by its old name without `file`
/// keeps that name.
#[test]
fn the_former_view_and_template_names_are_still_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let (_, toml) = bundled_copy(dir.path(), "langao-2016-towns");
    let declared = std::fs::read_to_string(&toml).unwrap();
    assert!(declared.contains("view = \"ranking-towns\"") && declared.contains("template = \"ranking\""));
    let former = declared
        .replace(
            "[[table]]\nview = \"ranking-towns\"\nfile = \"ranking\"",
            "[[table]]\nview = \"county-ranking-towns\"",
        )
        .replace("view = \"ranking-towns\"", "view = \"county-ranking-towns\"")
        .replace("template = \"ranking\"", "template = \"county-ranking\"");
    std::fs::write(&toml, former).unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let ours = dir.path().join("out/langao-2016-towns");
    let bundled_out = bundled().join("langao-2016-towns");
    for rel in ["ranking.pdf", "score-sheet/03-滔河镇.pdf"] {
        let same = std::fs::read(ours.join(rel)).unwrap() == std::fs::read(bundled_out.join(rel)).unwrap();
        assert!(same, "{rel} differs from the bundled run's");
    }
    assert_eq!(
        std::fs::read(ours.join("csv/county-ranking-towns.csv")).unwrap(),
        std::fs::read(bundled_out.join("csv/ranking.csv")).unwrap()
    );
    assert!(!ours.join("csv/ranking.csv").exists());
    // The manifest names the document by the template as declared.
    let manifest = std::fs::read_to_string(ours.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"county-ranking\""), "{manifest}");
}

#[test]
fn one_table_declared_twice_gets_two_sheets_not_a_writer_error() {
    // Two CSV files of one view: results.xlsx names the second sheet 考核指标（2）; it used
    // to stop the run with rust_xlsxwriter's English "Worksheet name … already used".
    let dir = tempfile::tempdir().unwrap();
    let (_, toml) = bundled_copy(dir.path(), "langao-2016-towns");
    let text_before = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, text_before + "\n[[table]]\nview = \"metrics\"\nfile = \"metrics-again\"\n").unwrap();
    let o = kaohe(&["run", "--input", "input", "--output", "out"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let out = dir.path().join("out/langao-2016-towns");
    assert_eq!(
        std::fs::read(out.join("csv/metrics.csv")).unwrap(),
        std::fs::read(out.join("csv/metrics-again.csv")).unwrap()
    );
    use calamine::Reader;
    let book: calamine::Xlsx<_> = calamine::open_workbook(out.join("results.xlsx")).unwrap();
    let names = book.sheet_names();
    assert!(names.iter().any(|n| n == "考核指标") && names.iter().any(|n| n == "考核指标（2）"), "{names:?}");
}
