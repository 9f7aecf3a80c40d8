//! The bundled sample, rebuilt deterministically: the statistics bureau's population
//! for the 34 towns of the 汉滨区 2015 circular (exactly the circular's figures, split
//! into villages) and one enrollment roster per town, in the formats and with the dirt
//! that real rosters have — invalid IDs, duplicates within and across files, villages
//! not in the population data, blank rows and cells, late payments.
//!
//! A hand-written PRNG (splitmix64) keeps the bytes identical across crate upgrades.

use std::collections::HashSet;
use std::path::Path;

use chrono::{Duration, NaiveDate};
use polars::prelude::*;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

use kaohe::validate::id_check_char;

use super::{person_name as name, Rng, VILLAGE_ENDS, VILLAGE_STEMS};

/// The circular's annex: town, 户籍总人口（农村）(老城办: 户籍总人口), 参保任务数.
pub const SEED_TOWNS: [(&str, u64, u64); 34] = [
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

const COMMUNITIES: &[&str] = &[
    "新华", "建设", "东关", "西关", "南街", "北街", "江滨", "育才", "文昌", "鼓楼", "大桥", "滨江", "兴安", "安澜",
    "香溪", "金州", "共建", "和谐", "幸福", "五一", "红星", "西城", "东城", "北门", "南门",
];

/// Headers per field, rotated per file as different clerks write them.
const HEADERS: [&[&str]; 6] = [
    &["身份证号", "公民身份号码", "身份证号码"],
    &["姓名", "参保人姓名"],
    &["镇", "镇办", "乡镇"],
    &["村", "村名", "村（社区）"],
    &["保费", "保费（元）"],
    &["缴费日期", "缴费时间"],
];

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct SampleSummary {
    pub villages: usize,
    pub roster_rows: usize,
    pub files: usize,
    pub bytes: u64,
    pub invalid_ids: usize,
    pub duplicates_within: usize,
    pub duplicates_across: usize,
    pub unknown_villages: usize,
    pub blank_cells: usize,
    pub late: usize,
}

struct SampleVillage {
    name: String,
    total: u64,
    rural: u64,
}

/// Split `total` into `k` parts of at least `min`, with random weights, summing exactly.
fn split(rng: &mut Rng, total: u64, k: usize, min: u64) -> Vec<u64> {
    let weights: Vec<u64> = (0..k).map(|_| rng.range(50, 150)).collect();
    let wsum: u64 = weights.iter().sum();
    let free = total - min * k as u64;
    let mut parts: Vec<u64> = weights.iter().map(|w| min + free * w / wsum).collect();
    let mut left = total - parts.iter().sum::<u64>();
    let mut i = 0;
    while left > 0 {
        parts[i % k] += 1;
        left -= 1;
        i += 1;
    }
    parts
}

fn villages_of(rng: &mut Rng, ti: usize, name: &str, figure: u64) -> Vec<SampleVillage> {
    let urban = name.ends_with('办');
    let pool = if urban { COMMUNITIES.len() } else { VILLAGE_STEMS.len() * VILLAGE_ENDS.len() };
    let k = ((figure / 2500) as usize + 6).clamp(8, 36).min(pool);
    let mut names: Vec<String> = Vec::new();
    while names.len() < k {
        let n = if urban {
            format!("{}社区", rng.pick(COMMUNITIES))
        } else {
            format!("{}{}", rng.pick(VILLAGE_STEMS), rng.pick(VILLAGE_ENDS))
        };
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let parts = split(rng, figure, k, 150);
    names
        .into_iter()
        .zip(parts)
        .map(|(name, part)| {
            if ti == 0 {
                // 老城办: the figure is its total population; its rural share is small.
                let rural = part * rng.range(20, 40) / 100;
                SampleVillage { name, total: part, rural }
            } else {
                let total = part + part * rng.range(3, 25) / 100;
                SampleVillage { name, total, rural: part }
            }
        })
        .collect()
}

fn random_id(rng: &mut Rng, used: &mut HashSet<String>) -> String {
    loop {
        let area = if rng.chance(950) { "610902" } else { ["610921", "610922", "610923"][rng.below(3) as usize] };
        let birth = NaiveDate::from_ymd_opt(1935, 1, 1).unwrap() + Duration::days(rng.below(28_000) as i64);
        let first17 = format!("{area}{}{:03}", birth.format("%Y%m%d"), rng.below(1000));
        let id = format!("{first17}{}", id_check_char(first17.as_bytes()));
        if used.insert(id.clone()) {
            return id;
        }
    }
}

/// An ID broken the ways typing breaks them; never valid.
fn broken_id(rng: &mut Rng, valid: &str) -> String {
    let mut b: Vec<u8> = valid.as_bytes().to_vec();
    match rng.below(4) {
        0 => {
            // wrong check digit
            let right = b[17];
            b[17] = if right == b'0' {
                b'1'
            } else if right == b'X' {
                b'0'
            } else {
                right - 1
            };
            if b[17] == right {
                b[17] = b'2';
            }
            String::from_utf8(b).unwrap()
        }
        1 => {
            // impossible birth date (month 13), check digit recomputed
            b[10] = b'1';
            b[11] = b'3';
            let check = id_check_char(&b[..17]);
            b[17] = check as u8;
            String::from_utf8(b).unwrap()
        }
        2 => valid[..17].to_string(),               // one digit short
        _ => format!("{}{}", valid, rng.below(10)), // one digit too many
    }
}

/// A roster row as text cells: id, name, town, village, premium, date.
type Row = [String; 6];

fn date_text(d: NaiveDate, style: usize) -> String {
    use chrono::Datelike;
    match style {
        0 => d.format("%Y-%m-%d").to_string(),
        1 => format!("{}/{}/{}", d.year(), d.month(), d.day()),
        _ => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
    }
}

/// Write population.csv and rosters/ into `out`. Same seed → same bytes.
pub fn generate_district(out: &Path, seed: u64) -> Result<SampleSummary, String> {
    let mut rng = Rng(seed);
    let mut summary = SampleSummary::default();
    std::fs::create_dir_all(out.join("rosters")).map_err(|e| e.to_string())?;
    let towns: Vec<Vec<SampleVillage>> =
        SEED_TOWNS.iter().enumerate().map(|(i, (n, f, _))| villages_of(&mut rng, i, n, *f)).collect();
    let mut pop = String::from("\u{feff}镇办,村,户籍总人口,农村户籍人口\r\n");
    for ((town, _, _), vs) in SEED_TOWNS.iter().zip(&towns) {
        for v in vs {
            pop += &format!("{town},{},{},{}\r\n", v.name, v.total, v.rural);
        }
        summary.villages += vs.len();
    }
    std::fs::write(out.join("population.csv"), &pop).map_err(|e| e.to_string())?;

    let deadline = NaiveDate::from_ymd_opt(2016, 1, 30).unwrap();
    let start = NaiveDate::from_ymd_opt(2015, 10, 20).unwrap();
    let mut used = HashSet::new();
    let mut previous_town: Vec<Row> = Vec::new();
    for (ti, ((town, _, quota), vs)) in SEED_TOWNS.iter().zip(&towns).enumerate() {
        // Completion: three towns clearly low, two exactly complete (a tie), the rest 80–115%.
        let per_mille = match ti {
            9 | 20 | 30 => rng.range(550, 700),
            12 | 27 => 1000,
            _ => rng.range(780, 1080),
        };
        let on_time = quota * per_mille / 1000;
        let late = on_time * rng.range(10, 30) / 1000;
        let weights: Vec<u64> = vs.iter().map(|v| v.total).collect();
        let wsum: u64 = weights.iter().sum();
        let pick_village = |rng: &mut Rng| {
            let mut x = rng.below(wsum);
            for (v, w) in vs.iter().zip(&weights) {
                if x < *w {
                    return v.name.clone();
                }
                x -= w;
            }
            vs[0].name.clone()
        };
        let mut rows: Vec<Row> = Vec::new();
        for i in 0..on_time + late {
            let date = if i >= on_time {
                summary.late += 1;
                deadline + Duration::days(rng.range(1, 45) as i64)
            } else if i < 3 {
                deadline // paid on the last day: on time
            } else {
                start + Duration::days(rng.below(103) as i64)
            };
            let mut id = random_id(&mut rng, &mut used);
            if rng.chance(2) && id.ends_with('X') {
                id = id.to_lowercase(); // a lower-case x is still valid
            }
            let premium = if rng.chance(100) { "50" } else { "20" };
            rows.push([
                id,
                name(&mut rng),
                town.to_string(),
                pick_village(&mut rng),
                premium.into(),
                date.format("%Y-%m-%d").to_string(),
            ]);
        }
        // Dirt, spread through the file.
        let n = rows.len() as u64;
        let mut dirt: Vec<Row> = Vec::new();
        for _ in 0..rng.range(6, 12) {
            let mut r = rows[rng.below(n) as usize].clone();
            let valid = random_id(&mut rng, &mut used);
            r[0] = broken_id(&mut rng, &valid);
            dirt.push(r);
            summary.invalid_ids += 1;
        }
        for _ in 0..rng.range(10, 20) {
            let mut r = rows[rng.below(n) as usize].clone();
            if rng.chance(300) {
                r[3] = pick_village(&mut rng); // same person, listed in another village too
            }
            dirt.push(r);
            summary.duplicates_within += 1;
        }
        if !previous_town.is_empty() {
            for _ in 0..rng.range(3, 6) {
                let mut r = previous_town[rng.below(previous_town.len() as u64) as usize].clone();
                r[2] = town.to_string();
                r[3] = pick_village(&mut rng);
                dirt.push(r);
                summary.duplicates_across += 1;
            }
        }
        for _ in 0..rng.range(2, 4) {
            let mut r = rows[rng.below(n) as usize].clone();
            r[0] = random_id(&mut rng, &mut used);
            let real = r[3].clone();
            r[3] = if rng.chance(500) {
                real.trim_end_matches('村').to_string()
            } else {
                format!("{}村", rng.pick(VILLAGE_STEMS)) + "外"
            };
            if r[3] == real {
                r[3] = "外来村".into();
            }
            dirt.push(r);
            summary.unknown_villages += 1;
        }
        if ti % 3 == 0 {
            let mut r = rows[rng.below(n) as usize].clone();
            r[0] = random_id(&mut rng, &mut used);
            let k = if rng.chance(500) { 4 } else { 5 };
            r[k] = String::new();
            dirt.push(r);
            summary.blank_cells += 1;
        }
        for r in dirt {
            let at = rng.below(rows.len() as u64 + 1) as usize;
            rows.insert(at.max(1), r);
        }
        summary.roster_rows += rows.len();
        let file = format!("{:02}-{town}", ti + 1);
        let headers: Vec<&str> = HEADERS.iter().map(|h| h[ti % h.len()]).collect();
        let bytes = match ti + 1 {
            1..=10 => write_xlsx(&out.join("rosters").join(format!("{file}.xlsx")), &headers, &rows, ti + 1 != 10)?,
            11..=18 => write_parquet(
                &out.join("rosters").join(format!("{file}.parquet")),
                &rows,
                ["id_card", "name", "town", "village", "premium", "pay_date"],
            )?,
            n => {
                let style = ti % 3;
                let mut text = String::new();
                if n >= 25 && n % 2 == 0 {
                    text.push('\u{feff}');
                }
                text += &headers.join(",");
                text += "\r\n";
                for (i, r) in rows.iter().enumerate() {
                    if i % 20_000 == 7 {
                        text += if i % 2 == 0 { "\r\n" } else { ",,,,,\r\n" };
                    }
                    let date =
                        NaiveDate::parse_from_str(&r[5], "%Y-%m-%d").map(|d| date_text(d, style)).unwrap_or_default();
                    text += &format!("{},{},{},{},{},{}\r\n", r[0], r[1], r[2], r[3], r[4], date);
                }
                let bytes = if n <= 24 {
                    let (gbk, _, bad) = encoding_rs::GBK.encode(&text);
                    if bad {
                        return Err(format!("{file}: not encodable in GBK"));
                    }
                    gbk.into_owned()
                } else {
                    text.into_bytes()
                };
                std::fs::write(out.join("rosters").join(format!("{file}.csv")), &bytes).map_err(|e| e.to_string())?;
                bytes.len() as u64
            }
        };
        summary.bytes += bytes;
        summary.files += 1;
        previous_town =
            rows.iter().filter(|r| kaohe::validate::check_id(&r[0], deadline).is_ok()).take(2000).cloned().collect();
    }
    summary.bytes += pop.len() as u64;
    Ok(summary)
}

fn write_xlsx(path: &Path, headers: &[&str], rows: &[Row], date_cells: bool) -> Result<u64, String> {
    let err = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut book = Workbook::new();
    let created = ExcelDateTime::from_ymd(2016, 1, 30).map_err(err)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let sheet = book.add_worksheet();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).map_err(err)?;
    }
    let mut r = 1u32;
    for (i, row) in rows.iter().enumerate() {
        if i % 15_000 == 11 {
            r += 1; // an empty row, as clerks leave them
        }
        sheet.write_string(r, 0, &row[0]).map_err(err)?;
        sheet.write_string(r, 1, &row[1]).map_err(err)?;
        sheet.write_string(r, 2, &row[2]).map_err(err)?;
        sheet.write_string(r, 3, &row[3]).map_err(err)?;
        if let Ok(p) = row[4].parse::<f64>() {
            sheet.write_number(r, 4, p).map_err(err)?;
        }
        if let Ok(d) = NaiveDate::parse_from_str(&row[5], "%Y-%m-%d") {
            if date_cells {
                use chrono::Datelike;
                let cell = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).map_err(err)?;
                sheet.write_datetime_with_format(r, 5, &cell, &date_format).map_err(err)?;
            } else {
                sheet.write_string(r, 5, date_text(d, 2)).map_err(err)?;
            }
        }
        r += 1;
    }
    let bytes = book.save_to_buffer().map_err(err)?;
    std::fs::write(path, &bytes).map_err(|e| e.to_string())?;
    Ok(bytes.len() as u64)
}

/// Roster rows as a Parquet file with the given column names.
pub(crate) fn write_parquet(path: &Path, rows: &[Row], names: [&str; 6]) -> Result<u64, String> {
    let columns: Vec<Column> = names
        .iter()
        .enumerate()
        .map(|(k, n)| Column::new((*n).into(), rows.iter().map(|r| r[k].as_str()).collect::<Vec<&str>>()))
        .collect();
    let mut df = DataFrame::new_infer_height(columns).map_err(|e| e.to_string())?;
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    ParquetWriter::new(file).finish(&mut df).map_err(|e| e.to_string())?;
    std::fs::metadata(path).map(|m| m.len()).map_err(|e| e.to_string())
}
