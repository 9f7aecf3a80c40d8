//! Every published table cell of both bundled programmes, compared with the values the
//! two hard-wired pipelines produced before the one-engine redesign (issue 9).
//!
//! `tests/golden/<programme>/` holds the `csv/` folder of a `kaohe run --input input`
//! made with commit 282daf3. A refactor must leave every cell as it is; a deliberate
//! change of a published number is made by replacing the golden file in the same commit,
//! with the reason in the commit message.

use std::path::Path;

use crate::common::{bundled, read_csv, repo};

/// The first cell that differs, said as a clerk would look for it.
fn first_difference(name: &str, golden: &[Vec<String>], now: &[Vec<String>]) -> Option<String> {
    let header = golden.first().cloned().unwrap_or_default();
    for (i, (g, n)) in golden.iter().zip(now).enumerate() {
        for c in 0..g.len().max(n.len()) {
            let (gv, nv) = (g.get(c).map_or("（无）", String::as_str), n.get(c).map_or("（无）", String::as_str));
            if gv != nv {
                let column = header.get(c).map_or(format!("第{}列", c + 1), Clone::clone);
                let unit = g.first().map_or("", String::as_str);
                return Some(format!("{name} 第{}行（{unit}）“{column}”：原为 {gv:?}，现为 {nv:?}", i + 1));
            }
        }
    }
    (golden.len() != now.len()).then(|| format!("{name}：原有 {} 行，现有 {} 行", golden.len(), now.len()))
}

fn compare_programme(programme: &str) {
    let golden_dir = repo().join("tests/golden").join(programme);
    let out_dir = bundled().join(programme).join("csv");
    let mut files: Vec<_> = std::fs::read_dir(&golden_dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 5, "golden tables of {programme} are missing");
    let mut cells = 0;
    let mut problems = Vec::new();
    for golden_file in files {
        let name = golden_file.file_name().unwrap().to_string_lossy().to_string();
        let now_file = out_dir.join(&name);
        if !Path::new(&now_file).exists() {
            problems.push(format!("{programme}/{name}：本次运行没有输出这张表"));
            continue;
        }
        let (golden, now) = (read_csv(&golden_file), read_csv(&now_file));
        cells += golden.iter().map(Vec::len).sum::<usize>();
        problems.extend(first_difference(&format!("{programme}/{name}"), &golden, &now));
    }
    assert!(problems.is_empty(), "published tables changed:\n{}", problems.join("\n"));
    assert!(cells > 1000, "{programme}: only {cells} cells compared");
}

#[test]
fn micro_insurance_tables_match_the_golden_capture_cell_for_cell() {
    compare_programme("hanbin-2015-micro");
}

#[test]
fn agri_assessment_tables_match_the_golden_capture_cell_for_cell() {
    compare_programme("nantong-2012-agri");
}

#[test]
fn a_changed_cell_is_named_by_file_row_unit_and_column() {
    let golden = vec![vec!["镇办".to_string(), "任务数".to_string()], vec!["老城办".to_string(), "8024".to_string()]];
    let mut now = golden.clone();
    now[1][1] = "8025".into();
    assert_eq!(
        first_difference("quota-table.csv", &golden, &now).unwrap(),
        "quota-table.csv 第2行（老城办）“任务数”：原为 \"8024\"，现为 \"8025\""
    );
    assert_eq!(first_difference("quota-table.csv", &golden, &golden), None);
    assert_eq!(first_difference("q.csv", &golden, &golden[..1]).unwrap(), "q.csv：原有 2 行，现有 1 行");
}
