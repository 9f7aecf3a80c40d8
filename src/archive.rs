//! The output folder as an archive: everything of a programme-year is written into a
//! temporary folder beside the destination and moved into place only when all of it
//! succeeded, so an error leaves the previous output untouched and no half-written
//! folder. `manifest.json` records the inputs and every output with its SHA-256, so
//! `kaohe verify` can prove years later that nothing was changed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::problem::{InputErrors, InputProblem};
pub use crate::programme::file::sha256_hex;

/// Archive errors.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{0} 已有完成的输出，未覆盖\n  提示：确需重新生成时加 --force（旧文件会被整体替换）")]
    Exists(PathBuf),
    #[error("无法写入 {}：{}", .0.display(), crate::problem::io_text(.1))]
    Io(PathBuf, std::io::Error),
    #[error(
        "无法生成 results.xlsx（{0}）\n  提示：检查输出文件夹是否可写、磁盘是否已满；仍不行请把这条信息发给维护人员"
    )]
    Xlsx(String),
    #[error("{0} 中没有可读的 manifest.json（{1}）\n  提示：manifest.json 缺失或被改动过，这份归档无法核验；请从备份中取回原文件夹")]
    Manifest(PathBuf, String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |e| ArchiveError::Io(path.to_path_buf(), e)
}

/// One input file as recorded in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputRecord {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// One output file as recorded in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutputRecord {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub unit: Option<String>,
    pub path: String,
    pub sha256: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub pages: Option<usize>,
}

/// manifest.json
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    pub programme: String,
    pub document_number: String,
    pub document_date: String,
    pub config_sha256: String,
    pub inputs: Vec<InputRecord>,
    pub outputs: Vec<OutputRecord>,
}

impl Manifest {
    /// The record of a programme-year before its outputs are written.
    pub fn new(
        programme: &str,
        document_number: String,
        date: chrono::NaiveDate,
        config_sha256: &str,
        inputs: Vec<InputRecord>,
    ) -> Manifest {
        Manifest {
            tool: "kaohe".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            programme: programme.to_string(),
            document_number,
            document_date: crate::programme::file::chinese_date(date),
            config_sha256: config_sha256.to_string(),
            inputs,
            outputs: Vec::new(),
        }
    }
}

/// A programme-year's output being written.
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    outputs: Vec<OutputRecord>,
    done: bool,
}

impl Staging {
    /// Start writing `root/name`; refuses an existing finished folder unless `force`.
    pub fn new(root: &Path, name: &str, force: bool) -> Result<Staging, ArchiveError> {
        let target = root.join(name);
        if target.exists() && !force {
            return Err(ArchiveError::Exists(target));
        }
        if root.exists() && !root.is_dir() {
            return Err(ArchiveError::Io(root.to_path_buf(), std::io::Error::from(std::io::ErrorKind::NotADirectory)));
        }
        std::fs::create_dir_all(root).map_err(io(root))?;
        let dir = root.join(format!(".{name}.partial-{}", std::process::id()));
        // Messages name the output folder the user chose, not the temporary one inside it.
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(io(root))?;
        }
        std::fs::create_dir_all(&dir).map_err(io(root))?;
        Ok(Staging { dir, target, outputs: Vec::new(), done: false })
    }

    /// Write one output file (path relative to the programme folder) and record it.
    pub fn write(
        &mut self,
        rel: &str,
        kind: &str,
        unit: Option<&str>,
        pages: Option<usize>,
        bytes: &[u8],
    ) -> Result<(), ArchiveError> {
        let path = self.dir.join(rel);
        let shown = self.target.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(&shown))?;
        }
        std::fs::write(&path, bytes).map_err(io(&shown))?;
        self.outputs.push(OutputRecord {
            kind: kind.to_string(),
            unit: unit.map(str::to_string),
            path: rel.to_string(),
            sha256: sha256_hex(bytes),
            pages,
        });
        Ok(())
    }

    /// Write manifest.json and move the folder into place (replacing an old one whole).
    pub fn finish(mut self, mut manifest: Manifest) -> Result<PathBuf, ArchiveError> {
        self.outputs.sort_by(|a, b| a.path.cmp(&b.path));
        manifest.outputs = std::mem::take(&mut self.outputs);
        let json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
        let path = self.dir.join("manifest.json");
        std::fs::write(&path, json).map_err(io(&path))?;
        let old = self.dir.with_file_name(format!(
            ".{}.old-{}",
            self.target.file_name().unwrap_or_default().to_string_lossy(),
            std::process::id()
        ));
        if self.target.exists() {
            std::fs::rename(&self.target, &old).map_err(io(&self.target))?;
        }
        std::fs::rename(&self.dir, &self.target).map_err(io(&self.target))?;
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        self.done = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// What `verify` found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verification {
    pub ok: usize,
    pub changed: Vec<String>,
    pub missing: Vec<String>,
    pub unexpected: Vec<String>,
}

fn files_under(dir: &Path, base: &Path, out: &mut BTreeSet<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files_under(&path, base, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            out.insert(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Re-hash every output listed in `dir/manifest.json`.
pub fn verify(dir: &Path) -> Result<Verification, ArchiveError> {
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| ArchiveError::Manifest(dir.to_path_buf(), e.to_string()))?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| ArchiveError::Manifest(dir.to_path_buf(), e.to_string()))?;
    let mut present = BTreeSet::new();
    files_under(dir, dir, &mut present).map_err(io(dir))?;
    present.remove("manifest.json");
    let mut v = Verification::default();
    for out in &manifest.outputs {
        present.remove(&out.path);
        match std::fs::read(dir.join(&out.path)) {
            Ok(bytes) if sha256_hex(&bytes) == out.sha256 => v.ok += 1,
            Ok(_) => v.changed.push(out.path.clone()),
            Err(_) => v.missing.push(out.path.clone()),
        }
    }
    v.unexpected = present.into_iter().collect();
    Ok(v)
}

/// A programme folder found under the input.
#[derive(Debug, Clone)]
pub struct ProgrammeDir {
    pub path: PathBuf,
    /// As shown in messages, e.g. input/hanbin-2015-micro.
    pub display: String,
}

/// The records of programme.toml and of `files` (as shown), for the manifest.
pub fn records<'a>(
    dir: &ProgrammeDir,
    files: impl IntoIterator<Item = (&'a Path, &'a str)>,
) -> Result<Vec<InputRecord>, InputErrors> {
    let toml = record(&dir.path.join("programme.toml"), &format!("{}/programme.toml", dir.display));
    std::iter::once(toml)
        .chain(files.into_iter().map(|(path, shown)| record(path, shown)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| InputErrors(vec![e]))
}

/// One input file's record for the manifest.
pub fn record(path: &Path, display: &str) -> Result<InputRecord, InputProblem> {
    let bytes = std::fs::read(path)
        .map_err(|e| InputProblem::file(display, format!("无法读取：{}", crate::problem::io_text(&e))))?;
    Ok(InputRecord { path: display.to_string(), sha256: sha256_hex(&bytes), bytes: bytes.len() as u64 })
}
