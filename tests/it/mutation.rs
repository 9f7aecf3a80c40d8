//! A corrupted file never crashes kaohe. Small valid rosters in every format kaohe reads
//! (CSV in UTF-8 and GBK, xlsx, Parquet, ods) are corrupted in thousands of seeded,
//! deterministic ways each — bits flipped, chunks cut, duplicated or overwritten, the
//! file truncated — and each copy is read by `ingest::read_table`: the read returns
//! (a table, or a problem whose first line is Chinese), never panics out, never shows
//! English panic text, never a full resident ID. A few copies then go through `kaohe run`
//! end to end: exit 1, nothing written, nothing English from a panic.
//!
//! `.xls` is not in the list: nothing available to the tests writes one (calamine only
//! reads it), and no `.xls` file is bundled.

use std::path::Path;
use std::time::Instant;

use crate::messy::{full_ids, jia, mini, run, write_roster, Format, HEADER};

/// splitmix64: a tiny seeded generator, so every corrupted copy is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A position in `0..len`: half of them in the last quarter of the file, where a zip
    /// keeps its central directory and a Parquet file its footer.
    fn position(&mut self, len: usize) -> usize {
        if len == 0 {
            return 0;
        }
        if self.below(2) == 0 {
            len - 1 - self.below(len.div_ceil(4))
        } else {
            self.below(len)
        }
    }
}

/// One to three corruptions of `base`.
fn mutate(base: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = base.to_vec();
    for _ in 0..1 + rng.below(3) {
        if b.is_empty() {
            break;
        }
        let len = b.len();
        let chunk = 1 + rng.below(64.min(len));
        match rng.below(5) {
            // Bits flipped.
            0 => {
                for _ in 0..1 + rng.below(8) {
                    let at = rng.position(len);
                    b[at] ^= 1 << rng.below(8);
                }
            }
            // A chunk cut out.
            1 => {
                let at = rng.position(len);
                let end = (at + chunk).min(len);
                b.drain(at..end);
            }
            // A chunk duplicated in place (a block written twice).
            2 => {
                let at = rng.position(len);
                let end = (at + chunk).min(len);
                let copy = b[at..end].to_vec();
                b.splice(at..at, copy);
            }
            // A chunk overwritten with noise or zeros.
            3 => {
                let at = rng.position(len);
                let end = (at + chunk).min(len);
                let zero = rng.below(2) == 0;
                for x in &mut b[at..end] {
                    *x = if zero { 0 } else { rng.next() as u8 };
                }
            }
            // Truncated (a download or copy cut short).
            _ => {
                let at = rng.position(len);
                b.truncate(at);
            }
        }
    }
    b
}

/// A valid roster of 甲镇 (30 rows) in `format`, as bytes.
fn valid(format: Format, dir: &Path) -> Vec<u8> {
    let path = dir.join(format!("valid.{}", format.ext()));
    write_roster(&path, format, Some(&HEADER), &jia());
    std::fs::read(path).unwrap()
}

/// The same roster as Parquet without compression and with full statistics: the pages
/// and their headers lie open to the corruption, not behind a codec's checksum.
fn plain_parquet(dir: &Path) -> Vec<u8> {
    use polars::prelude::*;
    let rows = jia();
    let columns: Vec<Column> = HEADER
        .iter()
        .enumerate()
        .map(|(k, n)| Column::new((*n).into(), rows.iter().map(|r| r[k].as_str()).collect::<Vec<&str>>()))
        .collect();
    let mut df = DataFrame::new_infer_height(columns).unwrap();
    let path = dir.join("plain.parquet");
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .with_compression(ParquetCompression::Uncompressed)
        .with_statistics(StatisticsOptions::full())
        .finish(&mut df)
        .unwrap();
    std::fs::read(path).unwrap()
}

/// What became of the corrupted copies of one file.
#[derive(Debug, Default)]
struct Tally {
    read: usize,
    refused: usize,
    /// Refused because the reader panicked and the panic was contained.
    contained: usize,
    /// The first seed whose copy made a reader panic.
    first_contained: Option<u64>,
}

/// The message a contained panic gives.
const DAMAGED: &str = "文件已损坏，无法读取";

