//! One cell's value, read the way the clerk meant it — and refused when the meaning is
//! not certain. Shared by every dataset: counts, amounts, dates, 是/否.
//!
//! What is unambiguous is read: "20元", "1,200.00", full-width digits "２０",
//! "２０１５年１２月３日", "25/11/2015". What is not is refused with a reason, never
//! guessed: "11/5/2015" (5 November or 11 May?), "20万元" (a different scale), an
//! 18-digit number in an amount column (an ID pasted into the wrong cell).

use std::borrow::Cow;

use chrono::NaiveDate;

/// Full-width ASCII (Ｕ+FF01–FF5E) and the ideographic space as their ASCII forms: what
/// a Chinese input method types when the clerk forgot to switch to half-width.
pub fn fold_width(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || !text.chars().any(|c| ('\u{ff01}'..='\u{ff5e}').contains(&c) || c == '\u{3000}') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
                '\u{3000}' => ' ',
                c => c,
            })
            .collect(),
    )
}

/// Why a cell is not a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberProblem {
    Empty,
    /// 15 or more digits: an ID or an account number, not an amount.
    IdShaped,
    /// 万/千 change the scale: the clerk must write the number in full.
    Scale(String),
    Negative,
    NotANumber,
}

impl NumberProblem {
    /// The reason, with the cell as written (IDs are masked later, at the output).
    pub fn message(&self, raw: &str) -> String {
        match self {
            NumberProblem::Empty => "为空".into(),
            NumberProblem::IdShaped => format!("“{raw}”有15位以上数字，像身份证号或账号，不是金额或数量"),
            NumberProblem::Scale(unit) => format!("“{raw}”带有“{unit}”，请写成完整的数（如 20000，不写 2万）"),
            NumberProblem::Negative => format!("不能是负数（{raw}）"),
            NumberProblem::NotANumber => format!("不是数字（“{raw}”）"),
        }
    }
}

/// Units clerks type after an amount or a count; they do not change the value.
const UNIT_SUFFIXES: &[&str] = &["元", "圆", "亩", "户", "人", "个", "件", "笔", "次"];
/// Words that do change the value.
const SCALE_WORDS: &[&str] = &["万", "千", "百", "亿"];

/// A non-negative number as a clerk writes it: "20", "20.00", "1,200", "20元", "¥20",
/// "２０". `percent` also accepts a trailing % (the value is then in percent units).
pub fn parse_number(raw: &str, percent: bool) -> Result<f64, NumberProblem> {
    // Most cells are plain digits, perhaps with a decimal point: none of the rest applies.
    let plain = raw.trim();
    if (1..15).contains(&plain.len())
        && plain.as_bytes()[0].is_ascii_digit()
        && plain.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && plain.bytes().filter(|&b| b == b'.').count() <= 1
    {
        if let Ok(v) = plain.parse::<f64>() {
            return Ok(v);
        }
    }
    let folded = fold_width(raw.trim());
    let mut t: &str = folded.trim();
    if t.is_empty() {
        return Err(NumberProblem::Empty);
    }
    t = t.trim_start_matches(['¥', '￥']).trim();
    if percent {
        t = t.strip_suffix('%').unwrap_or(t).trim_end();
    }
    for unit in UNIT_SUFFIXES {
        if let Some(rest) = t.strip_suffix(unit) {
            t = rest.trim_end();
            break;
        }
    }
    if let Some(word) = SCALE_WORDS.iter().find(|w| t.ends_with(**w)) {
        return Err(NumberProblem::Scale(word.to_string()));
    }
    let t: String = t.chars().filter(|c| *c != ',' && *c != '，').collect();
    let digits = t.split('.').next().unwrap_or("").trim_start_matches(['-', '+']);
    if digits.len() >= 15 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumberProblem::IdShaped);
    }
    // "6.10902E+17": Excel's look of a long number — an ID turned into a number.
    if t.contains("E+") || t.contains("e+") {
        if let Ok(v) = t.parse::<f64>() {
            if v.abs() >= 1e14 {
                return Err(NumberProblem::IdShaped);
            }
        }
    }
    match t.parse::<f64>() {
        Ok(v) if !v.is_finite() => Err(NumberProblem::NotANumber),
        Ok(v) if v < 0.0 => Err(NumberProblem::Negative),
        Ok(v) => Ok(v),
        Err(_) => Err(NumberProblem::NotANumber),
    }
}

/// Why a cell is not a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateProblem {
    Empty,
    /// Day and month could be either way round (11/5/2015).
    Ambiguous,
    Unreadable,
    /// A two-digit year before 年 (“13年5月1日”) that is none of the programme's years
    /// `from`..=`to`: which century, or which year, is not certain.
    FarYear {
        yy: u32,
        from: i32,
        to: i32,
    },
}

