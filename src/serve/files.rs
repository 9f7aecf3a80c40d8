//! A programme folder as the page shows it (datasets, their files, sizes, dates), files
//! stored into it (names checked, confined to the folder, never overwritten unasked),
//! a new year started from last year's folder, and the zip of a finished year.

use std::path::{Component, Path, PathBuf};

use crate::archive::{Manifest, ProgrammeDir};
use crate::pipeline;
use crate::programme::file::{self as config, Loaded};

/// One programme folder found under the input.
pub struct Programme {
    pub id: String,
    pub dir: ProgrammeDir,
    /// The programme file read by the loader, or the problems it has.
    pub loaded: Result<Loaded, Vec<crate::problem::InputProblem>>,
}

/// Every programme under the input, as `kaohe run` finds them.
pub fn programmes(input: &Path) -> Vec<Programme> {
    let Ok(dirs) = pipeline::find_programmes(input) else { return Vec::new() };
    dirs.into_iter()
        .map(|dir| {
            let id = dir.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let loaded = config::load(&dir.path, &dir.display);
            Programme { id, dir, loaded }
        })
        .collect()
}

/// The programme of this id (a folder name under the input, never a path).
pub fn programme(input: &Path, id: &str) -> Option<Programme> {
    programmes(input).into_iter().find(|p| p.id == id)
}

/// One file of a dataset on disk.
pub struct FileState {
    pub name: String,
    pub bytes: u64,
    /// Last changed, local time, e.g. 2026-12-03 19:44.
    pub changed: String,
}

/// A dataset as declared and as present.
pub struct DatasetState {
    pub name: String,
    pub title: String,
    /// As declared: a file, or a folder of files.
    pub declared: String,
    pub folder: bool,
    pub files: Vec<FileState>,
    /// Not there at all (the file, or the folder).
    pub missing: bool,
}

fn file_state(path: &Path) -> Option<FileState> {
    let meta = std::fs::metadata(path).ok()?;
    let changed = meta
        .modified()
        .ok()
        .map(|t| chrono::DateTime::<chrono::Local>::from(t).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    Some(FileState { name: path.file_name()?.to_string_lossy().into_owned(), bytes: meta.len(), changed })
}

/// Whether a dataset's declared path names a folder: it exists as one, or has no extension.
fn is_folder(path: &Path, declared: &str) -> bool {
    path.is_dir() || (!path.exists() && Path::new(declared).extension().is_none())
}

/// Each declared dataset with the files present.
pub fn datasets(p: &Programme) -> Vec<DatasetState> {
    let Ok(loaded) = &p.loaded else { return Vec::new() };
    loaded
        .file
        .datasets
        .iter()
        .map(|(name, spec)| {
            let path = p.dir.path.join(&spec.file);
            let folder = is_folder(&path, &spec.file);
            let mut files: Vec<FileState> = if folder {
                let mut paths: Vec<PathBuf> = std::fs::read_dir(&path)
                    .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect())
                    .unwrap_or_default();
                paths.sort();
                paths.iter().filter_map(|p| file_state(p)).collect()
            } else {
                file_state(&path).into_iter().collect()
            };
            files.retain(|f| !f.name.starts_with('.'));
            DatasetState {
                name: name.clone(),
                title: spec.title.clone(),
                declared: spec.file.clone(),
                folder,
                missing: !path.exists() || (folder && files.is_empty()),
                files,
            }
        })
        .collect()
}

/// Every file under a programme folder with its size and time of change: a check made
/// on one state holds while it is unchanged.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Fingerprint(Vec<(PathBuf, u64, Option<std::time::SystemTime>)>);

pub fn fingerprint(dir: &Path) -> Fingerprint {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, u64, Option<std::time::SystemTime>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let path = e.path();
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => walk(&path, out),
                Ok(m) => out.push((path, m.len(), m.modified().ok())),
                Err(_) => out.push((path, 0, None)),
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    Fingerprint(out)
}

