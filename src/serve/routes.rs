//! The routes. Reading a page changes nothing (GET); everything that changes something
//! is a POST guarded by the session token ([`super::security`]).
//!
//! | route | what |
//! | --- | --- |
//! | `GET /` | programmes, a new year, the finished years |
//! | `POST /new-year` | next year's folder from last year's (`from=<id>`) |
//! | `GET /p/{id}` | one programme: its data, the check, the run and its results |
//! | `POST /p/{id}/upload` | files into a dataset (multipart; capped, names checked, confined) |
//! | `GET /p/{id}/set-aside.xlsx` | the rows set aside, as a workbook |
//! | `POST /p/{id}/run` | run the year (one at a time; `replace=1` to replace a finished one) |
//! | `GET /api/run` | the run's progress, as JSON |
//! | `GET`, `POST /p/{id}/settings` | the settings form; checked by the loader, then saved |
//! | `GET /verify/{id}` | a finished year re-hashed against its manifest |
//! | `GET /files/{id}/{path}` | one file a manifest lists (`?download=1`: as an attachment) |
//! | `GET /zip/{id}` | the whole finished year |
//! | `GET /static/*`, `/fonts/*` | style, script, the Fandol font |

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use indicatif::ProgressBar;

use crate::archive;
use crate::error::Error;
use crate::pipeline::publish as outputs;
use crate::pipeline::{self, RunOptions};
use crate::redact::mask_ids;

use super::files::{self, Programme};
use super::pages::{self, pct, Checked, RunView};
use super::{security, settings, Shared};

const STYLE: &str = include_str!("assets/style.css");
const SCRIPT: &str = include_str!("assets/app.js");
/// The page's own Chinese font: a bare machine's browser has none.
const HEI: &[u8] = include_bytes!("../../report-templates/fonts/FandolHei-Regular.otf");

pub fn router(app: Shared) -> Router {
    let limit = app.max_upload.saturating_mul(app.max_files).min(1 << 30) + (1 << 20);
    Router::new()
        .route("/", get(index))
        .route("/new-year", axum::routing::post(new_year))
        .route("/p/{id}", get(programme))
        .route("/p/{id}/upload", axum::routing::post(upload))
        .route("/p/{id}/set-aside.xlsx", get(set_aside_xlsx))
        .route("/p/{id}/run", axum::routing::post(run))
        .route("/p/{id}/settings", get(settings_form).post(settings_save))
        .route("/api/run", get(run_status))
        .route("/verify/{id}", get(verify))
        .route("/files/{id}/{*path}", get(download))
        .route("/zip/{id}", get(zip))
        .route("/static/style.css", get(|| async { asset("text/css; charset=utf-8", STYLE.as_bytes()) }))
        .route("/static/app.js", get(|| async { asset("text/javascript; charset=utf-8", SCRIPT.as_bytes()) }))
        .route("/fonts/FandolHei-Regular.otf", get(|| async { asset("font/otf", HEI) }))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(app.clone(), security::guard))
        .with_state(app)
}