impl DateProblem {
    pub fn message(&self, raw: &str) -> String {
        match self {
            DateProblem::Empty => "日期为空".into(),
            DateProblem::Ambiguous => format!("日期“{raw}”的月和日无法区分（是几月几日？）"),
            DateProblem::Unreadable => format!("日期“{raw}”无法识别"),
            DateProblem::FarYear { yy, from, to } => format!(
                "日期“{raw}”只写了两位年份，“{yy:02}年”不在本项目的年份（{from}年至{to}年）之内，无法确定是哪一年"
            ),
        }
    }
}

/// A date as read, and whether its year was written with two digits (“16年1月30日”),
/// so that the data-quality report can say how it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRead {
    pub date: NaiveDate,
    /// The two digits written before 年, when the year was written so.
    pub two_digit_year: Option<u32>,
}

/// How to write a date so that kaohe reads it.
pub const DATE_HINT: &str = "日期写作 2015-11-05、2015/11/5 或 2015年11月5日（年在前）";

/// The date forms clerks type: 2015-11-03, 2015/11/3, 2015.11.3, 2015年11月3日,
/// 20151103, an Excel serial number, full-width digits, with or without a time.
/// Year-last forms are read only when the day is certain (25/11/2015 is 25 November);
/// 11/5/2015 is refused as [`DateProblem::Ambiguous`]. A two-digit year is refused: see
/// [`parse_date_near`] for a programme's own dates.
pub fn parse_date(raw: &str) -> Result<NaiveDate, DateProblem> {
    parse(raw, None).map(|d| d.date)
}

/// As [`parse_date`], and a two-digit year written before 年 — what a spreadsheet program
/// in a Chinese locale writes when it re-saves a date column as text (LibreOffice:
/// “16年1月30日”) — is read as the one of the programme's years `year`−1 ..= `year`+1 that
/// ends in those two digits; any other two-digit year is refused as
/// [`DateProblem::FarYear`]. “16-1-30” (no 年) stays refused: it could be read three ways.
pub fn parse_date_near(raw: &str, year: i32) -> Result<DateRead, DateProblem> {
    parse(raw, Some(year))
}

fn parse(raw: &str, year: Option<i32>) -> Result<DateRead, DateProblem> {
    let date = |date| DateRead { date, two_digit_year: None };
    // Most dates are written 2015-11-28, as a register exports them: read at once.
    if let Some(d) = iso_date(raw) {
        return Ok(date(d));
    }
    let folded = fold_width(raw.trim());
    let t = folded.trim();
    if t.is_empty() {
        return Err(DateProblem::Empty);
    }
    let t = t.split([' ', 'T']).next().unwrap_or(t);
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(t, "%Y%m%d").map(date).map_err(|_| DateProblem::Unreadable);
    }
    if let Ok(serial) = t.parse::<f64>() {
        return if (20000.0..80000.0).contains(&serial) {
            crate::ingest::excel_serial_date(serial).map(date).ok_or(DateProblem::Unreadable)
        } else {
            Err(DateProblem::Unreadable)
        };
    }
    let parts: Vec<&str> = t.split(['-', '/', '.', '年', '月', '日']).filter(|p| !p.is_empty()).collect();
    if parts.len() != 3 || !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 4) {
        return Err(DateProblem::Unreadable);
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
    let ymd = |y: u32, m: u32, d: u32| NaiveDate::from_ymd_opt(y as i32, m, d).map(date).ok_or(DateProblem::Unreadable);
    if parts[0].len() == 4 {
        return ymd(n[0], n[1], n[2]);
    }
    // “16年1月30日”: two digits, then 年.
    if let (Some(year), 2) = (year, parts[0].len()) {
        if t.starts_with(parts[0]) && t[2..].starts_with('年') {
            let yy = n[0];
            // The year ending in those digits nearest the programme's.
            let century = year - year.rem_euclid(100);
            let full = [century - 100, century, century + 100]
                .map(|c| c + yy as i32)
                .into_iter()
                .min_by_key(|y| (y - year).abs())
                .unwrap_or(year);
            if (full - year).abs() > 1 {
                return Err(DateProblem::FarYear { yy, from: year - 1, to: year + 1 });
            }
            let d = ymd(full as u32, n[1], n[2])?;
            return Ok(DateRead { two_digit_year: Some(yy), ..d });
        }
    }
    if parts[2].len() == 4 {
        let (a, b, y) = (n[0], n[1], n[2]);
        return match (a <= 12, b <= 12) {
            (true, true) if a == b => ymd(y, a, b),
            (true, true) => Err(DateProblem::Ambiguous),
            (false, true) => ymd(y, b, a),
            (true, false) => ymd(y, a, b),
            (false, false) => Err(DateProblem::Unreadable),
        };
    }
    Err(DateProblem::Unreadable)
}

