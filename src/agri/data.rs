//! The 南通 datasets, read and checked: planted and insured areas per crop, premiums by
//! line, greenhouses, fiscal subsidy shares, the claims ledger, the phone survey, the
//! inspection findings (one row per county, one per insurer × county) and last year's
//! insurer grades. Any format `ingest` reads (Excel, CSV in UTF-8/GBK/UTF-16, Parquet).
//!
//! Every cell feeds a score, so a bad cell is an error naming file, row and column —
//! a late claim set aside would silently keep a county's points. Only rows that are not
//! data (合计/小计 lines, entirely blank rows) are skipped.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::ingest::{self, RawTable};
use crate::problem::{nearest, InputProblem};
use crate::validate::{match_headers, parse_date, Field};

const COUNTY: Field = Field {
    label: "县区",
    aliases: &["县区", "县（市）区", "县（市、区）", "县市区", "被考核单位", "county"],
};
const INSURER: Field = Field {
    label: "承办公司",
    aliases: &["承办公司", "承办机构", "保险公司", "承保公司", "insurer"],
};
const LINE: Field = Field { label: "险种", aliases: &["险种", "品种", "保险品种", "line"] };

const AREA_FIELDS: [Field; 4] = [
    COUNTY,
    Field { label: "作物", aliases: &["作物", "农作物", "品种", "crop"] },
    Field {
        label: "种植面积（亩）",
        aliases: &["种植面积（亩）", "种植面积", "播种面积（亩）", "播种面积", "planted"],
    },
    Field {
        label: "承保面积（亩）",
        aliases: &["承保面积（亩）", "承保面积", "参保面积（亩）", "参保面积", "insured"],
    },
];
const PREMIUM_FIELDS: [Field; 5] = [
    COUNTY,
    INSURER,
    LINE,
    Field {
        label: "高效农业", aliases: &["高效农业", "是否高效农业", "高效农业险种", "high_efficiency"]
    },
    Field {
        label: "保费（元）", aliases: &["保费（元）", "保费", "保费收入（元）", "保费收入", "premium"]
    },
];
const GREENHOUSE_FIELDS: [Field; 5] = [
    COUNTY,
    Field { label: "大棚编号", aliases: &["大棚编号", "编号", "设施编号", "id"] },
    Field {
        label: "连片面积（亩）", aliases: &["连片面积（亩）", "连片面积", "面积（亩）", "area"]
    },
    Field {
        label: "参保面积（亩）",
        aliases: &["参保面积（亩）", "参保面积", "承保面积（亩）", "承保面积", "insured"],
    },
    Field {
        label: "财政奖补", aliases: &["财政奖补", "财政专项资金奖补", "是否财政奖补", "subsidised"]
    },
];
const SUBSIDY_FIELDS: [Field; 5] = [
    COUNTY,
    LINE,
    Field { label: "中央财政（%）", aliases: &["中央财政（%）", "中央财政", "中央", "central"] },
    Field {
        label: "省级财政（%）", aliases: &["省级财政（%）", "省级财政", "省级", "省财政", "province"]
    },
    Field {
        label: "市县财政（%）", aliases: &["市县财政（%）", "市县财政", "市县", "市县级财政", "local"]
    },
];
const CLAIM_FIELDS: [Field; 10] = [
    Field { label: "赔案号", aliases: &["赔案号", "赔案编号", "案件号", "claim_no"] },
    COUNTY,
    INSURER,
    LINE,
    Field { label: "定损日期", aliases: &["定损日期", "定损时间", "assessed_on"] },
    Field { label: "支付日期", aliases: &["支付日期", "赔款支付日期", "支付时间", "paid_on"] },
    Field {
        label: "核定赔款（元）", aliases: &["核定赔款（元）", "核定赔款", "定损金额", "assessed"]
    },
    Field {
        label: "实付赔款（元）", aliases: &["实付赔款（元）", "实付赔款", "支付金额", "paid"]
    },
    Field { label: "支付方式", aliases: &["支付方式", "支付渠道", "channel"] },
    Field { label: "张榜公布", aliases: &["张榜公布", "是否张榜公布", "公示", "posted"] },
];
const SURVEY_FIELDS: [Field; 4] = [
    COUNTY,
    INSURER,
    Field { label: "回访户数", aliases: &["回访户数", "调查户数", "households"] },
    Field { label: "满意户数", aliases: &["满意户数", "satisfied"] },
];
const GRADE_FIELDS: [Field; 3] =
    [COUNTY, INSURER, Field { label: "等级", aliases: &["等级", "考核等级", "上年等级", "grade"] }];