fn asset(kind: &'static str, bytes: &'static [u8]) -> Response {
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "max-age=86400")], Body::from(bytes)).into_response()
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn message(app: &Shared, status: StatusCode, title: &str, text: &str, back: Option<(&str, &str)>) -> Response {
    html(status, pages::message_page(app, title, text, back))
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// Log one line of what the page did (IDs masked, like every line kaohe prints).
pub(super) fn log(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{}", mask_ids(line));
}

async fn not_found(State(app): State<Shared>) -> Response {
    message(&app, StatusCode::NOT_FOUND, "找不到这个页面", "地址不对，或项目已被移走。", None)
}

/// Blocking work (reading folders, checking, hashing) off the server's thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// `a=1&b=%E4%B8%AD`: a url-encoded form body.
fn form(body: &[u8]) -> HashMap<String, String> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = |b: u8| (b as char).to_digit(16);
                    match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                        (Some(h), Some(l)) => {
                            out.push((h * 16 + l) as u8);
                            i += 2;
                        }
                        _ => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// [`check_now`], or the last check of this programme when no file of its folder has
/// changed since (a page shown again does not read 380,000 roster rows again).
fn check(app: &Shared, p: &Programme) -> Checked {
    let now = files::fingerprint(&p.dir.path);
    if let Some((seen, checked)) = app.checks.lock().unwrap_or_else(|e| e.into_inner()).get(&p.id) {
        if *seen == now {
            return checked.clone();
        }
    }
    let checked = check_now(app, p);
    app.checks.lock().unwrap_or_else(|e| e.into_inner()).insert(p.id.clone(), (now, checked.clone()));
    checked
}

/// What `kaohe check` does for one programme: prepare it, then match its declarations
/// with the templates it will be rendered with.
fn check_now(app: &Shared, p: &Programme) -> Checked {
    match pipeline::prepare(&p.dir) {
        Err(e) => Checked { problems: e.0, ..Checked::default() },
        Ok(ready) => {
            let toml_file = format!("{}/programme.toml", p.dir.display);
            match outputs::plan(&ready.views, &ready.pdf, &ready.table, &app.renderer, &toml_file) {
                Err(e) => Checked {
                    problems: e.0,
                    set_aside: ready.set_aside,
                    coverage: ready.coverage,
                    ..Checked::default()
                },
                Ok(_) => Checked {
                    line: Some(ready.check_line),
                    set_aside: ready.set_aside,
                    coverage: ready.coverage,
                    ..Checked::default()
                },
            }
        }
    }
}

async fn index(State(app): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let a = app.clone();
    let page = blocking(move || {
        let programmes = files::programmes(&a.input);
        let finished = files::finished(&a.output);
        pages::index(&a, &programmes, &finished, q.get("msg").map(String::as_str))
    })
    .await;
    match page {
        Some(p) => html(StatusCode::OK, p),
        None => message(&app, StatusCode::INTERNAL_SERVER_ERROR, "出错了", "读取项目时出错", None),
    }
}

fn run_view(app: &Shared, id: &str) -> (RunView, Option<Result<String, Vec<String>>>) {
    let runs = app.runs.lock().unwrap_or_else(|e| e.into_inner());
    let view = match &runs.current {
        Some((running, bar)) if running == id => {
            let stage = bar.message();
            let stage = if stage.is_empty() { "读取和检查数据".to_string() } else { stage.to_string() };
            RunView::Running(stage, bar.position(), bar.length().unwrap_or(0))
        }
        Some((other, _)) => RunView::Busy(other.clone()),
        None => RunView::Idle,
    };
    (view, runs.last.get(id).cloned())
}

async fn programme(
    State(app): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let a = app.clone();
    let page = blocking(move || {
        let p = files::programme(&a.input, &id)?;
        let (view, last) = run_view(&a, &p.id);
        let checked = match view {
            RunView::Running(..) => Checked { skipped: true, ..Checked::default() },
            _ => check(&a, &p),
        };
        let finished = files::finished_one(&a.output, &p.id);
        Some(pages::programme(
            &a,
            &p,
            &checked,
            view,
            last.as_ref(),
            finished.as_ref(),
            q.get("msg").map(String::as_str),
        ))
    })
    .await;
    match page {
        Some(Some(p)) => html(StatusCode::OK, p),
        Some(None) => not_found(State(app)).await,
        None => message(&app, StatusCode::INTERNAL_SERVER_ERROR, "出错了", "检查时出错", None),
    }
}

async fn new_year(State(app): State<Shared>, body: Bytes) -> Response {
    let from = form(&body).remove("from").unwrap_or_default();
    let a = app.clone();
    let made = blocking(move || {
        let p = files::programme(&a.input, &from).ok_or_else(|| format!("没有名为 {from} 的项目"))?;
        files::new_year(&a.input, &p).map(|id| (p.id, id))
    })
    .await
    .unwrap_or_else(|| Err("内部错误".into()));
    match made {
        Ok((from, id)) => {
            log(&format!("新年度：{id}（底稿 {from}）"));
            let msg = format!("已从 {from} 开始新年度 {id}：年度和日期已顺延一年，请上传本年度的数据，再检查设置。");
            see_other(&format!("/p/{}?msg={}", pct(&id), pct(&msg)))
        }
        Err(e) => message(&app, StatusCode::CONFLICT, "没有新建年度", &e, None),
    }
}

async fn upload(State(app): State<Shared>, Path(id): Path<String>, mut parts: Multipart) -> Response {
    let back = format!("/p/{}#data", pct(&id));
    let back = Some((back.as_str(), "回到项目"));
    let (mut dataset, mut replace, mut uploaded) = (String::new(), false, Vec::<(String, Vec<u8>)>::new());
    loop {
        let mut field = match parts.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let status = e.status();
                let text = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    format!(
                        "上传的内容太大，未保存（每次最多 {} 个文件，每个不超过 {} MB）",
                        app.max_files,
                        app.max_upload >> 20
                    )
                } else {
                    format!("上传没有完成，未保存：{e}")
                };
                return message(&app, status, "没有保存", &text, back);
            }
        };
        match field.name() {
            Some("dataset") => dataset = field.text().await.unwrap_or_default(),
            Some("replace") => replace = field.text().await.unwrap_or_default() == "1",
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_string();
                if name.is_empty() {
                    continue;
                }
                if uploaded.len() >= app.max_files {
                    let text = format!("一次最多上传 {} 个文件，未保存；请分几次上传", app.max_files);
                    return message(&app, StatusCode::PAYLOAD_TOO_LARGE, "没有保存", &text, back);
                }
                let mut bytes = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            bytes.extend_from_slice(&chunk);
                            if bytes.len() > app.max_upload {
                                let text = format!("{name} 超过 {} MB，未保存", app.max_upload >> 20);
                                log(&format!("上传被拒绝：{text}"));
                                return message(&app, StatusCode::PAYLOAD_TOO_LARGE, "没有保存", &text, back);
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            let text = format!("{name} 没有传完，未保存：{e}");
                            return message(&app, e.status(), "没有保存", &text, back);
                        }
                    }
                }
                uploaded.push((name, bytes));
            }
            _ => {}
        }
    }
    if uploaded.is_empty() {
        return message(&app, StatusCode::BAD_REQUEST, "没有保存", "没有选择文件", back);
    }
    let a = app.clone();
    let pid = id.clone();
    let stored = blocking(move || -> Result<Vec<String>, (StatusCode, String)> {
        let p = files::programme(&a.input, &pid).ok_or((StatusCode::NOT_FOUND, format!("没有名为 {pid} 的项目")))?;
        // Every file checked before any is written.
        let mut targets = Vec::new();
        for (name, _) in &uploaded {
            let target = files::upload_target(&p, &dataset, name).map_err(|e| (StatusCode::BAD_REQUEST, e))?;
            if targets.contains(&target) {
                return Err((StatusCode::BAD_REQUEST, format!("{name} 选了两次，未保存")));
            }
            if target.exists() && !replace {
                return Err((
                    StatusCode::CONFLICT,
                    format!("已有同名文件 {name}，没有覆盖。\n确需用新文件替换它，请勾选“替换同名文件”后再上传。"),
                ));
            }
            targets.push(target);
        }
        let mut names = Vec::new();
        for ((name, bytes), target) in uploaded.iter().zip(&targets) {
            files::store(target, bytes)
                .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, format!("无法保存 {name}：{e}")))?;
            names.push(name.clone());
        }
        Ok(names)
    })
    .await
    .unwrap_or_else(|| Err((StatusCode::INTERNAL_SERVER_ERROR, "内部错误".into())));
    match stored {
        Ok(names) => {
            log(&format!("上传：{id} ← {}", names.join("、")));
            let msg = format!("已保存 {} 个文件：{}。", names.len(), names.join("、"));
            see_other(&format!("/p/{}?msg={}", pct(&id), pct(&msg)))
        }
        Err((status, text)) => {
            log(&format!("上传被拒绝：{text}"));
            message(&app, status, "没有保存", &text, back)
        }
    }
}

