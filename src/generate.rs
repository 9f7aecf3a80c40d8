//! The bundled sample input, rebuilt deterministically. Real enrollment rosters hold
//! personal data and cannot ship with the program, yet the pipeline needs a realistic
//! data set to demonstrate and test against. This module writes one: the statistics
//! bureau's population for the 34 towns of the 汉滨区 2015 circular (汉政办发〔2015〕105号;
//! each town's annex figure reproduced exactly, split into villages) and one roster per
//! town in the formats offices hand in — Excel, Parquet, GBK and UTF-8 CSV — with the
//! dirt real rosters carry: invalid IDs, duplicates within and across files, villages
//! not in the population data, blank rows and cells, late payments.
//!
//! A hand-written PRNG (splitmix64) and hand-written calendar arithmetic keep the bytes
//! identical for a given seed, whatever versions of other crates are in use.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use polars::prelude::{Column, DataFrame, ParquetWriter};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

/// The circular's annex, in its order: town, 户籍总人口（农村）(for 老城办 its total
/// population, since its quota is 20% of the total) and 参保任务数.
pub const ANNEX: [(&str, u64, u64); 34] = [
    ("老城办", 40120, 8024),
    ("新城办", 30684, 15342),
    ("江北办", 16158, 8079),
    ("建民办", 70179, 35090),
    ("五里镇", 72928, 36464),
    ("恒口镇", 98143, 49072),
    ("大同镇", 51576, 25788),
    ("关庙镇", 42111, 21055),
    ("早阳镇", 22706, 11353),
    ("共进镇", 8292, 4146),
    ("张滩镇", 28575, 14287),
    ("石梯镇", 18216, 9108),
    ("县河镇", 27613, 13807),
    ("关家镇", 19024, 9512),
    ("坝河镇", 12344, 6172),
    ("瀛湖镇", 41755, 20877),
    ("双龙镇", 16328, 8164),
    ("吉河镇", 16267, 8133),
    ("田坝镇", 12060, 6030),
    ("晏坝镇", 9929, 4965),
    ("流水镇", 20913, 10456),
    ("大竹园镇", 13392, 6696),
    ("新坝镇", 9238, 4619),
    ("洪山镇", 16360, 8180),
    ("牛蹄镇", 7960, 3980),
    ("石转镇", 8358, 4179),
    ("茨沟镇", 18859, 9430),
    ("谭坝镇", 15092, 7546),
    ("大河镇", 21955, 10978),
    ("沈坝镇", 12350, 6175),
    ("双溪镇", 8962, 4481),
    ("紫荆镇", 10213, 5107),
    ("叶坪镇", 4481, 2240),
    ("中原镇", 15653, 7826),
];

/// The first four are urban 办事处: their units are 社区.
const URBAN: usize = 4;
/// Towns drawn clearly low (55–70% of quota): 共进镇, 晏坝镇, 双溪镇 — the bottom three.
const LOW: [usize; 3] = [9, 19, 30];
/// No two quotas in the annex are equal, so the tie is two towns at exactly 100% on
/// time: 县河镇, 谭坝镇. They get no late payers and no dirt that adds persons, so
/// their completion is exactly 1 whichever rules count it.
const EXACT: [usize; 2] = [12, 27];
/// The one workbook whose clerk typed dates as text (共进镇).
const TEXT_DATES: usize = 9;