/// Why an uploaded file's name cannot be stored.
pub fn check_name(name: &str) -> Result<&str, String> {
    if name.is_empty() {
        return Err("文件没有名字".into());
    }
    if name.contains(['/', '\\']) || name.contains("..") || name.starts_with('.') {
        return Err(format!("文件名“{name}”含有路径或以“.”开头，未保存；请只上传文件本身"));
    }
    if name.chars().any(|c| c.is_control() || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|')) {
        return Err(format!("文件名“{name}”含有不能用于文件名的字符，未保存"));
    }
    if name.chars().count() > 120 {
        return Err("文件名太长（超过120个字），未保存".into());
    }
    Ok(name)
}

/// Where an upload for `dataset` named `name` goes: inside a folder dataset's folder, or
/// the declared file itself (same extension). Refused when it would leave the folder.
pub fn upload_target(p: &Programme, dataset: &str, name: &str) -> Result<PathBuf, String> {
    let name = check_name(name)?;
    let Ok(loaded) = &p.loaded else { return Err("programme.toml 有错误，先改正它再上传".into()) };
    let Some(spec) = loaded.file.datasets.get(dataset) else {
        return Err(format!("没有名为“{dataset}”的数据集"));
    };
    if Path::new(&spec.file).components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(format!("数据集“{dataset}”的路径 {} 不在项目文件夹内，未保存", spec.file));
    }
    let declared = p.dir.path.join(&spec.file);
    let target = if is_folder(&declared, &spec.file) {
        declared.join(name)
    } else {
        let want = Path::new(&spec.file).extension().map(|e| e.to_string_lossy().to_lowercase());
        let got = Path::new(name).extension().map(|e| e.to_string_lossy().to_lowercase());
        if want != got {
            return Err(format!(
                "数据集“{}”是一个文件 {}，上传的 {name} 格式不同，未保存；请上传 .{} 文件",
                spec.title,
                spec.file,
                want.unwrap_or_default()
            ));
        }
        declared
    };
    // Confined: the target's folder, resolved, is inside the programme folder.
    let root = p.dir.path.canonicalize().map_err(|e| e.to_string())?;
    let parent = target.parent().ok_or("无效路径")?;
    std::fs::create_dir_all(parent).map_err(|e| format!("无法创建文件夹：{e}"))?;
    let parent = parent.canonicalize().map_err(|e| e.to_string())?;
    if !parent.starts_with(&root) {
        return Err("目标路径不在项目文件夹内，未保存".into());
    }
    Ok(parent.join(target.file_name().ok_or("无效路径")?))
}