async fn set_aside_xlsx(State(app): State<Shared>, Path(id): Path<String>) -> Response {
    let a = app.clone();
    let made = blocking(move || -> Option<Result<Vec<u8>, String>> {
        let p = files::programme(&a.input, &id)?;
        let checked = check(&a, &p);
        let write = || -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
            let mut wb = rust_xlsxwriter::Workbook::new();
            let ws = wb.add_worksheet();
            ws.set_name("未计入的行")?;
            for (c, head) in ["文件", "行", "列", "原因"].iter().enumerate() {
                ws.write_string(0, c as u16, *head)?;
            }
            for (r, line) in checked.set_aside.iter().enumerate() {
                let (file, row, column, reason) = pages::set_aside_parts(line);
                let r = r as u32 + 1;
                ws.write_string(r, 0, mask_ids(&file))?;
                match row.parse::<u32>() {
                    Ok(n) => ws.write_number(r, 1, n)?,
                    Err(_) => ws.write_string(r, 1, mask_ids(&row))?,
                };
                ws.write_string(r, 2, mask_ids(&column))?;
                ws.write_string(r, 3, mask_ids(&reason))?;
            }
            ws.set_column_width(0, 30)?;
            ws.set_column_width(3, 60)?;
            wb.save_to_buffer()
        };
        Some(write().map_err(|e| e.to_string()))
    })
    .await
    .flatten();
    match made {
        Some(Ok(bytes)) => attachment(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "未计入的行.xlsx",
            bytes,
            true,
        ),
        Some(Err(e)) => message(&app, StatusCode::INTERNAL_SERVER_ERROR, "出错了", &e, None),
        None => not_found(State(app)).await,
    }
}