const STEMS: &[&str] = &[
    "王家", "李家", "张家", "刘家", "陈家", "杨家", "黄家", "赵家", "周家", "吴家", "石门", "双庙", "新民", "红旗",
    "光明", "团结", "和平", "胜利", "东风", "前进", "柳树", "桃园", "花园", "金星", "龙泉", "青山", "白果", "马鞍",
    "松树", "竹林", "梨树", "清泉", "凤凰", "五星", "联合", "高桥", "中心", "安乐", "天池", "七里", "十里", "三合",
    "太平", "新春",
];
const ENDS: &[&str] = &["村", "河村", "沟村", "湾村", "坪村", "坝村", "岭村", "山村"];
const COMMUNITIES: &[&str] = &[
    "新华", "建设", "东关", "西关", "南街", "北街", "江滨", "育才", "文昌", "鼓楼", "大桥", "滨江", "兴安", "安澜",
    "香溪", "金州", "共建", "和谐", "幸福", "五一", "红星", "西城", "东城", "北门", "南门", "新城", "老街", "长春",
    "白庙", "朝阳", "向阳", "民主", "人民", "友谊", "金桥", "育英",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "邓", "曹", "彭", "余", "袁", "汪", "程", "田", "肖", "潘", "鲁",
];
const GIVEN: &[&str] = &[
    "明", "华", "军", "平", "芳", "兰", "英", "红", "伟", "强", "丽", "建", "国", "秀", "玉", "成", "文", "春", "海",
    "云", "东", "林", "新", "志", "德", "永", "梅", "桂", "金", "荣", "刚", "勇", "杰", "涛", "斌", "静", "敏", "燕",
    "霞", "娟", "琴", "兵", "波", "辉", "俊", "峰", "磊", "洋", "鹏", "飞", "萍", "莉", "翠", "凤", "珍", "福", "贵",
    "宝", "山", "生",
];
/// Neighbouring counties' area codes (汉阴, 紫阳, 岚皋, 旬阳): people born elsewhere.
const NEIGHBOURS: &[&str] = &["610921", "610924", "610925", "610928"];

/// Header texts per field, rotated per file as different clerks write them.
const HEADERS: [&[&str]; 6] = [
    &["身份证号", "公民身份号码", "身份证号码"],
    &["姓名", "参保人姓名"],
    &["镇", "镇办", "乡镇"],
    &["村", "村名", "村（社区）"],
    &["保费", "保费（元）"],
    &["缴费日期", "缴费时间"],
];
const PARQUET_HEADERS: [&str; 6] = ["id_card", "name", "town", "village", "premium", "pay_date"];

/// Kinds of invalid ID, in the order counted in [`GenerateSummary::invalid_ids`].
pub const INVALID_KINDS: [&str; 5] = ["校验码错", "出生日期不存在", "17位", "19位", "中间含字母"];

/// What was written, with the deliberate dirt counted so tests can check the pipeline finds it.
#[derive(Debug, Clone, Default)]
pub struct GenerateSummary {
    /// Rows of population.csv.
    pub villages: usize,
    /// Records in all rosters (blank rows not included).
    pub roster_rows: usize,
    /// Files written: population.csv plus the rosters.
    pub files: usize,
    /// Bytes written in those files.
    pub bytes: u64,
    /// Distinct persons with a valid ID across all rosters.
    pub persons: usize,
    /// Of those, paid by 2016-01-30 / paid later (persons with a blank date are in neither).
    pub on_time: usize,
    pub late: usize,
    /// Valid IDs written with a lower-case final x.
    pub lowercase_x: usize,
    /// Invalid IDs by kind, see [`INVALID_KINDS`].
    pub invalid_ids: [usize; 5],
    pub duplicates_within: usize,
    pub duplicates_across: usize,
    pub unknown_villages: usize,
    pub blank_rows: usize,
    pub blank_premiums: usize,
    pub blank_dates: usize,
    /// Roster files per format: xlsx, parquet, CSV GBK, CSV UTF-8.
    pub formats: [usize; 4],
    /// Per town in annex order: name, quota, genuine payers on time and late (the
    /// extra persons among the dirt — unknown villages, blank cells — not included).
    pub towns: Vec<(String, u64, usize, usize)>,
}

impl fmt::Display for GenerateSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [x, p, g, u] = self.formats;
        writeln!(f, "{} villages, {} files ({} bytes), {} roster rows", self.villages, self.files, self.bytes, self.roster_rows)?;
        writeln!(f, "rosters: {x} xlsx, {p} parquet, {g} CSV GBK, {u} CSV UTF-8")?;
        writeln!(f, "persons: {} valid distinct ({} on time, {} late), {} with lower-case x", self.persons, self.on_time, self.late, self.lowercase_x)?;
        let kinds: Vec<String> = INVALID_KINDS.iter().zip(self.invalid_ids).map(|(k, n)| format!("{k} {n}")).collect();
        writeln!(f, "invalid IDs: {} ({})", self.invalid_ids.iter().sum::<usize>(), kinds.join(", "))?;
        writeln!(f, "duplicates: {} within a file, {} across files", self.duplicates_within, self.duplicates_across)?;
        write!(f, "unknown villages {}, blank rows {}, blank premiums {}, blank dates {}", self.unknown_villages, self.blank_rows, self.blank_premiums, self.blank_dates)?;
        for (town, quota, on_time, late) in &self.towns {
            write!(f, "\n  {town}: quota {quota}, on time {on_time} ({:.1}%), late {late}", *on_time as f64 * 100.0 / *quota as f64)?;
        }
        Ok(())
    }
}

