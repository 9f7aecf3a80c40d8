//! The HTML of every page, server-rendered. Every text that comes from a file or a
//! message goes through [`h`]: IDs masked, then escaped.

use std::fmt::Write;

use crate::archive::Verification;
use crate::measure::declared::Coverage;
use crate::problem::InputProblem;
use crate::redact::mask_ids;

use super::files::{self, DatasetState, Finished, Programme};
use super::settings::{Field, SettingsFile};
use super::App;

/// Masked and escaped: the one way text reaches a page.
pub fn h(text: &str) -> String {
    let masked = mask_ids(text);
    let mut out = String::with_capacity(masked.len());
    for c in masked.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A path segment or query value percent-encoded (UTF-8).
pub fn pct(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / (1 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.0} KB", n as f64 / (1 << 10) as f64),
        n => format!("{n} 字节"),
    }
}

fn layout(app: &App, title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="kaohe-token" content="{token}">
<title>{title} · kaohe 考核</title>
<link rel="stylesheet" href="/static/style.css">
<script src="/static/app.js" defer></script>
</head><body>
<header class="top"><a class="brand" href="/">kaohe 考核</a><span class="where">本机页面 · {addr} · 数据不离开这台电脑</span></header>
<main>
{body}
</main></body></html>"#,
        token = app.token,
        title = h(title),
        addr = app.addr,
    )
}

