//! The settings an office changes every year — the issuer and date, deadlines, rates,
//! bottom-N and top-N, the titles, subtitles and notes of the annexes, and in each rubric
//! its title, bottom-N and every item's target, indicator and method — found in
//! programme.toml and the rubric files it lists, and edited in place with toml_edit
//! (comments and layout kept). An edited file is checked by the same loader as `kaohe run`
//! before it is saved; a value refused is named beside its field.

use std::collections::BTreeSet;
use std::path::Path;

use toml_edit::{DocumentMut, Item, Table, Value};

use crate::programme::file as config;
use crate::programme::rubric::{self, Rubric};

/// A file the form edits: programme.toml (always the first), then each rubric it lists.
pub struct SettingsFile {
    /// As written in programme.toml (rubrics/towns.toml), or programme.toml.
    pub name: String,
    pub text: String,
    pub doc: DocumentMut,
    /// SHA-256 of `text`: a save is refused when the file changed since the form was drawn.
    pub digest: String,
    /// A rubric's title (附件1 …), for the form's heading.
    pub title: Option<String>,
}

/// programme.toml and the rubric files it lists (inside the folder), each parsed.
pub fn read_files(dir: &Path) -> Result<Vec<SettingsFile>, String> {
    let one = |name: &str, text: String| -> Result<SettingsFile, String> {
        let doc: DocumentMut = text.parse().map_err(|e| format!("{name} 无法解析：{e}"))?;
        let title = doc
            .get("rubric")
            .and_then(|r| Some(format!("{} {}", r.get("label")?.as_str()?, r.get("title")?.as_str()?)));
        let digest = config::sha256_hex(text.as_bytes());
        Ok(SettingsFile { name: name.to_string(), text, doc, digest, title })
    };
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).map_err(|e| format!("无法读取 {name}：{}", crate::problem::io_text(&e)))
    };
    let programme = one("programme.toml", read("programme.toml")?)?;
    let rubrics: Vec<String> = programme
        .doc
        .get("rubrics")
        .and_then(Item::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let mut files = vec![programme];
    for name in rubrics {
        // Only a file inside the folder (the loader refuses any other).
        if crate::programme::confined(dir, &name, "rubrics", "programme.toml").is_ok() {
            files.push(one(&name, read(&name)?)?);
        }
    }
    Ok(files)
}

/// One step of a path into the file.
#[derive(Clone, Debug, PartialEq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// One editable setting.
pub struct Field {
    /// Which of the [`SettingsFile`]s it is in.
    pub file: usize,
    pub path: Vec<Seg>,
    /// What the form calls it.
    pub label: String,
    /// The value as the clerk types it (a string without its quotes).
    pub text: String,
    /// date, integer, number (a whole number or a decimal), text or long text.
    pub kind: &'static str,
}

fn key(path: &[Seg], i: usize) -> Option<&str> {
    match path.get(i) {
        Some(Seg::Key(k)) => Some(k),
        _ => None,
    }
}

/// A measure by its own label (任务数（quota）), a view by its sheet (任务分解表（quota-table）).
fn named(doc: &DocumentMut, section: &str, name: &str, by: &str) -> String {
    let entry = doc.get(section).and_then(Item::as_table_like).and_then(|s| s.get(name));
    match entry.and_then(Item::as_table_like).and_then(|m| m.get(by)).and_then(Item::as_str) {
        Some(label) => format!("{label}（{name}）"),
        None => name.to_string(),
    }
}

