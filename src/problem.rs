//! Problems with the input that stop a run, collected so the clerk sees all of them at once.
//!
//! A broken column, an unknown town or a bad rate is not a per-row data issue: kaohe
//! refuses to produce tables from it. Every problem names the file, and where it can,
//! the row and column, and carries a hint saying how to fix it.

use std::fmt;

/// One fatal problem with an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// File as the user named it (relative to the input folder where possible).
    pub file: String,
    /// 1-based row as Excel shows it (the header is row 1), if the problem is in one row.
    pub row: Option<usize>,
    /// Column header as written in the file, if the problem is in one column.
    pub column: Option<String>,
    /// What is wrong, in plain words.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl InputProblem {
    /// A problem with a whole file.
    pub fn file(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputProblem { file: file.into(), row: None, column: None, message: message.into(), hint: None }
    }

    /// A problem at a row (and optionally a column) of a file.
    pub fn at(file: impl Into<String>, row: usize, column: Option<&str>, message: impl Into<String>) -> Self {
        InputProblem {
            file: file.into(),
            row: Some(row),
            column: column.map(str::to_string),
            message: message.into(),
            hint: None,
        }
    }

    /// Attach a hint line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Attach a column.
    pub fn column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }
}

impl fmt::Display for InputProblem {
    /// IDs in any part of the message (a cell quoted back, a file name) are masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::redact::mask_ids(&self.unmasked()))
    }
}

impl InputProblem {
    fn unmasked(&self) -> String {
        let mut f = String::new();
        let _ = self.write_to(&mut f);
        f
    }

    fn write_to(&self, f: &mut String) -> fmt::Result {
        use std::fmt::Write;
        write!(f, "{}", self.file)?;
        if let Some(row) = self.row {
            write!(f, " 第{row}行")?;
        }
        if let Some(col) = &self.column {
            write!(f, " “{col}”列")?;
        }
        write!(f, "：{}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  提示：{hint}")?;
        }
        Ok(())
    }
}

/// All fatal input problems of one run.
#[derive(Debug, Clone, Default)]
pub struct InputErrors(pub Vec<InputProblem>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "输入数据有 {} 处问题，未写入任何文件：", self.0.len())?;
        for p in &self.0 {
            writeln!(f, "- {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputErrors {}

/// The known name closest to `name`, if it is close enough to be a likely typo.
pub fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for k in known {
        // Edit-distance similarity, plus a little for each shared leading character:
        // a clerk's typo keeps the start of the name (丙镇 → 丙办 rather than 甲镇).
        let prefix = name.chars().zip(k.chars()).take_while(|(a, b)| a == b).count();
        let score = strsim::normalized_levenshtein(name, k) + 0.1 * prefix as f64;
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, k));
        }
    }
    best.filter(|(s, _)| *s >= 0.4).map(|(_, k)| k)
}

/// An I/O error in plain Chinese (the OS text is English).
pub fn io_text(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "文件或目录不存在".into(),
        PermissionDenied => "没有读写权限".into(),
        AlreadyExists => "已存在同名文件".into(),
        ReadOnlyFilesystem => "磁盘或目录是只读的".into(),
        NotADirectory => "路径中有一项是文件而不是目录".into(),
        IsADirectory => "这是一个目录，不是文件".into(),
        StorageFull => "磁盘已满".into(),
        _ => format!("系统报告：{e}；请检查文件是否被其他程序占用，或复制到本机后重试"),
    }
}

/// A TOML syntax or type error in words a clerk can act on: where (line and column),
/// what kind of mistake, what to do — and the parser's own text on the hint line.
/// `extra` is a hint specific to the file (e.g. how dates are written).
pub fn toml_problem(file: &str, text: &str, e: &toml::de::Error, what: &str, extra: Option<&str>) -> InputProblem {
    let detail = e.message().trim().to_string();
    let at = e.span().map(|s| {
        let before = &text[..s.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    });
    let d = detail.as_str();
    // kaohe's own message (a rate out of 0–100%) already says what is wrong, in Chinese.
    let own = !d.is_ascii() && !d.starts_with(|c: char| c.is_ascii_alphabetic());
    let kind = if own {
        format!("：{d}")
    } else if d.starts_with("invalid type") && d.contains("expected a sequence") {
        "：这里应写成列表（方括号，逗号分隔），如 [\"证件号\"]".to_string()
    } else if d.starts_with("invalid type") {
        "值的类型不对（如数字或日期加了引号，或文字没加引号）".to_string()
    } else if d.contains("string") && (d.contains("invalid") || d.contains("unterminated") || d.contains("eof")) {
        "字符串有误：可能缺少结尾的英文引号 \"，或用了中文引号“”".to_string()
    } else if let Some(field) = d.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
        format!("缺少配置项“{field}”")
    } else if d.starts_with("duplicate key") || d.contains("duplicate") {
        "同一配置项或同一节写了两次".to_string()
    } else if let Some(field) = d.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
        // serde lists what is expected after the name: "expected one of `a`, `b`".
        let expected: Vec<&str> = d.split("expected").nth(1).unwrap_or("").split('`').skip(1).step_by(2).collect();
        if expected.is_empty() {
            format!("未知的配置项“{field}”")
        } else {
            format!("未知的配置项“{field}”（这里可写：{}）", expected.join("、"))
        }
    } else if let Some(v) = d.strip_prefix("unknown variant `").and_then(|r| r.split('`').next()) {
        format!("“{v}”不是可用的值")
    } else if d.starts_with("invalid type") || d.contains("expected a") {
        "值的类型不对（如数字或日期加了引号，或文字没加引号）".to_string()
    } else {
        "格式有误（常见原因：漏了 = 号、引号不成对、节名的方括号不完整）".to_string()
    };
    let mut hint: Vec<String> = extra.map(str::to_string).into_iter().collect();
    if !own {
        hint.push(format!("程序信息：{detail}"));
    }
    let message = match at {
        // An unknown key is named: the line says where, a column would only distract.
        _ if kind.starts_with("未知的配置项") => kind,
        Some((_, col)) => format!("{what}第{col}列{kind}"),
        None => format!("{what}{kind}"),
    };
    let p = match at {
        Some((line, _)) => InputProblem::at(file, line, None, message),
        None => InputProblem::file(file, message),
    };
    if hint.is_empty() {
        p
    } else {
        p.hint(hint.join("\n  "))
    }
}