/// Write `bytes` to `target` through a temporary file beside it (a half-written roster is
/// never read).
pub fn store(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = target.with_file_name(format!(".{}.upload-{}", std::process::id(), bytes.len()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, target).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// The next year's folder name: the year in the name moved on, or the year appended.
fn next_id(id: &str, year: i32) -> String {
    let (old, new) = (year.to_string(), (year + 1).to_string());
    if id.contains(&old) {
        id.replacen(&old, &new, 1)
    } else {
        format!("{id}-{new}")
    }
}

/// Every date in the document one year later (29 February becomes 28 February).
fn move_dates(item: &mut toml_edit::Item) {
    fn value(v: &mut toml_edit::Value) {
        match v {
            toml_edit::Value::Datetime(d) => {
                let mut dt = *d.value();
                if let Some(date) = dt.date.as_mut() {
                    date.year += 1;
                    if date.month == 2 && date.day == 29 {
                        date.day = 28;
                    }
                }
                let decor = d.decor().clone();
                *v = toml_edit::Value::from(dt);
                *v.decor_mut() = decor;
            }
            toml_edit::Value::Array(a) => a.iter_mut().for_each(value),
            toml_edit::Value::InlineTable(t) => t.iter_mut().for_each(|(_, v)| value(v)),
            _ => {}
        }
    }
    match item {
        toml_edit::Item::Value(v) => value(v),
        toml_edit::Item::Table(t) => t.iter_mut().for_each(|(_, i)| move_dates(i)),
        toml_edit::Item::ArrayOfTables(a) => a.iter_mut().for_each(|t| t.iter_mut().for_each(|(_, i)| move_dates(i))),
        toml_edit::Item::None => {}
    }
}

/// Start next year's programme from `p`: its programme.toml with the year and every date
/// moved on (comments and layout kept), its rubric files copied, its data folders made
/// empty. Returns the new folder's id.
pub fn new_year(input: &Path, p: &Programme) -> Result<String, String> {
    let Ok(loaded) = &p.loaded else { return Err("上一年度的 programme.toml 有错误，先改正它".into()) };
    if !input.join(&p.id).is_dir() {
        return Err("--input 指向单个项目文件夹时不能新建年度；请用包含各项目文件夹的目录".into());
    }
    let year = loaded.file.programme.year;
    let id = next_id(&p.id, year);
    let dest = input.join(&id);
    if dest.exists() {
        return Err(format!("{id} 已经存在，未改动；请直接打开它"));
    }
    let mut doc: toml_edit::DocumentMut = loaded.text.parse().map_err(|e| format!("programme.toml 无法解析：{e}"))?;
    doc["programme"]["year"] = toml_edit::value(i64::from(year) + 1);
    move_dates(doc.as_item_mut());
    // Written into a staging folder first, moved into place whole.
    let staging = input.join(format!(".{id}.new-{}", std::process::id()));
    let result = (|| -> Result<(), String> {
        let io = |e: std::io::Error| format!("无法写入 {id}：{e}");
        std::fs::create_dir_all(&staging).map_err(io)?;
        std::fs::write(staging.join("programme.toml"), doc.to_string()).map_err(io)?;
        for rubric in &loaded.file.rubrics {
            let rel = Path::new(rubric);
            if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
                return Err(format!("评分表路径 {rubric} 不在项目文件夹内，未复制"));
            }
            let to = staging.join(rel);
            std::fs::create_dir_all(to.parent().unwrap_or(&staging)).map_err(io)?;
            std::fs::copy(p.dir.path.join(rel), &to).map_err(io)?;
        }
        for spec in loaded.file.datasets.values() {
            let from = p.dir.path.join(&spec.file);
            let rel = Path::new(&spec.file);
            if from.is_dir() && rel.components().all(|c| matches!(c, Component::Normal(_))) {
                std::fs::create_dir_all(staging.join(rel)).map_err(io)?;
            }
        }
        std::fs::rename(&staging, &dest).map_err(io)
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result.map(|_| id)
}

/// A finished programme-year in the output folder.
pub struct Finished {
    pub id: String,
    pub manifest: Manifest,
}

/// The finished years under the output folder, from their manifests.
pub fn finished(output: &Path) -> Vec<Finished> {
    let mut out: Vec<Finished> = std::fs::read_dir(output)
        .map(|r| {
            r.filter_map(|e| e.ok())
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .filter_map(|e| {
                    let text = std::fs::read_to_string(e.path().join("manifest.json")).ok()?;
                    let manifest: Manifest = serde_json::from_str(&text).ok()?;
                    Some(Finished { id: e.file_name().to_string_lossy().into_owned(), manifest })
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// A finished year by id (a folder name listed under the output, never a path).
pub fn finished_one(output: &Path, id: &str) -> Option<Finished> {
    finished(output).into_iter().find(|f| f.id == id)
}

/// The whole finished year as one zip (every file its folder holds, manifest included).
pub fn zip_year(dir: &Path) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut files = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        if let Ok(r) = std::fs::read_dir(dir) {
            for e in r.filter_map(|e| e.ok()) {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
    }
    walk(dir, &mut files);
    files.sort();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for f in files {
        let rel = f.strip_prefix(dir).map_err(|e| e.to_string())?.to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(&f).map_err(|e| e.to_string())?;
        zip.start_file(rel, options).map_err(|e| e.to_string())?;
        zip.write_all(&bytes).map_err(|e| e.to_string())?;
    }
    Ok(zip.finish().map_err(|e| e.to_string())?.into_inner())
}
