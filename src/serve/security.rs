//! The rules every request passes: the Host header names the served address (a page of
//! another site, resolved to 127.0.0.1 by DNS rebinding, is refused), and a request that
//! changes something carries this session's token (no cross-site form posts).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{pages, Shared};

/// 32 hex digits from the system's random source (a time-and-pid hash if it has none).
pub fn new_token() -> String {
    use sha2::{Digest, Sha256};
    let mut seed = [0u8; 32];
    let random = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut seed));
    if random.is_err() {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        seed = Sha256::digest(format!("{}-{}-{:p}", now.as_nanos(), std::process::id(), &seed)).into();
    }
    Sha256::digest(seed).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The Host header must be the served address (127.0.0.1:port or localhost:port).
fn host_ok(app: &Shared, req: &Request) -> bool {
    let port = app.addr.port();
    let Some(host) = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()) else { return false };
    host == format!("127.0.0.1:{port}") || host == format!("localhost:{port}")
}

/// The token of a state-changing request: the `x-kaohe-token` header or `t=` in the query.
fn token_ok(app: &Shared, req: &Request) -> bool {
    let header = req.headers().get("x-kaohe-token").and_then(|h| h.to_str().ok());
    let query = req.uri().query().unwrap_or("").split('&').find_map(|kv| kv.strip_prefix("t="));
    let given = header.or(query).unwrap_or("");
    // Constant time: compare every byte.
    given.len() == app.token.len() && given.bytes().zip(app.token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// A request from another origin (a form posted by some site) is refused even with a token.
fn origin_ok(app: &Shared, req: &Request) -> bool {
    match req.headers().get(header::ORIGIN).and_then(|h| h.to_str().ok()) {
        None => true,
        Some(origin) => {
            let port = app.addr.port();
            origin == format!("http://127.0.0.1:{port}") || origin == format!("http://localhost:{port}")
        }
    }
}

pub async fn guard(State(app): State<Shared>, req: Request, next: Next) -> Response {
    if !host_ok(&app, &req) {
        return refuse(StatusCode::MISDIRECTED_REQUEST, "请求的地址不是本服务的地址（Host 不符），已拒绝", &app);
    }
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD);
    if changes && !(token_ok(&app, &req) && origin_ok(&app, &req)) {
        return refuse(StatusCode::FORBIDDEN, "请求缺少本次会话的令牌，已拒绝；请从页面上重新操作", &app);
    }
    next.run(req).await
}

fn refuse(status: StatusCode, message: &str, app: &Shared) -> Response {
    super::routes::log(&format!("拒绝：{message}"));
    let body = pages::message_page(app, "已拒绝", message, None);
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], Body::from(body)).into_response()
}