/// What a clerk writes as last year's grade for an insurer that did not take part then.
pub const FIRST_YEAR: &[&str] = &["无", "首年", "首年承办", "新承办", "上年未承办", "—", "-"];
/// How such a year is shown.
pub const FIRST_YEAR_GRADE: &str = "无（上年未承办）";

/// Columns of a findings file that are notes, not metrics.
const NOTE_COLUMNS: &[&str] = &["备注", "说明", "检查说明", "note"];

/// Listed problems per file before the rest are summed up (a broken ledger has thousands).
const PROBLEMS_PER_FILE: usize = 20;

/// Where each dataset lives, relative to the programme folder (`[datasets]`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetPaths {
    pub areas: String,
    pub premiums: String,
    pub greenhouses: String,
    pub subsidies: String,
    /// A file, or a folder whose every table is part of the ledger.
    pub claims: String,
    pub survey: String,
    pub county_findings: String,
    pub insurer_findings: String,
    /// Optional: without it nobody can be 不合格 two years running.
    #[serde(default)]
    pub last_year: Option<String>,
}

/// A crop's planted and insured area in a county.
#[derive(Debug, Clone)]
pub struct Area {
    pub county: String,
    pub crop: String,
    pub planted: f64,
    pub insured: f64,
}

/// One premium line.
#[derive(Debug, Clone)]
pub struct Premium {
    pub county: String,
    pub insurer: String,
    pub high_efficiency: bool,
    pub amount: f64,
}

/// One greenhouse site.
#[derive(Debug, Clone)]
pub struct Greenhouse {
    pub county: String,
    pub area: f64,
    pub insured: f64,
    pub subsidised: bool,
}

/// One line's fiscal subsidy shares.
#[derive(Debug, Clone)]
pub struct Subsidy {
    pub county: String,
    pub line: String,
    /// Central + provincial + city/county, in percent.
    pub share: f64,
}

/// The claims ledger, column by column (tens of thousands of rows).
#[derive(Debug, Clone, Default)]
pub struct Claims {
    pub no: Vec<String>,
    pub county: Vec<String>,
    pub insurer: Vec<String>,
    pub assessed_on: Vec<NaiveDate>,
    pub paid_on: Vec<Option<NaiveDate>>,
    pub assessed: Vec<f64>,
    pub paid: Vec<f64>,
    pub channel: Vec<String>,
    pub posted: Vec<bool>,
    /// (file, row) of each claim, for the exceptions list.
    pub source: Vec<(String, usize)>,
}

impl Claims {
    pub fn len(&self) -> usize {
        self.no.len()
    }
    pub fn is_empty(&self) -> bool {
        self.no.is_empty()
    }
}

/// One survey line per insurer × county.
#[derive(Debug, Clone)]
pub struct Survey {
    pub county: String,
    pub insurer: String,
    pub households: f64,
    pub satisfied: f64,
    /// (file, row, 回访户数 column) of the line, for messages about it.
    pub source: (String, usize, String),
}

/// Inspection findings: unit → metric → value, and the metric columns in file order.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    pub metrics: Vec<String>,
    pub rows: BTreeMap<(String, String), BTreeMap<String, f64>>,
    /// Units in file order.
    pub order: Vec<(String, String)>,
}

