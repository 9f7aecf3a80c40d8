//! The province workload for the benchmark (`kaohe generate --workload province`): one
//! programme folder per county, each with its population (towns × villages) and one
//! roster per town — UTF-8 CSV, GBK CSV or Parquet by county — with the bundled sample's
//! dirt ratios (invalid IDs, duplicates within and across files, unknown villages, late
//! payments). Deterministic from the seed; IDs are unique by construction, not by a set,
//! so twenty million rows need no memory beyond one file.

use std::path::Path;

use chrono::{Duration, NaiveDate};

use kaohe::validate::id_check_char;

use super::{Rng, VILLAGE_ENDS as ENDS, VILLAGE_STEMS as STEMS};

const TOWN_STEMS: &[&str] = &[
    "东城", "西城", "南山", "北坪", "河口", "石桥", "新集", "高岭", "平安", "永丰", "太平", "安乐", "长乐", "兴隆",
    "龙门", "金川", "白沙", "黄土", "青龙", "清水", "双河", "三里", "五峰", "七星", "九龙",
];

/// Roster headers, as the bureau's template writes them.
const HEADERS: [&str; 6] = ["身份证号", "姓名", "镇", "村", "保费", "缴费日期"];

/// The shape of a province.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub counties: usize,
    pub towns: usize,
    pub villages: usize,
    /// Roster rows per county (before dirt).
    pub rows_per_county: usize,
}

/// 100 counties × 15 towns × 10 villages, 20 million roster rows.
pub const PROVINCE: Shape = Shape { counties: 100, towns: 15, villages: 10, rows_per_county: 200_000 };

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct ProvinceSummary {
    pub programmes: usize,
    pub files: usize,
    pub rows: usize,
    pub bytes: u64,
}

/// The bundled 汉滨 programme file, as one county of the province would write it: its
/// name and issuer, no 老城办 (every town at 50% of 农村户籍人口), the same views.
fn programme_toml(county: &str) -> String {
    const HANBIN: &str = include_str!("../../../input/hanbin-2015-micro/programme.toml");
    let text = HANBIN
        .replace("region = \"汉滨区\"", &format!("region = \"{county}\""))
        .replace("issuer = \"安康市汉滨区人民政府办公室\"", &format!("issuer = \"{county}人民政府办公室\""))
        .replace("code = \"汉政办发\"", "code = \"县政办发\"")
        .replace("serial = 105", "serial = 1")
        .replace(", overrides = { \"老城办\" = { rate = \"20%\", base = \"total\" } }", "")
        .replace(", overrides = { \"老城办\" = { base = \"total_v\" } }", "")
        .replace("老城办按户籍总人口20%下达，", "")
        .replace("保持全区总数", "保持全县总数")
        .replace("全区", "全县");
    format!("# Benchmark workload: one county of the generated province.\n{text}")
}

/// A unique valid ID for person `p` of county `c`: the area code names the county, and
/// (birth day, sequence) is a bijection of `p` within blocks of 25,000.
fn id_of(c: usize, p: usize) -> String {
    let area = 410100 + c as u64 * 3;
    let birth = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap() + Duration::days(((p * 7919) % 25_000) as i64);
    let first17 = format!("{area}{}{:03}", birth.format("%Y%m%d"), p / 25_000);
    let check = id_check_char(first17.as_bytes());
    format!("{first17}{check}")
}