/// Whether a path in a rubric file is a setting, and its label.
fn rubric_label(doc: &DocumentMut, path: &[Seg]) -> Option<String> {
    let last = match path.last()? {
        Seg::Key(k) => k.as_str(),
        Seg::Index(_) => return None,
    };
    match (key(path, 0)?, path.len()) {
        ("rubric", 2) => match last {
            "title" => Some("评分表标题".into()),
            "bottom_n" => Some("排名后几位加备注（0：不加）".into()),
            "bottom_remark" => Some("后几位的备注".into()),
            "top_n" => Some("排名前几位加备注（0：不加）".into()),
            "top_remark" => Some("前几位的备注".into()),
            _ => None,
        },
        ("item", 3 | 4 | 6) => {
            let Some(Seg::Index(i)) = path.get(1) else { return None };
            let item = doc.get("item")?.as_array_of_tables()?.get(*i)?;
            let id = item.get("id").and_then(Item::as_str).unwrap_or("?");
            let rule = key(path, 2) == Some("rule");
            // What the rule reads, by its label: 1.1 参保率.
            let r = item.get("rule");
            let mut reads: Vec<&str> = r
                .and_then(|r| r.get("metrics"))
                .and_then(Item::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|m| m.as_inline_table())
                        .filter_map(|m| m.get("label").or_else(|| m.get("metric")).and_then(Value::as_str))
                        .collect()
                })
                .unwrap_or_default();
            if reads.is_empty() {
                reads.extend(r.and_then(|r| r.get("label").or_else(|| r.get("metric"))).and_then(Item::as_str));
            }
            let reads = if reads.is_empty() { String::new() } else { format!(" {}", reads.join("、")) };
            match (path.len(), rule, last) {
                (3, false, "indicator") => Some(format!("第{id}项：考核内容")),
                (3, false, "method") => Some(format!("第{id}项：评分方法")),
                (4, true, "target") => Some(format!("第{id}项{reads}：目标值（低于它扣分）")),
                (4, true, "ceiling") => Some(format!("第{id}项{reads}：上限（高于它扣分，越低越好）")),
                // A tier's threshold: tiers = [{ at_least = 12, points = 15 }, …].
                (6, true, "at_least" | "at_most") if key(path, 3) == Some("tiers") => {
                    let Some(Seg::Index(k)) = path.get(4) else { return None };
                    let points = doc
                        .get("item")
                        .and_then(Item::as_array_of_tables)
                        .and_then(|a| a.get(*i))
                        .and_then(|t| t.get("rule"))
                        .and_then(|r| r.get("tiers"))
                        .and_then(Item::as_array)
                        .and_then(|a| a.get(*k))
                        .and_then(|t| t.as_inline_table())
                        .and_then(|t| t.get("points"))
                        .map(|p| p.to_string().trim().to_string())
                        .unwrap_or_default();
                    let how = if last == "at_least" { "达到" } else { "不超过" };
                    Some(format!("第{id}项{reads}：{how}多少得{points}分"))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether a path in programme.toml is a setting, and its label.
fn label(doc: &DocumentMut, path: &[Seg]) -> Option<String> {
    let k = |i| key(path, i);
    let last = match path.last()? {
        Seg::Key(k) => k.as_str(),
        Seg::Index(_) => return None,
    };
    match (k(0)?, path.len()) {
        ("document", 2) => match last {
            "issuer" => Some("发文机关".into()),
            "serial" => Some("发文序号".into()),
            "date" => Some("成文日期（PDF 上的日期）".into()),
            _ => None,
        },
        ("assessment", 2) if last == "as_of" => Some("数据截止日".into()),
        ("assessment", 3) if k(1) == Some("dates") => Some(format!("日期：{last}")),
        ("measures", 3) if last == "rate" => Some(format!("比例：{}", named(doc, "measures", k(1)?, "label"))),
        ("measures", 5) if last == "rate" && k(2) == Some("overrides") => {
            Some(format!("比例：{}，{}", named(doc, "measures", k(1)?, "label"), k(3)?))
        }
        ("views", 3) => {
            let what = match last {
                "title" => "标题",
                "subtitle" => "副标题",
                "note" => "注",
                _ => return None,
            };
            Some(format!("{}：{what}", named(doc, "views", k(1)?, "sheet")))
        }
        ("views", 7) if k(2) == Some("columns") && k(4) == Some("remarks") => match last {
            "bottom" => Some(format!("{}：备注 后几位", named(doc, "views", k(1)?, "sheet"))),
            "top" => Some(format!("{}：备注 前几位", named(doc, "views", k(1)?, "sheet"))),
            _ => None,
        },
        _ => None,
    }
}

/// Where fields are gathered from: which file, and how its paths are labelled.
struct Source<'a> {
    file: usize,
    doc: &'a DocumentMut,
    label: fn(&DocumentMut, &[Seg]) -> Option<String>,
}

fn leaf(from: &Source, path: &[Seg], v: &Value, out: &mut Vec<Field>) {
    match v {
        Value::InlineTable(t) => {
            for (k, v) in t.iter() {
                let mut p = path.to_vec();
                p.push(Seg::Key(k.to_string()));
                leaf(from, &p, v, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                let mut p = path.to_vec();
                p.push(Seg::Index(i));
                leaf(from, &p, v, out);
            }
        }
        _ => {
            let Some(label) = (from.label)(from.doc, path) else { return };
            // A target may be 95 or 0.5 whatever the file has now; a count stays whole.
            let measured = matches!(path.last(), Some(Seg::Key(k)) if ["target", "ceiling", "at_least", "at_most"].contains(&k.as_str()));
            let (text, kind) = match v {
                Value::String(s) => {
                    let s = s.value().clone();
                    let long = s.chars().count() > 40 || s.contains('\n');
                    (s, if long { "long" } else { "text" })
                }
                Value::Integer(i) => (i.value().to_string(), if measured { "number" } else { "integer" }),
                Value::Float(f) => (rubric::fmt_points(*f.value()), "number"),
                Value::Datetime(d) => (d.value().to_string(), "date"),
                _ => return,
            };
            out.push(Field { file: from.file, path: path.to_vec(), label, text, kind });
        }
    }
}

fn table(from: &Source, path: &[Seg], t: &Table, out: &mut Vec<Field>) {
    for (k, item) in t.iter() {
        let mut p = path.to_vec();
        p.push(Seg::Key(k.to_string()));
        match item {
            Item::Value(v) => leaf(from, &p, v, out),
            Item::Table(t) => table(from, &p, t, out),
            Item::ArrayOfTables(a) => {
                for (i, t) in a.iter().enumerate() {
                    let mut q = p.clone();
                    q.push(Seg::Index(i));
                    table(from, &q, t, out);
                }
            }
            Item::None => {}
        }
    }
}

impl Field {
    /// measures.quota.rate, views.x.columns.7.remarks.0.bottom, and in a rubric file
    /// rubrics/towns.toml:item.0.rule.target: what the input is named by.
    pub fn dotted(&self, files: &[SettingsFile]) -> String {
        let path = self
            .path
            .iter()
            .map(|s| match s {
                Seg::Key(k) => k.clone(),
                Seg::Index(i) => i.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".");
        match self.file {
            0 => path,
            i => format!("{}:{path}", files.get(i).map_or("", |f| f.name.as_str())),
        }
    }
}

/// Every setting of the files, each file in the order it is written.
pub fn fields(files: &[SettingsFile]) -> Vec<Field> {
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let label = if i == 0 { label } else { rubric_label };
        table(&Source { file: i, doc: &f.doc, label }, &[], f.doc.as_table(), &mut out);
    }
    out
}

fn value_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    let Some(first) = path.first() else { return Some(v) };
    match (v, first) {
        (Value::InlineTable(t), Seg::Key(k)) => value_mut(t.get_mut(k)?, &path[1..]),
        (Value::Array(a), Seg::Index(i)) => value_mut(a.get_mut(*i)?, &path[1..]),
        _ => None,
    }
}

fn item_mut<'a>(item: &'a mut Item, path: &[Seg]) -> Option<&'a mut Value> {
    match item {
        Item::Value(v) => value_mut(v, path),
        Item::Table(t) => match path.first()? {
            Seg::Key(k) => item_mut(t.get_mut(k)?, &path[1..]),
            Seg::Index(_) => None,
        },
        Item::ArrayOfTables(a) => match path.first()? {
            Seg::Index(i) => {
                let t = a.get_mut(*i)?;
                match path.get(1)? {
                    Seg::Key(k) => item_mut(t.get_mut(k)?, &path[2..]),
                    Seg::Index(_) => None,
                }
            }
            Seg::Key(_) => None,
        },
        Item::None => None,
    }
}