async fn run(State(app): State<Shared>, Path(id): Path<String>, body: Bytes) -> Response {
    let replace = form(&body).get("replace").is_some_and(|v| v == "1");
    let a = app.clone();
    let Some(Some(p)) = blocking(move || files::programme(&a.input, &id)).await else {
        return not_found(State(app)).await;
    };
    let back = format!("/p/{}#run", pct(&p.id));
    let bar = {
        let mut runs = app.runs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((other, _)) = &runs.current {
            let text = format!("正在生成 {other}，一次只生成一个年度。请等它完成后再试。");
            return message(&app, StatusCode::CONFLICT, "请等待", &text, Some((&back, "回到项目")));
        }
        if app.output.join(&p.id).exists() && !replace {
            let text = "这个年度已经生成过，没有替换。\n确需重新生成，请勾选“替换已生成的结果”后再点“生成本年度附件”。";
            return message(&app, StatusCode::CONFLICT, "没有替换", text, Some((&back, "回到项目")));
        }
        let bar = ProgressBar::hidden();
        runs.current = Some((p.id.clone(), bar.clone()));
        runs.last.remove(&p.id);
        bar
    };
    log(&format!("生成：{}{}", p.id, if replace { "（替换原有结果）" } else { "" }));
    let opts = RunOptions {
        input: p.dir.path.clone(),
        output: app.output.clone(),
        force: replace,
        renderer: app.renderer.clone(),
    };
    let a = app.clone();
    let id = p.id.clone();
    std::thread::spawn(move || {
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pipeline::run_with_progress(&opts, &bar)));
        let outcome = match result {
            Ok(Ok(summaries)) => Ok(summaries.iter().map(|s| s.line.clone()).collect::<Vec<_>>().join("\n")),
            Ok(Err(Error::Input(e))) => Err(e.0.iter().map(|p| p.to_string()).collect()),
            Ok(Err(e)) => Err(vec![mask_ids(&e.to_string()).into_owned()]),
            Err(_) => Err(vec!["生成时出现内部错误；原有结果未改动".to_string()]),
        };
        match &outcome {
            Ok(line) => log(&format!("生成完成：{line}")),
            Err(problems) => log(&format!("生成失败：{id}：{}", problems.join("；"))),
        }
        let mut runs = a.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs.current = None;
        runs.last.insert(id, outcome);
    });
    see_other(&back)
}

async fn run_status(State(app): State<Shared>) -> Response {
    let runs = app.runs.lock().unwrap_or_else(|e| e.into_inner());
    let json = match &runs.current {
        Some((id, bar)) => serde_json::json!({
            "running": true,
            "programme": id,
            "stage": if bar.message().is_empty() { "读取和检查数据".to_string() } else { bar.message().to_string() },
            "done": bar.position(),
            "of": bar.length().unwrap_or(0),
        }),
        None => serde_json::json!({ "running": false }),
    };
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], json.to_string())
        .into_response()
}

async fn settings_form(State(app): State<Shared>, Path(id): Path<String>) -> Response {
    let a = app.clone();
    let page = blocking(move || {
        let p = files::programme(&a.input, &id)?;
        Some(settings::read_files(&p.dir.path).map(|files| {
            let fields = settings::fields(&files);
            pages::settings(&a, &p, &files, &fields, &[], &[], &[], false)
        }))
    })
    .await
    .flatten();
    match page {
        Some(Ok(p)) => html(StatusCode::OK, p),
        Some(Err(e)) => message(&app, StatusCode::UNPROCESSABLE_ENTITY, "无法编辑设置", &e, None),
        None => not_found(State(app)).await,
    }
}

