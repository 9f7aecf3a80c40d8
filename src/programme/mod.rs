//! The declarations a programme file is made of — units' settings, datasets, measures,
//! rates and rounding, what is published — as plain types. Every stage imports them;
//! this module imports no stage, so the model sits at the bottom of the crate and data
//! flows down from it. [`file`] reads programme.toml into them.

pub mod dataset;
pub mod expr;
pub mod file;
pub mod measure;
pub mod rubric;
pub mod units;
pub mod view;
pub mod wording;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::problem::InputProblem;

/// A rate as parts per million (50% = 500_000), exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(pub u64);

impl Rate {
    /// One whole (100%).
    pub const WHOLE: u64 = 1_000_000;

    /// Parse "50%", "20.5%" (up to four decimals). Rejects values outside 0–100%.
    pub fn parse(text: &str) -> Result<Rate, String> {
        let t = text.trim();
        let Some(num) = t.strip_suffix('%').or_else(|| t.strip_suffix('％')) else {
            return Err(format!("比例“{t}”应写成百分数，如“50%”"));
        };
        let (int, frac) = num.trim().split_once('.').unwrap_or((num.trim(), ""));
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 4
        {
            return Err(format!("比例“{t}”不是有效的百分数（最多四位小数）"));
        }
        let int: u64 = int.parse().map_err(|_| format!("比例“{t}”超出0–100%"))?;
        let frac_ppm: u64 = format!("{frac:0<4}").parse().unwrap_or(0);
        let ppm = int.saturating_mul(10_000) + frac_ppm;
        if ppm > Self::WHOLE {
            return Err(format!("比例“{t}”超出0–100%"));
        }
        Ok(Rate(ppm))
    }

    /// As text without trailing zeros: "50%", "20.5%".
    pub fn label(self) -> String {
        let int = self.0 / 10_000;
        let frac = self.0 % 10_000;
        if frac == 0 {
            format!("{int}%")
        } else {
            format!("{int}.{}%", format!("{frac:04}").trim_end_matches('0'))
        }
    }

    /// As a fraction (for display only; never for quota arithmetic).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / Self::WHOLE as f64
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Rate::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// How exact quotas become whole persons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rounding {
    /// Floor each unit, hand the remaining persons to the largest remainders (Hamilton);
    /// preserves the district total.
    LargestRemainder,
    /// Round each unit half up.
    HalfUp,
    /// Round each unit down.
    Floor,
    /// Round each unit up.
    Ceil,
}

impl Rounding {
    /// The Chinese name used in notes, for a district (全区); see [`Rounding::label_in`].
    pub fn label(self) -> String {
        self.label_in("全区")
    }

    /// The Chinese name used in notes, `whole` naming the region as a whole (全县).
    pub fn label_in(self, whole: &str) -> String {
        match self {
            Rounding::LargestRemainder => format!("最大余数法（保持{whole}总数）"),
            other => other.plain_label().to_string(),
        }
    }

    /// The name alone, without what it keeps: 最大余数法, 四舍五入.
    pub fn plain_label(self) -> &'static str {
        match self {
            Rounding::LargestRemainder => "最大余数法",
            Rounding::HalfUp => "四舍五入",
            Rounding::Floor => "向下取整",
            Rounding::Ceil => "向上取整",
        }
    }
}

/// `[assessment]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentSection {
    /// The day the year's figures stand at: an open case's days count up to it.
    pub as_of: toml::value::Datetime,
    /// Last year's grades, for a two-year rule (`twice`): the dataset and its grade column.
    #[serde(default)]
    pub last_year: Option<LastYear>,
    /// Days conditions name (`after = "缴费截止日"`): written once, read by every measure
    /// and check — a deadline moved next year is moved in one place.
    #[serde(default)]
    pub dates: BTreeMap<String, toml::value::Datetime>,
    /// What `kaohe run` adds to its line: totals by measure name
    /// (“任务数合计 {quota}，按时参保 {insured} 人”), the figures a clerk checks first.
    #[serde(default)]
    pub summary: Option<String>,
}

/// `last_year = { dataset = "last_year", column = "等级" }`: one row per unit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LastYear {
    pub dataset: String,
    pub column: String,
}

/// `[[pdf]]` in programme.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PdfSpec {
    pub view: String,
    /// Template name without `.typ`; default: the view's own template.
    #[serde(default)]
    pub template: Option<String>,
    /// Output path; default: the view's own file name.
    #[serde(default)]
    pub file: Option<String>,
}

/// `[[table]]` in programme.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    pub view: String,
    /// CSV name (without `.csv`) and sheet position; default: the view's name.
    #[serde(default)]
    pub file: Option<String>,
}

/// Fill `{name}` placeholders of `template` from `vars`; an unknown name or a brace
/// without its pair is an error naming `section` and `key`.
pub fn fill_template(section: &str, key: &str, template: &str, vars: &[(&str, String)]) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    loop {
        let (Some(start), close) = (rest.find('{'), rest.find('}')) else {
            if rest.contains('}') {
                return Err(format!("{section} {key} 中的“}}”没有配对的“{{”"));
            }
            break;
        };
        if close.is_some_and(|c| c < start) {
            return Err(format!("{section} {key} 中的“}}”没有配对的“{{”"));
        }
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            return Err(format!("{section} {key} 中的“{{”没有配对的“}}”"));
        };
        let name = &after[..end];
        match vars.iter().find(|(k, _)| *k == name) {
            Some((_, v)) => out.push_str(v),
            None => {
                let known: Vec<&str> = vars.iter().map(|(k, _)| *k).collect();
                return Err(format!("{section} {key} 中的占位符 {{{name}}} 未知；可用：{}", known.join("、")));
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A path named in programme.toml, resolved inside the programme folder `dir`. An
/// absolute path, a `..`, or a link that leads out of the folder is refused: the
/// folder is what gets hashed into the manifest and archived, and nothing outside it
/// may slip into a published table. The refused file is never opened.
pub fn confined(dir: &Path, rel: &str, setting: &str, toml_file: &str) -> Result<PathBuf, InputProblem> {
    let p = Path::new(rel);
    let drive = rel.len() >= 2 && rel.as_bytes()[1] == b':';
    let outside = p.is_absolute()
        || rel.starts_with(['/', '\\'])
        || drive
        || p.components().any(|c| matches!(c, std::path::Component::ParentDir))
        || rel.split(['/', '\\']).any(|part| part == "..");
    if outside {
        return Err(InputProblem::file(toml_file, format!("{setting} = “{rel}” 指向项目文件夹之外"))
            .hint("数据文件须放在项目文件夹（programme.toml 所在的文件夹）内，用相对路径，如 \"rosters\" 或 \"data/种植面积.xlsx\""));
    }
    let path = dir.join(p);
    inside(dir, &path, &format!("{setting} = “{rel}”"), toml_file)?;
    Ok(path)
}

/// Refuse `path` when it exists and, links followed, lies outside `dir`.
pub fn inside(dir: &Path, path: &Path, shown: &str, file: &str) -> Result<(), InputProblem> {
    let Ok(real) = std::fs::canonicalize(path) else { return Ok(()) }; // missing: reported where it is read
    let root = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if real.starts_with(&root) {
        return Ok(());
    }
    Err(InputProblem::file(file, format!("{shown} 是一个链接（快捷方式），指向项目文件夹之外，未读取"))
        .hint("把文件本身复制到项目文件夹内，不要用链接"))
}
