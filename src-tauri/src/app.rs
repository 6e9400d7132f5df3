//! The Tauri app: state, commands, the event bridge and the tray. Generic over the runtime
//! so that tests build it with `tauri::test::mock_builder()`.

use switchboard_core::{Engine, EngineEvent};
use tauri::{Builder, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;
use tracing::warn;

use crate::contract::{self, AppEvent};
use crate::{commands, notify, tray};

pub use crate::contract::{PERMISSION_CHANGED, SESSIONS_RESYNC, SESSION_CHANGED, SESSION_DELETED};

/// What differs between the real app and a test build.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Show a tray icon (needs a real desktop session).
    pub tray: bool,
}

/// Registers Switchboard's state, commands, event bridge and navigation guard on `builder`.
pub fn build<R: Runtime>(builder: Builder<R>, engine: Engine, options: Options) -> Builder<R> {
    builder
        .plugin(navigation_guard())
        .manage(engine)
        .manage(notify::Watch::default())
        .manage(tray::TrayState::default())
        .manage(commands::Subscriptions::default())
        .manage(crate::terminal_follow::TerminalFollow::default())
        .invoke_handler(contract::handler())
        .setup(move |app| {
            if options.tray {
                tray::create(app.handle())?;
            }
            spawn_event_bridge(app.handle().clone());
            Ok(())
        })
}

/// Whether a webview may navigate to `url`: only to the app's own pages. Everything else — a
/// link in an agent's Markdown opened from the context menu ("Open Link"), dragged onto the
/// window, or followed by any other means — is refused; the UI opens web links in the
/// desktop's browser instead (tauri-plugin-opener).
///
/// The app's origin is `tauri://localhost` (Linux, macOS) or `http(s)://tauri.localhost`
/// (Windows); `about:blank` is what a new webview starts on.
pub fn is_app_url(url: &tauri::Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost") && url.port().is_none() && url.username().is_empty() && url.password().is_none(),
        "http" | "https" => {
            url.host_str() == Some("tauri.localhost") && url.port().is_none() && url.username().is_empty() && url.password().is_none()
        }
        "about" => url.path() == "blank",
        _ => false,
    }
}

/// A plugin with no commands: its `on_navigation` hook applies [`is_app_url`] to every
/// webview, the one created from tauri.conf.json included.
fn navigation_guard<R: Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_webview, url| {
            let allowed = is_app_url(url);
            if !allowed {
                warn!(url = %switchboard_core::error::shorten(url.as_str(), 200), "refused to navigate the window away from the app");
            }
            allowed
        })
        .build()
}

/// Forwards engine events to the windows as app events, raises notifications, and keeps
/// the tray current (debounced: a burst of changes rebuilds the menu once).
fn spawn_event_bridge<R: Runtime>(app: tauri::AppHandle<R>) {
    let engine = app.state::<Engine>().inner().clone();
    let mut events = engine.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut tray_due: Option<tokio::time::Instant> = None;
        loop {
            let next = match tray_due {
                Some(due) => tokio::select! {
                    ev = events.recv() => Some(ev),
                    _ = tokio::time::sleep_until(due) => None,
                },
                None => Some(events.recv().await),
            };
            let Some(ev) = next else {
                tray_due = None;
                tray::refresh(&app);
                continue;
            };
            let sent = match ev {
                Ok(EngineEvent::SessionChanged { session }) => {
                    notify::session_changed(&app, &session);
                    // Environment values (API keys) never reach the page.
                    AppEvent::SessionChanged { session: Box::new(session.redacted()) }.emit(&app)
                }
                Ok(EngineEvent::SessionDeleted { id }) => AppEvent::SessionDeleted { id }.emit(&app),
                Ok(EngineEvent::WorkspaceChanged { workspace }) => AppEvent::WorkspaceChanged { workspace: Box::new(workspace) }.emit(&app),
                Ok(EngineEvent::PermissionChanged { request }) => {
                    notify::permission_changed(&app, &request);
                    AppEvent::PermissionChanged { request: Box::new(request) }.emit(&app)
                }
                Err(RecvError::Lagged(missed)) => {
                    warn!(missed, "the UI fell behind on engine events; asking it to re-read");
                    AppEvent::SessionsResync { missed }.emit(&app)
                }
                Err(RecvError::Closed) => break,
            };
            if let Err(e) = sent {
                warn!(error = %e, "could not emit an event to the UI");
            }
            tray_due.get_or_insert_with(|| tokio::time::Instant::now() + TRAY_DEBOUNCE);
        }
    });
}

/// Engine changes within this window update the tray once.
const TRAY_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(150);

#[cfg(test)]
mod tests {
    use super::is_app_url;

    fn allowed(url: &str) -> bool {
        is_app_url(&url.parse().unwrap_or_else(|e| panic!("{url}: {e}")))
    }

    #[test]
    fn only_the_apps_own_pages_may_be_navigated_to() {
        for url in [
            "tauri://localhost",
            "tauri://localhost/",
            "tauri://localhost/index.html#/sessions/x",
            "https://tauri.localhost/",
            "http://tauri.localhost/index.html",
            "about:blank",
        ] {
            assert!(allowed(url), "{url} is the app");
        }
        for url in [
            "https://evil.example/",
            "http://example.com/tauri.localhost",
            "https://tauri.localhost.evil.example/",
            "https://evil.example/?tauri://localhost",
            "tauri://evil",
            "tauri://localhost:8080/",
            "https://tauri.localhost:8443/",
            "https://user@tauri.localhost/",
            "http://localhost:1420/",
            "http://127.0.0.1/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "about:srcdoc",
            "mailto:a@b.c",
            "ipc://localhost/",
        ] {
            assert!(!allowed(url), "{url} is not the app");
        }
    }
}