/// Everything read for one assessment year.
#[derive(Debug, Clone, Default)]
pub struct Datasets {
    pub areas: Vec<Area>,
    pub premiums: Vec<Premium>,
    pub greenhouses: Vec<Greenhouse>,
    pub subsidies: Vec<Subsidy>,
    pub claims: Claims,
    pub survey: Vec<Survey>,
    pub county_findings: Findings,
    /// Keyed by (county, insurer); these pairs are the insurer units assessed.
    pub insurer_findings: Findings,
    pub last_year: HashMap<(String, String), String>,
    /// Every file read: (path, shown name), for the manifest.
    pub files: Vec<(PathBuf, String)>,
}

/// Collects problems, listing at most [`PROBLEMS_PER_FILE`] per file.
#[derive(Default)]
pub struct Problems {
    pub list: Vec<InputProblem>,
    per_file: BTreeMap<String, usize>,
}

impl Problems {
    pub fn push(&mut self, p: InputProblem) {
        let n = self.per_file.entry(p.file.clone()).or_default();
        *n += 1;
        if *n <= PROBLEMS_PER_FILE {
            self.list.push(p);
        }
    }

    pub fn finish(mut self) -> Vec<InputProblem> {
        for (file, n) in &self.per_file {
            if *n > PROBLEMS_PER_FILE {
                self.list.push(InputProblem::file(
                    file,
                    format!("……另有{}处问题未列出（共{}处）", n - PROBLEMS_PER_FILE, n),
                ));
            }
        }
        self.list
    }
}

/// A table with its columns matched, read row by row.
struct Sheet<'a> {
    table: &'a RawTable,
    cols: Vec<usize>,
    labels: Vec<&'static str>,
}

impl<'a> Sheet<'a> {
    fn open(table: &'a RawTable, fields: &[Field<'static>], problems: &mut Problems) -> Option<Sheet<'a>> {
        match match_headers(table, fields) {
            Ok(cols) => Some(Sheet { table, cols, labels: fields.iter().map(|f| f.label).collect() }),
            Err(ps) => {
                ps.into_iter().for_each(|p| problems.push(p));
                None
            }
        }
    }

    fn text(&self, f: usize, r: usize) -> &str {
        &self.table.cells[self.cols[f]][r]
    }

    fn bad(&self, f: usize, r: usize, message: String) -> InputProblem {
        InputProblem::at(&self.table.file, self.table.rows[r], Some(&self.table.headers[self.cols[f]]), message)
    }

    /// A 合计/小计 line typed under the data: not a record.
    fn is_total_row(&self, r: usize) -> bool {
        (0..self.cols.len()).any(|f| matches!(self.text(f, r), "合计" | "总计" | "小计"))
    }

    fn number(&self, f: usize, r: usize, p: &mut Problems) -> Option<f64> {
        let raw = self.text(f, r);
        match crate::cell::parse_number(raw, true) {
            Ok(v) => Some(v),
            Err(crate::cell::NumberProblem::Empty) => {
                p.push(self.bad(f, r, format!("“{}”为空", self.labels[f])));
                None
            }
            Err(e) => {
                p.push(self.bad(f, r, e.message(raw)));
                None
            }
        }
    }

    fn flag(&self, f: usize, r: usize, p: &mut Problems) -> Option<bool> {
        let raw = self.text(f, r);
        match parse_flag(raw) {
            Some(b) => Some(b),
            None => {
                p.push(self.bad(f, r, format!("应填“是”或“否”，不是“{raw}”")).hint("可填：是/否、有/无、1/0"));
                None
            }
        }
    }

    fn date(&self, f: usize, r: usize, p: &mut Problems) -> Option<NaiveDate> {
        let raw = self.text(f, r);
        match parse_date(raw) {
            Ok(d) => Some(d),
            Err(e) => {
                let msg = match e {
                    crate::cell::DateProblem::Empty => format!("“{}”为空", self.labels[f]),
                    _ => e.message(raw),
                };
                p.push(self.bad(f, r, msg).hint(crate::cell::DATE_HINT));
                None
            }
        }
    }

    /// A county name the programme assesses.
    fn county(&self, f: usize, r: usize, units: &[String], p: &mut Problems) -> Option<String> {
        let raw = self.text(f, r);
        if units.iter().any(|u| u == raw) {
            return Some(raw.to_string());
        }
        let mut problem = if raw.is_empty() {
            self.bad(f, r, "县区为空".into())
        } else {
            self.bad(f, r, format!("“{raw}”不是被考核的县（市）区"))
        };
        problem = match nearest(raw, units.iter().map(String::as_str)) {
            Some(n) if !raw.is_empty() => problem.hint(format!("是否应为“{n}”？被考核单位见 programme.toml 的 units")),
            _ => problem.hint(format!("被考核单位：{}", units.join("、"))),
        };
        p.push(problem);
        None
    }

    fn required(&self, f: usize, r: usize, p: &mut Problems) -> Option<String> {
        let t = self.text(f, r);
        if t.is_empty() {
            p.push(self.bad(f, r, format!("“{}”为空", self.labels[f])));
            None
        } else {
            Some(t.to_string())
        }
    }
}

