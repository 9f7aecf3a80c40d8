//! The settings an office changes every year — the issuer and date, deadlines, rates,
//! bottom-N and top-N, the titles, subtitles and notes of the annexes — found in
//! programme.toml and edited in place with toml_edit (comments and layout kept). An
//! edited file is checked by the same loader as `kaohe run` before it is saved; a value
//! refused is named beside its field.

use std::path::Path;

use toml_edit::{DocumentMut, Item, Table, Value};

use crate::programme::file as config;

/// One step of a path into the file.
#[derive(Clone, Debug, PartialEq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// One editable setting.
pub struct Field {
    pub path: Vec<Seg>,
    /// What the form calls it.
    pub label: String,
    /// The value as the clerk types it (a string without its quotes).
    pub text: String,
    /// date, integer, text or long text.
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

/// Whether a path is a setting, and its label.
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

fn leaf(doc: &DocumentMut, path: &[Seg], v: &Value, out: &mut Vec<Field>) {
    match v {
        Value::InlineTable(t) => {
            for (k, v) in t.iter() {
                let mut p = path.to_vec();
                p.push(Seg::Key(k.to_string()));
                leaf(doc, &p, v, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                let mut p = path.to_vec();
                p.push(Seg::Index(i));
                leaf(doc, &p, v, out);
            }
        }
        _ => {
            let Some(label) = label(doc, path) else { return };
            let (text, kind) = match v {
                Value::String(s) => {
                    let s = s.value().clone();
                    let long = s.chars().count() > 40 || s.contains('\n');
                    (s, if long { "long" } else { "text" })
                }
                Value::Integer(i) => (i.value().to_string(), "integer"),
                Value::Datetime(d) => (d.value().to_string(), "date"),
                _ => return,
            };
            out.push(Field { path: path.to_vec(), label, text, kind });
        }
    }
}

fn table(doc: &DocumentMut, path: &[Seg], t: &Table, out: &mut Vec<Field>) {
    for (k, item) in t.iter() {
        let mut p = path.to_vec();
        p.push(Seg::Key(k.to_string()));
        match item {
            Item::Value(v) => leaf(doc, &p, v, out),
            Item::Table(t) => table(doc, &p, t, out),
            Item::ArrayOfTables(a) => {
                for (i, t) in a.iter().enumerate() {
                    let mut q = p.clone();
                    q.push(Seg::Index(i));
                    table(doc, &q, t, out);
                }
            }
            Item::None => {}
        }
    }
}

impl Field {
    /// measures.quota.rate, views.x.columns.7.remarks.0.bottom: what the input is named by.
    pub fn dotted(&self) -> String {
        self.path
            .iter()
            .map(|s| match s {
                Seg::Key(k) => k.clone(),
                Seg::Index(i) => i.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// Every setting of the file, in the order it is written.
pub fn fields(doc: &DocumentMut) -> Vec<Field> {
    let mut out = Vec::new();
    table(doc, &[], doc.as_table(), &mut out);
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

/// Save `text` as the programme's file, through a temporary file beside it.
pub fn save(dir: &Path, text: &str) -> std::io::Result<()> {
    let tmp = dir.join(format!(".programme.toml.edit-{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, dir.join("programme.toml"))
}