/// What a clerk would be told about `problem` is Chinese, names the file, has a hint (or
/// a row), shows no panic text and no full ID.
fn assert_plain(problem: &kaohe::problem::InputProblem, name: &str, seed: u64) {
    let said = problem.to_string();
    let first = said.lines().next().unwrap_or("");
    assert!(
        first.starts_with(name) || first.contains(&format!("/{name}")),
        "{name}, seed {seed}: the message names the file: {said}"
    );
    assert!(
        first.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{name}, seed {seed}: the message is Chinese: {said}"
    );
    assert!(problem.hint.is_some() || problem.row.is_some(), "{name}, seed {seed}: a hint or a row: {said}");
    for english in ["panicked", "assertion failed", "stack backtrace", "RUST_BACKTRACE"] {
        assert!(!said.contains(english), "{name}, seed {seed}: panic text reaches the clerk: {said}");
    }
    assert!(full_ids(&said).is_empty(), "{name}, seed {seed}: a full ID in {said}");
}

/// The mini programme's roster dataset as declared, and its villages and towns as the
/// population table lists them: what a copy is checked against.
fn mini_rosters() -> (kaohe::validate::dataset::DatasetSpec, Vec<Vec<String>>, Vec<Vec<String>>) {
    let repo = crate::common::repo();
    let toml: toml::Table =
        std::fs::read_to_string(repo.join("tests/fixtures/mini/programme.toml")).unwrap().parse().unwrap();
    let spec: kaohe::validate::dataset::DatasetSpec = toml["datasets"]["rosters"].clone().try_into().unwrap();
    let population = std::fs::read_to_string(repo.join("tests/fixtures/mini/population.csv")).unwrap();
    let villages: Vec<Vec<String>> =
        population.lines().skip(1).map(|l| l.split(',').take(2).map(str::to_string).collect()).collect();
    let mut towns: Vec<Vec<String>> = Vec::new();
    for v in &villages {
        if !towns.iter().any(|t| t[0] == v[0]) {
            towns.push(vec![v[0].clone()]);
        }
    }
    (spec, villages, towns)
}

/// Read `copies` corrupted copies of `base` (file name `name`) with seeds `seed..`; a copy
/// that still reads as a table goes through the roster checks too (kaohe's own code on
/// whatever the corruption left).
fn corrupt_and_read(base: &[u8], name: &str, dir: &Path, seed: u64, copies: u64) -> Tally {
    let mut tally = Tally::default();
    let (mut spec, villages, towns) = mini_rosters();
    let as_of = chrono::NaiveDate::from_ymd_opt(2016, 1, 30).unwrap();
    let ext = Path::new(name).extension().unwrap().to_str().unwrap();
    for s in seed..seed + copies {
        let bytes = mutate(base, &mut Rng(s));
        let path = dir.join(format!("{s}.{ext}"));
        std::fs::write(&path, &bytes).unwrap();
        // kaohe contains the panic itself; this outer catch only makes a failure say which seed.
        let read = std::panic::catch_unwind(|| kaohe::ingest::read_table(&path, name))
            .unwrap_or_else(|_| panic!("{name}, seed {s}: the read panicked out of kaohe"));
        match read {
            Ok(table) => {
                assert!(!table.is_empty(), "{name}, seed {s}: a table without rows was read as one");
                // The roster checks of the one engine, on whatever the corruption left.
                let copy = dir.join("roster").join(name);
                std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
                std::fs::write(&copy, &bytes).unwrap();
                spec.file = format!("roster/{name}");
                let units = kaohe::validate::dataset::UnitsOf {
                    level: "village",
                    keys: &villages,
                    defines: false,
                    named_in: "人口数据",
                    levels: vec![("town", &towns), ("village", &villages)],
                };
                match kaohe::validate::dataset::read(dir, "input", "rosters", &spec, units, as_of, 2015) {
                    Ok(data) => {
                        for row in data.quality.iter().flat_map(|q| &q.rows) {
                            assert!(full_ids(&row.masked_id).is_empty(), "{name}, seed {s}: {row:?}");
                            assert!(full_ids(&row.problem).is_empty(), "{name}, seed {s}: {row:?}");
                        }
                    }
                    Err(problems) => problems.iter().for_each(|p| assert_plain(p, name, s)),
                }
                tally.read += 1;
            }
            Err(problem) => {
                assert_plain(&problem, name, s);
                tally.refused += 1;
                if problem.message == DAMAGED {
                    tally.contained += 1;
                    tally.first_contained.get_or_insert(s);
                }
            }
        }
        std::fs::remove_file(&path).unwrap();
    }
    assert_eq!(tally.read + tally.refused, copies as usize);
    tally
}

/// Copies per file: 2,000 per format, 12,000 reads in all (about a second).
const COPIES: u64 = 2_000;