pub use crate::cell::parse_flag;

/// The tables of one dataset: a file, or every table in a folder (sorted by name).
fn tables_at(dir: &Path, display: &str, rel: &str, datasets: &mut Datasets, p: &mut Problems) -> Vec<RawTable> {
    let shown = format!("{display}/{rel}");
    let path = match ingest::confined(dir, rel, "[datasets]", &format!("{display}/programme.toml")) {
        Ok(path) => path,
        Err(e) => {
            p.push(e);
            return Vec::new();
        }
    };
    let files: Vec<(PathBuf, String)> = if path.is_dir() {
        let mut names: Vec<String> = match std::fs::read_dir(&path) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.') && !n.starts_with("~$"))
                .collect(),
            Err(e) => {
                p.push(InputProblem::file(&shown, format!("无法读取目录：{}", crate::problem::io_text(&e))));
                return Vec::new();
            }
        };
        names.sort();
        if names.is_empty() {
            p.push(InputProblem::file(&shown, "目录中没有文件"));
        }
        names.into_iter().map(|n| (path.join(&n), format!("{shown}/{n}"))).collect()
    } else if path.is_file() {
        vec![(path, shown)]
    } else {
        p.push(InputProblem::file(&shown, "文件或目录不存在").hint("检查 programme.toml 中 [datasets] 的路径"));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (path, shown) in files {
        if let Err(e) = ingest::inside(dir, &path, &shown, &shown) {
            p.push(e);
            continue;
        }
        match ingest::read_table(&path, &shown) {
            Ok(t) => out.push(t),
            Err(e) => p.push(e),
        }
        datasets.files.push((path, shown));
    }
    out
}