/// splitmix64: tiny, well mixed, and ours, so the sample never changes under us.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// Uniform in lo..=hi.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn day(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }
    fn chance(&mut self, per_mille: usize) -> bool {
        self.below(1000) < per_mille
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm).
fn day_number(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// The inverse of [`day_number`]: (year, month, day).
fn civil(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A date as clerks write it: 0 → 2015-11-03, 1 → 2015/11/3, 2 → 2015年11月3日.
fn date_text(day: i64, style: usize) -> String {
    let (y, m, d) = civil(day);
    match style {
        0 => format!("{y:04}-{m:02}-{d:02}"),
        1 => format!("{y}/{m}/{d}"),
        _ => format!("{y}年{m}月{d}日"),
    }
}

/// GB 11643 check character of the first 17 digits.
fn check_char(first17: &[u8]) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

struct Village {
    name: String,
    total: u64,
    rural: u64,
}

/// One roster record; `None` is a blank cell.
#[derive(Clone)]
struct Row {
    id: String,
    name: String,
    village: String,
    premium: Option<u32>,
    date: Option<i64>,
}

enum Line {
    Row(Row),
    Blank,
}

fn village_name(rng: &mut Rng, ti: usize) -> String {
    if ti < URBAN {
        format!("{}社区", rng.pick(COMMUNITIES))
    } else {
        format!("{}{}", rng.pick(STEMS), rng.pick(ENDS))
    }
}

/// Split `total` into `k` parts of at least `min`, with random weights, summing exactly.
fn split(rng: &mut Rng, total: u64, k: usize, min: u64) -> Vec<u64> {
    let weights: Vec<u64> = (0..k).map(|_| rng.range(50, 150)).collect();
    let wsum: u64 = weights.iter().sum();
    let free = total - min * k as u64;
    let mut parts: Vec<u64> = weights.iter().map(|w| min + free * w / wsum).collect();
    let short = total - parts.iter().sum::<u64>();
    for i in 0..short as usize {
        parts[i % k] += 1;
    }
    parts
}

/// A town's villages: 8–25 by size, their populations summing to the annex figure.
fn villages(rng: &mut Rng, ti: usize, figure: u64) -> Vec<Village> {
    let k = (8 + figure / 3000).min(25) as usize;
    let mut names: Vec<String> = Vec::new();
    while names.len() < k {
        let n = village_name(rng, ti);
        if !names.contains(&n) {
            names.push(n);
        }
    }
    // 老城办's figure is its total population, and its rural share (25–40%) must stay ≥ 150.
    let parts = split(rng, figure, k, if ti == 0 { 750 } else { 150 });
    let mut vs: Vec<Village> = names.into_iter().zip(parts).map(|(name, part)| Village { name, total: part, rural: part }).collect();
    for v in &mut vs {
        if ti == 0 {
            v.rural = v.total * rng.range(25, 40) / 100;
        } else {
            v.total += v.rural * rng.range(3, 25) / 100;
        }
    }
    vs
}

/// Per-mille completion of each town's quota on time. Redrawn until the district's
/// on-time total is about 372,500, so with ~2% late payers it comes to ~380,000.
fn completion(rng: &mut Rng) -> Vec<u64> {
    loop {
        let f: Vec<u64> = (0..ANNEX.len())
            .map(|ti| match ti {
                _ if LOW.contains(&ti) => rng.range(550, 700),
                _ if EXACT.contains(&ti) => 1000,
                _ => rng.range(760, 1100),
            })
            .collect();
        let on_time: u64 = f.iter().zip(ANNEX).map(|(f, t)| (t.2 * f + 500) / 1000).sum();
        if (365_500..=379_500).contains(&on_time) {
            return f;
        }
    }
}

/// A fresh valid ID, never issued before in this run.
fn person_id(rng: &mut Rng, used: &mut HashSet<String>) -> String {
    let (first, last) = (day_number(1935, 1, 1), day_number(2012, 12, 31));
    loop {
        let area = if rng.chance(950) { "610902" } else { rng.pick(NEIGHBOURS) };
        let (y, m, d) = civil(rng.day(first, last));
        let body = format!("{area}{y:04}{m:02}{d:02}{:03}", rng.range(1, 999));
        let id = format!("{body}{}", check_char(body.as_bytes()));
        if used.insert(id.clone()) {
            return id;
        }
    }
}

/// An ID broken the ways typing breaks them; never valid. Returns the kind too.
fn invalid_id(rng: &mut Rng, used: &mut HashSet<String>) -> (String, usize) {
    // Built from a reserved valid ID, so it is no real person's ID mistyped by accident.
    let valid = person_id(rng, used);
    let kind = rng.below(INVALID_KINDS.len());
    let id = match kind {
        0 => {
            const CHECKS: &str = "10X98765432";
            let right = CHECKS.find(&valid[17..]).unwrap_or(0);
            let wrong = (right + 1 + rng.below(10)) % 11;
            format!("{}{}", &valid[..17], &CHECKS[wrong..=wrong])
        }
        1 => {
            // Such as 19870231; the check digit is right, so only the date is wrong.
            let mmdd = rng.pick(&["0230", "0231", "0431", "0631", "0931", "1131", "1301", "0100"]);
            let body = format!("{}{}{mmdd}{}", &valid[..6], rng.range(1940, 2005), &valid[14..17]);
            format!("{body}{}", check_char(body.as_bytes()))
        }
        2 => valid[..17].to_string(),
        3 => format!("{valid}{}", rng.below(10)),
        _ => {
            // O for 0, l for 1, and the like, somewhere before the last character.
            let at = rng.range(6, 16) as usize;
            format!("{}{}{}", &valid[..at], rng.pick(&["O", "l", "X", "S", "B"]), &valid[at + 1..])
        }
    };
    (id, kind)
}

fn person_name(rng: &mut Rng) -> String {
    let mut s = rng.pick(SURNAMES).to_string();
    for _ in 0..if rng.chance(700) { 2 } else { 1 } {
        s.push_str(rng.pick(GIVEN));
    }
    s
}

/// A village name not in the town: the suffix dropped (王家河村 → 王家河), or unknown.
fn unknown_village(rng: &mut Rng, ti: usize, vs: &[Village]) -> String {
    if rng.chance(500) {
        let real = &vs[rng.below(vs.len())].name;
        return real.strip_suffix("社区").or_else(|| real.strip_suffix('村')).unwrap_or(real).to_string();
    }
    loop {
        let n = village_name(rng, ti);
        if !vs.iter().any(|v| v.name == n) {
            return n;
        }
    }
}

const START: (i64, i64, i64) = (2015, 10, 20);
const DEADLINE: (i64, i64, i64) = (2016, 1, 30);
const LATE_END: (i64, i64, i64) = (2016, 3, 15);

fn day_of((y, m, d): (i64, i64, i64)) -> i64 {
    day_number(y, m, d)
}

/// Picks villages in proportion to population (老城办: total, elsewhere rural).
struct VillagePicker {
    cumulative: Vec<u64>,
}

impl VillagePicker {
    fn new(ti: usize, vs: &[Village]) -> Self {
        let mut acc = 0;
        let cumulative = vs.iter().map(|v| {
            acc += if ti == 0 { v.total } else { v.rural };
            acc
        });
        VillagePicker { cumulative: cumulative.collect() }
    }
    fn pick(&self, rng: &mut Rng) -> usize {
        let x = rng.next() % self.cumulative.last().copied().unwrap_or(1);
        self.cumulative.partition_point(|&c| c <= x)
    }
}

/// A town's genuine payers, listed village by village and by date as clerks compile them.
fn payers(rng: &mut Rng, ti: usize, vs: &[Village], per_mille: u64, used: &mut HashSet<String>, s: &mut GenerateSummary) -> Vec<Row> {
    let on_time = ((ANNEX[ti].2 * per_mille + 500) / 1000) as usize;
    let late = if EXACT.contains(&ti) { 0 } else { on_time * rng.range(10, 30) as usize / 1000 };
    let picker = VillagePicker::new(ti, vs);
    let (start, deadline) = (day_of(START), day_of(DEADLINE));
    let mut rows: Vec<(usize, Row)> = (0..on_time + late)
        .map(|i| {
            let date = match i {
                _ if i < on_time => rng.day(start, deadline),
                _ if i == on_time => deadline + 1, // 2016-01-31: a day late
                _ => rng.day(deadline + 2, day_of(LATE_END)),
            };
            let mut id = person_id(rng, used);
            if id.ends_with('X') && rng.chance(1) {
                id = id.to_lowercase(); // still valid: the pipeline must normalise it
                s.lowercase_x += 1;
            }
            let vi = picker.pick(rng);
            let premium = if rng.chance(100) { 50 } else { 20 };
            (vi, Row { id, name: person_name(rng), village: vs[vi].name.clone(), premium: Some(premium), date: Some(date) })
        })
        .collect();
    rows.sort_by_key(|(vi, r)| (*vi, r.date));
    s.towns.push((ANNEX[ti].0.to_string(), ANNEX[ti].2, on_time, late));
    rows.into_iter().map(|(_, r)| r).collect()
}

/// Writes population.csv and rosters/ for the 汉滨区 2015 sample into `out` (creating it).
/// Same seed → same bytes.
pub fn generate_district(out: &Path, seed: u64) -> Result<GenerateSummary, String> {
    let mut rng = Rng(seed);
    let mut s = GenerateSummary::default();
    let roster_dir = out.join("rosters");
    std::fs::create_dir_all(&roster_dir).map_err(|e| format!("{}: {e}", roster_dir.display()))?;

    let towns: Vec<Vec<Village>> = ANNEX.iter().enumerate().map(|(ti, t)| villages(&mut rng, ti, t.1)).collect();
    let mut pop = String::from("\u{feff}镇办,村,户籍总人口,农村户籍人口\r\n");
    for ((town, _, _), vs) in ANNEX.iter().zip(&towns) {
        for v in vs {
            pop += &format!("{town},{},{},{}\r\n", v.name, v.total, v.rural);
        }
        s.villages += vs.len();
    }
    s.bytes += write(&out.join("population.csv"), pop.as_bytes())?;
    s.files += 1;

    let factors = completion(&mut rng);
    let mut used = HashSet::new();
    let all: Vec<Vec<Row>> =
        (0..ANNEX.len()).map(|ti| payers(&mut rng, ti, &towns[ti], factors[ti], &mut used, &mut s)).collect();
    let total_rows: usize = all.iter().map(Vec::len).sum();
    s.persons = total_rows;
    s.on_time = s.towns.iter().map(|t| t.2).sum();
    s.late = s.towns.iter().map(|t| t.3).sum();
    let (start, deadline) = (day_of(START), day_of(DEADLINE));

    for (ti, ((town, _, _), vs)) in ANNEX.iter().zip(&towns).enumerate() {
        let rows = &all[ti];
        let n = rows.len();
        // Each kind of dirt in proportion to the file's size, at least one per file.
        let share = |target: usize| ((target * n + total_rows / 2) / total_rows).max(1);
        let picker = VillagePicker::new(ti, vs);
        let exact = EXACT.contains(&ti);
        // (after which genuine row, line); stable-sorted into place below.
        let mut extra: Vec<(usize, Line)> = Vec::new();

        for _ in 0..share(300) {
            let mut r = rows[rng.below(n)].clone();
            let (id, kind) = invalid_id(&mut rng, &mut used);
            r.id = id;
            r.name = person_name(&mut rng);
            s.invalid_ids[kind] += 1;
            extra.push((rng.below(n), Line::Row(r)));
        }
        for _ in 0..share(500) {
            let at = rng.below(n);
            let mut r = rows[at].clone();
            if rng.chance(300) {
                r.village = vs[picker.pick(&mut rng)].name.clone(); // listed in another village too
            }
            s.duplicates_within += 1;
            extra.push((at + rng.below(n - at), Line::Row(r))); // always after the first listing
        }
        if !exact {
            for _ in 0..share(150) {
                // Someone already on another town's roster (never an EXACT town's).
                let other = loop {
                    let o = rng.below(ANNEX.len());
                    if o != ti && !EXACT.contains(&o) {
                        break o;
                    }
                };
                let mut r = all[other][rng.below(all[other].len())].clone();
                r.village = vs[picker.pick(&mut rng)].name.clone();
                r.date = Some(rng.day(start, deadline));
                s.duplicates_across += 1;
                extra.push((rng.below(n), Line::Row(r)));
            }
            let fresh = |rng: &mut Rng, used: &mut HashSet<String>| Row {
                id: person_id(rng, used),
                name: person_name(rng),
                village: vs[picker.pick(rng)].name.clone(),
                premium: Some(20),
                date: Some(rng.day(start, deadline)),
            };
            for _ in 0..share(100) {
                let mut r = fresh(&mut rng, &mut used);
                r.village = unknown_village(&mut rng, ti, vs);
                s.unknown_villages += 1;
                s.persons += 1;
                s.on_time += 1;
                extra.push((rng.below(n), Line::Row(r)));
            }
            if ti % 3 == 1 {
                let mut r = fresh(&mut rng, &mut used);
                s.persons += 1;
                if ti % 2 == 0 {
                    r.premium = None;
                    s.blank_premiums += 1;
                    s.on_time += 1;
                } else {
                    r.date = None;
                    s.blank_dates += 1;
                }
                extra.push((rng.below(n), Line::Row(r)));
            }
        }
        let blanks = match ti {
            0..=9 => rng.range(1, 3),
            10..=17 => 0, // a Parquet export has no blank rows
            _ => rng.range(2, 5),
        };
        for _ in 0..blanks {
            s.blank_rows += 1;
            extra.push((rng.below(n), Line::Blank));
        }

        let mut keyed: Vec<(usize, Line)> = rows.iter().enumerate().map(|(i, r)| (2 * i, Line::Row(r.clone()))).collect();
        keyed.extend(extra.into_iter().map(|(after, line)| (2 * after + 1, line)));
        keyed.sort_by_key(|(k, _)| *k);
        let lines: Vec<Line> = keyed.into_iter().map(|(_, l)| l).collect();
        s.roster_rows += lines.iter().filter(|l| matches!(l, Line::Row(_))).count();

        let headers: Vec<&str> = HEADERS.iter().enumerate().map(|(k, h)| h[(ti + k) % h.len()]).collect();
        let stem = roster_dir.join(format!("{:02}-{town}", ti + 1));
        s.bytes += match ti {
            0..=9 => {
                s.formats[0] += 1;
                write_xlsx(&stem.with_extension("xlsx"), &headers, town, &lines, ti == TEXT_DATES)?
            }
            10..=17 => {
                s.formats[1] += 1;
                write_parquet(&stem.with_extension("parquet"), town, &lines)?
            }
            _ => {
                let text = csv_text(&mut rng, &headers, town, &lines, ti % 3);
                let bytes = if ti < 24 {
                    s.formats[2] += 1;
                    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
                    if unmappable {
                        return Err(format!("{town}: a character has no GBK code"));
                    }
                    gbk.into_owned()
                } else {
                    s.formats[3] += 1;
                    // Half the UTF-8 files carry the BOM Excel writes, half do not.
                    let bom = if (ti + 1) % 2 == 0 { "\u{feff}" } else { "" };
                    format!("{bom}{text}").into_bytes()
                };
                write(&stem.with_extension("csv"), &bytes)?
            }
        };
        s.files += 1;
    }
    Ok(s)
}

fn write(path: &Path, bytes: &[u8]) -> Result<u64, String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(bytes.len() as u64)
}

/// CSV as Excel writes it: CRLF, no quoting needed (no commas in any cell).
fn csv_text(rng: &mut Rng, headers: &[&str], town: &str, lines: &[Line], date_style: usize) -> String {
    let mut text = headers.join(",") + "\r\n";
    for line in lines {
        match line {
            Line::Blank => text += if rng.chance(500) { "\r\n" } else { ",,,,,\r\n" },
            Line::Row(r) => {
                let premium = r.premium.map(|p| p.to_string()).unwrap_or_default();
                let date = r.date.map(|d| date_text(d, date_style)).unwrap_or_default();
                text += &format!("{},{},{town},{},{premium},{date}\r\n", r.id, r.name, r.village);
            }
        }
    }
    text
}

/// IDs as text cells, premiums as numbers, dates as real date cells (or typed text).
fn write_xlsx(path: &Path, headers: &[&str], town: &str, lines: &[Line], text_dates: bool) -> Result<u64, String> {
    let err = |e: XlsxError| format!("{}: {e}", path.display());
    let mut book = Workbook::new();
    // A fixed creation time: otherwise docProps/core.xml holds "now" and bytes differ per run.
    let created = ExcelDateTime::from_ymd(2016, 1, 30).map_err(err)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let sheet = book.add_worksheet();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).map_err(err)?;
    }
    sheet.set_column_width(0, 21).map_err(err)?;
    sheet.set_column_width(5, 12).map_err(err)?;
    let mut row = 0u32;
    for line in lines {
        row += 1; // a Blank line leaves the row empty
        let Line::Row(r) = line else { continue };
        sheet.write_string(row, 0, &r.id).map_err(err)?;
        sheet.write_string(row, 1, &r.name).map_err(err)?;
        sheet.write_string(row, 2, town).map_err(err)?;
        sheet.write_string(row, 3, &r.village).map_err(err)?;
        if let Some(p) = r.premium {
            sheet.write_number(row, 4, f64::from(p)).map_err(err)?;
        }
        match r.date {
            Some(d) if text_dates => {
                sheet.write_string(row, 5, date_text(d, 2)).map_err(err)?;
            }
            Some(d) => {
                let (y, m, d) = civil(d);
                let cell = ExcelDateTime::from_ymd(y as u16, m as u8, d as u8).map_err(err)?;
                sheet.write_datetime_with_format(row, 5, &cell, &date_format).map_err(err)?;
            }
            None => {}
        }
    }
    let bytes = book.save_to_buffer().map_err(err)?;
    write(path, &bytes)
}