/// Write the province into `out`: `out/county-NNN/` programme folders.
pub fn generate(out: &Path, seed: u64, shape: Shape) -> Result<ProvinceSummary, String> {
    let mut rng = Rng(seed);
    let mut summary = ProvinceSummary::default();
    let deadline = NaiveDate::from_ymd_opt(2016, 1, 30).unwrap();
    let start = NaiveDate::from_ymd_opt(2015, 10, 20).unwrap();
    for c in 0..shape.counties {
        let county = format!("第{}县", c + 1);
        let dir = out.join(format!("county-{:03}", c + 1));
        std::fs::create_dir_all(dir.join("rosters")).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("programme.toml"), programme_toml(&county)).map_err(|e| e.to_string())?;
        // Towns and villages; rural population about 2.2 × the rows so completion lands near 90%.
        let towns: Vec<String> = (0..shape.towns)
            .map(|t| format!("{}{}镇", TOWN_STEMS[t % TOWN_STEMS.len()], if t >= TOWN_STEMS.len() { "新" } else { "" }))
            .collect();
        let mut villages: Vec<Vec<String>> = Vec::new();
        let mut pop = String::from("镇办,村,户籍总人口,农村户籍人口\r\n");
        let per_village = (shape.rows_per_county * 22 / 10 / (shape.towns * shape.villages)).max(10) as u64;
        for town in &towns {
            let mut names: Vec<String> = Vec::new();
            while names.len() < shape.villages {
                let n = format!("{}{}", rng.pick(STEMS), rng.pick(ENDS));
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            for v in &names {
                let rural = per_village * rng.range(80, 120) / 100;
                pop += &format!("{town},{v},{},{rural}\r\n", rural + rural / 10);
            }
            villages.push(names);
        }
        std::fs::write(dir.join("population.csv"), &pop).map_err(|e| e.to_string())?;
        summary.bytes += pop.len() as u64;

        // One roster per town; dirt in the sample's proportions.
        let per_town = shape.rows_per_county / shape.towns;
        let mut person = 0usize;
        let mut previous: Vec<[String; 6]> = Vec::new();
        for (t, town) in towns.iter().enumerate() {
            let mut rows: Vec<[String; 6]> = Vec::with_capacity(per_town + per_town / 200);
            for _ in 0..per_town {
                let late = rng.chance(19);
                let date = if late {
                    deadline + Duration::days(rng.range(1, 45) as i64)
                } else {
                    start + Duration::days(rng.below(103) as i64)
                };
                let v = rng.below(shape.villages as u64) as usize;
                rows.push([
                    id_of(c, person),
                    format!(
                        "{}{}",
                        rng.pick(&["王", "李", "张", "刘", "陈"]),
                        rng.pick(&["明", "华", "军", "芳", "兰"])
                    ),
                    town.clone(),
                    villages[t][v].clone(),
                    "20".into(),
                    date.format("%Y-%m-%d").to_string(),
                ]);
                person += 1;
            }
            let n = rows.len() as u64;
            let mut dirt = Vec::new();
            for _ in 0..(per_town * 8 / 10_000).max(1) {
                let mut r = rows[rng.below(n) as usize].clone();
                r[0].truncate(17); // one digit short
                dirt.push(r);
            }
            for _ in 0..(per_town * 13 / 10_000).max(1) {
                dirt.push(rows[rng.below(n) as usize].clone());
            }
            for _ in 0..(per_town * 4 / 10_000).max(1) {
                if let Some(r) = previous.get(rng.below(previous.len().max(1) as u64) as usize) {
                    let mut r = r.clone();
                    r[2] = town.clone();
                    r[3] = villages[t][0].clone();
                    dirt.push(r);
                }
            }
            for _ in 0..(per_town * 2 / 10_000).max(1) {
                let mut r = rows[rng.below(n) as usize].clone();
                r[0] = id_of(c, person);
                person += 1;
                r[3] = "外来村".into();
                dirt.push(r);
            }
            for r in dirt {
                let at = rng.below(rows.len() as u64) as usize;
                let displaced = std::mem::replace(&mut rows[at], r);
                rows.push(displaced);
            }
            summary.rows += rows.len();
            let file = dir.join("rosters").join(format!("{:02}-{town}", t + 1));
            summary.bytes += match c % 5 {
                1 => super::district::write_parquet(&file.with_extension("parquet"), &rows, HEADERS)?,
                k => write_csv(&file.with_extension("csv"), &rows, k == 0)?,
            };
            summary.files += 1;
            previous = rows.iter().step_by(97).take(500).cloned().collect();
        }
        summary.programmes += 1;
    }
    Ok(summary)
}

fn write_csv(path: &Path, rows: &[[String; 6]], gbk: bool) -> Result<u64, String> {
    let mut text = String::with_capacity(rows.len() * 64);
    text += &HEADERS.join(",");
    text += "\r\n";
    for r in rows {
        text += &r.join(",");
        text += "\r\n";
    }
    let bytes = if gbk {
        let (b, _, bad) = encoding_rs::GBK.encode(&text);
        if bad {
            return Err(format!("{}: not encodable in GBK", path.display()));
        }
        b.into_owned()
    } else {
        text.into_bytes()
    };
    std::fs::write(path, &bytes).map_err(|e| e.to_string())?;
    Ok(bytes.len() as u64)
}