/// Read and check every dataset. `units` are the assessed counties, in order.
pub fn read(
    dir: &Path,
    display: &str,
    paths: &DatasetPaths,
    units: &[String],
    crops: &[String],
    as_of: NaiveDate,
) -> Result<Datasets, Vec<InputProblem>> {
    let mut d = Datasets::default();
    let mut p = Problems::default();

    for t in tables_at(dir, display, &paths.areas, &mut d, &mut p) {
        let Some(s) = Sheet::open(&t, &AREA_FIELDS, &mut p) else { continue };
        let mut seen = HashMap::new();
        for r in 0..t.len() {
            if s.is_total_row(r) {
                continue;
            }
            let (Some(county), Some(crop), Some(planted), Some(insured)) = (
                s.county(0, r, units, &mut p),
                s.required(1, r, &mut p),
                s.number(2, r, &mut p),
                s.number(3, r, &mut p),
            ) else {
                continue;
            };
            if !crops.contains(&crop) {
                // A crop no metric reads would be ignored silently; a typo would lose a shortfall.
                let mut problem = s.bad(1, r, format!("作物“{crop}”不在 programme.toml 的 [crops] 中"));
                problem = match nearest(&crop, crops.iter().map(String::as_str)) {
                    Some(n) => problem.hint(format!("是否应为“{n}”？新的作物请在 [crops] 中指明它的承保面指标")),
                    None => problem.hint(format!("[crops] 中的作物：{}", crops.join("、"))),
                };
                p.push(problem);
                continue;
            }
            if let Some(first) = seen.insert((county.clone(), crop.clone()), t.rows[r]) {
                p.push(s.bad(1, r, format!("{county}的{crop}已在第{first}行填写")));
                continue;
            }
            if insured > planted {
                p.push(s.bad(3, r, format!("承保面积{insured}亩大于种植面积{planted}亩")));
                continue;
            }
            d.areas.push(Area { county, crop, planted, insured });
        }
    }

    for t in tables_at(dir, display, &paths.premiums, &mut d, &mut p) {
        let Some(s) = Sheet::open(&t, &PREMIUM_FIELDS, &mut p) else { continue };
        for r in 0..t.len() {
            if s.is_total_row(r) {
                continue;
            }
            let (Some(county), Some(insurer), Some(_), Some(high_efficiency), Some(amount)) = (
                s.county(0, r, units, &mut p),
                s.required(1, r, &mut p),
                s.required(2, r, &mut p),
                s.flag(3, r, &mut p),
                s.number(4, r, &mut p),
            ) else {
                continue;
            };
            d.premiums.push(Premium { county, insurer, high_efficiency, amount });
        }
    }

    for t in tables_at(dir, display, &paths.greenhouses, &mut d, &mut p) {
        let Some(s) = Sheet::open(&t, &GREENHOUSE_FIELDS, &mut p) else { continue };
        for r in 0..t.len() {
            if s.is_total_row(r) {
                continue;
            }
            let (Some(county), Some(area), Some(insured), Some(subsidised)) =
                (s.county(0, r, units, &mut p), s.number(2, r, &mut p), s.number(3, r, &mut p), s.flag(4, r, &mut p))
            else {
                continue;
            };
            if insured > area {
                p.push(s.bad(3, r, format!("参保面积{insured}亩大于连片面积{area}亩")));
                continue;
            }
            d.greenhouses.push(Greenhouse { county, area, insured, subsidised });
        }
    }

    let mut first_subsidy: Option<(String, usize, String)> = None;
    for t in tables_at(dir, display, &paths.subsidies, &mut d, &mut p) {
        let Some(s) = Sheet::open(&t, &SUBSIDY_FIELDS, &mut p) else { continue };
        for r in 0..t.len() {
            if s.is_total_row(r) {
                continue;
            }
            let (Some(county), Some(line), Some(a), Some(b), Some(c)) = (
                s.county(0, r, units, &mut p),
                s.required(1, r, &mut p),
                s.number(2, r, &mut p),
                s.number(3, r, &mut p),
                s.number(4, r, &mut p),
            ) else {
                continue;
            };
            if a + b + c > 100.0 + 1e-9 {
                p.push(s.bad(4, r, format!("各级财政补贴合计{}%，超过100%", a + b + c)));
                continue;
            }
            d.subsidies.push(Subsidy { county, line, share: a + b + c });
            first_subsidy.get_or_insert((t.file.clone(), t.rows[r], format!("{a}+{b}+{c}")));
        }
    }
    // Shares are percents. Every line under 1% is not a poor county but a scale error:
    // 40% typed as 0.4 (or a percent cell read without its format).
    if let Some((file, row, example)) = first_subsidy {
        if d.subsidies.iter().all(|s| s.share < 1.0) {
            p.push(
                InputProblem::at(
                    &file,
                    row,
                    None,
                    format!("所有行的各级财政补贴合计都不到1%（如第{row}行 {example}），看起来是把百分数写成了小数（40% 写成了 0.4）"),
                )
                .hint("补贴比例按百分数填写：40% 填 40 或 40%；改正后重新运行"),
            );
        }
    }

    let mut claim_nos: HashMap<String, (String, usize)> = HashMap::new();
    for t in tables_at(dir, display, &paths.claims, &mut d, &mut p) {
        let Some(s) = Sheet::open(&t, &CLAIM_FIELDS, &mut p) else { continue };
        let c = &mut d.claims;
        for r in 0..t.len() {
            if s.is_total_row(r) {
                continue;
            }
            let no = s.required(0, r, &mut p);
            let county = s.county(1, r, units, &mut p);
            let insurer = s.required(2, r, &mut p);
            let assessed_on = s.date(4, r, &mut p);
            // A blank 支付日期 is an unpaid claim; anything else must be a date.
            let paid_on = if s.text(5, r).is_empty() { Some(None) } else { s.date(5, r, &mut p).map(Some) };
            let assessed = s.number(6, r, &mut p);
            let paid = if s.text(7, r).is_empty() { Some(0.0) } else { s.number(7, r, &mut p) };
            let channel = s.text(8, r).to_string();
            let posted = s.flag(9, r, &mut p);
            let (
                Some(no),
                Some(county),
                Some(insurer),
                Some(assessed_on),
                Some(paid_on),
                Some(assessed),
                Some(paid),
                Some(posted),
            ) = (no, county, insurer, assessed_on, paid_on, assessed, paid, posted)
            else {
                continue;
            };
            if let Some(pd) = paid_on {
                if pd < assessed_on {
                    p.push(s.bad(5, r, format!("支付日期{pd}早于定损日期{assessed_on}")));
                    continue;
                }
                if pd > as_of {
                    p.push(
                        s.bad(5, r, format!("支付日期{pd}晚于考核截止日{as_of}"))
                            .hint("检查日期，或修改 programme.toml 的 [assessment] as_of"),
                    );
                    continue;
                }
            }
            if assessed_on > as_of {
                p.push(s.bad(4, r, format!("定损日期{assessed_on}晚于考核截止日{as_of}")));
                continue;
            }
            if paid_on.is_some() && channel.is_empty() {
                p.push(s.bad(8, r, "已支付的赔案未填支付方式".into()));
                continue;
            }
            if let Some((file, row)) = claim_nos.insert(no.clone(), (t.file.clone(), t.rows[r])) {
                p.push(s.bad(0, r, format!("赔案号{no}重复，已见于{file}第{row}行")));
                continue;
            }
            c.no.push(no);
            c.county.push(county);
            c.insurer.push(insurer);
            c.assessed_on.push(assessed_on);
            c.paid_on.push(paid_on);
            c.assessed.push(assessed);
            c.paid.push(paid);
            c.channel.push(channel);
            c.posted.push(posted);
            c.source.push((t.file.clone(), t.rows[r]));
        }
    }

    for t in tables_at(dir, display, &paths.survey, &mut d, &mut p) {
        let Some(s) = Sheet::open(&t, &SURVEY_FIELDS, &mut p) else { continue };
        let mut seen = HashMap::new();
        for r in 0..t.len() {
            if s.is_total_row(r) {
                continue;
            }
            let (Some(county), Some(insurer), Some(households), Some(satisfied)) = (
                s.county(0, r, units, &mut p),
                s.required(1, r, &mut p),
                s.number(2, r, &mut p),
                s.number(3, r, &mut p),
            ) else {
                continue;
            };
            if satisfied > households {
                p.push(s.bad(3, r, format!("满意户数{satisfied}大于回访户数{households}")));
                continue;
            }
            if let Some(first) = seen.insert((county.clone(), insurer.clone()), t.rows[r]) {
                p.push(s.bad(1, r, format!("{county}{insurer}已在第{first}行填写")));
                continue;
            }
            let source = (t.file.clone(), t.rows[r], t.headers[s.cols[2]].clone());
            d.survey.push(Survey { county, insurer, households, satisfied, source });
        }
    }

    d.county_findings = findings(dir, display, &paths.county_findings, false, units, &mut d, &mut p);
    d.insurer_findings = findings(dir, display, &paths.insurer_findings, true, units, &mut d, &mut p);

    if let Some(rel) = &paths.last_year {
        for t in tables_at(dir, display, rel, &mut d, &mut p) {
            let Some(s) = Sheet::open(&t, &GRADE_FIELDS, &mut p) else { continue };
            for r in 0..t.len() {
                let (Some(county), Some(insurer), Some(grade)) =
                    (s.county(0, r, units, &mut p), s.required(1, r, &mut p), s.required(2, r, &mut p))
                else {
                    continue;
                };
                // A first-year insurer is declared, not inferred from a missing row.
                let grade = if FIRST_YEAR.contains(&grade.as_str()) { FIRST_YEAR_GRADE.to_string() } else { grade };
                d.last_year.insert((county, insurer), grade);
            }
        }
    }

    if p.list.is_empty() {
        check_coverage(&d, units, paths, display, &mut p);
    }
    let problems = p.finish();
    if problems.is_empty() {
        Ok(d)
    } else {
        Err(problems)
    }
}