fn corrupt_format(format: Format, name: &str) -> Tally {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let tally = corrupt_and_read(&valid(format, dir.path()), name, dir.path(), 1, COPIES);
    eprintln!("{name}: {COPIES} corrupted copies in {:.1?}: {tally:?}", started.elapsed());
    tally
}

#[test]
fn corrupted_csv_in_utf8_never_crashes_the_reader() {
    let t = corrupt_format(Format::Csv, "01-甲镇.csv");
    // Many copies are still tables (a flipped bit is a typo); a damaged BOM or a cut
    // character makes the text neither UTF-8 nor GBK, which is refused by name.
    assert!(t.read > 0 && t.refused > 0, "{t:?}");
    assert_eq!(t.contained, 0, "{t:?}");
}

#[test]
fn corrupted_csv_in_gbk_never_crashes_the_reader() {
    let t = corrupt_format(Format::Gbk, "01-甲镇.csv");
    assert!(t.read > 0 && t.refused > 0, "{t:?}");
    assert_eq!(t.contained, 0, "{t:?}");
}

#[test]
fn corrupted_xlsx_never_crashes_the_reader() {
    let t = corrupt_format(Format::Xlsx, "01-甲镇.xlsx");
    assert!(t.refused > 0, "{t:?}");
}

#[test]
fn corrupted_ods_never_crashes_the_reader() {
    let t = corrupt_format(Format::Ods, "01-甲镇.ods");
    assert!(t.refused > 0, "{t:?}");
}

#[test]
fn corrupted_parquet_never_crashes_the_reader() {
    let t = corrupt_format(Format::Parquet, "01-甲镇.parquet");
    assert!(t.refused > 0, "{t:?}");
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let plain = corrupt_and_read(&plain_parquet(dir.path()), "01-甲镇.parquet", dir.path(), 1, COPIES);
    eprintln!("uncompressed parquet: {COPIES} corrupted copies in {:.1?}: {plain:?}", started.elapsed());
    // The decoder panics that ended kaohe with exit 101 (issue 15) are among these copies.
    assert!(
        t.contained + plain.contained > 0,
        "no copy made polars panic any more: choose copies that do, or drop this assertion ({t:?} {plain:?})"
    );
}

// ---------------------------------------------------------------- end to end

/// The first seed from `seed` whose copy of `base` kaohe refuses — with a contained panic
/// when `panic` is set — and that copy.
fn refused_copy(base: &[u8], name: &str, panic: bool) -> (u64, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    for s in 1..5_000 {
        let bytes = mutate(base, &mut Rng(s));
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        if let Err(p) = kaohe::ingest::read_table(&path, name) {
            if !panic || p.message == DAMAGED {
                return (s, bytes);
            }
        }
    }
    panic!("{name}: no corrupted copy of the kind asked for among 5,000 seeds");
}

/// `kaohe run` on the mini programme with 甲镇's roster replaced by a corrupted copy.
fn run_with(name: &str, bytes: &[u8], seed: u64, phrases: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let (input, prog) = mini(dir.path());
    std::fs::write(prog.join("rosters").join(name), bytes).unwrap();
    let r = run(dir.path(), &input); // asserts no full ID in anything said or written
    let case = format!("{name} (seed {seed})");
    r.refused(&case, phrases);
    for english in ["panicked", "thread '", "assertion failed", "backtrace", "thrift", "RUST_BACKTRACE"] {
        assert!(!r.said.contains(english), "{case}: English panic text reaches the clerk:\n{}", r.said);
    }
}

#[test]
fn a_roster_that_makes_a_decoder_panic_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (seed, bytes) = refused_copy(&plain_parquet(dir.path()), "01-甲镇.parquet", true);
    run_with(
        "01-甲镇.parquet",
        &bytes,
        seed,
        &["01-甲镇.parquet：文件已损坏，无法读取", "提示：请从原系统重新导出该文件后再放入"],
    );
}

#[test]
fn corrupted_rosters_in_every_format_stop_the_run_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    for (format, name) in [
        (Format::Gbk, "01-甲镇.csv"),
        (Format::Xlsx, "01-甲镇.xlsx"),
        (Format::Parquet, "01-甲镇.parquet"),
        (Format::Ods, "01-甲镇.ods"),
    ] {
        let base = valid(format, dir.path());
        let (seed, bytes) = refused_copy(&base, name, false);
        run_with(name, &bytes, seed, &[name, "提示："]);
    }
}
