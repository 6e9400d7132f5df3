//! The hook endpoint: one small HTTP server on 127.0.0.1 (an ephemeral port) per
//! Switchboard process, to which the terminal sessions this process runs post Claude
//! Code's HTTP hooks.
//!
//! Each session has a route (`/hook/<random id>`) and a secret of its own. Claude Code
//! sends the secret in the `Authorization` header, interpolated from the session's
//! environment (`SWITCHBOARD_HOOK_TOKEN`), so it never appears in an argument list (which
//! any local process can read). A request without the route's secret gets 401 and changes
//! nothing; a body over [`MAX_HOOK_BODY`] gets 413; connections are bounded by
//! [`MAX_CONNECTIONS`] and headers must arrive within [`HEADER_TIMEOUT`].
//!
//! The server runs on a runtime and thread of its own: it outlives whichever async runtime
//! created the first session (a test's, the CLI's), and a held permission request never
//! waits on the window's runtime.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::Value;
use tracing::{debug, warn};

use super::session::SessionHooks;
use crate::error::{Error, Result};

/// The largest hook body accepted: a Write's whole content travels in `tool_input`.
pub const MAX_HOOK_BODY: usize = 16 * 1024 * 1024;

/// Connections served at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 256;

/// A connection that has not sent a request's headers within this long is closed.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The header that carries a session's secret (`Bearer <secret>`).
pub(crate) const AUTH_HEADER: &str = "authorization";

/// The running server: its port and the sessions' routes.
pub(crate) struct Endpoint {
    port: u16,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    /// Runs the server; kept for the life of the process.
    _runtime: tokio::runtime::Runtime,
}

/// One session's route: its secret and what handles its hooks.
#[derive(Clone)]
struct Route {
    token: String,
    hooks: Arc<SessionHooks>,
}

/// Removes a session's route when dropped: later posts to it get 404.
pub(crate) struct RouteGuard {
    id: String,
}

impl Drop for RouteGuard {
    fn drop(&mut self) {
        if let Some(Ok(e)) = ENDPOINT.get() {
            e.routes.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.id);
        }
    }
}

static ENDPOINT: OnceLock<std::result::Result<Endpoint, String>> = OnceLock::new();

/// The endpoint of this process, started on first use.
pub(crate) fn endpoint() -> Result<&'static Endpoint> {
    ENDPOINT
        .get_or_init(|| Endpoint::start().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::io("cannot start the hook endpoint", std::io::Error::other(e.clone())))
}

impl Endpoint {
    fn start() -> std::io::Result<Endpoint> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("switchboard-hooks")
            .enable_io()
            .enable_time()
            .build()?;
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let routes: Arc<Mutex<HashMap<String, Route>>> = Arc::default();
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        runtime.spawn(serve(listener, routes.clone()));
        tracing::info!(port, "hook endpoint listening on 127.0.0.1");
        Ok(Endpoint { port, routes, _runtime: runtime })
    }

    /// Adds a route for `hooks`, answering only posts that carry `token`. Returns the
    /// route's URL and the guard that removes it.
    pub(crate) fn register(&self, token: String, hooks: Arc<SessionHooks>) -> (String, RouteGuard) {
        let id = random_hex();
        self.routes.lock().unwrap_or_else(|e| e.into_inner()).insert(id.clone(), Route { token, hooks });
        (format!("http://127.0.0.1:{}/hook/{id}", self.port), RouteGuard { id })
    }
}

/// 128 random bits as hex (UUIDv4 comes from the system's secure random source).
pub(crate) fn random_hex() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

async fn serve(listener: tokio::net::TcpListener, routes: Arc<Mutex<HashMap<String, Route>>>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else { return };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                warn!(error = %e, "the hook endpoint could not accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let routes = routes.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| answer(routes.clone(), req));
            let served = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
            if let Err(e) = served {
                debug!(error = %e, "a hook connection ended with an error");
            }
            drop(permit);
        });
    }
}

fn reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    r
}

fn refuse(status: StatusCode, why: &str) -> Response<Full<Bytes>> {
    reply(status, serde_json::json!({ "error": why }).to_string())
}

/// Equal in time whatever the contents: a wrong secret's first bytes tell nothing.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn answer(
    routes: Arc<Mutex<HashMap<String, Route>>>,
    req: Request<Incoming>,
) -> std::result::Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::POST {
        return Ok(refuse(StatusCode::METHOD_NOT_ALLOWED, "only POST"));
    }
    let route = req.uri().path().strip_prefix("/hook/").and_then(|id| routes.lock().unwrap_or_else(|e| e.into_inner()).get(id).cloned());
    let Some(route) = route else {
        return Ok(refuse(StatusCode::NOT_FOUND, "no such session"));
    };
    let expected = format!("Bearer {}", route.token);
    let given = req.headers().get(AUTH_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if !same_secret(given, expected.as_bytes()) {
        warn!("a hook post without the session's secret was refused");
        return Ok(refuse(StatusCode::UNAUTHORIZED, "missing or wrong secret"));
    }
    let declared = req.headers().get(hyper::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_HOOK_BODY as u64) {
        return Ok(refuse(StatusCode::PAYLOAD_TOO_LARGE, "body too large"));
    }
    let body = match Limited::new(req.into_body(), MAX_HOOK_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(refuse(StatusCode::PAYLOAD_TOO_LARGE, "body too large or cut off")),
    };
    let event: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return Ok(refuse(StatusCode::BAD_REQUEST, "the body is not a JSON object")),
    };
    let out = route.hooks.receive(event).await;
    Ok(reply(StatusCode::OK, out.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"Bearer abc", b"Bearer abc"));
        assert!(!same_secret(b"Bearer abd", b"Bearer abc"));
        assert!(!same_secret(b"Bearer ab", b"Bearer abc"));
        assert!(!same_secret(b"", b"Bearer abc"));
        assert_eq!(random_hex().len(), 64);
        assert_ne!(random_hex(), random_hex());
    }
}