/// A findings file: unit columns, then one column per metric (header = the metric name
/// used in the rubric), values numbers or 是/否.
fn findings(
    dir: &Path,
    display: &str,
    rel: &str,
    per_insurer: bool,
    units: &[String],
    d: &mut Datasets,
    p: &mut Problems,
) -> Findings {
    let mut out = Findings::default();
    for t in tables_at(dir, display, rel, d, p) {
        let key_fields: Vec<Field> = if per_insurer { vec![COUNTY, INSURER] } else { vec![COUNTY] };
        let Some(s) = Sheet::open(&t, &key_fields, p) else { continue };
        let metric_cols: Vec<usize> = (0..t.headers.len())
            .filter(|c| {
                !s.cols.contains(c) && !t.headers[*c].is_empty() && !NOTE_COLUMNS.contains(&t.headers[*c].as_str())
            })
            .collect();
        for &c in &metric_cols {
            let name = &t.headers[c];
            if !name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_') {
                p.push(
                    InputProblem::at(&t.file, 1, Some(name), format!("列名“{name}”不是指标名"))
                        .hint("指标列的列名写评分表中的指标名，如 rate_violations；说明文字请放在“备注”列"),
                );
            } else if !out.metrics.contains(name) {
                out.metrics.push(name.clone());
            }
        }
        for r in 0..t.len() {
            if s.is_total_row(r) {
                continue;
            }
            let Some(county) = s.county(0, r, units, p) else { continue };
            let insurer = if per_insurer {
                match s.required(1, r, p) {
                    Some(i) => i,
                    None => continue,
                }
            } else {
                String::new()
            };
            let key = (county, insurer);
            if out.rows.contains_key(&key) {
                let who = if per_insurer { format!("{}{}", key.0, key.1) } else { key.0.clone() };
                p.push(
                    InputProblem::at(&t.file, t.rows[r], None, format!("{who}出现了不止一行"))
                        .hint("每个被考核单位只填一行"),
                );
                continue;
            }
            let mut values = BTreeMap::new();
            for &c in &metric_cols {
                let raw = &t.cells[c][r];
                let bad = |m: String| InputProblem::at(&t.file, t.rows[r], Some(&t.headers[c]), m);
                if raw.is_empty() {
                    p.push(bad("为空".into()).hint("没有发现问题的填 0 或“否”"));
                    continue;
                }
                let v = parse_flag(raw).map(|b| b as u8 as f64).or_else(|| crate::cell::parse_number(raw, false).ok());
                match v {
                    Some(v) if v >= 0.0 => {
                        values.insert(t.headers[c].clone(), v);
                    }
                    _ => p.push(bad(format!("应填数字或“是/否”，不是“{raw}”"))),
                }
            }
            out.order.push(key.clone());
            out.rows.insert(key, values);
        }
    }
    out
}