/// Set one field from the clerk's text, keeping the value's type and its comments.
pub fn set(doc: &mut DocumentMut, field: &Field, text: &str) -> Result<(), String> {
    let text = text.trim();
    let new = match field.kind {
        "integer" => Value::from(text.parse::<i64>().map_err(|_| format!("“{text}”不是整数"))?),
        "number" => match (text.parse::<i64>(), text.parse::<f64>()) {
            (Ok(i), _) => Value::from(i),
            (_, Ok(f)) if f.is_finite() => Value::from(f),
            _ => return Err(format!("“{text}”不是数；写成 95 或 0.5 这样")),
        },
        "date" => {
            let d: toml_edit::Datetime = text.parse().map_err(|_| format!("“{text}”不是日期；写成 2016-01-30 这样"))?;
            if d.date.is_none() || d.time.is_some() {
                return Err(format!("“{text}”不是日期；写成 2016-01-30 这样（不带时间）"));
            }
            Value::from(d)
        }
        _ => Value::from(text.replace("\r\n", "\n")),
    };
    let slot = item_mut(doc.as_item_mut(), &field.path).ok_or("文件中找不到这一项（文件刚被改动过？）")?;
    let decor = slot.decor().clone();
    *slot = new;
    *slot.decor_mut() = decor;
    Ok(())
}