/// The loader's problems with `text` as the `file`-th settings file of `p`.
fn check_settings_file(
    files: &[settings::SettingsFile],
    file: usize,
    text: &str,
    p: &Programme,
) -> Result<(), Vec<String>> {
    if file == 0 {
        settings::check(text, &p.id, &p.dir.display)
    } else {
        let shown = format!("{}/{}", p.dir.display, files[file].name);
        settings::check_rubric(text, &files[file].text, &shown, &files[0].doc)
    }
}

async fn settings_save(State(app): State<Shared>, Path(id): Path<String>, body: Bytes) -> Response {
    let submitted = form(&body);
    let a = app.clone();
    let page = blocking(move || -> Option<(StatusCode, String)> {
        let p = files::programme(&a.input, &id)?;
        let mut files = match settings::read_files(&p.dir.path) {
            Ok(f) => f,
            Err(e) => {
                return Some((StatusCode::UNPROCESSABLE_ENTITY, pages::message_page(&a, "无法编辑设置", &e, None)))
            }
        };
        let fields = settings::fields(&files);
        let values: Vec<String> = (0..fields.len())
            .map(|i| submitted.get(&format!("f{i}")).cloned().unwrap_or_else(|| fields[i].text.clone()))
            .collect();
        let no_errors = vec![None; fields.len()];
        if files.iter().enumerate().any(|(j, f)| submitted.get(&format!("digest{j}")) != Some(&f.digest)) {
            let general = vec!["设置文件在您打开这一页之后被改动过；请重新打开设置页再改。".to_string()];
            return Some((
                StatusCode::CONFLICT,
                pages::settings(&a, &p, &files, &fields, &values, &no_errors, &general, false),
            ));
        }
        let norm = |s: &str| s.trim().replace("\r\n", "\n");
        let changed: Vec<usize> = (0..fields.len()).filter(|&i| norm(&values[i]) != norm(&fields[i].text)).collect();
        // Each change checked on its own, so a refusal is named beside its field.
        let mut errors: Vec<Option<String>> = no_errors.clone();
        for &i in &changed {
            let f = &fields[i];
            let mut one = files[f.file].doc.clone();
            match settings::set(&mut one, f, &values[i]) {
                Err(e) => errors[i] = Some(e),
                Ok(()) => {
                    if let Err(problems) = check_settings_file(&files, f.file, &one.to_string(), &p) {
                        errors[i] = Some(problems.join("；"));
                    }
                }
            }
        }
        if errors.iter().any(Option::is_some) {
            log(&format!("设置未保存：{}：{}", p.id, errors.iter().flatten().cloned().collect::<Vec<_>>().join("；")));
            return Some((
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::settings(&a, &p, &files, &fields, &values, &errors, &[], false),
            ));
        }
        // Then every changed file as a whole, before any is written.
        let mut docs: Vec<toml_edit::DocumentMut> = files.iter().map(|f| f.doc.clone()).collect();
        for &i in &changed {
            let _ = settings::set(&mut docs[fields[i].file], &fields[i], &values[i]);
        }
        let touched: std::collections::BTreeSet<usize> = changed.iter().map(|&i| fields[i].file).collect();
        for &j in &touched {
            if let Err(problems) = check_settings_file(&files, j, &docs[j].to_string(), &p) {
                return Some((
                    StatusCode::UNPROCESSABLE_ENTITY,
                    pages::settings(&a, &p, &files, &fields, &values, &errors, &problems, false),
                ));
            }
        }
        for &j in &touched {
            if let Err(e) = settings::save(&p.dir.path, &files[j].name, &docs[j].to_string()) {
                let general = vec![format!("无法保存 {}：{}", files[j].name, crate::problem::io_text(&e))];
                return Some((
                    StatusCode::INTERNAL_SERVER_ERROR,
                    pages::settings(&a, &p, &files, &fields, &values, &errors, &general, false),
                ));
            }
        }
        if !changed.is_empty() {
            let names: Vec<&str> = touched.iter().map(|&j| files[j].name.as_str()).collect();
            log(&format!("设置已保存：{}（{} 项，{}）", p.id, changed.len(), names.join("、")));
        }
        files = match settings::read_files(&p.dir.path) {
            Ok(f) => f,
            Err(e) => {
                return Some((StatusCode::INTERNAL_SERVER_ERROR, pages::message_page(&a, "无法编辑设置", &e, None)))
            }
        };
        let fields = settings::fields(&files);
        Some((StatusCode::OK, pages::settings(&a, &p, &files, &fields, &[], &[], &[], true)))
    })
    .await
    .flatten();
    match page {
        Some((status, body)) => html(status, body),
        None => not_found(State(app)).await,
    }
}