/// Every county has findings, areas, premiums and subsidies; every insurer × county that
/// appears in the ledgers has findings (the pairs assessed are the findings' rows).
fn check_coverage(d: &Datasets, units: &[String], paths: &DatasetPaths, display: &str, p: &mut Problems) {
    let shown = |rel: &str| format!("{display}/{rel}");
    let needs = |file: String, has: BTreeSet<&str>, p: &mut Problems| {
        for u in units {
            if !has.contains(u.as_str()) {
                p.push(InputProblem::file(&file, format!("没有{u}的数据")).hint("每个被考核单位都要有数据行"));
            }
        }
    };
    needs(shown(&paths.areas), d.areas.iter().map(|a| a.county.as_str()).collect(), p);
    needs(shown(&paths.premiums), d.premiums.iter().map(|a| a.county.as_str()).collect(), p);
    needs(shown(&paths.subsidies), d.subsidies.iter().map(|a| a.county.as_str()).collect(), p);
    needs(shown(&paths.county_findings), d.county_findings.rows.keys().map(|k| k.0.as_str()).collect(), p);
    let pairs: BTreeSet<(&str, &str)> = d.insurer_findings.rows.keys().map(|(c, i)| (c.as_str(), i.as_str())).collect();
    // Every insurer assessed has a survey line: a missing one must not read as "no complaints".
    let surveyed: BTreeSet<(&str, &str)> = d.survey.iter().map(|s| (s.county.as_str(), s.insurer.as_str())).collect();
    for (c, i) in &pairs {
        if !surveyed.contains(&(*c, *i)) {
            p.push(
                InputProblem::file(shown(&paths.survey), format!("没有{c}“{i}”的满意度回访数据"))
                    .hint("每个被考核的承办公司都要有一行回访户数和满意户数"),
            );
        }
    }
    // (file, row) where each unknown pair first appears.
    let mut unknown: BTreeMap<(&str, &str), (String, usize)> = BTreeMap::new();
    for ((c, i), (file, row)) in d.claims.county.iter().zip(&d.claims.insurer).zip(&d.claims.source) {
        if !pairs.contains(&(c.as_str(), i.as_str())) {
            unknown.entry((c, i)).or_insert_with(|| (file.clone(), *row));
        }
    }
    for s in &d.survey {
        if !pairs.contains(&(s.county.as_str(), s.insurer.as_str())) {
            unknown.entry((&s.county, &s.insurer)).or_insert_with(|| (s.source.0.clone(), s.source.1));
        }
    }
    for ((c, i), (file, row)) in unknown {
        let problem = InputProblem::at(
            &file,
            row,
            None,
            format!("有{c}“{i}”的数据，但承办公司检查结果（{}）中没有这一承办公司", shown(&paths.insurer_findings)),
        );
        // Names differ in both directions (人保 vs 人保财险): list the county's insurers rather than guess.
        let known: Vec<&str> = pairs.iter().filter(|(pc, _)| *pc == c).map(|(_, pi)| *pi).collect();
        let problem = if known.is_empty() {
            problem.hint(format!("在承办公司检查结果中为{c}“{i}”填一行"))
        } else {
            problem.hint(format!(
                "检查结果中{c}的承办公司为：{}。两处名称须一致；若是另一家公司，在检查结果中为它填一行",
                known.join("、")
            ))
        };
        p.push(problem);
    }
}
