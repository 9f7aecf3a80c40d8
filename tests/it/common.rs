//! Helpers shared by the end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn kaohe(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kaohe")).args(args).current_dir(cwd).output().expect("kaohe runs")
}

pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The bundled input (every programme under `input/`), run once for every test that
/// reads its output; returns the output folder holding one subfolder per programme.
pub fn bundled() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = tempfile::tempdir().unwrap().keep().join("out");
        let run = kaohe(&["run", "--input", "input", "--output", out.to_str().unwrap()], &repo());
        assert!(run.status.success(), "the bundled input must run:\n{}", text(&run));
        out
    })
}

/// A CSV written by kaohe (UTF-8 with BOM) as rows of cells.
pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{}: CSV has a BOM", path.display());
    let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&bytes[3..]);
    r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect()
}

/// A PDF's text with all white space removed (lines wrap differently than the source).
pub fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext").arg(pdf).arg("-").output().expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success(), "pdftotext {}", pdf.display());
    String::from_utf8_lossy(&out.stdout).split_whitespace().collect()
}

/// A copy of a bundled programme folder under `dir/input/`, returned with its programme.toml.
pub fn bundled_copy(dir: &Path, programme: &str) -> (PathBuf, PathBuf) {
    let prog = dir.join("input").join(programme);
    copy_dir(&repo().join("input").join(programme), &prog);
    let toml = prog.join("programme.toml");
    (prog, toml)
}

/// A rubric scoring 汉滨's towns: item 1 takes 2 points per point of completion short of
/// 100% from `completion_base`; `second` is item 2 (its `[[item]]` lines), worth the rest of 100.
pub fn town_rubric(title: &str, completion_base: u32, second: &str) -> String {
    format!(
        r#"[rubric]
id = "towns"
assesses = "town"
label = "附件"
title = "{title}"
unit = "镇办"
total = 100
[[category]]
no = 1
name = "目标任务"
[[item]]
id = "1"
category = 1
indicator = "完成区下达的参保任务"
base = {completion_base}
method = "任务完成率每低于100%一个百分点扣2分"
rule = {{ kind = "shortfall", metrics = [{{ metric = "completion", label = "任务完成率" }}], target = 100, points = 2, step = 1 }}
[[item]]
id = "2"
category = 1
{second}
"#
    )
}