/// A date written exactly YYYY-MM-DD that is a real day; anything else is left to [`parse`].
fn iso_date(raw: &str) -> Option<NaiveDate> {
    let b = raw.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)
}

/// 是/否 and the spellings clerks use for it.
pub fn parse_flag(raw: &str) -> Option<bool> {
    match fold_width(raw.trim()).to_lowercase().as_str() {
        "是" | "有" | "1" | "1.0" | "y" | "yes" | "true" | "√" => Some(true),
        "否" | "无" | "没有" | "0" | "0.0" | "n" | "no" | "false" | "×" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn amounts_as_clerks_write_them() {
        for (t, v) in
            [("20", 20.0), ("20.00", 20.0), ("20元", 20.0), ("２０", 20.0), ("１，２００．５", 1200.5), ("¥20", 20.0)]
        {
            assert_eq!(parse_number(t, false), Ok(v), "{t}");
        }
        assert_eq!(parse_number("40%", true), Ok(40.0));
        assert_eq!(parse_number("40%", false), Err(NumberProblem::NotANumber));
        assert_eq!(parse_number("2万", false), Err(NumberProblem::Scale("万".into())));
        assert_eq!(parse_number("610902198001011234", false), Err(NumberProblem::IdShaped));
        assert_eq!(parse_number("6.10902E+17", false), Err(NumberProblem::IdShaped));
        assert_eq!(parse_number("-5", false), Err(NumberProblem::Negative));
        assert_eq!(parse_number("", false), Err(NumberProblem::Empty));
    }

    #[test]
    fn dates_in_clerk_forms_and_never_a_guess() {
        for t in [
            "2016-01-30",
            "2016/1/30",
            "2016年1月30日",
            "2016.1.30",
            "20160130",
            "2016-01-30 00:00:00",
            "42399",
            "２０１６年１月３０日",
            "30/1/2016",
            "1/30/2016",
        ] {
            assert_eq!(parse_date(t), Ok(day(2016, 1, 30)), "{t}");
        }
        assert_eq!(parse_date("11/5/2015"), Err(DateProblem::Ambiguous));
        assert_eq!(parse_date("5/5/2015"), Ok(day(2015, 5, 5)));
        assert_eq!(parse_date("2016-02-30"), Err(DateProblem::Unreadable));
        assert_eq!(parse_date("明天"), Err(DateProblem::Unreadable));
        assert_eq!(parse_date(""), Err(DateProblem::Empty));
    }

    #[test]
    fn two_digit_years_before_nian_are_read_within_the_programmes_years() {
        let read = |t: &str, year: i32| parse_date_near(t, year).map(|d| (d.date, d.two_digit_year));
        // A 2015 programme: premiums paid in 2015 and up to the deadline in 2016.
        assert_eq!(read("16年1月30日", 2015), Ok((day(2016, 1, 30), Some(16))));
        assert_eq!(read("15年12月1日", 2015), Ok((day(2015, 12, 1), Some(15))));
        assert_eq!(read("16年01月30日", 2015), Ok((day(2016, 1, 30), Some(16))));
        assert_eq!(read("１６年１月３０日", 2015), Ok((day(2016, 1, 30), Some(16))));
        assert_eq!(read("14年12月31日", 2015), Ok((day(2014, 12, 31), Some(14))));
        // Across a century: a 1999 programme reads “00年” as 2000.
        assert_eq!(read("00年1月5日", 1999), Ok((day(2000, 1, 5), Some(0))));
        // Four-digit years are read as written, whatever the programme's year.
        assert_eq!(read("2016年1月30日", 2015), Ok((day(2016, 1, 30), None)));
        assert_eq!(read("2010-01-30", 2015), Ok((day(2010, 1, 30), None)));
        // Outside year−1 ..= year+1: refused, saying which years would have been read.
        let far = parse_date_near("13年5月1日", 2015).unwrap_err();
        assert_eq!(far, DateProblem::FarYear { yy: 13, from: 2014, to: 2016 });
        assert_eq!(
            far.message("13年5月1日"),
            "日期“13年5月1日”只写了两位年份，“13年”不在本项目的年份（2014年至2016年）之内，无法确定是哪一年"
        );
        assert_eq!(parse_date_near("16年2月30日", 2015), Err(DateProblem::Unreadable));
        // Without 年 a two-digit year is one of three readings: refused as before.
        assert_eq!(parse_date_near("16-1-30", 2015), Err(DateProblem::Unreadable));
        assert_eq!(parse_date_near("30/1/16", 2015), Err(DateProblem::Unreadable));
        // Without a programme year, nothing changes.
        assert_eq!(parse_date("16年1月30日"), Err(DateProblem::Unreadable));
    }
}