/// A page with one message: a refusal, a confirmation, an error.
pub fn message_page(app: &App, title: &str, message: &str, back: Option<(&str, &str)>) -> String {
    let back = back
        .map(|(href, text)| format!(r#"<p><a class="button" href="{href}">{}</a></p>"#, h(text)))
        .unwrap_or_else(|| r#"<p><a class="button" href="/">回到全部项目</a></p>"#.to_string());
    let lines: String = message.lines().map(|l| format!("<p>{}</p>", h(l))).collect();
    layout(app, title, &format!(r#"<h1>{}</h1><div class="notice bad" role="alert">{lines}</div>{back}"#, h(title)))
}

fn programme_title(p: &Programme) -> String {
    match &p.loaded {
        Ok(l) => format!("{}{}年度{}", l.file.programme.region, l.file.programme.year, l.file.programme.name),
        Err(_) => p.id.clone(),
    }
}

fn data_state(datasets: &[DatasetState]) -> String {
    let missing: Vec<&str> = datasets.iter().filter(|d| d.missing).map(|d| d.title.as_str()).collect();
    if datasets.is_empty() {
        "—".into()
    } else if missing.is_empty() {
        format!(r#"<span class="ok">{} 个数据集，齐全</span>"#, datasets.len())
    } else {
        format!(r#"<span class="bad">缺：{}</span>"#, h(&missing.join("、")))
    }
}

/// `/`: the programmes, a new year, the archive.
pub fn index(app: &App, programmes: &[Programme], finished: &[Finished], flash: Option<&str>) -> String {
    let mut b = String::new();
    b.push_str("<h1>年度项目</h1>");
    if let Some(msg) = flash {
        let _ = write!(b, r#"<div class="notice good" role="status">{}</div>"#, h(msg));
    }
    b.push_str(r##"<p class="lead">打开一个项目：上传名册和数据、查看问题、生成附件。每年秋天，先从上一年度<a href="#new-year">开始新年度</a>。</p>"##);
    b.push_str(r#"<table class="list"><thead><tr><th>项目</th><th>发文机关 · 文号</th><th>单位层级</th><th>数据</th><th>结果</th><th></th></tr></thead><tbody>"#);
    for p in programmes {
        let done = finished.iter().find(|f| f.id == p.id);
        let result = match done {
            Some(f) => format!(r#"<span class="ok">已生成（{} 个文件）</span>"#, f.manifest.outputs.len()),
            None => r#"<span class="muted">未生成</span>"#.into(),
        };
        let (issuer, levels) = match &p.loaded {
            Ok(l) => {
                let levels = l
                    .file
                    .units
                    .as_ref()
                    .map(|u| {
                        let list = match u {
                            toml::Value::Array(a) => a.clone(),
                            other => vec![other.clone()],
                        };
                        list.iter()
                            .filter_map(|t| {
                                let column = t.get("column").and_then(|c| c.as_str());
                                let columns = t.get("columns").and_then(|c| c.as_array()).and_then(|c| c.last());
                                column
                                    .or(columns.and_then(|c| c.as_str()))
                                    .or(t.get("level").and_then(|l| l.as_str()))
                                    .map(str::to_string)
                            })
                            .collect::<Vec<_>>()
                            .join("、")
                    })
                    .unwrap_or_default();
                (format!("{} {}", l.file.document.issuer, l.file.document.number(l.file.programme.year)), levels)
            }
            Err(ps) => (format!("programme.toml 有 {} 个问题", ps.len()), String::new()),
        };
        let _ = write!(
            b,
            r#"<tr><td><a href="/p/{id}">{title}</a><div class="muted small">{idh}</div></td><td>{issuer}</td><td>{levels}</td><td>{data}</td><td>{result}</td><td><a class="button small" href="/p/{id}">打开</a></td></tr>"#,
            id = pct(&p.id),
            idh = h(&p.id),
            title = h(&programme_title(p)),
            issuer = h(&issuer),
            levels = h(&levels),
            data = data_state(&files::datasets(p)),
        );
    }
    b.push_str("</tbody></table>");

    b.push_str(r#"<section id="new-year"><h2>开始新年度</h2><p>以上一年度为底稿：复制 programme.toml 和评分表，年度和其中的日期顺延一年（注释和格式不变），数据文件夹留空，等待上传本年度数据。</p>"#);
    let _ = write!(
        b,
        r#"<form method="post" action="/new-year?t={}" class="row"><label for="from">底稿</label><select id="from" name="from">"#,
        app.token
    );
    // Last year's folder first chosen: the latest year there is.
    let year = |p: &Programme| p.loaded.as_ref().map(|l| l.file.programme.year).unwrap_or(i32::MIN);
    let latest = programmes.iter().filter(|p| p.loaded.is_ok()).max_by_key(|p| year(p)).map(|p| p.id.as_str());
    for p in programmes.iter().filter(|p| p.loaded.is_ok()) {
        let selected = if Some(p.id.as_str()) == latest { " selected" } else { "" };
        let _ =
            write!(b, r#"<option value="{}"{selected}>{}（{}）</option>"#, h(&p.id), h(&programme_title(p)), h(&p.id));
    }
    b.push_str(r#"</select><button type="submit">开始新年度</button></form></section>"#);

    b.push_str(r#"<section id="archive"><h2>已完成的年度</h2>"#);
    if finished.is_empty() {
        b.push_str(r#"<p class="muted">还没有生成过任何年度。</p>"#);
    } else {
        b.push_str(r#"<p>每个年度的文件都记在它的 manifest.json 中；“核验”重新计算每个文件的校验值，列出被改动、缺失或多出的文件。</p><table class="list"><thead><tr><th>年度结果</th><th>文号</th><th>成文日期</th><th>文件</th><th></th></tr></thead><tbody>"#);
        for f in finished {
            let _ = write!(
                b,
                r#"<tr><td><a href="/p/{id}#run">{idh}</a></td><td>{num}</td><td>{date}</td><td>{n}</td><td class="actions"><a class="button small" href="/verify/{id}">核验</a> <a class="button small secondary" href="/zip/{id}">下载全部（zip）</a></td></tr>"#,
                id = pct(&f.id),
                idh = h(&f.id),
                num = h(&f.manifest.document_number),
                date = h(&f.manifest.document_date),
                n = f.manifest.outputs.len(),
            );
        }
        b.push_str("</tbody></table>");
    }
    b.push_str("</section>");
    layout(app, "年度项目", &b)
}

/// What a check found: the problems that stop a run, and the rows set aside.
#[derive(Default, Clone)]
pub struct Checked {
    /// Not checked now: the programme is being run (the page shows the progress at once).
    pub skipped: bool,
    pub problems: Vec<InputProblem>,
    pub line: Option<String>,
    pub set_aside: Vec<String>,
    /// Datasets of several files, unit by unit.
    pub coverage: Vec<Coverage>,
}

/// A dataset of several files unit by unit: which file each town's rows came from, and
/// the units with none (allowed by may_lack, or the check names them as problems).
fn coverage(c: &Coverage) -> String {
    let with = c.units.iter().filter(|u| u.1 > 0).count();
    let without: Vec<&str> = c.units.iter().filter(|u| u.1 == 0).map(|u| u.0.as_str()).collect();
    let mut s = format!(
        r#"<details class="coverage"><summary>按{}：{} 个有数据{}</summary><table class="list compact"><thead><tr><th>{}</th><th class="num">计入行数</th><th>来自文件</th></tr></thead><tbody>"#,
        h(&c.level),
        with,
        if without.is_empty() {
            String::new()
        } else {
            format!(r#"，<span class="bad">{} 个没有：{}</span>"#, without.len(), h(&without.join("、")))
        },
        h(&c.level),
    );
    for (unit, rows, files) in &c.units {
        let files = if files.is_empty() {
            r#"<span class="bad">没有数据</span>"#.to_string()
        } else {
            h(&files.join("、"))
        };
        let _ = write!(s, r#"<tr><td>{}</td><td class="num">{rows}</td><td>{files}</td></tr>"#, h(unit));
    }
    s.push_str("</tbody></table></details>");
    s
}

/// A set-aside line cut into file, row, column and reason (as `kaohe check --strict` prints it).
pub fn set_aside_parts(line: &str) -> (String, String, String, String) {
    let Some((file, rest)) = line.split_once(" 第") else {
        return (String::new(), String::new(), String::new(), line.into());
    };
    let Some((row, rest)) = rest.split_once('行') else {
        return (file.into(), String::new(), String::new(), rest.into());
    };
    let rest = rest.trim_start();
    let (column, reason) = match rest.strip_prefix('“').and_then(|r| r.split_once("”列：")) {
        Some((c, r)) => (c.to_string(), r.to_string()),
        None => (String::new(), rest.trim_start_matches('：').to_string()),
    };
    (file.into(), row.into(), column, reason)
}

/// The state of a run as the page shows it.
pub enum RunView {
    Idle,
    /// This programme is running: stage, done, of.
    Running(String, u64, u64),
    /// Another programme is running.
    Busy(String),
}

/// `/p/{id}`: the programme — its data, the check, the run, its results, settings.
pub fn programme(
    app: &App,
    p: &Programme,
    checked: &Checked,
    run: RunView,
    last: Option<&Result<String, Vec<String>>>,
    finished: Option<&Finished>,
    flash: Option<&str>,
) -> String {
    let id = pct(&p.id);
    let token = &app.token;
    let mut b = String::new();
    let _ = write!(b, r#"<p class="crumbs"><a href="/">← 全部项目</a></p><h1>{}</h1>"#, h(&programme_title(p)));
    if let Ok(l) = &p.loaded {
        let _ = write!(
            b,
            r#"<p class="lead">{} {} · 成文日期 {} · 文件夹 {}</p>"#,
            h(&l.file.document.issuer),
            h(&l.file.document.number(l.file.programme.year)),
            h(&crate::programme::file::chinese_date(l.date)),
            h(&p.dir.display)
        );
    }
    b.push_str(r##"<nav class="steps" aria-label="步骤"><a href="#data">① 数据文件</a><a href="#check">② 检查</a><a href="#run">③ 生成</a><a href="#settings">④ 设置</a></nav>"##);
    if let Some(msg) = flash {
        let verdict = if !checked.problems.is_empty() {
            format!("检查：有 {} 个问题需要先改正", checked.problems.len())
        } else if checked.set_aside.is_empty() {
            "检查：没有问题，可以生成".to_string()
        } else {
            format!("检查：没有阻止生成的问题；{} 行名册未计入", checked.set_aside.len())
        };
        let kind = if checked.problems.is_empty() { "good" } else { "bad" };
        let _ = write!(
            b,
            r##"<div class="notice {kind}" role="status" id="flash"><p>{}</p><p><strong>{}</strong> · <a href="#check">看检查结果</a></p></div>"##,
            h(msg),
            h(&verdict)
        );
    }

    // ① data
    b.push_str(r#"<section id="data"><h2>① 数据文件</h2>"#);
    let datasets = files::datasets(p);
    b.push_str(r#"<table class="list"><thead><tr><th>数据集</th><th>应放在</th><th>已有文件</th></tr></thead><tbody>"#);
    for d in &datasets {
        let place = if d.folder { format!("文件夹 {}/", d.declared) } else { d.declared.clone() };
        let present = if d.files.is_empty() {
            r#"<span class="bad">缺少</span>"#.to_string()
        } else {
            let mut s = String::from(r#"<ul class="files">"#);
            for f in &d.files {
                let _ = write!(
                    s,
                    r#"<li><span class="name">{}</span> <span class="muted">{} · {}</span></li>"#,
                    h(&f.name),
                    bytes(f.bytes),
                    h(&f.changed)
                );
            }
            s.push_str("</ul>");
            s
        };
        let present = match checked.coverage.iter().find(|c| c.dataset == d.name) {
            Some(c) => present + &coverage(c),
            None => present,
        };
        let _ = write!(
            b,
            r#"<tr><td>{}<div class="muted small">{}</div></td><td>{}</td><td>{}</td></tr>"#,
            h(if d.title.is_empty() { &d.name } else { &d.title }),
            h(&d.name),
            h(&place),
            present
        );
    }
    b.push_str("</tbody></table>");
    if !datasets.is_empty() {
        let _ = write!(
            b,
            r#"<form id="upload" class="upload" method="post" enctype="multipart/form-data" action="/p/{id}/upload?t={token}">
<div class="drop" id="drop" tabindex="-1"><p><strong>把文件拖到这里</strong>，或用下面的“选择文件”。每次最多 {max_files} 个文件，每个不超过 {max_mb} MB。</p><p id="chosen" class="muted small" aria-live="polite"></p></div>
<div class="row"><label for="dataset">放入数据集</label><select id="dataset" name="dataset">"#,
            max_files = app.max_files,
            max_mb = app.max_upload >> 20,
        );
        for d in &datasets {
            let _ = write!(
                b,
                r#"<option value="{}">{}</option>"#,
                h(&d.name),
                h(if d.title.is_empty() { &d.name } else { &d.title })
            );
        }
        b.push_str(
            r#"</select><label for="file">文件</label><input id="file" type="file" name="file" multiple></div>
<div class="row"><label class="check"><input type="checkbox" name="replace" value="1"> 替换同名文件（不勾选时，已有同名文件不会被覆盖）</label><button type="submit">上传并检查</button></div></form>"#,
        );
    }
    b.push_str("</section>");

    // ② check
    b.push_str(r#"<section id="check"><h2>② 检查</h2>"#);
    if checked.skipped {
        b.push_str(r#"<p class="muted">正在生成本年度附件；检查结果在生成完成后显示。</p>"#);
    }
    if checked.problems.is_empty() {
        if let Some(line) = &checked.line {
            let _ = write!(b, r#"<div class="notice good" role="status">没有阻止生成的问题。{}</div>"#, h(line));
        }
    } else {
        let _ = write!(
            b,
            r#"<div class="notice bad" role="alert">有 {} 个问题需要先改正，改正后才能生成：</div><table class="list problems"><thead><tr><th>文件</th><th>行</th><th>列</th><th>问题</th><th>怎么办</th></tr></thead><tbody>"#,
            checked.problems.len()
        );
        for pr in &checked.problems {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                h(&pr.file),
                pr.row.map(|r| r.to_string()).unwrap_or_default(),
                h(pr.column.as_deref().unwrap_or("")),
                h(&pr.message),
                h(pr.hint.as_deref().unwrap_or(""))
            );
        }
        b.push_str("</tbody></table>");
    }
    if !checked.set_aside.is_empty() {
        let rows: Vec<_> = checked.set_aside.iter().map(|l| set_aside_parts(l)).collect();
        let mut per_file: Vec<(String, usize)> = Vec::new();
        for (file, ..) in &rows {
            match per_file.iter_mut().find(|(f, _)| f == file) {
                Some((_, n)) => *n += 1,
                None => per_file.push((file.clone(), 1)),
            }
        }
        let _ = write!(
            b,
            r#"<h3>未计入的名册行：{} 行</h3><p>这些行不影响生成，会逐行列入数据校验报告（data-quality.pdf）。<a href="/p/{id}/set-aside.xlsx">下载清单（xlsx）</a></p><table class="list compact"><thead><tr><th>文件</th><th>未计入行数</th></tr></thead><tbody>"#,
            rows.len()
        );
        for (file, n) in &per_file {
            let _ = write!(b, "<tr><td>{}</td><td>{n}</td></tr>", h(file));
        }
        b.push_str(r#"</tbody></table><table class="list set-aside"><thead><tr><th>文件</th><th>行</th><th>列</th><th>原因</th></tr></thead><tbody>"#);
        for (file, row, column, reason) in rows.iter().take(200) {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                h(file),
                h(row),
                h(column),
                h(reason)
            );
        }
        b.push_str("</tbody></table>");
        if rows.len() > 200 {
            let _ = write!(b, r#"<p class="muted">只列出前 200 行；完整清单见上面的 xlsx。</p>"#);
        }
    }
    b.push_str("</section>");

    // ③ run
    b.push_str(r#"<section id="run"><h2>③ 生成</h2>"#);
    let idle = matches!(run, RunView::Idle);
    match run {
        RunView::Running(stage, done, of) => {
            let _ = write!(
                b,
                r#"<div id="progress" data-programme="{}" role="status" aria-live="polite"><p><strong id="stage">{}</strong> <span id="count">{}</span></p><progress id="bar" max="{}" value="{}"></progress></div><noscript><meta http-equiv="refresh" content="2"></noscript>"#,
                h(&p.id),
                h(&stage),
                if of > 0 { format!("{done}/{of}") } else { String::new() },
                of.max(1),
                done
            );
        }
        RunView::Busy(other) => {
            let _ = write!(
                b,
                r#"<div class="notice" role="status">正在生成 {}，一次只生成一个年度；请等它完成后再生成本项目。</div>"#,
                h(&other)
            );
        }
        RunView::Idle => match last {
            Some(Ok(line)) => {
                let _ =
                    write!(b, r#"<div class="notice good" role="status" id="run-result">已生成：{}</div>"#, h(line));
            }
            Some(Err(problems)) => {
                b.push_str(
                    r#"<div class="notice bad" role="alert" id="run-result"><p>没有生成（原有结果未改动）：</p><ul>"#,
                );
                for pr in problems {
                    let _ = write!(b, "<li>{}</li>", h(pr));
                }
                b.push_str("</ul></div>");
            }
            None => {}
        },
    }
    let label = if checked.problems.is_empty() {
        "生成本年度附件"
    } else {
        "生成本年度附件（先改正上面的问题）"
    };
    if idle && finished.is_none() {
        let _ = write!(
            b,
            r#"<form method="post" action="/p/{id}/run?t={token}" class="row"><button type="submit" id="run-button">{label}</button><span class="muted">生成全部 PDF、results.xlsx、CSV 和 manifest.json，写入 {}</span></form>"#,
            h(&format!("{}/{}", app.output.display(), p.id))
        );
    }
    if let Some(f) = finished {
        outputs_list(&mut b, p, f, !idle);
        if idle {
            let _ = write!(
                b,
                r#"<h3>重新生成</h3><form method="post" action="/p/{id}/run?t={token}" class="row"><label class="check"><input type="checkbox" name="replace" value="1" id="replace"> 替换已生成的结果（整体替换；替换前可先核验或下载 zip 留底）</label><button type="submit" id="run-button" class="secondary-button">{label}</button></form>"#
            );
        }
    }
    b.push_str("</section>");

    // ④ settings
    let _ = write!(
        b,
        r#"<section id="settings"><h2>④ 设置</h2><p>比例、日期、后几位、标题和注：每年可能要改的设置。</p><p><a class="button secondary" href="/p/{id}/settings">修改本年度设置</a></p></section>"#
    );
    layout(app, &programme_title(p), &b)
}

/// A document's title as its view writes it (placeholders of the programme filled; the
/// line break of a title as a space), or its kind.
fn document_title(p: &Programme, kind: &str, unit: Option<&str>) -> String {
    let Ok(l) = &p.loaded else { return kind.to_string() };
    let title = match l.file.views.get(kind) {
        Some(v) if !v.title.is_empty() => v.title.clone(),
        _ if kind == "dataset-quality" => return "数据校验报告".into(),
        _ => return kind.to_string(),
    };
    let prog = &l.file.programme;
    let filled = title
        .replace("{region}", &prog.region)
        .replace("{year}", &prog.year.to_string())
        .replace("{name}", &prog.name)
        .replace("{unit}", unit.unwrap_or(""))
        .replace('\n', "");
    if filled.contains('{') {
        kind.to_string()
    } else {
        filled
    }
}

/// The finished year's files: documents first (one line per kind of per-unit document,
/// its units folded), then the workbook and the CSVs.
fn outputs_list(b: &mut String, p: &Programme, f: &Finished, running: bool) {
    let id = pct(&f.id);
    let href = |path: &str| format!("/files/{id}/{}", path.split('/').map(pct).collect::<Vec<_>>().join("/"));
    let heading =
        if running { "上次生成的文件（新的结果完成后整体替换）" } else { "已生成的文件" };
    let _ = write!(
        b,
        r#"<h3>{heading}</h3><p class="actions"><a class="button" id="zip" href="/zip/{id}">下载全部（zip）</a> <a class="button secondary" href="/verify/{id}">核验</a> <a class="button secondary" href="/files/{id}/manifest.json?download=1">manifest.json</a></p>"#
    );
    let pdfs: Vec<_> = f.manifest.outputs.iter().filter(|o| o.path.ends_with(".pdf")).collect();
    // Page 1 of each document, drawn from the PDF when the row scrolls into view.
    let thumb = |path: &str, what: &str| {
        format!(
            r#"<a href="{h}" target="_blank" class="thumb" tabindex="-1"><img src="{h}?thumb=1" alt="{}的第一页" width="96" height="136" loading="lazy"></a>"#,
            h(what),
            h = href(path),
        )
    };
    b.push_str(r#"<table class="list outputs"><thead><tr><th>第一页</th><th>文档</th><th>文件</th><th>页数</th><th></th></tr></thead><tbody>"#);
    let mut kinds: Vec<&str> = Vec::new();
    for o in &pdfs {
        if !kinds.contains(&o.kind.as_str()) {
            kinds.push(&o.kind);
        }
    }
    // One document per view first, in the manifest's order; per-unit documents folded.
    kinds.sort_by_key(|k| pdfs.iter().any(|o| o.kind == *k && o.unit.is_some()));
    for kind in kinds {
        let docs: Vec<_> = pdfs.iter().filter(|o| o.kind == kind).collect();
        if docs.len() == 1 && docs[0].unit.is_none() {
            let o = docs[0];
            let title = document_title(p, kind, None);
            let _ = write!(
                b,
                r#"<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="actions"><a href="{h}" target="_blank">打开</a> · <a href="{h}?download=1">下载</a></td></tr>"#,
                thumb(&o.path, &title),
                h(&title),
                h(&o.path),
                o.pages.map(|n| n.to_string()).unwrap_or_default(),
                h = href(&o.path),
            );
            continue;
        }
        let title = document_title(p, kind, Some("各单位")).replace("各单位各单位", "各单位");
        let pages: usize = docs.iter().filter_map(|o| o.pages).sum();
        let _ = write!(
            b,
            r#"<tr><td>{}</td><td colspan="4"><details><summary>{} — 每个单位一份，共 {} 份，{pages} 页</summary><ul class="units">"#,
            thumb(&docs[0].path, &format!("{}（{}）", title, docs[0].unit.as_deref().unwrap_or(""))),
            h(&title),
            docs.len()
        );
        for o in docs {
            let _ = write!(
                b,
                r#"<li><a href="{h}" target="_blank">{}</a> <span class="muted">{} 页</span> · <a href="{h}?download=1">下载</a></li>"#,
                h(o.unit.as_deref().unwrap_or(&o.path)),
                o.pages.unwrap_or(0),
                h = href(&o.path),
            );
        }
        b.push_str("</ul></details></td></tr>");
    }
    b.push_str("</tbody></table>");
    let others: Vec<_> = f.manifest.outputs.iter().filter(|o| !o.path.ends_with(".pdf")).collect();
    if !others.is_empty() {
        b.push_str(r#"<h3>表格</h3><ul class="tables">"#);
        for o in others {
            let what = if o.path.ends_with(".xlsx") {
                "Excel 工作簿（全部表格）"
            } else {
                "CSV（UTF-8，Excel 可直接打开）"
            };
            let _ = write!(
                b,
                r#"<li><a href="{}?download=1">{}</a> <span class="muted">{what}</span></li>"#,
                href(&o.path),
                h(&o.path)
            );
        }
        b.push_str("</ul>");
    }
}

/// `/p/{id}/settings`: the form; `errors` beside their fields, `general` above.
#[allow(clippy::too_many_arguments)]
pub fn settings(
    app: &App,
    p: &Programme,
    files: &[SettingsFile],
    fields: &[Field],
    values: &[String],
    errors: &[Option<String>],
    general: &[String],
    saved: bool,
) -> String {
    let id = pct(&p.id);
    let mut b = String::new();
    let _ = write!(b, r#"<p class="crumbs"><a href="/p/{id}">← {}</a></p><h1>本年度设置</h1>"#, h(&programme_title(p)));
    b.push_str(r#"<p class="lead">改动写回 programme.toml 和评分表文件（注释和格式保留）。保存前用与生成时相同的规则检查；有错的值不会保存，原因写在它旁边。</p>"#);
    if saved {
        b.push_str(r#"<div class="notice good" role="status" id="saved">已保存。</div>"#);
    }
    if !general.is_empty() || errors.iter().any(Option::is_some) {
        b.push_str(
            r#"<div class="notice bad" role="alert" id="refused"><p>没有保存：有的值不对，原因写在该项旁边。</p>"#,
        );
        for g in general {
            let _ = write!(b, "<p>{}</p>", h(g));
        }
        for (i, e) in errors.iter().enumerate() {
            if e.is_some() {
                let _ = write!(b, r##"<p><a href="#f{i}">{}</a></p>"##, h(&fields[i].label));
            }
        }
        b.push_str("</div>");
    }
    let _ = write!(b, r#"<form method="post" action="/p/{id}/settings?t={}" class="settings">"#, app.token);
    for (j, f) in files.iter().enumerate() {
        let _ = write!(b, r#"<input type="hidden" name="digest{j}" value="{}">"#, h(&f.digest));
    }
    let mut group = (usize::MAX, String::new());
    for (i, f) in fields.iter().enumerate() {
        let g = match f.path.first() {
            Some(super::settings::Seg::Key(k)) => (f.file, k.clone()),
            _ => (f.file, String::new()),
        };
        if g != group {
            if group.0 != usize::MAX {
                b.push_str("</fieldset>");
            }
            let legend = match (g.0, g.1.as_str()) {
                (0, "document") => "发文".to_string(),
                (0, "assessment") => "日期".to_string(),
                (0, "measures") => "比例".to_string(),
                (0, "views") => "附件的标题、注和备注".to_string(),
                (0, _) => "其他".to_string(),
                (j, part) => {
                    let file = &files[j];
                    let what = if part == "item" { "各项的目标值和文字" } else { "标题和排名备注" };
                    format!("评分表 {}：{what}（{}）", file.title.as_deref().unwrap_or(""), file.name)
                }
            };
            let _ = write!(b, "<fieldset><legend>{}</legend>", h(&legend));
            group = g;
        }
        let err = errors.get(i).cloned().flatten();
        let invalid = if err.is_some() { r#" aria-invalid="true""# } else { "" };
        let described = if err.is_some() { format!(r#" aria-describedby="e{i}""#) } else { String::new() };
        let value = values.get(i).map(String::as_str).unwrap_or(&f.text);
        let first = errors.iter().position(Option::is_some) == Some(i);
        let invalid =
            format!(r#"{invalid} data-path="{}"{}"#, h(&f.dotted(files)), if first { " autofocus" } else { "" });
        let invalid = invalid.as_str();
        let input = if f.kind == "long" {
            format!(r#"<textarea id="f{i}" name="f{i}" rows="3"{invalid}{described}>{}</textarea>"#, h(value))
        } else {
            let hint = match f.kind {
                "date" => r#" placeholder="2016-01-30""#,
                "number" | "integer" => r#" inputmode="decimal" class="short""#,
                _ => "",
            };
            format!(r#"<input id="f{i}" name="f{i}" value="{}"{hint}{invalid}{described}>"#, h(value))
        };
        let err = err.map(|e| format!(r#"<span class="err" id="e{i}">{}</span>"#, h(&e))).unwrap_or_default();
        let _ = write!(
            b,
            r#"<div class="field{}"><label for="f{i}">{}</label>{input}{err}</div>"#,
            if err.is_empty() { "" } else { " invalid" },
            h(&f.label)
        );
    }
    if group.0 != usize::MAX {
        b.push_str("</fieldset>");
    }
    let _ = write!(
        b,
        r#"<div class="row"><button type="submit">检查并保存</button> <a class="button secondary" href="/p/{id}">不保存，返回</a></div></form>"#
    );
    layout(app, "本年度设置", &b)
}

/// `/verify/{id}`: what re-hashing found.
pub fn verified(app: &App, f: &Finished, v: &Verification, programme_exists: bool) -> String {
    let id = pct(&f.id);
    let mut b = String::new();
    let _ = write!(b, r#"<p class="crumbs"><a href="/">← 全部项目</a></p><h1>核验：{}</h1>"#, h(&f.id));
    let bad = v.changed.len() + v.missing.len() + v.unexpected.len();
    if bad == 0 {
        let _ = write!(
            b,
            r#"<div class="notice good" role="status" id="verify-result">全部 {} 个文件与 manifest.json 一致，没有被改动。</div>"#,
            v.ok
        );
    } else {
        let _ = write!(
            b,
            r#"<div class="notice bad" role="alert" id="verify-result">{} 个文件一致，{bad} 个有问题：</div><ul class="verify">"#,
            v.ok
        );
        for (what, list) in [("已改动", &v.changed), ("已缺失", &v.missing), ("清单外", &v.unexpected)] {
            for f in list {
                let _ = write!(b, "<li><strong>{what}</strong>：{}</li>", h(f));
            }
        }
        b.push_str("</ul>");
    }
    let _ = write!(
        b,
        r#"<p class="muted">文号 {} · 成文日期 {} · 生成工具 kaohe {}</p><p class="actions">"#,
        h(&f.manifest.document_number),
        h(&f.manifest.document_date),
        h(&f.manifest.version)
    );
    if programme_exists {
        let _ = write!(b, r#"<a class="button" href="/p/{id}#run">打开项目</a> "#);
    }
    let _ = write!(
        b,
        r#"<a class="button secondary" href="/zip/{id}">下载全部（zip）</a> <a class="button secondary" href="/">全部项目</a></p>"#
    );
    layout(app, "核验", &b)
}