/// Every column as strings, as an export from another system would have it; blanks are nulls.
fn write_parquet(path: &Path, town: &str, lines: &[Line]) -> Result<u64, String> {
    let mut cols: [Vec<Option<String>>; 6] = Default::default();
    for line in lines {
        let Line::Row(r) = line else { continue };
        cols[0].push(Some(r.id.clone()));
        cols[1].push(Some(r.name.clone()));
        cols[2].push(Some(town.to_string()));
        cols[3].push(Some(r.village.clone()));
        cols[4].push(r.premium.map(|p| p.to_string()));
        cols[5].push(r.date.map(|d| date_text(d, 0)));
    }
    let columns: Vec<Column> = PARQUET_HEADERS.iter().zip(cols).map(|(h, c)| Column::new((*h).into(), c)).collect();
    let err = |e: polars::error::PolarsError| format!("{}: {e}", path.display());
    let mut df = DataFrame::new_infer_height(columns).map_err(err)?;
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut df).map_err(err)?;
    write(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_char_matches_the_standard_example() {
        assert_eq!(check_char(b"11010519491231002"), 'X');
    }

    #[test]
    fn calendar_round_trips() {
        for z in day_number(1935, 1, 1)..day_number(2016, 12, 31) {
            let (y, m, d) = civil(z);
            assert_eq!(day_number(y, m, d), z);
        }
        assert_eq!(date_text(day_number(2015, 11, 3), 1), "2015/11/3");
    }

    #[test]
    fn synthetic_names_use_gb2312_level_1_only() {
        let lists = [STEMS, ENDS, COMMUNITIES, SURNAMES, GIVEN, &["社区"]];
        for ch in lists.iter().flat_map(|l| l.iter()).flat_map(|s| s.chars()) {
            let text = ch.to_string();
            let (b, _, bad) = encoding_rs::GBK.encode(&text);
            assert!(!bad && b.len() == 2 && (0xB0..=0xD7).contains(&b[0]), "{ch} is not GB2312 level 1");
        }
    }
}
