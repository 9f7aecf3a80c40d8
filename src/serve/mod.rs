//! `kaohe serve`: the clerk's page. An HTTP server on 127.0.0.1 only, served by the same
//! binary, reading programmes, datasets, problems and documents only through the
//! pipeline the command line uses ([`crate::pipeline`], [`crate::pipeline::publish::plan`],
//! [`crate::archive::verify`], [`crate::programme::file::load`]): one behaviour, not two.
//!
//! - `routes.rs`: the handlers (pages, uploads, runs, downloads, settings);
//! - `pages.rs`: the HTML, server-rendered, every text masked ([`crate::redact::mask_ids`])
//!   and escaped on its way out;
//! - `files.rs`: a programme folder's state, uploads confined to it, a new year, the zip;
//! - `settings.rs`: the settings an office changes every year, edited with toml_edit;
//! - `thumbnail.rs`: the first page of a finished PDF as a small PNG (hayro);
//! - `security.rs`: the Host check (DNS rebinding) and the per-session token;
//! - `assets/`: the style sheet, a little plain JavaScript; the Fandol fonts.

mod files;
mod pages;
mod routes;
mod security;
mod settings;
mod thumbnail;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use indicatif::ProgressBar;

use crate::error::Error;
use crate::render::Renderer;

/// Settings of `kaohe serve`.
pub struct ServeOptions {
    pub input: PathBuf,
    pub output: PathBuf,
    /// 0: any free port (the address is printed).
    pub port: u16,
    pub renderer: Renderer,
    /// The largest file one upload may hold, in bytes.
    pub max_upload: usize,
    /// The most files one upload may hold.
    pub max_files: usize,
}

/// A run in progress or finished: what the page shows.
#[derive(Default)]
pub(crate) struct Runs {
    /// The programme being run and its progress (the same bar the command line draws).
    pub current: Option<(String, ProgressBar)>,
    /// The last outcome of each programme run from this page: Ok(the run line) or the
    /// problems that stopped it (masked).
    pub last: std::collections::HashMap<String, Result<String, Vec<String>>>,
}

/// Everything the handlers share.
pub(crate) struct App {
    pub input: PathBuf,
    pub output: PathBuf,
    pub addr: SocketAddr,
    /// Guards every request that changes something; new at every start.
    pub token: String,
    pub renderer: Renderer,
    pub max_upload: usize,
    pub max_files: usize,
    pub runs: Mutex<Runs>,
    /// First pages of finished PDFs, drawn once each.
    pub thumbnails: thumbnail::Thumbnails,
    /// The last check of each programme, with the state of its folder it was made on:
    /// a page shown again without a file changed is not read again.
    pub checks: Mutex<std::collections::HashMap<String, (files::Fingerprint, pages::Checked)>>,
}

pub(crate) type Shared = Arc<App>;

/// Bind 127.0.0.1 (never another interface), print the address and serve until stopped.
pub fn serve(opts: ServeOptions) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| Error::Usage(format!("无法启动服务：{e}")))?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], opts.port))).await.map_err(|e| {
                Error::Usage(format!("无法监听 127.0.0.1:{}：{e}\n  提示：用 --port 换一个端口", opts.port))
            })?;
        let addr = listener.local_addr().map_err(|e| Error::Usage(format!("无法监听：{e}")))?;
        let app = Arc::new(App {
            input: opts.input,
            output: opts.output,
            addr,
            token: security::new_token(),
            renderer: opts.renderer,
            max_upload: opts.max_upload,
            max_files: opts.max_files,
            runs: Mutex::new(Runs::default()),
            thumbnails: thumbnail::Thumbnails::default(),
            checks: Mutex::default(),
        });
        // Written, never panicking: whoever started the server may stop reading its output.
        {
            use std::io::Write;
            let mut out = std::io::stdout();
            let _ = writeln!(out, "kaohe serve: http://{addr}/");
            let _ = writeln!(out, "  在本机浏览器中打开上面的地址；按 Ctrl+C 停止");
            let _ = out.flush();
        }
        let router = routes::router(app);
        axum::serve(listener, router).await.map_err(|e| Error::Usage(format!("服务中止：{e}")))
    })
}