/// The problems the loader finds in `text` as this programme's file (nothing is written
/// into the programme folder: the text is read from a scratch folder of the same name).
pub fn check(text: &str, id: &str, display: &str) -> Result<(), Vec<String>> {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let scratch = std::env::temp_dir().join(format!("kaohe-serve-{}-{n}", std::process::id()));
    let dir = scratch.join(id);
    let result = std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(dir.join("programme.toml"), text))
        .map_err(|e| vec![format!("无法检查：{e}")])
        .and_then(|_| config::load(&dir, display).map(|_| ()).map_err(|ps| ps.iter().map(|p| p.to_string()).collect()));
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// The problems the rubric loader finds in `text` as the rubric file `original` was:
/// it may read the measures the file reads now (the form changes no measure), with the
/// programme's `[rubric_text]` wording.
pub fn check_rubric(text: &str, original: &str, shown: &str, programme: &DocumentMut) -> Result<(), Vec<String>> {
    let available: BTreeSet<String> = match toml::from_str::<Rubric>(original) {
        Ok(r) => r
            .items
            .iter()
            .flat_map(|i| i.rule.metrics())
            .chain(r.disqualifications.iter().map(|d| d.metric.as_str()))
            .map(str::to_string)
            .collect(),
        Err(e) => return Err(vec![format!("{shown} 无法读取：{}", e.message())]),
    };
    let wording: toml::Table = toml::from_str::<toml::Table>(&programme.to_string())
        .ok()
        .and_then(|t| t.get("rubric_text").and_then(|v| v.as_table().cloned()))
        .unwrap_or_default();
    rubric::parse_with(text, shown, &available, &wording)
        .map(|_| ())
        .map_err(|ps| ps.iter().map(|p| p.to_string()).collect())
}

/// Save `text` as the file `name` of the folder, through a temporary file beside it.
pub fn save(dir: &Path, name: &str, text: &str) -> std::io::Result<()> {
    let target = dir.join(name);
    let folder = target.parent().unwrap_or(dir);
    let file = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = folder.join(format!(".{file}.edit-{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &target)
}