async fn verify(State(app): State<Shared>, Path(id): Path<String>) -> Response {
    let a = app.clone();
    let page = blocking(move || {
        let f = files::finished_one(&a.output, &id)?;
        let v = archive::verify(&a.output.join(&f.id));
        let exists = files::programme(&a.input, &f.id).is_some();
        Some(v.map(|v| {
            log(&format!(
                "核验：{}：{} 个一致，{} 个改动，{} 个缺失，{} 个清单外",
                f.id,
                v.ok,
                v.changed.len(),
                v.missing.len(),
                v.unexpected.len()
            ));
            pages::verified(&a, &f, &v, exists)
        }))
    })
    .await
    .flatten();
    match page {
        Some(Ok(p)) => html(StatusCode::OK, p),
        Some(Err(e)) => message(&app, StatusCode::INTERNAL_SERVER_ERROR, "无法核验", &e.to_string(), None),
        None => not_found(State(app)).await,
    }
}

/// A file sent with its name (masked) for the browser, inline or as an attachment.
fn attachment(kind: &str, name: &str, bytes: Vec<u8>, download: bool) -> Response {
    let name = mask_ids(name);
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let disposition = format!(
        "{}; filename=\"{ascii}\"; filename*=UTF-8''{}",
        if download { "attachment" } else { "inline" },
        pct(&name)
    );
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(kind) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

async fn download(
    State(app): State<Shared>,
    Path((id, path)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let a = app.clone();
    let thumb = q.contains_key("thumb");
    let found = blocking(move || {
        let f = files::finished_one(&a.output, &id)?;
        // Only what the manifest lists: never a path the request makes up.
        let listed = f.manifest.outputs.iter().find(|o| o.path == path);
        let file = a.output.join(&f.id).join(&path);
        if thumb {
            // `?thumb=1`: the first page of a listed PDF, as a small PNG.
            let o = listed.filter(|o| o.path.ends_with(".pdf"))?;
            let png = a.thumbnails.first_page(&o.sha256, || std::fs::read(&file));
            return Some(png.map(|png| (format!("{path}.png"), png.to_vec())));
        }
        if path != "manifest.json" && listed.is_none() {
            return None;
        }
        Some(std::fs::read(&file).map(|bytes| (path, bytes)).map_err(|e| crate::problem::io_text(&e)))
    })
    .await
    .flatten();
    let (path, bytes) = match found {
        Some(Ok(found)) => found,
        Some(Err(e)) => return message(&app, StatusCode::INTERNAL_SERVER_ERROR, "无法读取文件", &e, None),
        None => return not_found(State(app)).await,
    };
    let kind = match path.rsplit('.').next().unwrap_or("") {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "csv" => "text/csv; charset=utf-8",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "json" => "application/json",
        _ => "application/octet-stream",
    };
    let name = path.rsplit('/').next().unwrap_or(&path).to_string();
    attachment(kind, &name, bytes, q.contains_key("download"))
}

async fn zip(State(app): State<Shared>, Path(id): Path<String>) -> Response {
    let a = app.clone();
    let made = blocking(move || {
        let f = files::finished_one(&a.output, &id)?;
        Some(files::zip_year(&a.output.join(&f.id)).map(|b| (f.id, b)))
    })
    .await
    .flatten();
    match made {
        Some(Ok((id, bytes))) => attachment("application/zip", &format!("{id}.zip"), bytes, true),
        Some(Err(e)) => message(&app, StatusCode::INTERNAL_SERVER_ERROR, "无法打包", &e, None),
        None => not_found(State(app)).await,
    }
}
